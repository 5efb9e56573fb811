"""Test settings: `make test`. Embedded PostgreSQL unless DATABASE_URL is set."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import database_from_env_or_embedded, env

DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="test-only-not-secret-registry-key")
AUDIT_SEAL_KEY = env.str("REGISTRY_AUDIT_SEAL_KEY", default="test-only-audit-seal-key")
DATABASES = {"default": database_from_env_or_embedded()}
ALLOW_DEMO_DATA = True
# Fast hashing: the suite creates many users; production keeps the default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EXPORT_PSEUDONYM_KEY = env.str(
    "REGISTRY_EXPORT_PSEUDONYM_KEY", default="test-only-export-pseudonym-key-not-secret-012345678"
)
# Export files of a test run in a directory of their own (a worker started by a test is
# given the same through REGISTRY_EXPORT_ROOT).
EXPORT_ROOT = Path(
    env.str("REGISTRY_EXPORT_ROOT", default="") or tempfile.mkdtemp(prefix="registry-test-exports-")
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(EXPORT_ROOT)},
    },
}
# Tasks run in the test process, even where CI sets a broker (the one real-worker test
# sends its task to the broker itself).
CELERY_TASK_ALWAYS_EAGER = True
AXES_ENABLED = True
# Static files straight from the apps (no collectstatic before tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Off except in the tests of the second factor (tests/registry/test_two_factor.py).
REGISTRY_REQUIRE_SECOND_FACTOR = False
