"""Shared by the track tests (test_track.py, test_tracking_browser.py): the
seed's Track Merchant Order example as the contract (data/track_seed.json, a
verbatim copy of the example in ../shared/seeds/002_*.txt), a recursive
shape check against it, the payment-summary identities, and a merchant with
an order-making helper."""

import json
import os
import re
import time

from harness import Merchant, ServerTest
from mocks import MockPaymentServer

HERE = os.path.dirname(os.path.abspath(__file__))
SEED_PATH = os.path.join(HERE, "data", "track_seed.json")

with open(SEED_PATH) as f:
    SEED_ENVELOPE = json.load(f)
SEED = SEED_ENVELOPE["data"]["result"]

# Keys SPEC §2.6 adds to the seed's shape, by the object they sit in.
ALLOWED_ADDITIONS = {
    "grouped_orders[]": {"status_history"},
    "grouped_orders[].shipment_detail": {"tracking_code", "tracking_url"},
}
# Where the seed shows null, the type apotheca documents for a known value
# (docs/api/track.md); None means the member is always null.
NULL_TYPES = {
    "grouped_orders[].shipment_detail.delivery_partner_name": str,
    "grouped_orders[].skus[].prescription_status": str,
    "grouped_orders[].invoice.shipping": None,
    "grouped_orders[].invoice.order": None,
    "delivery_address.locality2": str,
}
# Element shapes of arrays the seed shows empty (docs/api/track.md).
EMPTY_ARRAY_ELEMENTS = {
    "grouped_orders[].payment_summary.payments": {"transaction_id": "", "amount": 0, "status": "",
                                                  "at": 0},
}
STATUS_HISTORY_ELEMENT = {"status_id": 0, "title": "", "at": 0}

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# A customer whose details must never reach the public page.
SCRIPT_NAME = "<script>alert(1)</script> Asha Verma"
STREET = "14 Lavelle Road, Ashok Nagar"
PHONE = "9611002324"
MOBILE = "8465944178"
EMAIL = "asha.verma@example.com"
ADDRESS = {"pincode": "560103", "contact_number": PHONE, "name": SCRIPT_NAME, "street1": STREET,
           "street2": "Near the park", "type": "home", "city": "Bengaluru", "state": "Karnataka",
           "latitude": 12.94416, "longitude": 77.74529}
USER = {"email": EMAIL, "mobile": MOBILE, "first_name": "Asha", "last_name": "Verma",
        "address": ADDRESS}
PERSONAL = [SCRIPT_NAME, "<script>", "&lt;script&gt;", "alert(1)", "Asha", "Verma", STREET,
            "Lavelle", PHONE, MOBILE, EMAIL]


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def shape_errors(got, seed, path=""):
    """Differences in keys, nesting and JSON types between got and seed,
    recursively: dict keys equal (but for ALLOWED_ADDITIONS), every array
    element shaped like the seed's first, int and float both numbers, a
    seed null matched by null or NULL_TYPES' type."""
    errs = []
    if seed is None:
        if got is not None:
            want = NULL_TYPES.get(path)
            if want is None:
                errs.append("%s: want null, got %r" % (path, got))
            elif not isinstance(got, want):
                errs.append("%s: want null or %s, got %r" % (path, want.__name__, got))
    elif isinstance(seed, bool):
        if not isinstance(got, bool):
            errs.append("%s: want bool, got %r" % (path, got))
    elif is_number(seed):
        if not is_number(got):
            errs.append("%s: want number, got %r" % (path, got))
    elif isinstance(seed, str):
        if not isinstance(got, str):
            errs.append("%s: want string, got %r" % (path, got))
    elif isinstance(seed, dict):
        if not isinstance(got, dict):
            return ["%s: want object, got %r" % (path, got)]
        extra = set(got) - set(seed) - ALLOWED_ADDITIONS.get(path, set())
        missing = set(seed) - set(got)
        if extra:
            errs.append("%s: unexpected keys %s" % (path, sorted(extra)))
        if missing:
            errs.append("%s: missing keys %s" % (path, sorted(missing)))
        for k in set(seed) & set(got):
            errs += shape_errors(got[k], seed[k], (path + "." if path else "") + k)
    elif isinstance(seed, list):
        if not isinstance(got, list):
            return ["%s: want array, got %r" % (path, got)]
        model = seed[0] if seed else EMPTY_ARRAY_ELEMENTS.get(path)
        if model is None and got:
            errs.append("%s: want an empty array, got %r" % (path, got))
        for el in got if model is not None else []:
            errs += shape_errors(el, model, path + "[]")
    else:
        errs.append("%s: unexpected seed value %r" % (path, seed))
    return errs


def paise(v):
    """A wire amount (at most two decimals) as integer paise."""
    return int(round(v * 100))


