"""Local development: `make run`. Embedded PostgreSQL unless DATABASE_URL is set."""

from .base import *  # noqa: F403
from .base import database_from_env_or_embedded, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
# A fixed development key; prod refuses to start without its own.
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-only-not-secret-registry-key")
AUDIT_SEAL_KEY = env.str("REGISTRY_AUDIT_SEAL_KEY", default="dev-only-audit-seal-key")
EXPORT_PSEUDONYM_KEY = env.str(
    "REGISTRY_EXPORT_PSEUDONYM_KEY", default="dev-only-export-pseudonym-key-not-secret-0123456789"
)
DATABASES = {"default": database_from_env_or_embedded()}
ALLOW_DEMO_DATA = True
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The demo accounts sign in with their printed passwords; REGISTRY_REQUIRE_SECOND_FACTOR=true
# tries the second factor locally (production always requires it).
REGISTRY_REQUIRE_SECOND_FACTOR = env.bool("REGISTRY_REQUIRE_SECOND_FACTOR", default=False)
