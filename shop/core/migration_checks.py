"""For migrations that add check constraints: look at the rows already there first.

`ALTER TABLE … ADD CONSTRAINT` fails on the first bad row with a bare IntegrityError. This
step runs before it, repairs what it may (a repair function given by the migration), then
counts the rows each new constraint would refuse and stops with a report naming them, so
an operator knows what to fix instead of meeting a half-applied deploy.
"""

from collections.abc import Callable

from django.db import migrations


class ExistingRowsViolate(Exception):
    pass


def rows_must_satisfy(
    app_label: str,
    added: list[migrations.AddConstraint],
    *,
    repair: Callable[[object, object], None] | None = None,
) -> migrations.RunPython:
    def check(apps: object, schema_editor: object) -> None:
        if repair is not None:
            repair(apps, schema_editor)
        problems = []
        for operation in added:
            model = apps.get_model(app_label, operation.model_name)  # type: ignore[attr-defined]
            condition = getattr(operation.constraint, "condition", None)
            if condition is None:
                continue
            bad = model._default_manager.exclude(condition)
            if count := bad.count():
                ids = list(bad.order_by("pk").values_list("pk", flat=True)[:10])
                problems.append(f"{operation.constraint.name}: {count} rows, first ids {ids}")
        if problems:
            raise ExistingRowsViolate(
                f"Existing {app_label} rows break the new constraints; fix them, then migrate "
                "again:\n  " + "\n  ".join(problems)
            )

    return migrations.RunPython(check, migrations.RunPython.noop, elidable=True)
