from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Registry: centres, accounts and roles"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from registry import integrity, middleware  # noqa: F401  (its login receiver)

        # Every event table, new ones included, gets its chain trigger after each migrate.
        post_migrate.connect(integrity.install_chain, dispatch_uid="registry_audit_chain")


class RegistryAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the registry's site (registry.admin_site.RegistryAdminSite)."""

    default = False  # RegistryConfig stays this module's default app config
    default_site = "registry.admin_site.RegistryAdminSite"
