"""Project package: settings, URLs, Celery app, centres, accounts, roles and audit context."""

from .celery import app as celery_app

__all__ = ("celery_app",)
