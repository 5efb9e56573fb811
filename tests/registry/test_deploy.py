"""docker-compose.yml and .env.example keep the role split (no engine here to run them; the
same roles are exercised natively in test_db_roles.py)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import environ
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
EXAMPLE = {
    key: value
    for key, _, value in (
        line.partition("=") for line in (ROOT / ".env.example").read_text().splitlines()
    )
    if key and not key.startswith("#")
}
APP_SERVICES = ("web", "worker", "beat")


def test_only_migrate_connects_as_the_owner():
    services = COMPOSE["services"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith("${DATABASE_OWNER_URL")
    assert "db_roles" in " ".join(migrate["command"])
    for name in APP_SERVICES:
        assert "DATABASE_URL" not in services[name].get("environment", {}), name


def test_the_example_gives_each_role_its_own_user_and_no_superuser_to_the_app():
    owner = environ.Env.db_url_config(EXAMPLE["DATABASE_OWNER_URL"])
    app = environ.Env.db_url_config(EXAMPLE["DATABASE_URL"])
    assert (owner["USER"], app["USER"]) == ("registry_owner", "registry_app")
    assert EXAMPLE["POSTGRES_USER"] not in (owner["USER"], app["USER"])


def test_the_postgres_service_creates_the_roles_on_first_start():
    mounts = COMPOSE["services"]["postgres"]["volumes"]
    script = "./deploy/postgres/10-registry-roles.sh"
    assert any(m.startswith(f"{script}:/docker-entrypoint-initdb.d/") for m in mounts)
    assert (ROOT / script).stat().st_mode & 0o111  # executable


def production_env(**overrides: str) -> dict[str, str]:
    """The environment of the production settings, with real-looking secrets."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REGISTRY_"))},
        "DJANGO_SETTINGS_MODULE": "registry.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "REGISTRY_AUDIT_SEAL_KEY": secrets.token_urlsafe(50),
        "REGISTRY_EXPORT_PSEUDONYM_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "registry.example.org",
        "DATABASE_URL": "postgres://registry_app:secret@db.example.org:5432/registry",
        "CELERY_BROKER_URL": "redis://redis.example.org:6379/0",
        "DJANGO_EMAIL_URL": "smtp+tls://registry:secret@mail.example.org:587",
        **overrides,
    }


def deploy_check(**overrides: str) -> subprocess.CompletedProcess:
    """`manage.py check --deploy` under the production settings."""
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(**overrides),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.security
def test_the_production_settings_pass_check_deploy_and_refuse_a_placeholder_secret():
    passed = deploy_check()
    assert passed.returncode == 0 and "no issues" in passed.stdout, passed.stdout + passed.stderr

    refused = deploy_check(DJANGO_SECRET_KEY="change-me-" + "x" * 60)
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY" in refused.stderr


def test_production_keeps_its_database_connections_and_checks_them_before_reuse():
    """A new connection per request doubled the pages' latency under load (the catalog of
    every table is loaded again by each new PostgreSQL backend): production keeps them."""
    read = (
        "import django; django.setup(); from django.conf import settings; "
        "db = settings.DATABASES['default']; print(db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'])"
    )

    def served(**overrides: str) -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", read],
            cwd=ROOT,
            env=production_env(**overrides),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert served() == ["60", "True"]
    assert served(DJANGO_CONN_MAX_AGE="300") == ["300", "True"]
