#!/usr/bin/env bash
# Checks the systemd unit without installing it and without systemd running as PID 1 (works in a
# container or CI job, e.g. Debian 12 with the `systemd` package installed, systemd >= 250):
#
#   1. `systemd-analyze verify`: syntax, unknown keys, bad values, dependencies. It also insists
#      that every Exec*= binary exists and that the targets the unit pulls in are known, which a CI
#      machine does not have (rentsync is not installed there). So it runs against a throwaway root
#      (--root=) holding a copy of the unit, this machine's stock unit files (for
#      network-online.target, multi-user.target, ...) and an empty executable stub at every Exec*=
#      path: what is verified is the unit, not this machine's binaries. verify only warns about an
#      unknown key or a bad value (exit 0), so any message naming the unit counts as a failure.
#   2. `systemd-analyze security --offline=yes`: the exposure rating of the sandboxing settings
#      (0 = locked down, 10 = unprotected). It prints every item still flagged, then the overall
#      exposure, and fails when that is above MAX_EXPOSURE (default 2.0).
#
# Usage: scripts/check-systemd-unit.sh [UNIT_FILE]     (default: systemd/rentsync.service)
# Exit: 0 passed; 1 the unit failed a check; 2 systemd-analyze is missing or too old.
set -euo pipefail

# A unit named on the command line is taken relative to the caller's directory.
if [ $# -gt 0 ]; then
  unit=$(realpath -- "$1")
  cd "$(dirname "$0")/.."
else
  cd "$(dirname "$0")/.."
  unit=systemd/rentsync.service
fi
max=${MAX_EXPOSURE:-2.0}
name=$(basename "$unit")

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "systemd-analyze not found: install it with 'apt-get install -y systemd'" \
    "(it works without systemd running as PID 1)" >&2
  exit 2
fi
[ -f "$unit" ] || { echo "no such unit file: $unit" >&2; exit 1; }

# Plain ASCII marks and no colours, whatever the caller's terminal and locale.
export LC_ALL=C SYSTEMD_COLORS=0 SYSTEMD_PAGER=cat

version=$(systemd-analyze --version | awk 'NR == 1 { print $2 }')
if [ "${version%%[!0-9]*}" -lt 250 ] 2>/dev/null; then
  echo "systemd-analyze $version is too old: --offline needs systemd >= 250 (Debian 12 has 252)" >&2
  exit 2
fi

status=0

# --- 1. verify, in a throwaway root ---------------------------------------------------------------
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd"
cp "$unit" "$root/etc/systemd/system/$name"
for dir in /usr/lib/systemd/system /lib/systemd/system; do
  if [ -d "$dir" ]; then cp -a "$dir" "$root/usr/lib/systemd/"; break; fi
done
# Every Exec*= command: drop the special prefixes (-, @, :, +, !), keep absolute paths.
sed -n 's/^[[:space:]]*Exec[A-Za-z]*=[[:space:]]*[-@:+!]*\([^[:space:]]*\).*/\1/p' "$unit" |
  while read -r exe; do
    case $exe in /*) ;; *) continue ;; esac
    mkdir -p "$root$(dirname "$exe")"
    printf '#!/bin/sh\nexit 0\n' >"$root$exe"
    chmod 0755 "$root$exe"
  done

verify_out=$(systemd-analyze verify --root="$root" --man=no --generators=no "$name" 2>&1) \
  && verify_rc=0 || verify_rc=$?
problems=$(printf '%s\n' "$verify_out" | grep -F "$name" || true)
if [ "$verify_rc" -ne 0 ] || [ -n "$problems" ]; then
  echo "systemd-analyze verify: $unit has problems (exit $verify_rc):"
  printf '%s\n' "$verify_out" | sed "s|$root||g; s/^/  /"
  status=1
else
  echo "systemd-analyze verify: $unit OK"
fi

# --- 2. security exposure -------------------------------------------------------------------------
if ! report=$(systemd-analyze security --offline=yes --no-pager "$unit" 2>&1); then
  # It exits non-zero only when it cannot analyse the unit (a --threshold is not passed).
  echo "systemd-analyze security --offline=yes failed:" >&2
  printf '%s\n' "$report" | sed 's/^/  /' >&2
  exit 1
fi
score=$(printf '%s\n' "$report" |
  sed -n 's/.*Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]*\).*/\1/p' | tail -n 1)
if [ -z "$score" ]; then
  echo "could not find the overall exposure level in the output of systemd-analyze security:" >&2
  printf '%s\n' "$report" | sed 's/^/  /' >&2
  exit 1
fi

# The items still flagged are the rows that carry an exposure number in the last column.
echo "still flagged by systemd-analyze security (item, why, exposure):"
printf '%s\n' "$report" | awk '!/Overall exposure/ && NF > 2 && $NF ~ /^[0-9]+\.[0-9]+$/ {
  sub(/^[-+] /, ""); print "  " $0 }'
echo "overall exposure of $name: $score (limit $max; 0 = locked down, 10 = unprotected)"

if awk -v s="$score" -v m="$max" 'BEGIN { exit !(s + 0 > m + 0) }'; then
  echo "FAIL: exposure $score is above $max" >&2
  status=1
fi
exit "$status"
