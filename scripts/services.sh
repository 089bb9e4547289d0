#!/usr/bin/env bash
# Makes sure the databases the tests talk to are up: PostgreSQL on 127.0.0.1:5432 (trust auth) and
# MariaDB on 127.0.0.1:3306 (root, no password). Starts them when they are installed but stopped,
# installs them from Debian's packages when missing, and fails loudly when neither works: tests
# never skip a missing service.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
my_up() { mysqladmin --protocol=tcp -h 127.0.0.1 -P 3306 -uroot status >/dev/null 2>&1; }
wait_for() { for _ in $(seq 1 60); do "$1" && return 0; sleep 0.5; done; return 1; }

if ! pg_up; then
  if ! command -v pg_ctlcluster >/dev/null; then
    echo "installing PostgreSQL" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  echo "starting PostgreSQL" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  wait_for pg_up || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
fi

if ! my_up; then
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    echo "installing MariaDB" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server >/dev/null
  fi
  echo "starting MariaDB" >&2
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
  wait_for my_up || { echo "MariaDB is not reachable on 127.0.0.1:3306" >&2; exit 1; }
fi
echo "PostgreSQL and MariaDB are up" >&2
