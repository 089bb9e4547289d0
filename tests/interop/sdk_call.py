#!/usr/bin/env python3
"""Call a gateway through the Alipay Python SDK's DefaultAlipayClient.

The SDK signs the request and verifies the response signature with
--alipay-public-key, exactly as in production. Only its HTTP helper is mended
(see patch_transport) so that a loopback gateway on a non-default port works.

stdout: the response node as parsed JSON (one line)
exit:   0 code == "10000"; 3 any other code (node still printed);
        2 the SDK raised (bad/missing response signature, HTTP error, ...),
          exception on stderr; argparse usage errors also exit 2.
"""
import argparse
import importlib
import json
import logging
import os
import sys
import time
from http.client import HTTPConnection, HTTPSConnection
from urllib.parse import urlparse

# The SDK stamps `timestamp` with datetime.now(), i.e. host local time, and
# Alipay expects China time. Pin the zone like a China-hosted client would,
# unless the caller chose one. A POSIX TZ string needs no tzdata.
os.environ.setdefault("TZ", "CST-8")
time.tzset()

import alipay.aop.api.util.WebUtils as WebUtils  # noqa: E402
from alipay.aop.api.AlipayClientConfig import AlipayClientConfig  # noqa: E402
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient  # noqa: E402
from alipay.aop.api.constant.ParamConstants import P_BIZ_CONTENT, P_METHOD, P_VERSION  # noqa: E402

from _sdkcommon import PRIVATE_ARMOUR, PUBLIC_ARMOUR, die, pem_body, write_out  # noqa: E402


def patch_transport():
    """Replace WebUtils.get_http_connection, which ignores the URL's port.

    The original always connects to 80 (443 for https), and when the URL has a
    port it then crashes building the request target (`str += int`). This
    version is the same except that it uses the port. Like the original it
    sends an absolute-form request target ("POST http://host:port/path?query
    HTTP/1.1") and drops any query already in the URL. do_post and
    do_multipart_post look the helper up in WebUtils' globals, so replacing the
    module attribute is enough; signing and verification are untouched.
    """
    def get_http_connection(url, query_string, timeout):
        u = urlparse(url)
        if u.scheme == "https":
            conn = HTTPSConnection(host=u.hostname, port=u.port or 443, timeout=timeout)
        else:
            conn = HTTPConnection(host=u.hostname, port=u.port or 80, timeout=timeout)
        return "%s://%s%s?%s" % (u.scheme, u.netloc, u.path, query_string), conn

    WebUtils.get_http_connection = get_http_connection


class GenericRequest(object):
    """Stand-in for methods without an SDK request class; mirrors their get_params."""

    def __init__(self, method):
        self.method, self.biz_content, self.udf_params, self.need_encrypt = method, None, {}, False

    def add_other_text_param(self, key, value):
        self.udf_params[key] = value

    def get_params(self):
        params = {P_METHOD: self.method, P_VERSION: "1.0"}
        if self.biz_content:
            params[P_BIZ_CONTENT] = self.biz_content
        params.update(self.udf_params)
        return params

    def get_multipart_params(self):
        return {}


def sdk_class(method, kind):
    """alipay.eco.renthouse.room.state.sync -> AlipayEcoRenthouseRoomStateSync<kind>, or None."""
    name = "".join(p[:1].upper() + p[1:] for p in method.split(".")) + kind
    pkg = {"Request": "request", "Model": "domain"}[kind]
    try:
        return getattr(importlib.import_module("alipay.aop.api.%s.%s" % (pkg, name)), name)
    except (ImportError, AttributeError):
        return None


def build_request(method, biz, biz_mode):
    req_cls = sdk_class(method, "Request")
    if biz_mode == "model":
        model_cls = sdk_class(method, "Model")
        if not req_cls or not model_cls:
            die("--biz-mode model: the SDK has no request/model class for %s" % method)
        model = model_cls.from_alipay_dict(biz)
        lost = set(biz) - set(model.to_alipay_dict())
        if lost:  # the models' to_alipay_dict skips falsy values (0, "", false, [])
            sys.stderr.write("warning: SDK model dropped fields %s\n" % sorted(lost))
        return req_cls(biz_model=model)
    req = req_cls() if req_cls else GenericRequest(method)
    if biz is not None:
        # Serialised as the SDK's get_params does, but set as a text param so
        # every field given is sent (get_params merges udf params last).
        req.add_other_text_param(
            P_BIZ_CONTENT, json.dumps(biz, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    return req


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", required=True, help="e.g. http://127.0.0.1:PORT/gateway.do")
    ap.add_argument("--app-id", required=True)
    ap.add_argument("--private-key", required=True, help="app key, PKCS#1 PEM")
    ap.add_argument("--alipay-public-key", required=True, help="gateway's key, SPKI PEM")
    ap.add_argument("--method", required=True)
    ap.add_argument("--biz", help="biz_content as a JSON object; omit for no biz_content")
    ap.add_argument("--biz-mode", choices=["dict", "model"], default="dict",
                    help="dict (default): send the JSON as given (SDK key order/format); "
                         "model: go through the SDK domain model (drops falsy fields)")
    ap.add_argument("--app-auth-token", help="ISV token; the SDK moves it to the URL query")
    ap.add_argument("--sign-type", choices=["RSA2", "RSA"], default="RSA2")
    ap.add_argument("--timeout", type=int, default=15)
    ap.add_argument("-v", "--verbose", action="store_true", help="SDK request/response log on stderr")
    args = ap.parse_args()

    biz = None
    if args.biz is not None:
        try:
            biz = json.loads(args.biz)
        except ValueError as e:
            die("--biz is not JSON: %s" % e)
        if not isinstance(biz, dict):
            die("--biz must be a JSON object")

    config = AlipayClientConfig()
    config.server_url = args.gateway
    config.app_id = args.app_id
    config.app_private_key = pem_body(args.private_key, PRIVATE_ARMOUR)
    config.alipay_public_key = pem_body(args.alipay_public_key, PUBLIC_ARMOUR)
    config.sign_type = args.sign_type
    config.timeout = args.timeout
    logger = None
    if args.verbose:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(message)s")
        logger = logging.getLogger("alipay-sdk")

    request = build_request(args.method, biz, args.biz_mode)
    if args.app_auth_token:
        request.add_other_text_param("app_auth_token", args.app_auth_token)

    patch_transport()
    client = DefaultAlipayClient(alipay_client_config=config, logger=logger)
    try:
        # execute() returns the node text only after the signature checked out.
        node_text = client.execute(request)
        node = json.loads(node_text)
    except Exception as e:
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        return 2
    write_out(json.dumps(node, ensure_ascii=False))
    return 0 if node.get("code") == "10000" else 3


if __name__ == "__main__":
    sys.exit(main())
