#!/usr/bin/env python3
"""Build a signed gateway response body, signing with the SDK's own function.

stdin:  JSON object, the response node, e.g. {"code":"10000","msg":"Success"}
stdout: {"<method, dots->underscores>_response":<node>,"sign":"<sig>"}
        exactly, with NO trailing newline (the bytes are the HTTP body).
exit:   0 ok, 2 usage/key/input error.

The node is re-serialised compactly (key order kept, non-ASCII unescaped, as
Alipay sends it) and that exact text is what gets signed, because verifiers
check the raw substring of the body (spec section 1.7).
"""
import argparse
import json

from alipay.aop.api.util.SignatureUtils import sign_with_rsa, sign_with_rsa2

from _sdkcommon import PRIVATE_ARMOUR, die, pem_body, read_stdin_json, write_out

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--private-key", required=True, help="PKCS#1 PEM (BEGIN RSA PRIVATE KEY)")
ap.add_argument("--method", required=True, help="e.g. alipay.eco.renthouse.room.state.sync")
ap.add_argument("--sign-type", choices=["RSA2", "RSA"], default="RSA2")
args = ap.parse_args()

key = pem_body(args.private_key, PRIVATE_ARMOUR)
node = read_stdin_json()
if not isinstance(node, dict):
    die("stdin must be a JSON object (the response node)")

node_text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
signer = sign_with_rsa2 if args.sign_type == "RSA2" else sign_with_rsa
try:
    sign = signer(key, node_text, "utf-8")
except Exception as e:
    die("SDK signing failed: %s: %s" % (type(e).__name__, e))
name = args.method.replace(".", "_") + "_response"
write_out('{%s:%s,"sign":%s}' % (json.dumps(name), node_text, json.dumps(sign)), newline=False)
