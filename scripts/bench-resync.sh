#!/usr/bin/env bash
# Resync of N generated listings against the sandbox at QPS calls per second per method with
# LATENCY ms added to every answer: achieved rate as a fraction of the limit.
#   scripts/bench-resync.sh [N=10000] [CONCURRENCY=16] [QPS=50] [LATENCY=100]
# CONCURRENCY=1 is the sequential loop integrations usually are (one call at a time).
# RENTSYNC_BENCH_THROTTLE=0.03 makes the sandbox answer 3 % of calls with a stray 40005.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}; conc=${2:-16}; qps=${3:-50}; latency=${4:-100}
# RENTSYNC_BIN runs another build (e.g. an older checkout's) against the same script.
if [ -z "${RENTSYNC_BIN:-}" ]; then cargo build --release --quiet; fi
bin=${RENTSYNC_BIN:-$PWD/target/release/rentsync}
work=$PWD/target/bench-resync-$n-$conc
rm -rf "$work" && mkdir -p "$work"
$bin keygen --out "$work/keys" >/dev/null
$bin fixtures --db "sqlite://$work/operator.db" --listings "$n" >/dev/null
port=$((20000 + RANDOM % 20000))
$bin sandbox --listen 127.0.0.1:$port --qps "$qps" --latency-ms "$latency" \
  --fault-throttle "${RENTSYNC_BENCH_THROTTLE:-0}" \
  --app-public-key "$work/keys/app_public_key.pem" --platform-private-key "$work/keys/platform_private_key.pem" \
  > "$work/sandbox.log" 2>&1 &
sandbox=$!
trap 'kill $sandbox 2>/dev/null || true' EXIT
sleep 1
cat > "$work/bench.toml" <<TOML
state_database = "${RENTSYNC_BENCH_STATE:-sqlite://$work/state.db}"
[worker]
concurrency = $conc
[[tenant]]
name = "bench"
gateway = "http://127.0.0.1:$port/gateway.do"
app_id = "2021000000000000"
private_key_file = "$work/keys/app_private_key.pem"
platform_public_key_file = "$work/keys/platform_public_key.pem"
source_database = "sqlite://$work/operator.db"
photo_dir = "$PWD/fixtures/photos"
[tenant.rates]
qps = $qps
TOML
start=$(date +%s.%N)
RENTSYNC_LOG=error $bin resync --config "$work/bench.toml" > "$work/resync.out" || true
end=$(date +%s.%N)
curl -s "http://127.0.0.1:$port/sandbox/stats" > "$work/stats.json"
python3 - "$start" "$end" "$qps" "$n" "$conc" "$work/stats.json" <<'PY'
import json, sys
start, end, qps, n, conc, path = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
stats = json.load(open(path))
calls = {m.split('.')[-2] + '.' + m.split('.')[-1]: sum(v.values()) for m, v in stats['calls'].items()}
busiest = max(calls.values())
wall = end - start
ideal = busiest / qps
print(f"resync {n} listings, concurrency {conc}: {wall:.1f} s wall, {stats['total_calls']} calls "
      f"({stats['total_calls']/wall:.1f}/s); busiest method {busiest} calls -> {busiest/wall:.1f}/s "
      f"= {ideal/wall:.1%} of the {qps:.0f}/s limit; refused for rate: {stats['limited_calls']}, "
      f"stray throttles: {sum(v.get('fault/throttle', 0) for v in stats['calls'].values())}")
print("calls:", calls)
PY
