#!/usr/bin/env python3
"""Drive a gateway through the official SDK's alipay.commerce.housing.* request classes.

Needs the housing SDK (`scripts/sdk-venv.sh housing`, alipay-sdk-python 3.7.1411). Every call
is built the way an integration builds it: the SDK's `AlipayCommerceHousing*Model` domain model
set as `biz_model` of its `AlipayCommerceHousing*Request`, and for file.upload the request's
`attachment_category`, `attachment_type` and a `FileItem`, so the SDK's own multipart code signs
and sends it. The SDK verifies every answer's signature before it is read.

Flow: community.add, file.upload, house.rental.add (with the attachment as house_pic),
house.rental.modify (a new rent), house.online, house.offline, house.rental.query; then one
modify that changes an add-only field, which the gateway must refuse.

stdout: one JSON object {"ids": {...}, "steps": [{"method", "code", "sub_code"}...],
        "query": <house.rental.query node>}
exit:   0 every step answered as expected; 1 a step did not; 2 the SDK raised (bad or
        missing answer signature, HTTP error), with the exception on stderr.
"""
import argparse
import json
import sys

from alipay.aop.api.AlipayClientConfig import AlipayClientConfig
from alipay.aop.api.DefaultAlipayClient import DefaultAlipayClient
from alipay.aop.api.FileItem import FileItem

from _sdkcommon import PRIVATE_ARMOUR, PUBLIC_ARMOUR, die, pem_body, write_out
from sdk_call import patch_transport, sdk_class


def request(method, biz):
    """The SDK's request class with its domain model filled from `biz`."""
    req_cls, model_cls = sdk_class(method, "Request"), sdk_class(method, "Model")
    if not req_cls or not model_cls:
        die("the SDK has no request/model class for %s: is this the housing venv?" % method)
    model = model_cls.from_alipay_dict(biz)
    lost = set(biz) - set(model.to_alipay_dict())
    if lost:
        die("the SDK model dropped %s from %s" % (sorted(lost), method))
    return req_cls(biz_model=model)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--app-id", required=True)
    ap.add_argument("--private-key", required=True, help="app key, PKCS#1 PEM")
    ap.add_argument("--alipay-public-key", required=True, help="gateway's key, SPKI PEM")
    ap.add_argument("--photo", required=True, help="a JPEG to upload")
    args = ap.parse_args()

    config = AlipayClientConfig()
    config.server_url = args.gateway
    config.app_id = args.app_id
    config.app_private_key = pem_body(args.private_key, PRIVATE_ARMOUR)
    config.alipay_public_key = pem_body(args.alipay_public_key, PUBLIC_ARMOUR)
    config.sign_type = "RSA2"
    patch_transport()
    client = DefaultAlipayClient(alipay_client_config=config)

    steps, ids = [], {}
    failed = False

    def run(method, req, want_ok=True):
        nonlocal failed
        node = json.loads(client.execute(req))
        ok = node.get("code") == "10000"
        steps.append({"method": method, "code": node.get("code"), "sub_code": node.get("sub_code")})
        if ok != want_ok:
            failed = True
            sys.stderr.write("%s: unexpected answer %s\n" % (method, json.dumps(node, ensure_ascii=False)))
        return node

    p = "alipay.commerce.housing."
    try:
        node = run(p + "community.add", request(p + "community.add", {
            "community_name": "SDK 花园", "province_code": "330000", "city_code": "330100",
            "district_code": "330106", "community_address": "杭州市西湖区文三路 1 号",
            "community_status": "TAKE_EFFECT"}))
        ids["community_id"] = node.get("community_id")

        upload = sdk_class(p + "file.upload", "Request")()
        upload.attachment_category = "HOUSE_PIC"
        upload.attachment_type = "IMAGE"
        with open(args.photo, "rb") as f:
            upload.file_content = FileItem(file_name="room.jpg", file_content=f.read())
        node = run(p + "file.upload", upload)
        ids["attachment_id"] = node.get("attachment_id")

        node = run(p + "house.rental.add", request(p + "house.rental.add", {
            "external_id": "SDK100", "community_id": ids["community_id"], "status": "上架",
            "property_title": "SDK 整租两居", "renting_type": "整租", "rent": "4500.00",
            "rent_unit": "月", "deposit": "4500.00", "bed_room": "2", "living_room": "1",
            "bath_room": "1", "constructed_area": "68.50", "check_in_time": "2030-01-01",
            "house_pic": [ids["attachment_id"]]}))
        ids["housing_id"] = node.get("housing_id")
        run(p + "house.rental.modify", request(p + "house.rental.modify", {
            "housing_id": ids["housing_id"], "rent": "4321.00"}))
        run(p + "house.online", request(p + "house.online", {
            "housing_id": ids["housing_id"], "house_source": "RENT"}))
        run(p + "house.offline", request(p + "house.offline", {
            "housing_id": ids["housing_id"], "house_source": "RENT", "reason": "已出租"}))
        query = run(p + "house.rental.query", request(p + "house.rental.query", {
            "external_id": "SDK100"}))
        # The SDK's modify model has no bed_room: a text parameter carries it, as an
        # integration that tried would send it. The gateway refuses (add-only field).
        bad = request(p + "house.rental.modify", {"housing_id": ids["housing_id"]})
        bad.biz_model = None
        bad.add_other_text_param("biz_content", json.dumps(
            {"housing_id": ids["housing_id"], "bed_room": "3"}, separators=(",", ":")))
        run(p + "house.rental.modify", bad, want_ok=False)
    except Exception as e:  # the SDK raised: signature, transport or HTTP status
        sys.stderr.write("%s: %s\n" % (type(e).__name__, e))
        return 2
    write_out(json.dumps({"ids": ids, "steps": steps, "query": query}, ensure_ascii=False))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
