"""Shared bits for the interop scripts: key loading and UTF-8 stdio.

The SDK takes keys the way the Alipay console hands them out: the base64 body
only, no PEM lines (it adds the armour itself, SignatureUtils.fill_*_marker).
So we strip the armour here and pass the bare body, exactly as a real
integration would.
"""
import json
import sys

PRIVATE_ARMOUR = "RSA PRIVATE KEY"  # PKCS#1: the SDK loads with rsa.PrivateKey.load_pkcs1
PUBLIC_ARMOUR = "PUBLIC KEY"        # SPKI: the SDK loads with load_pkcs1_openssl_pem
HINT = {PRIVATE_ARMOUR: "openssl rsa -traditional -in KEY", PUBLIC_ARMOUR: "openssl rsa -pubout -in KEY"}


def die(msg, code=2):
    sys.stderr.write(msg + "\n")
    sys.exit(code)


def pem_body(path, armour):
    """Return the base64 body of a PEM file, one line, after checking its type."""
    try:
        text = open(path, encoding="ascii").read()
    except (OSError, UnicodeDecodeError) as e:
        die("cannot read key %s: %s" % (path, e))
    if "-----BEGIN %s-----" % armour not in text:
        die("%s: expected a '-----BEGIN %s-----' PEM, the only form the SDK loads "
            "(convert with `%s`)" % (path, armour, HINT[armour]))
    lines = [l.strip() for l in text.splitlines()]
    return "".join(l for l in lines if l and not l.startswith("-----"))


def read_stdin_json():
    # Decode explicitly: CI may run under a C/POSIX locale.
    try:
        return json.loads(sys.stdin.buffer.read().decode("utf-8"))
    except ValueError as e:
        die("stdin is not valid UTF-8 JSON: %s" % e)


def write_out(text, newline=True):
    sys.stdout.buffer.write(text.encode("utf-8") + (b"\n" if newline else b""))
    sys.stdout.flush()
