#!/bin/sh
# The registry's database roles, created once when the postgres volume is initialised
# (mounted in /docker-entrypoint-initdb.d by docker-compose.yml; runnable by hand too):
#   registry_owner  owns the database and schema, runs migrations (DATABASE_OWNER_URL);
#   registry_app    the web, worker and beat role (DATABASE_URL): granted DML only, after
#                   every migrate, by `manage.py db_roles` (registry/dbroles.py).
# Neither is a superuser; the superuser (POSTGRES_USER) is used for nothing else.
set -eu
: "${REGISTRY_OWNER_PASSWORD:?set REGISTRY_OWNER_PASSWORD in .env}"
: "${REGISTRY_DB_APP_PASSWORD:?set REGISTRY_DB_APP_PASSWORD in .env}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
    -v db="$POSTGRES_DB" -v owner_pw="$REGISTRY_OWNER_PASSWORD" \
    -v app_pw="$REGISTRY_DB_APP_PASSWORD" <<'SQL'
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_owner') AS new_owner \gset
\if :new_owner
CREATE ROLE registry_owner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
\endif
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') AS new_app \gset
\if :new_app
CREATE ROLE registry_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT;
\endif
ALTER ROLE registry_owner PASSWORD :'owner_pw';
ALTER ROLE registry_app PASSWORD :'app_pw';
ALTER DATABASE :"db" OWNER TO registry_owner;
ALTER SCHEMA public OWNER TO registry_owner;
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"db" TO registry_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
