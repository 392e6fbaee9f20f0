"""The layers run one way: read from the source, so a new import that breaks them fails here.

- No import loop spans two apps (services ↔ tasks inside one app is fine).
- The outbox (`shop.webhooks`) is a leaf: it imports `shop.core` and the partners' models;
  so are the notices (`shop.notices`), which import only `shop.core`.
- The domain (models, services, selectors, tasks, …) imports no presentation (views,
  admin, forms, the API, …); presentation registers itself with the domain instead.
- `shop.core`'s domain part imports no app.
- Each tier of the README's diagram ("How the pieces fit") imports only the tiers below it.

Every import counts, function-local ones too: they are how loops used to hide.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("shop", "gifting", "merchants")
PRESENTATION = {
    "admin",
    "admin_site",
    "admin_apps",
    "views",
    "forms",
    "urls",
    "templatetags",
    "management",
    "widgets",
    "context_processors",
    "pages",
    "middleware",
}
PRESENTATION_APPS = {"shop.api", "shop.demo", "shop.urls", "shop.wsgi", "shop.asgi"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def app_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "shop" and len(parts) > 1 else parts[0]


def is_presentation(module: str) -> bool:
    parts = set(module.split("."))
    return app_of(module) in PRESENTATION_APPS or bool(parts & PRESENTATION)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            named = {f"{source}.{alias.name}" for alias in node.names}
            targets.update(named)
            if not named <= MODULES.keys():  # names from the module itself, not submodules
                targets.add(source)
    return {target for target in targets if target in MODULES and target != module}


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _loops() -> list[list[str]]:
    """Strongly connected components of the module graph (Tarjan), of two modules or more."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(GRAPH[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    return found


def test_the_source_is_read() -> None:
    assert "gifting.services" in GRAPH
    assert "shop.webhooks.events" in GRAPH["gifting.services"]


def test_no_import_loop_spans_two_apps() -> None:
    spanning = [loop for loop in _loops() if len({app_of(m) for m in loop}) > 1]
    assert spanning == []


def test_the_outbox_imports_only_the_core_and_the_partners_models() -> None:
    allowed = {"shop.core", "shop.partners", "shop.partners.models"}
    reached = {
        target
        for module, targets in GRAPH.items()
        if app_of(module) == "shop.webhooks"
        for target in targets
        if app_of(target) != "shop.webhooks"
    }
    assert {t for t in reached if t not in allowed and not t.startswith("shop.core.")} == set()


def test_the_notices_import_only_the_core() -> None:
    """A leaf like the outbox: domain services call it, it calls none of them (the kinds
    that need more at send time register themselves, `shop.notices.kinds`)."""
    reached = {
        target
        for module, targets in GRAPH.items()
        if app_of(module) == "shop.notices" and not is_presentation(module)
        for target in targets
        if app_of(target) != "shop.notices"
    }
    assert {t for t in reached if not t.startswith("shop.core.")} == set()


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if not is_presentation(m)))
def test_the_domain_imports_no_presentation(module: str) -> None:
    assert {t for t in GRAPH[module] if is_presentation(t)} == set()


# The README's tiers, lowest first; a module belongs to its longest matching prefix.
TIERS = (
    ("core", ("shop", "shop.core", "shop.celery", "shop.settings")),
    (
        "records",
        (
            "shop.accounts",
            "shop.partners.models",
            "merchants.models",
            "merchants.tenancy",
            "merchants.uploads",
            "merchants.uscc",
            "merchants.compliance",
            "shop.privacy.models",
            "shop.privacy.consent",
            "shop.privacy.default_notice",
        ),
    ),
    ("outbox", ("shop.webhooks", "shop.notices")),
    ("catalogue", ("shop.catalogue", "shop.discovery.models")),
    ("buying", ("shop.sandbox", "shop.payments", "shop.cart", "shop.orders")),
    ("the gift", ("gifting",)),
    ("read models", ("shop.discovery",)),
    ("partners", ("shop.partners", "merchants", "shop.privacy")),
)


def tier_of(module: str) -> int:
    matches = [
        (len(prefix), rank)
        for rank, (_, prefixes) in enumerate(TIERS)
        for prefix in prefixes
        if module == prefix or module.startswith(f"{prefix}.")
    ]
    return max(matches)[1]


@pytest.mark.parametrize("module", sorted(m for m in GRAPH if not is_presentation(m)))
def test_each_tier_imports_only_the_tiers_below(module: str) -> None:
    above = {
        f"{target} ({TIERS[tier_of(target)][0]})"
        for target in GRAPH[module]
        if not is_presentation(target) and tier_of(target) > tier_of(module)
    }
    assert above == set(), f"{module} ({TIERS[tier_of(module)][0]}) reaches up"


def test_the_core_imports_no_app() -> None:
    reached = {
        target
        for module, targets in GRAPH.items()
        if app_of(module) == "shop.core" and not is_presentation(module)
        for target in targets
        if app_of(target) not in ("shop.core", "shop.celery", "shop")
    }
    assert reached == set()