def identity_errors(ps, skus):
    """The payment-summary identities of SPEC §2.6, checked to the paisa."""
    errs = []
    mrp = sum(paise(s["mrp"]) * s["normalized_quantity"] for s in skus)
    offered = sum(paise(s["offered_price"]) * s["normalized_quantity"] for s in skus)
    vas = sum(paise(v["amount"]) for v in ps["vas"])
    payable = offered - paise(ps["coupon_discount"]) + vas + paise(ps["shipping_charges"])
    checks = [
        ("cart_mrp = Σ mrp × qty", paise(ps["cart_mrp"]), mrp),
        ("current_mrp = cart_mrp", paise(ps["current_mrp"]), mrp),
        ("discounted_mrp = Σ offered × qty", paise(ps["discounted_mrp"]), offered),
        ("amount_payable = discounted − coupon + vas + shipping", paise(ps["amount_payable"]), payable),
        ("order_mrp = amount_payable", paise(ps["order_mrp"]), payable),
        ("amount_to_be_paid = payable − collected",
         paise(ps["amount_to_be_paid"]), max(0, payable - paise(ps["amount_collected"]))),
        ("online_refund_initiated = refunded + due", paise(ps["online_refund_initiated"]),
         paise(ps["total_refunded_amount"]) + paise(ps["online_refund_due"])),
        ("total_refund_due = online_refund_due", paise(ps["total_refund_due"]), paise(ps["online_refund_due"])),
    ]
    for what, got, want in checks:
        if got != want:
            errs.append("%s: %d != %d paise" % (what, got, want))
    for k, v in ps.items():
        if is_number(v) and abs(v * 100 - round(v * 100)) > 1e-6:
            errs.append("%s has more than two decimals: %r" % (k, v))
    return errs


class TrackBase(ServerTest):
    """A server with a payment mock, the seed's charges, a coupon, an Rx
    SKU and two plain ones, and the merchant "trk" named "trk_pharmacy"."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        cls.m = Merchant(cls.server, "trk", name="trk_pharmacy",
                         payment_api={"base_url": cls.pay.url, "aggregator": "EKACARE"},
                         charges=[{"type": "green_packaging", "display_text": "Green packaging charge",
                                   "amount": 3},
                                  {"type": "rapid_delivery", "display_text": "Rapid Delivery Fee",
                                   "amount": 0}])
        s = cls.server
        for sku_id, name, mrp, price, rx, kind in [
                ("747985", "A to Z NS+ Tablet", 155, 141, False, "otc"),
                ("9187", "Allegra 180mg Tablet", 275.11, 253, False, "allopathy"),
                ("RX42", "Azee 500 Tablet", 131.93, 125, True, "allopathy")]:
            r = s.admin("PUT", "/skus/" + sku_id, {
                "name": name, "mrp": mrp, "price": price, "pack_size_label": "strip of 10 tablets",
                "sku_type": kind, "prescription_required": rx, "active": True, "stock": 500})
            assert r.status in (200, 201), r
        assert s.admin("PUT", "/coupons/TRACK5", {"kind": "percent", "value": 5}).status in (200, 201)
        assert s.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2,
                                                   "eta_max_days": 4}).status in (200, 201)

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        super().tearDownClass()

    def quote(self, skus, coupon=None, merchant=None):
        m = merchant or self.m
        b = {"skus": skus, "pincode": "560103"}
        if coupon:
            b["coupon_code"] = coupon
        r = self.server.request("POST", "/api/v4/merchants/%s/inventory/check" % m.id, body=b,
                                headers=m.headers())
        self.assertStatus(r, 200)
        return r.json["data"]["payable_amount"]

    def create(self, ref, skus, method="COD", coupon=None, merchant=None, user=None, **extra):
        m = merchant or self.m
        b = {"merchant_order_id": ref, "payable_amount": self.quote(skus, coupon, m),
             "payment_method": method, "user": user or USER, "skus": skus}
        if coupon:
            b["coupon_code"] = coupon
        b.update(extra)
        r = self.server.request("POST", "/api/v4/merchants/%s/orders" % m.id, body=b, headers=m.headers())
        self.assertStatus(r, 200)
        return r.json["data"]

    def move(self, order_id, status_id, **extra):
        body = {"status_id": status_id}
        body.update(extra)
        r = self.server.admin("POST", "/orders/%s/status" % order_id, body)
        self.assertStatus(r, 200, "move to %d" % status_id)
        return r.json

    def track_raw(self, ref, merchant=None, headers=None):
        m = merchant or self.m
        h = headers if headers is not None else m.headers()
        return self.server.request("GET", "/api/v4/merchants/%s/orders/%s/track" % (m.name, ref), headers=h)

    def track(self, ref, merchant=None):
        """The track answer's data.result, checked against the contract."""
        r = self.track_raw(ref, merchant)
        self.assertStatus(r, 200)
        self.assertIs(r.json["is_success"], True)
        self.assertEqual(r.json["status_code"], 200)
        self.assertEqual(set(r.json["data"]), {"result"})
        res = r.json["data"]["result"]
        errs = shape_errors(res, SEED)
        g = res["grouped_orders"]
        self.assertEqual(len(g), 1)
        for h in g[0]["status_history"]:
            errs += shape_errors(h, STATUS_HISTORY_ELEMENT, "status_history[]")
        errs += identity_errors(g[0]["payment_summary"], g[0]["skus"])
        self.assertEqual(errs, [], "track of %s does not keep the contract" % ref)
        return res

    def wait_for(self, fn, timeout=15.0):
        deadline = time.time() + timeout
        while True:
            v = fn()
            if v or time.time() > deadline:
                return v
            time.sleep(0.1)
