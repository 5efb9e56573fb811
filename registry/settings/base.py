"""Settings shared by every environment.

Values that differ between machines come from the environment (django-environ); nothing
secret is written here. dev/test fall back to an embedded PostgreSQL when DATABASE_URL is
unset; prod requires every variable.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def secret(name: str) -> str:
    """A secret from the environment (prod), refused when a placeholder or too short."""
    value = env.str(name)
    if len(value) < 50 or "change-me" in value or value.startswith(("dev-only", "test-only")):
        raise ImproperlyConfigured(
            f"{name} is a placeholder or shorter than 50 characters: set a long random value, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".'
        )
    return value


DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "registry.apps.RegistryAdminConfig",  # django.contrib.admin, with the registry's site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by the registry (no CDN)
    "import_export",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    # ours
    "registry",
    "crf",
    "cohorts",
    "exports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified()
    # Django's LocaleMiddleware, then the signed-in user's saved language (needs request.user).
    "registry.i18n.UserLocaleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    # Every request made with an API token is logged, after the view's transaction.
    "registry.tokens.TokenUseMiddleware",
    # Pages of a signed-in user may show patient data: never cached by a browser or proxy.
    "registry.middleware.NoStoreMiddleware",
    "registry.middleware.IdleTimeoutMiddleware",
    # A session that needs a second factor reaches only its set-up and verification pages.
    "registry.twofactor.SecondFactorMiddleware",
    # Last: every database write of a request runs inside its audit context.
    "registry.audit.AuditContextMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"
AUTH_USER_MODEL = "registry.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "registry" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions end after 30 minutes without a request (registry.middleware.IdleTimeoutMiddleware),
# after 10 hours whatever, and with the browser.
REGISTRY_SESSION_IDLE_SECONDS = env.int("REGISTRY_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_COOKIE_AGE = 10 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # htmx sends the token from the page (hx-headers), not the cookie
X_FRAME_OPTIONS = "DENY"
# Second factor (TOTP, registry.twofactor): required of the roles that read every centre.
REGISTRY_REQUIRE_SECOND_FACTOR = env.bool("REGISTRY_REQUIRE_SECOND_FACTOR", default=True)
OTP_TOTP_ISSUER = "LE-MDS/CMML registry"
# Password reset links (the only way a password is set by anyone but its owner's hand).
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="registry@localhost")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lock an account for an hour after 5 failed logins (per user name and IP).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1
# Either key locks: an account guessed at from anywhere, or an address guessing any
# account. Behind the reverse proxy the client's address is taken from X-Forwarded-For,
# trusting as many proxies as REGISTRY_TRUSTED_PROXIES (0 here: REMOTE_ADDR; prod sets 1).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_IPWARE_PROXY_COUNT = env.int("REGISTRY_TRUSTED_PROXIES", default=0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)
AXES_RESET_ON_SUCCESS = True

# Two languages. A user's choice is saved on the user (User.language) and applied by
# registry.i18n.UserLocaleMiddleware; until then the browser's Accept-Language decides.
# Catalogues: `make messages` updates them, the set-up compiles them (docs/ui.md).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / app / "locale" for app in ("registry", "crf", "cohorts", "exports")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # Export files (exports.jobs); any django-storages backend can take its place.
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": "var/exports"},  # replaced below by EXPORT_ROOT
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Content Security Policy: nothing from outside the registry's own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],  # Bootstrap's icons are data: SVGs in its CSS
        # Spelled out: no inline script or style anywhere, nor eval (htmx's allowEval off).
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: its WWW-Authenticate makes a request without credentials a 401.
        "registry.tokens.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",  # the pages' calls, with CSRF
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # No browsable API: its forms list related objects of every centre.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_METADATA_CLASS": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "LE-MDS/CMML registry API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Audit (registry/audit.py, docs/audit.md). Each event row carries its own copy of its context
# (who, why) as JSON, and the id of the context it was written under.
import pghistory  # noqa: E402

PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
# Every event table carries a hash chaining it to the object's previous event
# (registry.integrity), sealed with a key that never enters the database.
PGHISTORY_BASE_MODEL = "registry.events.Event"
PGHISTORY_CONTEXT_ID_FIELD = pghistory.ContextUUIDField()
# The schema the audit triggers write into by qualified name (never a same-named temp table).
REGISTRY_DB_SCHEMA = "public"
# The application's database role (registry.dbroles), granted by `manage.py db_roles`.
REGISTRY_DB_APP_ROLE = env.str("REGISTRY_DB_APP_ROLE", default="registry_app")
# Event tables refuse UPDATE and DELETE (a trigger, so even the table owner is refused).
PGHISTORY_APPEND_ONLY = True
# pghistory's own events admin lists every centre's events: ours is scoped (registry/admin.py).
PGHISTORY_ADMIN_CLASS = "registry.admin.RegistryEventsAdmin"
# Events the network-wide log never lists: identity changes stay with the owning centre.
AUDIT_EVENTS_HIDDEN_FROM_NETWORK = ("crf.Identity",)
# Each event carries the time of its own statement, not of its transaction's start.
PGHISTORY_CREATED_AT_FUNCTION = "clock_timestamp()"

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE

EXPORT_ROOT = Path(env.str("REGISTRY_EXPORT_ROOT", default=str(BASE_DIR / "var" / "exports")))
STORAGES["exports"]["OPTIONS"] = {"location": str(EXPORT_ROOT)}
# Keys the exports' pseudonyms (HMAC-SHA-256): at least 32 characters of random text, kept
# outside the database and the exports (dev/test set a placeholder, prod requires one).
EXPORT_PSEUDONYM_KEY = env.str("REGISTRY_EXPORT_PSEUDONYM_KEY", default="")
# pyarrow (Parquet exports) allocates from jemalloc, which gives a written row group's memory
# back; its default, mimalloc, kept it (Parquet export peak at 100,000 cases 318 -> 258 MB).
# Read by Arrow when it first allocates, hence an environment variable set this early.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
}


# How long a served process (gunicorn, Celery) keeps its database connection, in seconds. A
# new PostgreSQL backend first loads the catalog of every table a page reads: with a new
# connection per request, 20 users' pages took twice as long (p50 110 ms, p95 200 ms, against
# 49 and 110 ms; benchmarks/load.py on 100,000 cases). Not in development: runserver answers
# each request in a new thread, which would leave a connection behind per thread.
SERVED_CONN_MAX_AGE = 60


def database_from_env_or_embedded() -> dict:
    """DATABASE_URL when set, else the embedded PostgreSQL of registry.devdb (dev/test only)."""
    url = env.str("DATABASE_URL", default="")
    if not url:
        from registry import devdb

        url = devdb.database_url()
    config = env.db_url_config(url)
    # `make run` serves as the application role, after migrating as the owner.
    config["USER"] = env.str("REGISTRY_DB_USER", default=config.get("USER", ""))
    config["ATOMIC_REQUESTS"] = True
    config["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
    config["CONN_HEALTH_CHECKS"] = config["CONN_MAX_AGE"] != 0  # a kept one is checked first
    return config


# `seed_demo` writes synthetic patients: allowed in dev/test only (prod leaves it False).
ALLOW_DEMO_DATA = env.bool("REGISTRY_ALLOW_DEMO_DATA", default=False)
