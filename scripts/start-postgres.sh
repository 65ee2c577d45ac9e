#!/usr/bin/env bash
# Start a throwaway PostgreSQL server on 127.0.0.1 for the test suite and print its URL.
# Usage: eval "$(scripts/start-postgres.sh)"   -> exports TEST_DATABASE_URL
# Installs Debian's postgresql package when the server binaries are missing.
set -euo pipefail
port="${PGTEST_PORT:-55432}"
dir="${PGTEST_DIR:-/tmp/invite-bot-pg}"
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "installing postgresql from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
# initdb refuses to run as root: run the server as the unprivileged postgres user.
id postgres >/dev/null 2>&1 || useradd --system --home-dir "$dir" postgres
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ -f "$dir/data/postmaster.pid" ] && as_pg "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
  port=$(cat "$dir/port" 2>/dev/null || echo "$port")
else
  # A port someone else holds (another cluster, a leftover server): take the next free one.
  while ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; do
    port=$((port + 1))
  done
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "$port" > "$dir/port"
  [ "$(id -u)" = 0 ] && chown postgres "$dir"
  as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >&2
fi
for _ in $(seq 1 50); do
  "$bindir/pg_isready" -h 127.0.0.1 -p "$port" -q && break
  sleep 0.2
done
"$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='invite_bot_test'" \
  | grep -q 1 || "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres invite_bot_test
echo "export TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$port/invite_bot_test"
