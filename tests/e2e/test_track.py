"""Track Merchant Order (SPEC §2.6) and the public tracking page (SPEC §6),
outside in: orders walked through their whole lifecycle, with the track
answer checked against the seed's shape and the payment-summary identities
after every step; tenancy and auth; the page and its JSON form, which must
say the same and nothing personal."""

import json
import os
import re
import sqlite3
import subprocess
import time
import unittest
import urllib.parse

from harness import BACKEND, BINARY, CLIENT_KEY, PUBLIC_KEY, ROOT, Merchant, psql
from track_support import (EMAIL, MOBILE, PERSONAL, PHONE, SCRIPT_NAME, SEED, SEED_PATH, STREET, USER,
                           UUID_RE, TrackBase, paise, shape_errors)


ORIGINAL_PUBLIC_KEYS = ("tracking_code", "status", "timeline", "eta", "carrier", "item_count")


def original_keys(pj):
    """The public JSON as it was before the customer's view was added: the
    same keys and values, timeline entries and carrier without the added
    members."""
    out = {k: pj[k] for k in ORIGINAL_PUBLIC_KEYS}
    out["timeline"] = [{k: t[k] for k in ("status_id", "title", "at")} for t in pj["timeline"]]
    if out["carrier"] is not None:
        out["carrier"] = {k: out["carrier"][k] for k in ("name", "tracking_code")}
    return out


def rupees(amount):
    """A wire amount as the page writes it: Indian digit grouping, two decimals."""
    whole, frac = ("%.2f" % amount).split(".")
    if len(whole) > 3:
        head, tail = whole[:-3], whole[-3:]
        groups = []
        while len(head) > 2:
            groups.insert(0, head[-2:])
            head = head[:-2]
        whole = ",".join(([head] if head else []) + groups + [tail])
    return whole + "." + frac


class SeedContract(unittest.TestCase):
    def test_committed_seed_copy_is_the_shared_seed(self):
        seeds = os.path.join(os.path.dirname(ROOT), "shared", "seeds")
        if not os.path.isdir(seeds):
            self.skipTest("../shared/seeds is not next to this checkout")
        name = [n for n in os.listdir(seeds) if n.startswith("002_")][0]
        with open(os.path.join(seeds, name)) as f:
            text = f.read()
        start = text.index('{\n"data"')
        example, _ = json.JSONDecoder().raw_decode(text[start:])
        with open(SEED_PATH) as f:
            self.assertEqual(json.load(f), example)

    def test_the_seed_keeps_its_own_identities(self):
        ps = SEED["grouped_orders"][0]["payment_summary"]
        skus = SEED["grouped_orders"][0]["skus"]
        self.assertEqual(sum(paise(s["mrp"]) for s in skus), paise(ps["cart_mrp"]))  # 856.04
        self.assertEqual(sum(paise(s["offered_price"]) for s in skus), paise(ps["discounted_mrp"]))  # 807
        self.assertEqual(paise(ps["discounted_mrp"]) - paise(ps["coupon_discount"]) +
                         sum(paise(v["amount"]) for v in ps["vas"]) + paise(ps["shipping_charges"]),
                         paise(ps["amount_payable"]))  # 783.36
        self.assertEqual(shape_errors(SEED, SEED), [])

    def test_the_shape_check_can_fail(self):
        bad = json.loads(json.dumps(SEED))
        bad["grouped_orders"][0]["skus"][0]["sku_id"] = 747985
        bad["grouped_orders"][0]["eta"]["eta_to"] = None
        bad["user"]["extra"] = 1
        del bad["delivery_address"]["landmark"]
        bad["grouped_orders"][0]["is_cashless_order"] = 0
        errs = shape_errors(bad, SEED)
        self.assertEqual(len(errs), 5, errs)


