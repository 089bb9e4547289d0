#!/usr/bin/env python3
"""Verify a request signature with the Alipay Python SDK's own functions.

stdin:  {"params": {...request params without sign...}, "sign": "<base64>"}
stdout: OK or BAD
exit:   0 OK, 1 BAD, 2 usage/key/input error.

The SDK's verify_with_rsa takes no sign type: rsa.verify picks the hash from
the signature itself, so it accepts SHA-1 and SHA-256 signatures alike. To
catch a client that signs with the wrong hash, --sign-type (default RSA2)
additionally requires the signature's hash to match; --sign-type ANY gives
exactly the SDK's behaviour.
"""
import argparse
import base64
import binascii
import sys

import rsa
from alipay.aop.api.util.SignatureUtils import fill_public_key_marker, get_sign_content, verify_with_rsa

from _sdkcommon import PUBLIC_ARMOUR, die, pem_body, read_stdin_json, write_out

HASH = {"RSA2": "SHA-256", "RSA": "SHA-1"}

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--public-key", required=True, help="SPKI PEM (BEGIN PUBLIC KEY)")
ap.add_argument("--sign-type", choices=["RSA2", "RSA", "ANY"], default="RSA2")
args = ap.parse_args()

key = pem_body(args.public_key, PUBLIC_ARMOUR)
try:  # load once up front so a bad key is exit 2, not a BAD signature
    pub = rsa.PublicKey.load_pkcs1_openssl_pem(fill_public_key_marker(key).encode())
except Exception as e:
    die("SDK cannot load public key: %s: %s" % (type(e).__name__, e))

doc = read_stdin_json()
if not isinstance(doc, dict) or not isinstance(doc.get("params"), dict) or not isinstance(doc.get("sign"), str):
    die('stdin must be {"params": {...}, "sign": "..."}')

content = get_sign_content(doc["params"]).encode("utf-8")
try:
    ok = verify_with_rsa(key, content, doc["sign"])
    if ok and args.sign_type != "ANY":
        used = rsa.find_signature_hash(base64.b64decode(doc["sign"]), pub)
        if used != HASH[args.sign_type]:
            sys.stderr.write("signature is valid but uses %s, not %s\n" % (used, HASH[args.sign_type]))
            ok = False
except (rsa.VerificationError, binascii.Error, ValueError) as e:
    sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
    ok = False
write_out("OK" if ok else "BAD")
sys.exit(0 if ok else 1)
