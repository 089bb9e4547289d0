#!/usr/bin/env bash
# Builds the Debian package (scripts/package-deb.sh), installs it and checks that the installed
# files work together: the binary runs, the man page and completions are there, the packaged unit
# passes scripts/check-systemd-unit.sh, the example config parses, and `rentsync check` passes on a
# config under /etc/rentsync/ against a local sandbox, a fixture database and generated keys.
#   scripts/test-package.sh [BINARY=target/debug/rentsync]
# As root (CI) the package is installed for real with dpkg -i and removed again at the end; as
# another user it is unpacked into a scratch directory and the same checks run there.
set -euo pipefail
cd "$(dirname "$0")/.."
deb=$(scripts/package-deb.sh "${1:-target/debug/rentsync}")
work=$(mktemp -d)
sandbox=
cleanup() {
  [ -n "$sandbox" ] && kill "$sandbox" 2>/dev/null || true
  if [ -n "${installed:-}" ]; then
    rm -f /etc/rentsync/rentsync.toml
    dpkg --purge rentsync >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package test FAILED: $*" >&2; exit 1; }

if [ "$(id -u)" = 0 ]; then
  dpkg -i "$deb" >/dev/null
  installed=1
  root=
  dpkg -s rentsync | grep -q '^Status: install ok installed' || fail "dpkg does not list rentsync as installed"
else
  dpkg-deb -x "$deb" "$work/root"
  root=$work/root
fi
bin=$root/usr/bin/rentsync
etc=$root/etc/rentsync

"$bin" --version > "$work/version.txt" || fail "the installed binary does not run"
grep -q '^rentsync ' "$work/version.txt" || fail "the installed binary does not say its version"
zcat "$root/usr/share/man/man1/rentsync.1.gz" > "$work/man.txt" && grep -q '^\.TH' "$work/man.txt" || fail "no man page"
bash -n "$root/usr/share/bash-completion/completions/rentsync" || fail "bash completion does not parse"
grep -q rentsync "$root/usr/share/zsh/vendor-completions/_rentsync" || fail "no zsh completion"
grep -q rentsync "$root/usr/share/fish/vendor_completions.d/rentsync.fish" || fail "no fish completion"
grep -q '^ExecStart=/usr/bin/rentsync run' "$root/lib/systemd/system/rentsync.service" \
  || fail "the packaged unit does not start the packaged binary"
scripts/check-systemd-unit.sh "$root/lib/systemd/system/rentsync.service" >/dev/null \
  || fail "the packaged unit fails scripts/check-systemd-unit.sh"
[ "$(stat -c %a "$etc/keys")" = 750 ] || fail "/etc/rentsync/keys is not 0750"

# The example config as shipped parses (its files and hosts are the operator's to fill in).
"$bin" check --config "$etc/rentsync.example.toml" > "$work/example.txt" 2>&1 || true
grep -q '^ok   config' "$work/example.txt" || { cat "$work/example.txt" >&2; fail "the packaged example config does not parse"; }

# A config the operator would write next to it, against local stand-ins.
"$bin" keygen --out "$work/keys" >/dev/null
"$bin" fixtures --db "sqlite://$work/operator.db" --listings 20 >/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" sandbox --listen "127.0.0.1:$port" --app-public-key "$work/keys/app_public_key.pem" \
  --platform-private-key "$work/keys/platform_private_key.pem" > "$work/sandbox.log" 2>&1 &
sandbox=$!
for _ in $(seq 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/sandbox/stats" && break
  sleep 0.1
done
cat > "$etc/rentsync.toml" <<TOML
state_database = "sqlite://$work/state.db"
[ops]
listen = "127.0.0.1:0"
[[tenant]]
name = "packaged"
gateway = "http://127.0.0.1:$port/gateway.do"
app_id = "2021000000000000"
private_key_file = "$work/keys/app_private_key.pem"
platform_public_key_file = "$work/keys/platform_public_key.pem"
source_database = "sqlite://$work/operator.db"
photo_dir = "$PWD/fixtures/photos"
TOML
if ! "$bin" check --config "$etc/rentsync.toml" > "$work/check.txt" 2>&1; then
  cat "$work/check.txt" >&2
  fail "rentsync check failed on the installed files"
fi
grep -q '^FAIL' "$work/check.txt" && { cat "$work/check.txt" >&2; fail "rentsync check reported a failure"; }
echo "package test passed: $(basename "$deb") installed$([ -z "$root" ] && echo ' with dpkg -i' || echo ' into a scratch root'), unit checked, rentsync check ok"
