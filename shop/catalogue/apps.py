from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "shop.catalogue"
    label = "catalogue"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        # Models and selectors import only once the app registry is ready.
        from .models import Category
        from .selectors import category_tree_forget

        for signal in (post_save, post_delete):
            signal.connect(category_tree_forget, sender=Category, dispatch_uid="category-tree")
