"""The registry's admin site (its own module: the site is built before any admin.py loads)."""

from django.contrib import admin


class RegistryAdminSite(admin.AdminSite):
    """Django's admin site without the "view on site" shortcut (`r/<type>/<id>/`), which
    under DEBUG tells an object of another centre from a missing one."""

    def get_urls(self):
        return [u for u in super().get_urls() if getattr(u, "name", None) != "view_on_site"]
