#!/usr/bin/env bash
# Dry-run over N generated listings on PostgreSQL: wall time and peak RSS.
#   scripts/bench-dry-run.sh 100000 [1000000 ...]
# Needs PostgreSQL on 127.0.0.1:5432 (scripts/services.sh starts it). Creates the scratch database
# rentsync_bench (dropped and recreated per size) and an empty SQLite state database.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
cargo build --release --quiet
bin=target/release/rentsync
work=target/bench-dry-run
rm -rf "$work" && mkdir -p "$work"
$bin keygen --out "$work/keys" >/dev/null
for n in "${@:-100000}"; do
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS rentsync_bench" -c "CREATE DATABASE rentsync_bench"
  $bin fixtures --db postgres://postgres@127.0.0.1:5432/rentsync_bench --listings "$n"
  cat > "$work/bench.toml" <<TOML
state_database = "sqlite://$PWD/$work/state-$n.db"
[[tenant]]
name = "bench"
gateway = "http://127.0.0.1:9/gateway.do"
app_id = "2021000000000000"
private_key_file = "$PWD/$work/keys/app_private_key.pem"
platform_public_key_file = "$PWD/$work/keys/platform_public_key.pem"
source_database = "postgres://postgres@127.0.0.1:5432/rentsync_bench"
TOML
  /usr/bin/time -f "dry-run $n listings: %e s wall, %M KB peak RSS, %U s user" \
    $bin dry-run --config "$work/bench.toml" --format json > "$work/dry-run-$n.json" || true
  python3 -c "import json,sys; t=json.load(open('$work/dry-run-$n.json'))['tenants'][0]; print({k: t[k] for k in ('rows','create','invalid','photos_to_process','communities_to_resolve')})"
done
