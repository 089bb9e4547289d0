#!/usr/bin/env bash
# Create (or reuse) a virtualenv holding an official Alipay Python SDK. Used by the interop
# scripts in tests/interop/. Prints the venv's python path as the only line on stdout;
# everything else goes to stderr.
#
#   py=$(scripts/sdk-venv.sh)           # 3.3.398: the last release with alipay.eco.renthouse.*
#   py=$(scripts/sdk-venv.sh housing)   # 3.7.1411: has the alipay.commerce.housing.* classes
#
# The two cannot share a venv: the housing classes arrived (3.7.582) long after the renthouse
# ones were withdrawn. RENTSYNC_SDK_VENV (or RENTSYNC_SDK_HOUSING_VENV) overrides the location
# (relative paths are relative to the repo root). Idempotent: a second run only checks the
# marker and an import.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
flavour=${1:-renthouse}
case $flavour in
renthouse)
    venv=${RENTSYNC_SDK_VENV:-target/sdk-venv}
    # The SDK's metadata requires pycrypto, which no longer builds; it is installed with
    # --no-deps and its real needs are supplied instead: rsa (signing and verification) and
    # pycryptodome (provides the `Crypto` package for AES).
    sdk=alipay-sdk-python==3.3.398
    probe=alipay.aop.api.DefaultAlipayClient
    ;;
housing)
    venv=${RENTSYNC_SDK_HOUSING_VENV:-target/sdk-venv-housing}
    # 3.7.1411 declares rsa and pycryptodome itself; the same pins keep both venvs alike.
    sdk=alipay-sdk-python==3.7.1411
    probe=alipay.aop.api.request.AlipayCommerceHousingFileUploadRequest
    ;;
*)
    echo "usage: $0 [renthouse|housing]" >&2
    exit 2
    ;;
esac
[[ $venv == /* ]] || venv=$root/$venv
py=$venv/bin/python
marker=$venv/.rentsync-sdk-ready

deps=(rsa==4.9.1 pycryptodome==4.4.0)
want="$sdk ${deps[*]}"
check="import rsa, Crypto.Cipher.AES, alipay.aop.api, $probe"

if [[ -f $marker && $(cat "$marker") == "$want" ]] && "$py" -c "$check" 2>/dev/null; then
    echo "$py"
    exit 0
fi

echo "sdk-venv: setting up $venv ($sdk)" >&2
# A venv whose interpreter no longer runs (e.g. the base python moved) is rebuilt.
if ! "$py" -c pass 2>/dev/null; then
    python3 -m venv --clear "$venv" >&2
fi
rm -f "$marker"
pip=("$py" -m pip install --quiet --disable-pip-version-check)
# Dependencies first, then the SDK without its (old) broken pin.
"${pip[@]}" "${deps[@]}" >&2
"${pip[@]}" --no-deps "$sdk" >&2
"$py" -c "$check"
echo "$want" >"$marker"
echo "$py"
