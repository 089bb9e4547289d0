#!/usr/bin/env bash
# Runs every test, from a fresh machine too: starts the databases, installs what the tests drive
# (the official Alipay Python SDKs into target/sdk-venv and target/sdk-venv-housing, headless Chromium for the HTML reports,
# systemd-analyze for the unit file, Ghostscript's ICC profiles for the CMYK tests), then runs the Rust test suites.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v systemd-analyze >/dev/null || missing+=(systemd)
# A real press CMYK profile for the colour-management tests.
[ -f /usr/share/color/icc/ghostscript/default_cmyk.icc ] || missing+=(libgs-common)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
RENTSYNC_SDK_PYTHON="$(scripts/sdk-venv.sh)"
RENTSYNC_SDK_HOUSING_PYTHON="$(scripts/sdk-venv.sh housing)"
export RENTSYNC_SDK_PYTHON RENTSYNC_SDK_HOUSING_PYTHON
cargo test --locked "$@"
# The Debian package, built from the binary the tests just used, installed and checked.
scripts/test-package.sh target/debug/rentsync
