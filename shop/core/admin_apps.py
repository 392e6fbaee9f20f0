from django.contrib.admin.apps import AdminConfig


class OperatorAdminConfig(AdminConfig):
    """The admin, on the site with a throttled login and the operators' second factor."""

    default_site = "shop.core.admin_site.OperatorAdminSite"