class TrackLifecycle(TrackBase):
    def history(self, res):
        return [h["status_id"] for h in res["grouped_orders"][0]["status_history"]]

    def step(self, ref, status_id, prev_history):
        """Tracks ref, checks the status and that the history grew by it."""
        res = self.track(ref)
        g = res["grouped_orders"][0]
        self.assertEqual(g["order_status"]["status_id"], status_id)
        self.assertEqual(self.history(res), prev_history + [status_id])
        last = g["status_history"][-1]
        self.assertEqual(last["title"], g["order_status"]["title"])
        ats = [h["at"] for h in g["status_history"]]
        self.assertEqual(ats, sorted(ats))
        self.assertGreaterEqual(g["updated"], g["created"])
        self.assertLessEqual(abs(last["at"] - time.time()), 60)
        self.assertIs(g["status_changed"], len(ats) > 1)
        return res

    def test_cod_rx_order_from_creation_to_delivery(self):
        d = self.create("life-cod", {"747985": 2, "9187": 1, "RX42": 1}, coupon="TRACK5")
        order_id = d["order_id"]

        res = self.step("life-cod", 100, [])
        g = res["grouped_orders"][0]
        self.assertEqual(g["order_status"], {"status_id": 100, "title": "Prescription Required",
                                             "subtitle": ""})
        self.assertEqual(g["order_id"], order_id)
        self.assertEqual(res["group_order_id"], order_id)
        self.assertEqual(res["merchant_order_id"], "life-cod")
        self.assertEqual(res["source"], "trk_pharmacy")
        self.assertEqual(res["prescriptions"], [])
        self.assertEqual(res["user"]["contact_number"], MOBILE)
        self.assertEqual(res["user"]["email"], EMAIL)
        self.assertRegex(res["user"]["username"], UUID_RE)
        a = res["delivery_address"]
        self.assertEqual((a["name"], a["street1"], a["contact_number"], a["pincode"], a["city"],
                          a["state"], a["country"], a["address_type"], a["latitude"], a["longitude"]),
                         (SCRIPT_NAME, STREET, PHONE, "560103", "Bengaluru", "Karnataka", "IN", "home",
                          12.94416, 77.74529))
        self.assertIsNone(a["locality2"])
        skus = {s["sku_id"]: s for s in g["skus"]}
        self.assertEqual(set(skus), {"747985", "9187", "RX42"})
        self.assertEqual(skus["747985"]["normalized_quantity"], 2)
        self.assertEqual((skus["9187"]["mrp"], skus["9187"]["offered_price"]), (275.11, 253))
        self.assertEqual((skus["RX42"]["prescription_required"], skus["RX42"]["prescription_status"],
                          skus["RX42"]["prescription_verified"]), (True, None, False))
        self.assertIsNone(skus["747985"]["prescription_status"])
        ps = g["payment_summary"]
        self.assertEqual(ps["mode"], "COD")
        self.assertEqual(paise(ps["cart_mrp"]), 15500 * 2 + 27511 + 13193)
        self.assertEqual(paise(ps["discounted_mrp"]), 14100 * 2 + 25300 + 12500)
        self.assertGreater(ps["coupon_discount"], 0)  # 5% of 660
        self.assertEqual(ps["amount_payable"], self.quote({"747985": 2, "9187": 1, "RX42": 1}, "TRACK5"))
        self.assertEqual([(v["display_text"], v["group_name"], v["id"], v["amount"]) for v in ps["vas"]],
                         [("Green packaging charge", "Green packaging charge", "green_packaging", 3),
                          ("Rapid Delivery Fee", "Rapid Delivery Fee", "rapid_delivery", 0)])
        self.assertEqual((ps["amount_collected"], ps["online_collected"], ps["total_payment"],
                          ps["payments"], ps["allow_payment_retry"], ps["online_pending_amount"]),
                         (0, 0, 0, [], False, 0))
        self.assertEqual(ps["amount_to_be_paid"], ps["amount_payable"])
        self.assertIs(g["is_cashless_order"], False)
        self.assertEqual(g["invoice"], {"shipping": None, "order": None})
        self.assertEqual(g["invoice_data"], {})
        self.assertGreater(g["eta"]["eta_from"], g["created"])
        self.assertGreaterEqual(g["eta"]["eta_to"], g["eta"]["eta_from"])
        sd = g["shipment_detail"]
        self.assertIsNone(sd["delivery_partner_name"])
        code = sd["tracking_code"]
        self.assertRegex(code, r"^[0-9a-z]{16}$")  # a COD order is confirmed at once
        self.assertEqual(sd["tracking_url"], "http://127.0.0.1:%d/t/%s" % (self.server.port, code))

        r = self.server.request("POST", "/api/v4/merchants/trk/orders/%s/prescriptions" % order_id,
                                body={"prescriptions": ["https://rx.example.com/asha.pdf"]},
                                headers=self.m.headers())
        self.assertStatus(r, 200)
        res = self.step("life-cod", 110, [100])
        rx = res["prescriptions"]
        self.assertEqual(len(rx), 1)
        self.assertEqual((rx[0]["url"], rx[0]["status"]), ("https://rx.example.com/asha.pdf", "Pending"))
        self.assertRegex(rx[0]["patient_id"], UUID_RE)
        self.assertNotEqual(rx[0]["patient_id"], res["user"]["username"])
        self.assertLessEqual(abs(rx[0]["prescription_date"] - time.time() * 1000), 60000)
        self.assertIsInstance(rx[0]["id"], int)
        rxline = [s for s in res["grouped_orders"][0]["skus"] if s["sku_id"] == "RX42"][0]
        self.assertEqual((rxline["prescription_status"], rxline["prescription_verified"]), ("Pending", False))

        r = self.server.admin("POST", "/orders/%s/prescriptions/verify" % order_id, {"approved": True})
        self.assertStatus(r, 200)
        res = self.step("life-cod", 120, [100, 110])
        self.assertEqual(res["prescriptions"][0]["status"], "Completed")
        rxline = [s for s in res["grouped_orders"][0]["skus"] if s["sku_id"] == "RX42"][0]
        self.assertEqual((rxline["prescription_status"], rxline["prescription_verified"]), ("Completed", True))

        self.move(order_id, 130)
        self.step("life-cod", 130, [100, 110, 120])
        self.move(order_id, 25, delivery_partner_name="Delhivery", carrier_tracking_code="DL1")
        res = self.step("life-cod", 25, [100, 110, 120, 130])
        sd = res["grouped_orders"][0]["shipment_detail"]
        self.assertEqual((sd["delivery_partner_name"], sd["tracking_code"]), ("Delhivery", code))
        self.move(order_id, 30)
        self.step("life-cod", 30, [100, 110, 120, 130, 25])
        self.move(order_id, 40)
        res = self.step("life-cod", 40, [100, 110, 120, 130, 25, 30])
        g = res["grouped_orders"][0]
        ps = g["payment_summary"]
        # Cash changes hands at the door: a delivered COD order is collected.
        self.assertEqual((ps["amount_collected"], ps["amount_to_be_paid"], ps["online_collected"]),
                         (ps["amount_payable"], 0, 0))
        self.assertEqual(g["order_status"]["title"], "Delivered")

        # The same customer of the same merchant keeps the same pseudonyms.
        self.create("life-cod-again", {"747985": 1})
        again = self.track("life-cod-again")
        self.assertEqual(again["user"]["username"], res["user"]["username"])

        # The public page tells the same story, and nothing personal.
        page = self.server.request("GET", "/t/" + code)
        self.assertStatus(page, 200)
        self.assertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(page.header("Cache-Control"), "no-store")
        # ... in the customer's words, not the status table's.
        for title in ("Delivered", "Out for delivery", "Shipped", "Packed", "Preparing your order",
                      "Checking your prescription", "Prescription needed", "Delhivery", "DL1"):
            self.assertIn(title, page.body)
        for internal in ("Processing", "Prescription Under Review", "Prescription Required"):
            self.assertNotIn(internal, page.body)
        self.assertIn(">4<", page.body)  # 2 + 1 + 1 items
        for secret in PERSONAL + ["life-cod", order_id]:
            self.assertNotIn(secret, page.body)
        pj = self.server.request("GET", "/t/%s.json" % code)
        self.assertStatus(pj, 200)
        self.assertEqual(pj.header("Cache-Control"), "no-store")
        self.assertEqual(original_keys(pj.json), {
            "tracking_code": code,
            "status": {"status_id": 40, "title": "Delivered"},
            "timeline": g["status_history"],
            "eta": {"from": g["eta"]["eta_from"], "to": g["eta"]["eta_to"]},
            "carrier": {"name": "Delhivery", "tracking_code": "DL1"},
            "item_count": 4})
        self.assertEqual(pj.json["carrier"]["tracking_url"], "https://www.delhivery.com/track/package/DL1")
        self.assertEqual(pj.json["state"]["phase"], "delivered")
        self.assertEqual([s["state"] for s in pj.json["progress"]], ["done"] * 5)
        self.assertEqual(pj.json["delivered_at"], g["status_history"][-1]["at"])
        for secret in PERSONAL + ["life-cod", order_id]:
            self.assertNotIn(secret, pj.body)

    def test_paid_online_order_cancelled_with_a_refund(self):
        skus = {"747985": 2, "9187": 1}
        self.pay.set_refund_behaviour(fail_times=1, then="SUCCESS")
        d = self.create("life-online", skus, method="ONLINE")
        order_id = d["order_id"]
        res = self.step("life-online", 180, [])
        g = res["grouped_orders"][0]
        ps = g["payment_summary"]
        payable = ps["amount_payable"]
        self.assertEqual(payable, self.quote(skus))
        self.assertEqual((ps["mode"], ps["allow_payment_retry"], ps["online_pending_amount"],
                          ps["amount_to_be_paid"], g["is_cashless_order"]),
                         ("ONLINE", True, payable, payable, False))
        self.assertEqual(g["shipment_detail"], {"delivery_partner_name": None, "tracking_code": None,
                                                "tracking_url": None})

        self.pay.set_transaction("life-online", status="SUCCESS", amount=payable, transaction_id="TX-LIFE")
        r = self.server.request("PUT", "/api/v4/merchants/trk/orders/%s/confirm" % order_id,
                                body={"order_id": order_id, "merchant_order_id": "life-online"},
                                headers=self.m.headers())
        self.assertStatus(r, 200)
        res = self.step("life-online", 15, [180])
        g = res["grouped_orders"][0]
        ps = g["payment_summary"]
        self.assertEqual((ps["online_collected"], ps["total_payment"], ps["amount_collected"],
                          ps["amount_to_be_paid"], ps["online_pending_amount"], ps["allow_payment_retry"],
                          g["is_cashless_order"]), (payable, payable, payable, 0, 0, False, True))
        self.assertEqual([(p["transaction_id"], p["amount"], p["status"]) for p in ps["payments"]],
                         [("TX-LIFE", payable, "SUCCESS")])
        code = g["shipment_detail"]["tracking_code"]
        self.assertRegex(code, r"^[0-9a-z]{16}$")

        # Part of it first: one unit of 747985 (141), refunded on its own.
        r = self.server.request("POST", "/api/v4/trk/order/cancel",
                                body={"order_id": order_id, "reason": "changed mind", "agent_id": "a",
                                      "skus": {"747985": 1}}, headers=self.m.headers())
        self.assertStatus(r, 200)
        res = self.track("life-online")
        g = res["grouped_orders"][0]
        self.assertEqual(self.history(res), [180, 15])
        line = [s for s in g["skus"] if s["sku_id"] == "747985"][0]
        self.assertEqual(line["normalized_quantity"], 1)
        self.assertEqual(g["payment_summary"]["online_refund_initiated"], 141)

        r = self.server.request("POST", "/api/v4/trk/order/cancel",
                                body={"order_id": order_id, "reason": "changed mind", "agent_id": "a"},
                                headers=self.m.headers())
        self.assertStatus(r, 200)
        res = self.step("life-online", 99, [180, 15])
        g = res["grouped_orders"][0]
        self.assertEqual(g["order_status"], {"status_id": 99, "title": "Order Cancelled",
                                             "subtitle": "As per Your Request"})
        ps = g["payment_summary"]
        self.assertEqual((ps["online_refund_initiated"], ps["online_pending_amount"], ps["allow_payment_retry"]),
                         (payable, 0, False))

        def refunded():
            p = self.track("life-online")["grouped_orders"][0]["payment_summary"]
            return p if p["total_refunded_amount"] == payable else None
        ps = self.wait_for(refunded)
        self.assertIsNotNone(ps, "refunds were not confirmed by the payment mock")
        self.assertEqual((ps["online_refund_due"], ps["total_refund_due"], ps["online_refund_initiated"]),
                         (0, 0, payable))
        self.assertEqual(sorted(r["json"]["amount"] for r in self.pay.refunds
                                if r["json"]["order_id"] == order_id and r["json"]["type"] == "PARTIAL"),
                         [141, 141, payable - 141])  # one retried after a failure

        pj = self.server.request("GET", "/t/%s.json" % code)
        self.assertStatus(pj, 200)
        self.assertEqual(pj.json["status"], {"status_id": 99, "title": "Order Cancelled"})
        self.assertEqual([t["status_id"] for t in pj.json["timeline"]], [180, 15, 99])
        self.assertIsNone(pj.json["carrier"])
        self.assertEqual(pj.json["item_count"], 2)
        self.assertEqual(pj.json["refund"], {"amount": payable, "refunded": payable, "on_its_way": 0,
                                             "state": "done", "refunded_at": pj.json["refund"]["refunded_at"]})
        self.assertEqual(pj.json["cancellation"]["reason"], "The order was cancelled at your request.")
        self.assertEqual(pj.json["progress"], [])
        page = self.server.request("GET", "/t/" + code)
        self.assertIn("<h1>Order cancelled</h1>", page.body)
        self.assertIn("The order was cancelled at your request.", page.body)
        self.assertIn("\u20b9%s" % rupees(payable), page.body)
        self.assertIn("Refunded", page.body)
        self.assertNotIn("Estimated delivery", page.body)  # no ETA for a cancelled order
        # Nothing internal, and nothing marked as current under the red headline.
        for internal in ("Awaiting Confirmation", "Waiting for payment", 'class="now"', 'class="current"',
                         "As per Your Request", "changed mind"):
            self.assertNotIn(internal, page.body)

    def test_address_without_coordinates_answers_zero_and_defaults(self):
        user = dict(USER, address={"pincode": "560103", "name": "N", "street1": "S", "contact_number": "1"})
        self.create("addr-min", {"747985": 1}, user=dict(user, email="", mobile=""))
        res = self.track("addr-min")
        a = res["delivery_address"]
        self.assertEqual((a["latitude"], a["longitude"], a["city"], a["country"], a["landmark"],
                          a["address_type"], a["locality2"]), (0, 0, "", "IN", "", "", None))
        self.assertEqual((res["user"]["email"], res["user"]["contact_number"]), ("", ""))
        self.assertRegex(res["user"]["username"], UUID_RE)


