#!/usr/bin/env python3
"""Verify the signature of a captured multipart request (file.upload) with the SDK's own code.

stdin:  {"target": "<request target: path?query>", "content_type": "<header>",
         "body_b64": "<the body, base64>"}
stdout: OK or BAD, then the signed parameter names (one line, comma-separated)
exit:   0 OK, 1 BAD, 2 usage/key/input error.

The request is taken apart with the standard library only (urllib for the query, the email
package for the multipart body), not with anything of ours. The signed set is what the SDK signs
for a multipart call: the query's parameters without `sign`, plus every text part (a part
without a filename); the file part is not signed. The SDK's `get_sign_content` and
`verify_with_rsa` then decide.
"""
import argparse
import base64
import binascii
import sys
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl, urlsplit

import rsa
from alipay.aop.api.util.SignatureUtils import get_sign_content, verify_with_rsa

from _sdkcommon import PUBLIC_ARMOUR, die, pem_body, read_stdin_json, write_out

ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
ap.add_argument("--public-key", required=True, help="SPKI PEM (BEGIN PUBLIC KEY)")
args = ap.parse_args()
key = pem_body(args.public_key, PUBLIC_ARMOUR)

doc = read_stdin_json()
try:
    target, content_type, body = doc["target"], doc["content_type"], base64.b64decode(doc["body_b64"])
except (KeyError, TypeError, binascii.Error) as e:
    die("stdin must be {target, content_type, body_b64}: %s" % e)

params = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
sign = params.pop("sign", None)
if sign is None:
    die("the request target carries no sign")
message = BytesParser(policy=HTTP).parsebytes(
    b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
if not message.is_multipart():
    die("the body is not multipart")
files = 0
for part in message.iter_parts():
    name = part.get_param("name", header="content-disposition")
    if part.get_filename() is not None:
        files += 1
        continue
    params[name] = part.get_content()
if files != 1:
    die("expected one file part, found %d" % files)

content = get_sign_content(params).encode("utf-8")
try:
    ok = verify_with_rsa(key, content, sign)
except (rsa.VerificationError, binascii.Error, ValueError) as e:
    sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
    ok = False
write_out("OK" if ok else "BAD")
write_out(",".join(sorted(params)))
sys.exit(0 if ok else 1)
