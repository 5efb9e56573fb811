"""Production (docker-compose): secrets and addresses from the environment (no defaults for
them), secure cookies, database connections kept between requests."""

from .base import *  # noqa: F403
from .base import SERVED_CONN_MAX_AGE, env, secret

DEBUG = False
SECRET_KEY = secret("DJANGO_SECRET_KEY")
# Seals the audit tables (registry.integrity): kept outside the database, like backups.
AUDIT_SEAL_KEY = secret("REGISTRY_AUDIT_SEAL_KEY")
# Keys the export pseudonyms: outside the database and the exports, like the seal key.
EXPORT_PSEUDONYM_KEY = secret("REGISTRY_EXPORT_PSEUDONYM_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {
    "default": {
        **env.db_url("DATABASE_URL"),
        "ATOMIC_REQUESTS": True,
        # Connections kept between requests, each checked before it is reused (a restarted
        # database costs one failed check, not a failed request).
        "CONN_MAX_AGE": env.int("DJANGO_CONN_MAX_AGE", default=SERVED_CONN_MAX_AGE),
        "CONN_HEALTH_CHECKS": True,
    }
}
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL")
vars().update(env.email_url("DJANGO_EMAIL_URL"))  # e.g. smtp+tls://user:pass@mail.example.org:587
CELERY_TASK_ALWAYS_EAGER = False
ALLOW_DEMO_DATA = False  # never synthetic patients in production
REGISTRY_REQUIRE_SECOND_FACTOR = True  # not a switch in production
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
# The reverse proxy in front adds X-Forwarded-For: trust exactly that one hop (axes).
AXES_IPWARE_PROXY_COUNT = env.int("REGISTRY_TRUSTED_PROXIES", default=1)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