class TrackAccess(TrackBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = Merchant(cls.server, "oth", name="other_pharmacy", key="other")

    def test_public_and_client_keys_are_accepted(self):
        self.create("acc-1", {"747985": 1})
        for key in (PUBLIC_KEY, CLIENT_KEY):
            r = self.track_raw("acc-1", headers=self.m.headers(access_key=key))
            self.assertStatus(r, 200, key)

    def test_auth_failures_are_401(self):
        self.create("acc-2", {"747985": 1})
        good = self.m.headers()
        for h in ({"Authorization": good["Authorization"]},
                  {"X-Access-Key": "nope", "Authorization": good["Authorization"]},
                  {"X-Access-Key": PUBLIC_KEY},
                  {"X-Access-Key": PUBLIC_KEY, "Authorization": "Bearer not.a.jwt"},
                  {"X-Access-Key": PUBLIC_KEY, "Authorization": "Bearer " + self.other.token()}):
            r = self.track_raw("acc-2", headers=h)
            self.assertStatus(r, 401, repr(h))
            self.assertEqual((r.json["is_success"], r.json["status_code"]), (False, 401))

    def test_unknown_merchant_and_merchant_by_id(self):
        r = self.server.request("GET", "/api/v4/merchants/nobody/orders/x/track", headers=self.m.headers())
        self.assertStatus(r, 400)
        self.assertEqual(r.json, {"is_success": False, "status_code": 400, "error": "Merchant not found"})
        # The path names the merchant by name, not by id.
        r = self.server.request("GET", "/api/v4/merchants/trk/orders/x/track", headers=self.m.headers())
        self.assertEqual(r.json["error"], "Merchant not found")

    def test_another_merchants_order_is_not_found(self):
        self.create("acc-3", {"747985": 1})
        r = self.track_raw("acc-3", merchant=self.other)
        self.assertStatus(r, 404)
        self.assertEqual(r.json, {"is_success": False, "status_code": 404, "error": {
            "message": "Order not found", "errors": [{"message": "Order not found"}]}})
        self.assertEqual(r.json, self.track_raw("never-made", merchant=self.other).json)
        # Each merchant sees its own order under the same merchant_order_id.
        self.create("acc-3", {"9187": 1}, merchant=self.other)
        mine, theirs = self.track("acc-3"), self.track("acc-3", merchant=self.other)
        self.assertNotEqual(mine["group_order_id"], theirs["group_order_id"])
        self.assertEqual(theirs["source"], "other_pharmacy")
        self.assertEqual([s["sku_id"] for s in theirs["grouped_orders"][0]["skus"]], ["9187"])
        self.assertNotEqual(mine["user"]["username"], theirs["user"]["username"])


class TrackingPage(TrackBase):
    def shipped_code(self, ref, partner="Blue Dart", carrier_code="BD-77"):
        d = self.create(ref, {"747985": 1, "9187": 2})
        for s in (120, 130):
            self.move(d["order_id"], s)
        self.move(d["order_id"], 25, delivery_partner_name=partner, carrier_tracking_code=carrier_code)
        return d, self.track(ref)["grouped_orders"][0]["shipment_detail"]["tracking_code"]

    def test_page_shows_status_timeline_eta_carrier_items_and_nothing_personal(self):
        d, code = self.shipped_code("page-1")
        r = self.server.request("GET", "/t/" + code)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        self.assertEqual(r.header("Cache-Control"), "no-store")
        self.assertIn("default-src 'none'", r.header("Content-Security-Policy"))
        b = r.body
        self.assertTrue(b.startswith("<!DOCTYPE html>"))
        self.assertIn('<meta name="viewport" content="width=device-width, initial-scale=1">', b)
        self.assertNotIn("<script", b.lower())
        self.assertEqual(re.findall(r"<h1>([^<]*)</h1>", b), ["Shipped"])
        steps = re.findall(r'<span class="t">([^<]*)</span><time datetime="([^"]+)">([^<]+)</time>', b)
        self.assertEqual([s[0] for s in steps], ["Shipped", "Packed", "Preparing your order", "Order placed"])
        for _, iso, human in steps:
            # India Standard Time unless configured otherwise, and labelled.
            self.assertRegex(iso, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$")
            self.assertRegex(human, r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{1,2}:\d\d [AP]M IST$")
        self.assertIn("Times are in India Standard Time (IST, UTC+05:30).", b)
        self.assertIn("Estimated delivery", b)
        self.assertIn("Blue Dart", b)
        self.assertIn('<a href="https://www.bluedart.com/web/guest/trackdartresultthirdparty?trackFor=0&amp;'
                      'trackNo=BD-77" rel="noopener noreferrer" title="Track it on Blue Dart&#39;s site">BD-77</a>', b)
        # The progress view: what happened and what comes next.
        self.assertEqual(re.findall(r'<li class="(done|current|todo)"', b),
                         ["done", "done", "current", "todo", "todo"])
        self.assertRegex(b, r"<dt>Items</dt><dd>3</dd>")
        payable = self.track("page-1")["grouped_orders"][0]["payment_summary"]["amount_payable"]
        for secret in PERSONAL + ["page-1", d["order_id"], "275.11", "%.2f" % payable]:
            self.assertNotIn(secret, b)
        self.assertNotIn("₹", b)
        head = self.server.request("HEAD", "/t/" + code)
        self.assertStatus(head, 200)
        self.assertEqual(head.body, "")

    def test_json_form_says_the_same(self):
        d, code = self.shipped_code("page-2", partner="Ekart", carrier_code="EK9")
        res = self.track("page-2")
        g = res["grouped_orders"][0]
        r = self.server.request("GET", "/t/%s.json" % code)
        self.assertStatus(r, 200)
        self.assertEqual(r.header("Content-Type"), "application/json")
        self.assertEqual(original_keys(r.json), {
            "tracking_code": code, "status": {"status_id": 25, "title": "Shipped"},
            "timeline": g["status_history"], "eta": {"from": g["eta"]["eta_from"], "to": g["eta"]["eta_to"]},
            "carrier": {"name": "Ekart", "tracking_code": "EK9"}, "item_count": 3})
        # What the page shows besides, as facts.
        self.assertIsNone(r.json["carrier"]["tracking_url"])  # no template for Ekart
        self.assertEqual([t["label"] for t in r.json["timeline"]],
                         ["Order placed", "Preparing your order", "Packed", "Shipped"])
        self.assertEqual(r.json["state"], {"phase": "in_progress", "headline": "Shipped",
                                           "detail": "Your parcel is on its way.", "notice": None})
        self.assertEqual([(s["step"], s["state"]) for s in r.json["progress"]],
                         [("placed", "done"), ("packed", "done"), ("shipped", "current"),
                          ("out_for_delivery", "upcoming"), ("delivered", "upcoming")])
        self.assertEqual(r.json["progress"][2]["at"], g["status_history"][-1]["at"])
        self.assertIsNone(r.json["progress"][3]["at"])
        self.assertEqual(r.json["merchant"], {"name": None, "help": {"url": None, "email": None, "phone": None}})
        self.assertEqual((r.json["cancellation"], r.json["refund"], r.json["delivered_at"], r.json["return_progress"]),
                         (None, None, None, []))
        for secret in PERSONAL + ["page-2", d["order_id"]]:
            self.assertNotIn(secret, r.body)

    def test_operator_text_is_escaped(self):
        _, code = self.shipped_code("page-3", partner="<img src=x onerror=alert(1)>&Co \"q\" 'a'",
                                    carrier_code="<b>X</b>")
        b = self.server.request("GET", "/t/" + code).body
        self.assertIn("&lt;img src=x onerror=alert(1)&gt;&amp;Co &quot;q&quot; &#39;a&#39;", b)
        self.assertIn("&lt;b&gt;X&lt;/b&gt;", b)
        self.assertNotIn("<img", b)
        self.assertNotIn("<b>", b)

    def test_unknown_codes_are_404(self):
        for path in ("/t/zzzzzzzzzzzzzzzz", "/t/" + "a" * 65, "/t/bad%3Cscript%3E"):
            r = self.server.request("GET", path)
            self.assertStatus(r, 404, path)
            self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
            self.assertIn("Tracking code not found", r.body)
            self.assertNotIn("<script", r.body)
        r = self.server.request("GET", "/t/zzzzzzzzzzzzzzzz.json")
        self.assertStatus(r, 404)
        self.assertEqual(r.json, {"error": {"code": "not_found", "message": "Unknown tracking code"}})
        self.assertEqual(self.server.request("POST", "/t/zzzzzzzzzzzzzzzz").status, 405)

    def test_unconfirmed_online_order_has_no_public_page(self):
        self.create("page-4", {"747985": 1}, method="ONLINE")
        g = self.track("page-4")["grouped_orders"][0]
        self.assertIsNone(g["shipment_detail"]["tracking_code"])


HELP = {"url": "https://help.sunrise.example/orders", "email": "care@sunrise.example", "phone": "+91 80 4000 1234"}


class TrackingPageForCustomers(TrackBase):
    """The customer's view: the shop and its help contact, every kind of
    order in plain words, and the form for a typed or pasted code."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.server.admin("PATCH", "/merchants/trk", {"display_name": "Sunrise Pharmacy", "help": HELP})
        assert r.status == 200, r

    def code_of(self, ref):
        return self.track(ref)["grouped_orders"][0]["shipment_detail"]["tracking_code"]

    def page(self, code):
        r = self.server.request("GET", "/t/" + code)
        self.assertStatus(r, 200)
        return r.body

    def test_help_contact_is_kept_checked_and_shown(self):
        r = self.server.admin("GET", "/merchants/trk")
        self.assertEqual(r.json["help"], HELP)
        self.assertEqual(r.json["display_name"], "Sunrise Pharmacy")
        for bad in ({"url": "http://plain.example"}, {"url": "https://x.example/\"q"}, {"email": "not-an-address"},
                    {"email": "a@b"}, {"phone": "call us"}, {"phone": "12"}, {"fax": "1"}, "care@x.example"):
            r = self.server.admin("PATCH", "/merchants/trk", {"help": bad})
            self.assertStatus(r, 400, repr(bad))
            self.assertIn("help", r.json["error"]["message"])
        self.assertEqual(self.server.admin("GET", "/merchants/trk").json["help"], HELP)  # unchanged

        self.create("help-1", {"747985": 1})
        b = self.page(self.code_of("help-1"))
        self.assertIn('<span class="shop">Sunrise Pharmacy</span>', b)
        self.assertIn('<a href="tel:+918040001234" rel="noopener noreferrer">+91 80 4000 1234</a>', b)
        self.assertIn('<a href="mailto:care@sunrise.example" rel="noopener noreferrer">care@sunrise.example</a>', b)
        self.assertIn('<a href="https://help.sunrise.example/orders" rel="noopener noreferrer">Help centre</a>', b)
        j = self.server.request("GET", "/t/%s.json" % self.code_of("help-1")).json
        self.assertEqual(j["merchant"], {"name": "Sunrise Pharmacy", "help": HELP})

        # A merchant can drop one contact, or all of them.
        other = Merchant(self.server, "hlp", name="help_pharmacy", key="help",
                         help={"email": "a@help.example", "phone": "1800 123 4567"})
        self.assertEqual(self.server.admin("PATCH", "/merchants/hlp", {"help": {"phone": None}}).json["help"],
                         {"url": None, "email": "a@help.example", "phone": None})
        self.assertEqual(self.server.admin("PATCH", "/merchants/hlp", {"help": None}).json["help"],
                         {"url": None, "email": None, "phone": None})
        self.assertIsNotNone(other)

    def test_each_kind_of_order_in_the_customers_words(self):
        rx = self.create("kind-rx", {"RX42": 1})
        # Stopped first: the units it gives back would allocate an order
        # already waiting for them (issue 19).
        stopped = self.create("kind-stopped", {"747985": 1})
        for s in (120, 20, 99):
            self.move(stopped["order_id"], s, subtitle="WH-3 stock-out, ops ticket 7")
        stock = self.create("kind-stock", {"747985": 1})
        for s in (120, 20):
            self.move(stock["order_id"], s)
        again = self.create("kind-again", {"747985": 1})
        for s in (120, 130):
            self.move(again["order_id"], s)
        self.move(again["order_id"], 25, delivery_partner_name="Xpressbees", carrier_tracking_code="XB 1/2")
        for s in (30, 45):
            self.move(again["order_id"], s)
        ret = self.create("kind-return", {"747985": 1})
        for s in (120, 130, 25, 30, 40, 140, 141):
            self.move(ret["order_id"], s)

        cases = [("kind-rx", "Prescription needed", "Action needed", "action_needed",
                  "needs a doctor's prescription. Please send a valid prescription to Sunrise Pharmacy"),
                 ("kind-stock", "Waiting for stock", "Delayed", "delayed", "out of stock for the moment"),
                 ("kind-again", "Delivery to be reattempted", "Delayed", "delayed", "will try again"),
                 ("kind-return", "Return picked up", "Return", None, "picked up your return"),
                 ("kind-stopped", "Order cancelled", "Cancelled", None, "could not be restocked")]
        for ref, headline, pill, notice, detail in cases:
            code = self.code_of(ref)
            b = self.page(code)
            self.assertIn("<h1>%s</h1>" % headline, b, ref)
            self.assertIn('<span class="pill">%s</span>' % pill, b, ref)
            self.assertIn(detail, b.replace("&#39;", "'"), ref)
            for internal in ("Prescription Required", "Awaiting Stock", "Delivery Reattempt", "Return Picked",
                             "Order Cancelled", "WH-3", "ops ticket"):
                self.assertNotIn(internal, b, ref)
            j = self.server.request("GET", "/t/%s.json" % code).json
            self.assertEqual((j["state"]["headline"], j["state"]["notice"]), (headline, notice), ref)
        # The reattempt's carrier link encodes the number; the return has its own progress.
        j = self.server.request("GET", "/t/%s.json" % self.code_of("kind-again")).json
        self.assertEqual(j["carrier"]["tracking_url"], "https://www.xpressbees.com/shipment/tracking?awbNo=XB%201%2F2")
        self.assertEqual([s["state"] for s in j["progress"]], ["done", "done", "done", "current", "upcoming"])
        j = self.server.request("GET", "/t/%s.json" % self.code_of("kind-return")).json
        self.assertEqual([s["state"] for s in j["progress"]], ["done"] * 5)
        self.assertEqual([s["state"] for s in j["return_progress"]], ["done", "current", "upcoming"])
        # Cancelled cash on delivery: nothing was taken, nothing to refund.
        j = self.server.request("GET", "/t/%s.json" % self.code_of("kind-stopped")).json
        self.assertEqual((j["state"]["phase"], j["refund"], j["progress"]), ("cancelled", None, []))
        self.assertIn("No payment was taken", self.page(self.code_of("kind-stopped")))
        self.assertIsNotNone(rx)

    def test_a_refund_not_yet_confirmed_is_on_its_way(self):
        skus = {"9187": 1}
        d = self.create("refund-wait", skus, method="ONLINE")
        payable = self.quote(skus)
        self.pay.set_transaction("refund-wait", status="SUCCESS", amount=payable, transaction_id="TX-W")
        self.pay.set_refund_behaviour(fail_times=10 ** 6)  # the merchant's payment API keeps failing
        try:
            r = self.server.request("PUT", "/api/v4/merchants/trk/orders/%s/confirm" % d["order_id"],
                                    body={"order_id": d["order_id"], "merchant_order_id": "refund-wait"},
                                    headers=self.m.headers())
            self.assertStatus(r, 200)
            r = self.server.request("POST", "/api/v4/trk/order/cancel",
                                    body={"order_id": d["order_id"], "reason": "x", "agent_id": "a"},
                                    headers=self.m.headers())
            self.assertStatus(r, 200)
            code = self.code_of("refund-wait")
            j = self.server.request("GET", "/t/%s.json" % code).json
            self.assertEqual(j["refund"], {"amount": payable, "refunded": 0, "on_its_way": payable,
                                           "state": "on_its_way", "refunded_at": None})
            b = self.page(code)
            self.assertIn('<div class="money wait">', b)
            self.assertIn('<span class="pill">On its way</span>', b)
            self.assertIn("\u20b9%s" % rupees(payable), b)
            self.assertNotIn("No payment was taken", b)
        finally:
            self.pay.set_refund_behaviour()

    def test_a_window_gone_by_says_running_late(self):
        d = self.create("late-1", {"747985": 1})
        self.move(d["order_id"], 120)
        code = self.code_of("late-1")
        self.assertIn("<span>Estimated delivery</span>", self.page(code))
        # No clock to turn forward: move the order's window ten days back instead.
        sql = ("UPDATE orders SET eta_from = eta_from - 864000, eta_to = eta_to - 864000 "
               "WHERE order_id = '%s'" % d["order_id"])
        if BACKEND == "postgres":
            psql(sql, self.server.db.rsplit("/", 1)[1].split("?")[0])
        else:
            with sqlite3.connect(self.server.db) as db:
                db.execute(sql)
        b = self.page(code)
        self.assertIn("<span>Running late \u00b7 expected</span>", b)
        self.assertNotIn("Estimated delivery", b)

    def test_form_takes_a_typed_or_pasted_code(self):
        self.create("form-1", {"747985": 1})
        code = self.code_of("form-1")
        r = self.server.request("GET", "/t/")
        self.assertStatus(r, 200)
        self.assertIn('<form class="find" method="get" action="/t/">', r.body)
        self.assertIn("form-action 'self'", r.header("Content-Security-Policy"))
        self.assertEqual(self.server.request("HEAD", "/t/").status, 200)
        r = self.server.request("GET", "/t")
        self.assertStatus(r, 308)
        self.assertEqual(r.header("Location"), "/t/")
        for typed in (code, "  %s " % code, "http://127.0.0.1:%d/t/%s" % (self.server.port, code),
                      "https://track.example/t/%s/" % code, "https://track.example/t/%s?utm_source=sms#top" % code):
            r = self.server.request("GET", "/t/?code=" + urllib.parse.quote(typed))
            self.assertStatus(r, 303, typed)
            self.assertEqual(r.header("Location"), "/t/" + code)
        # Not a code at all: the miss page with the form again, the text escaped.
        r = self.server.request("GET", "/t/?code=" + urllib.parse.quote('<b>"x"</b>'))
        self.assertStatus(r, 404)
        self.assertIn("Tracking code not found", r.body)
        self.assertIn('<form class="find"', r.body)
        self.assertNotIn("<b>", r.body)
        r = self.server.request("GET", "/t/zzzzzzzzzzzzzzzz")
        self.assertStatus(r, 404)
        self.assertIn('value="zzzzzzzzzzzzzzzz"', r.body)
        self.assertStatus(self.server.request("GET", "/t/?code=" + "a" * 600), 404)


class TrackingPageSettings(TrackBase):
    """APOTHECA_TIMEZONE and APOTHECA_CARRIER_URLS change what the page shows."""

    server_env = {"APOTHECA_TIMEZONE": "Asia/Kathmandu",
                  "APOTHECA_CARRIER_URLS": "Ekart=https://ekart.example/track/{code},Delhivery="}

    def test_zone_and_carrier_links_follow_the_configuration(self):
        d = self.create("set-1", {"747985": 1})
        for s in (120, 130):
            self.move(d["order_id"], s)
        self.move(d["order_id"], 25, delivery_partner_name="Ekart", carrier_tracking_code="EK/9")
        code = self.track("set-1")["grouped_orders"][0]["shipment_detail"]["tracking_code"]
        b = self.server.request("GET", "/t/" + code).body
        self.assertIn('<a href="https://ekart.example/track/EK%2F9" rel="noopener noreferrer" title="Track it on Ekart&#39;s site">EK/9</a>', b)
        self.assertIn("Times are in Asia/Kathmandu (UTC+05:45).", b)
        self.assertRegex(b, r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:45">[^<]+ UTC\+05:45</time>')
        d = self.create("set-2", {"747985": 1})
        for s in (120, 130):
            self.move(d["order_id"], s)
        self.move(d["order_id"], 25, delivery_partner_name="Delhivery", carrier_tracking_code="DL9")
        j = self.server.request("GET", "/t/%s.json" % self.track("set-2")["grouped_orders"][0]
                                ["shipment_detail"]["tracking_code"]).json
        self.assertEqual(j["carrier"], {"name": "Delhivery", "tracking_code": "DL9", "tracking_url": None})

    def test_bad_settings_stop_the_server_from_starting(self):
        for name, value in (("APOTHECA_TIMEZONE", "Mars/Olympus"), ("APOTHECA_TIMEZONE", "../../etc/passwd"),
                            ("APOTHECA_CARRIER_URLS", "Ekart=http://plain.example/{code}")):
            env = dict(self.server.env, **{name: value})
            out = subprocess.run([BINARY, "serve", "--listen", "127.0.0.1:0"], env=env, capture_output=True,
                                 text=True, timeout=60)
            self.assertNotEqual(out.returncode, 0, value)
            self.assertIn(name, out.stderr)


if __name__ == "__main__":
    unittest.main()
