"""docker-compose.yml and .env.example keep the role split (no engine here to run them; the
same roles are exercised natively in test_db_roles.py)."""

from __future__ import annotations

from pathlib import Path

import environ
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
