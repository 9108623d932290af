#!/bin/sh
# Run by the postgres image from /docker-entrypoint-initdb.d, once, on an empty
# data directory (docker-compose.yml mounts it there): the API's login role.
# The migrations grant it what it needs.
set -e
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" --set=pw="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE exchange_app LOGIN PASSWORD :'pw';
SQL
