#!/usr/bin/env python3
"""Sign request params with the Alipay Python SDK's own functions.

stdin:  JSON object of request params (string values; `sign` must be absent).
stdout: {"content": <SDK sign content>, "sign": <base64 signature>}
exit:   0 ok, 2 usage/key/input error.
"""
import argparse
import json

from alipay.aop.api.util.SignatureUtils import get_sign_content, sign_with_rsa, sign_with_rsa2

from _sdkcommon import PRIVATE_ARMOUR, die, pem_body, read_stdin_json, write_out

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--private-key", required=True, help="PKCS#1 PEM (BEGIN RSA PRIVATE KEY)")
ap.add_argument("--sign-type", choices=["RSA2", "RSA"], default="RSA2")
args = ap.parse_args()

key = pem_body(args.private_key, PRIVATE_ARMOUR)
params = read_stdin_json()
if not isinstance(params, dict):
    die("stdin must be a JSON object")

# Same two calls DefaultAlipayClient.__prepare_request_params makes (charset utf-8).
content = get_sign_content(params)
signer = sign_with_rsa2 if args.sign_type == "RSA2" else sign_with_rsa
try:
    sign = signer(key, content, "utf-8")
except Exception as e:  # e.g. a key body rsa cannot parse
    die("SDK signing failed: %s: %s" % (type(e).__name__, e))
write_out(json.dumps({"content": content, "sign": sign}, ensure_ascii=False))
