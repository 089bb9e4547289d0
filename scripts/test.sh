#!/usr/bin/env bash
# Runs every test, from a fresh machine too: starts the databases, installs the official Alipay
# Python SDK for the interop tests into target/sdk-venv, then runs the Rust test suites.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh
RENTSYNC_SDK_PYTHON="$(scripts/sdk-venv.sh)"
export RENTSYNC_SDK_PYTHON
cargo test --locked "$@"
