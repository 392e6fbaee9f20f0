"""The search rules the shop starts with; operators edit them in the admin afterwards."""

from django.db import migrations

from shop.catalogue.synonyms import DEFAULTS

def add_defaults(apps, schema_editor):
    SearchSynonym = apps.get_model("catalogue", "SearchSynonym")
    for term, alternatives, kind in DEFAULTS:
        SearchSynonym.objects.get_or_create(
            term=term, defaults={"alternatives": alternatives, "kind": kind}
        )


def remove_defaults(apps, schema_editor):
    SearchSynonym = apps.get_model("catalogue", "SearchSynonym")
    SearchSynonym.objects.filter(term__in=[term for term, _, _ in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0004_search_words_synonyms")]

    operations = [migrations.RunPython(add_defaults, remove_defaults, elidable=False)]
