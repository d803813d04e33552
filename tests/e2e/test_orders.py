"""Orders (SPEC §2.2–2.5, §5): create COD and ONLINE, confirm against a
real mock payment API, cancel and refunds, prescriptions, the payment
window, concurrency (no oversell, one order per merchant_order_id), crash
safety and the state machine through the admin API."""

import concurrent.futures
import threading
import re
import time
import unittest

import harness
from harness import ServerTest, Server, Merchant
from mocks import MockPaymentServer
from test_deliveries import db_exec

ADDRESS = {"pincode": "560103", "contact_number": "9611002324", "name": "Harish",
           "street1": "Varthur", "street2": "", "type": "home"}
USER = {"email": "a@example.com", "mobile": "8465944178", "first_name": "A", "last_name": "B",
        "address": ADDRESS}


def sku(server, sku_id, price=150, mrp=200, stock=10, rx=False):
    r = server.admin("PUT", "/skus/" + sku_id, {"name": "Item " + sku_id, "mrp": mrp, "price": price,
                                                 "pack_size_label": "strip of 10", "sku_type": "otc",
                                                 "prescription_required": rx, "active": True,
                                                 "stock": stock})
    assert r.status in (200, 201), r
    return r


def stock_of(server, sku_id):
    r = server.admin("GET", "/skus/" + sku_id)
    assert r.status == 200, r
    return r.json


def body(ref, skus, payable, method="COD", **extra):
    b = {"merchant_order_id": ref, "payable_amount": payable, "payment_method": method,
         "user": USER, "skus": skus}
    b.update(extra)
    return b


def hold_next_order_ids(server, made):
    """Puts rows into orders, copied from the order `made`, that hold the order
    id the server draws next (core/ids.h: PO, five digits of the clock, then a
    per-process counter, one past made's) for each second the next create may
    fall in. Returns the ids held and the counter they carry."""
    following = (int(made[7:]) + 1) % 10 ** 9
    now = int(time.time())
    held = []
    for k in range(-1, 4):
        oid = "PO%05d%09d" % (10000 + (now + k) % 90000, following)
        db_exec(server,
                "INSERT INTO orders (order_id, hex_id, merchant_id, merchant_order_id, dialect, status_id, "
                "created, updated, status_changed) SELECT '%s', '%s', merchant_id, '%s', dialect, status_id, "
                "created, updated, status_changed FROM orders WHERE order_id = '%s'"
                % (oid, "%018x%06d" % (now, k + 2), "held-%s-%d" % (made, k + 2), made))
        held.append(oid)
    return held, following


class OrdersBase(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        cls.m = Merchant(cls.server, "shop", payment_api={"base_url": cls.pay.url, "auth_header": "X-Pay-Key",
                                                         "auth_value": "pay-secret", "aggregator": "EKACARE"},
                         webhook={"signing_secret": "whsec"},
                         charges=[{"type": "handling_fee", "display_text": "Handling", "amount": 99}])
        cls.server.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        super().tearDownClass()

    def create(self, b, merchant=None):
        m = merchant or self.m
        return self.server.request("POST", "/api/v4/merchants/%s/orders" % m.id, body=b, headers=m.headers())

    def confirm(self, order_id, ref, merchant=None):
        m = merchant or self.m
        return self.server.request("PUT", "/api/v4/merchants/%s/orders/%s/confirm" % (m.id, order_id),
                                   body={"order_id": order_id, "merchant_order_id": ref}, headers=m.headers())

    def cancel(self, order_id, **extra):
        b = {"order_id": order_id, "reason": "customer asked", "agent_id": "a1", "merchant": self.m.id}
        b.update(extra)
        return self.server.request("POST", "/api/v4/%s/order/cancel" % self.m.id, body=b,
                                   headers=self.m.headers())

    def admin_order(self, order_id):
        r = self.server.admin("GET", "/orders/" + order_id)
        self.assertStatus(r, 200)
        return r.json


class CreateOrders(OrdersBase):
    def test_cod_order_is_placed_and_reserves_stock(self):
        sku(self.server, "C1", price=150, stock=10)
        r = self.create(body("cod-1", {"C1": 2}, "399"))  # 2 x 150 + 99
        self.assertStatus(r, 200)
        self.assertEqual(set(r.json["data"]), {"order_id", "merchant_order_id"})
        self.assertRegex(r.json["data"]["order_id"], r"^PO\d{14}$")
        self.assertEqual(r.json["data"]["merchant_order_id"], "cod-1")
        self.assertTrue(r.json["is_success"])
        o = self.admin_order(r.json["data"]["order_id"])
        self.assertEqual(o["status_id"], 15)
        self.assertRegex(o["id"], r"^[0-9a-f]{24}$")
        self.assertEqual(o["totals"]["payable"], 399)
        s = stock_of(self.server, "C1")
        self.assertEqual((s["on_hand"], s["reserved"], s["available"]), (10, 2, 8))

    def test_payable_must_match_to_the_paisa(self):
        sku(self.server, "C2", price=150, stock=10)
        r = self.create(body("cod-2", {"C2": 1}, "248.99"))
        self.assertStatus(r, 400)
        self.assertIn("249.00", r.json["error"]["message"])
        self.assertEqual(stock_of(self.server, "C2")["reserved"], 0)
        self.assertStatus(self.server.admin("GET", "/orders?merchant_id=nobody"), 200)

    def test_every_sku_must_be_available_in_full(self):
        sku(self.server, "C3", price=100, stock=3)
        r = self.create(body("cod-3", {"C3": 5}, "599"))
        self.assertStatus(r, 400)
        self.assertIn("C3", r.json["error"]["message"])
        self.assertIn("3", r.json["error"]["message"])
        r = self.create(body("cod-3b", {"NOPE": 1}, "99"))
        self.assertStatus(r, 400)
        self.assertIn("NOPE", r.json["error"]["message"])

    def test_retry_returns_the_same_order_and_other_body_is_refused(self):
        sku(self.server, "C4", price=100, stock=10)
        b = body("cod-4", {"C4": 1}, 199)
        r1 = self.create(b)
        r2 = self.create(b)
        self.assertStatus(r1, 200)
        self.assertStatus(r2, 200)
        self.assertEqual(r1.json["data"], r2.json["data"])
        self.assertEqual(stock_of(self.server, "C4")["reserved"], 1)
        r3 = self.create(body("cod-4", {"C4": 2}, 299))
        self.assertStatus(r3, 400)
        self.assertEqual(r3.json["error"]["message"], "merchant_order_id already used")

    def test_retry_of_an_online_order_with_a_coupon_answers_the_stored_order(self):
        # The retry's INSERT meets the taken reference before the coupon is
        # used: the answer is the stored order, not a coupon refusal.
        sku(self.server, "C6R", price=100, stock=10)
        self.assertStatus(self.server.admin("PUT", "/coupons/RETRY6", {"kind": "flat", "value": 10}), 201)
        r = self.server.request("POST", "/api/v4/merchants/shop/inventory/check", headers=self.m.headers(),
                                body={"skus": {"C6R": 1}, "pincode": "560103", "coupon_code": "RETRY6"})
        b = body("online-6", {"C6R": 1}, r.json["data"]["payable_amount"], method="ONLINE", coupon_code="RETRY6")
        r1 = self.create(b)
        r2 = self.create(b)
        self.assertStatus(r1, 200)
        self.assertStatus(r2, 200)
        self.assertEqual(r1.json["data"], r2.json["data"])
        self.assertEqual(self.server.admin("GET", "/coupons/RETRY6").json["used_count"], 1)
        self.assertEqual(stock_of(self.server, "C6R")["reserved"], 1)

    def test_bad_bodies(self):
        sku(self.server, "C5", price=100, stock=10)
        for b, what in [
            (body("", {"C5": 1}, 199), "merchant_order_id"),
            (body("x" * 65, {"C5": 1}, 199), "merchant_order_id"),
            (body("bad id", {"C5": 1}, 199), "merchant_order_id"),
            (body("b1", {"C5": 1}, "199.001"), "payable_amount"),
            (body("b2", {"C5": 1}, -5), "payable_amount"),
            (body("b3", {"C5": 1}, 199, method="CARD"), "payment_method"),
            (body("b4", {"C5": 0}, 199), "C5"),
            (body("b5", {"C5": 1}, 199, prescriptions=["http://insecure"]), "prescriptions"),
            (body("b6", {"C5": 1}, 199, prescriptions=["https://x/%d" % i for i in range(11)]), "prescriptions"),
            ({"merchant_order_id": "b7", "payable_amount": 199, "payment_method": "COD", "skus": {"C5": 1}},
             "address"),
        ]:
            r = self.create(b)
            self.assertStatus(r, 400, what)
            self.assertIn(what, r.json["error"]["message"], what)
        self.assertEqual(stock_of(self.server, "C5")["reserved"], 0)

    def test_another_merchant_cannot_see_the_order(self):
        sku(self.server, "C6", price=100, stock=10)
        other = Merchant(self.server, "other", key="other")
        r = self.create(body("cod-6", {"C6": 1}, 199))
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        r = self.confirm(oid, "cod-6", merchant=other)
        self.assertStatus(r, 500)
        self.assertEqual(r.json["error"]["message"], "Order not found")
        r = self.server.request("POST", "/api/v4/other/order/cancel", body={"order_id": oid},
                                headers=other.headers())
        self.assertStatus(r, 404)
        self.assertEqual(self.admin_order(oid)["status_id"], 15)


class Prescriptions(OrdersBase):
    def test_rx_order_waits_for_prescription_then_review(self):
        sku(self.server, "RX1", price=100, stock=5, rx=True)
        r = self.create(body("rx-1", {"RX1": 1}, 199))
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        self.assertEqual(self.admin_order(oid)["status_id"], 100)
        r = self.server.request("POST", "/api/v4/merchants/shop/orders/%s/prescriptions" % oid,
                                body={"prescriptions": ["https://rx.example.com/1.pdf"]},
                                headers=self.m.headers())
        self.assertStatus(r, 200)
        o = self.admin_order(oid)
        self.assertEqual(o["status_id"], 110)
        self.assertEqual(o["prescriptions"][0]["url"], "https://rx.example.com/1.pdf")
        r = self.server.admin("POST", "/orders/%s/prescriptions/verify" % oid, {"approved": False})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["status_id"], 100)
        self.server.request("POST", "/api/v4/merchants/shop/orders/%s/prescriptions" % oid,
                            body={"prescriptions": ["https://rx.example.com/2.pdf"]}, headers=self.m.headers())
        r = self.server.admin("POST", "/orders/%s/prescriptions/verify" % oid, {"approved": True})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["status_id"], 120)
        self.assertEqual([h["to"] for h in r.json["status_history"]], [100, 110, 100, 110, 120])

    def test_rx_order_with_prescription_is_placed(self):
        sku(self.server, "RX2", price=100, stock=5, rx=True)
        r = self.create(body("rx-2", {"RX2": 1}, 199, prescriptions=["https://rx.example.com/a.pdf"]))
        self.assertStatus(r, 200)
        self.assertEqual(self.admin_order(r.json["data"]["order_id"])["status_id"], 15)


class ConfirmOnline(OrdersBase):
    def online(self, ref, sku_id="ON", qty=1):
        r = self.create(body(ref, {sku_id: qty}, 100 * qty + 99, method="ONLINE"))
        self.assertStatus(r, 200)
        return r.json["data"]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sku(cls.server, "ON", price=100, stock=100)

    def test_create_online_answers_map_payment(self):
        d = self.online("on-1")
        self.assertEqual(d["action"], "map_payment")
        self.assertIsInstance(d["payment_id"], int)
        self.assertEqual(d["payment_aggregator"], "EKACARE")
        self.assertEqual(self.admin_order(d["order_id"])["status_id"], 180)

    def test_success_confirms_once_and_records_payment(self):
        d = self.online("on-2")
        self.pay.set_transaction("on-2", status="SUCCESS", amount="199.00", transaction_id="TX2")
        r = self.confirm(d["order_id"], "on-2")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"], {"merchant_order_id": "on-2", "order_id": d["order_id"]})
        o = self.admin_order(d["order_id"])
        self.assertEqual(o["status_id"], 15)
        self.assertEqual(o["payments"][0]["transaction_id"], "TX2")
        self.assertEqual(o["payments"][0]["amount"], 199)
        call = self.pay.transaction_calls[-1]
        self.assertEqual(call["headers"].get("x-pay-key"), "pay-secret")
        self.assertIn("x-apotheca-signature", call["headers"])
        r = self.confirm(d["order_id"], "on-2")
        self.assertStatus(r, 200)
        self.assertEqual(len(self.admin_order(d["order_id"])["payments"]), 1)

    def assertUnchanged(self, order_id):
        o = self.admin_order(order_id)
        self.assertEqual(o["status_id"], 180)
        self.assertEqual(o["payments"], [])
        return o

    def test_pending_failed_and_mismatch_leave_the_order(self):
        d = self.online("on-3")
        self.pay.set_transaction("on-3", status="PENDING", amount="199")
        r = self.confirm(d["order_id"], "on-3")
        self.assertStatus(r, 400)
        self.assertIn("pending", r.json["error"]["message"])
        self.assertUnchanged(d["order_id"])
        self.pay.set_transaction("on-3", status="FAILED", amount="199")
        r = self.confirm(d["order_id"], "on-3")
        self.assertStatus(r, 400)
        self.assertIn("failed", r.json["error"]["message"])
        self.assertUnchanged(d["order_id"])
        self.pay.set_transaction("on-3", status="SUCCESS", amount="198.99")
        r = self.confirm(d["order_id"], "on-3")
        self.assertStatus(r, 400)
        self.assertIn("198.99", r.json["error"]["message"])
        self.assertTrue(self.assertUnchanged(d["order_id"])["flagged"])

    def test_upstream_failures_are_502_and_safe_to_retry(self):
        d = self.online("on-4")
        for kwargs in ({"http_status": 500}, {"raw_body": "not json"}, {"raw_body": '{"status": "MAYBE"}'}):
            self.pay.set_transaction("on-4", **kwargs)
            r = self.confirm(d["order_id"], "on-4")
            self.assertStatus(r, 502, repr(kwargs))
            self.assertFalse(r.json["is_success"])
            self.assertUnchanged(d["order_id"])
        # unknown at the merchant (404)
        d5 = self.online("on-5")
        r = self.confirm(d5["order_id"], "on-5")
        self.assertStatus(r, 502)
        # then it works
        self.pay.set_transaction("on-4", status="SUCCESS", amount=199)
        self.assertStatus(self.confirm(d["order_id"], "on-4"), 200)

    def test_timeout_is_502_and_does_not_block_other_requests(self):
        d = self.online("on-6")
        self.pay.set_transaction("on-6", status="SUCCESS", amount="199", delay=6)
        with concurrent.futures.ThreadPoolExecutor(4) as ex:
            slow = [ex.submit(self.confirm, d["order_id"], "on-6") for _ in range(3)]
            time.sleep(0.5)
            t0 = time.time()
            fast = self.server.request("GET", "/healthz")
            self.assertStatus(fast, 200)
            self.assertLess(time.time() - t0, 3.0)  # blocked would be >= 5 s
            for f in slow:
                self.assertStatus(f.result(), 502)
        self.assertUnchanged(d["order_id"])

    def test_unreachable_payment_api_is_502(self):
        dead = MockPaymentServer()
        url = dead.url
        dead.stop()
        m = Merchant(self.server, "deadpay", key="other", payment_api={"base_url": url})
        r = self.create(body("dp-1", {"ON": 1}, 100, method="ONLINE"), merchant=m)
        self.assertStatus(r, 200)
        r = self.confirm(r.json["data"]["order_id"], "dp-1", merchant=m)
        self.assertStatus(r, 502)

    def test_unknown_cancelled_and_cod_orders(self):
        r = self.confirm("PO00000000000000", "nope")
        self.assertStatus(r, 500)
        self.assertEqual(r.json, {"is_success": False, "status_code": 500, "error": {
            "message": "Order not found", "errors": [{"message": "Order not found"}]}})
        d = self.online("on-7")
        self.assertStatus(self.cancel(d["order_id"]), 200)
        self.pay.set_transaction("on-7", status="SUCCESS", amount="199")
        r = self.confirm(d["order_id"], "on-7")
        self.assertStatus(r, 500)
        self.assertEqual(r.json["error"]["message"], "Map payment to order operation failed")
        r = self.create(body("cod-7", {"ON": 1}, 199))
        r = self.confirm(r.json["data"]["order_id"], "cod-7")
        self.assertStatus(r, 400)
        self.assertEqual(r.json["error"]["message"], "Invalid order status for this operation")

    def test_mismatched_body_is_refused(self):
        d = self.online("on-8")
        r = self.confirm(d["order_id"], "other-ref")
        self.assertStatus(r, 400)

    def test_two_confirms_at_once_make_one_transition(self):
        d = self.online("on-9")
        self.pay.set_transaction("on-9", status="SUCCESS", amount="199", delay=0.3)
        with concurrent.futures.ThreadPoolExecutor(8) as ex:
            rs = list(ex.map(lambda _: self.confirm(d["order_id"], "on-9"), range(8)))
        for r in rs:
            self.assertStatus(r, 200)
        o = self.admin_order(d["order_id"])
        self.assertEqual(len(o["payments"]), 1)
        self.assertEqual([h["to"] for h in o["status_history"]], [180, 15])


class CancelOrders(OrdersBase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sku(cls.server, "CX", price=100, stock=50)

    def test_cancel_releases_stock_and_refuses_twice(self):
        before = stock_of(self.server, "CX")["reserved"]
        r = self.create(body("cx-1", {"CX": 3}, 399))
        oid = r.json["data"]["order_id"]
        self.assertEqual(stock_of(self.server, "CX")["reserved"], before + 3)
        r = self.cancel(oid)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["order_status"],
                         {"status_id": 99, "title": "Order Cancelled", "subtitle": "As per Your Request"})
        self.assertEqual(stock_of(self.server, "CX")["reserved"], before)
        r = self.cancel(oid)
        self.assertStatus(r, 400)
        self.assertEqual(r.json, {"is_success": False, "status_code": 400, "error": {
            "message": "Invalid order status for this operation", "errors": None}})

    def test_partial_cancel_of_a_paid_order_refunds_that_part(self):
        r = self.create(body("cx-2", {"CX": 3}, 399, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        self.pay.set_transaction("cx-2", status="SUCCESS", amount="399", transaction_id="TXC2")
        self.assertStatus(self.confirm(oid, "cx-2"), 200)
        r = self.cancel(oid, skus={"CX": 1})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["order_status"]["status_id"], 15)
        self.assertEqual(r.json["data"]["refund"]["amount"], 100)
        self.assertEqual(r.json["data"]["refund"]["type"], "PARTIAL")
        self.assertEqual(r.json["data"]["refund"]["transaction_id"], "TXC2")
        r = self.cancel(oid)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["refund"]["amount"], 299)
        o = self.admin_order(oid)
        self.assertEqual(sum(f["amount"] for f in o["refunds"]), 399)
        self.assertEqual(sum(l["reserved_qty"] for l in o["lines"]), 0)

    def test_bad_partial_cancels(self):
        r = self.create(body("cx-3", {"CX": 1}, 199))
        oid = r.json["data"]["order_id"]
        for skus in ({"CX": 2}, {"CX": 0}, {"OTHER": 1}, {"CX": "1"}):
            r = self.cancel(oid, skus=skus)
            self.assertStatus(r, 400, repr(skus))
        self.assertEqual(self.admin_order(oid)["lines"][0]["cancelled_qty"], 0)

    def test_cancel_after_packing_is_refused(self):
        r = self.create(body("cx-4", {"CX": 1}, 199))
        oid = r.json["data"]["order_id"]
        for s in (120, 130):
            self.assertStatus(self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": s}), 200)
        r = self.cancel(oid)
        self.assertStatus(r, 400)
        self.assertEqual(r.json["error"]["errors"], None)


class PaymentWindow(OrdersBase):
    def test_unpaid_online_order_is_cancelled_after_the_window(self):
        sku(self.server, "PW", price=100, stock=5)
        m = Merchant(self.server, "quick", key="other", payment_api={"base_url": self.pay.url},
                     payment_window_s=1)
        r = self.create(body("pw-1", {"PW": 2}, 200, method="ONLINE"), merchant=m)
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        self.assertEqual(stock_of(self.server, "PW")["reserved"], 2)
        deadline = time.time() + 10
        while time.time() < deadline and self.admin_order(oid)["status_id"] != 99:
            time.sleep(0.2)
        o = self.admin_order(oid)
        self.assertEqual(o["status_id"], 99)
        self.assertEqual(o["subtitle"], "Payment not received")
        self.assertEqual(stock_of(self.server, "PW")["reserved"], 0)


class StateMachine(OrdersBase):
    def test_every_allowed_walk_and_refusals_change_nothing(self):
        sku(self.server, "SM", price=100, stock=100)
        walks = [[120, 130, 25, 30, 45, 30, 40, 140, 141, 142], [95, 99], [100, 110, 100, 99],
                 [110, 120, 20, 120, 99], [120, 20, 99], [120, 130, 25, 30, 45, 99]]
        for i, walk in enumerate(walks):
            r = self.create(body("sm-%d" % i, {"SM": 1}, 199))
            oid = r.json["data"]["order_id"]
            for to in walk:
                r = self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": to})
                self.assertStatus(r, 200, "walk %r at %d" % (walk, to))
            hist = [h["to"] for h in self.admin_order(oid)["status_history"]]
            self.assertEqual(hist, [15] + walk)
        r = self.create(body("sm-x", {"SM": 1}, 199))
        oid = r.json["data"]["order_id"]
        for to in (25, 30, 40, 130, 142, 180, 15, 20):
            r = self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": to})
            self.assertStatus(r, 409, "15 -> %d" % to)
        o = self.admin_order(oid)
        self.assertEqual(o["status_id"], 15)
        self.assertEqual(len(o["status_history"]), 1)
        self.assertStatus(self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": 7}), 400)
        self.assertStatus(self.server.admin("POST", "/orders/PO99999999999999/status", {"status_id": 99}), 404)

    def test_shipping_takes_stock_out_and_lists_filter(self):
        sku(self.server, "SH", price=100, stock=10)
        r = self.create(body("sh-1", {"SH": 4}, 499))
        oid = r.json["data"]["order_id"]
        for to in (120, 130):
            self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": to})
        r = self.server.admin("POST", "/orders/%s/status" % oid,
                              {"status_id": 25, "delivery_partner_name": "Delhivery",
                               "carrier_tracking_code": "DL123"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["delivery_partner_name"], "Delhivery")
        s = stock_of(self.server, "SH")
        self.assertEqual((s["on_hand"], s["reserved"]), (6, 0))
        r = self.server.admin("GET", "/orders?merchant_id=shop&status_id=25")
        self.assertStatus(r, 200)
        self.assertIn(oid, [o["order_id"] for o in r.json["orders"]])
        self.assertTrue(all(o["status_id"] == 25 for o in r.json["orders"]))
        # cursor paging visits every order once
        seen, cursor = [], None
        while True:
            q = "/orders?limit=2" + ("&cursor=" + cursor if cursor else "")
            r = self.server.admin("GET", q)
            seen += [o["order_id"] for o in r.json["orders"]]
            cursor = r.json["next_cursor"]
            if not cursor:
                break
        self.assertEqual(len(seen), len(set(seen)))
        self.assertIn(oid, seen)


class Concurrency(OrdersBase):
    def test_no_oversell_under_concurrent_creates(self):
        sku(self.server, "HOT", price=100, stock=10)
        def one(i):
            return self.create(body("hot-%d" % i, {"HOT": 1}, 199))
        with concurrent.futures.ThreadPoolExecutor(32) as ex:
            rs = list(ex.map(one, range(32)))
        ok = [r for r in rs if r.status == 200]
        self.assertEqual(len(ok), 10, [r.status for r in rs])
        for r in rs:
            if r.status != 200:
                self.assertStatus(r, 400)
        s = stock_of(self.server, "HOT")
        self.assertEqual((s["on_hand"], s["reserved"], s["available"]), (10, 10, 0))

    def test_an_order_short_on_one_line_leaves_nothing_among_good_ones(self):
        # PAIRA is plentiful, PAIRB (made second, reserved second) runs out:
        # a create refused for PAIRB, at the quote or when its reservation
        # goes with the commit, must leave no order and give PAIRA back,
        # while the concurrent good ones are all kept.
        sku(self.server, "PAIRA", price=100, stock=100)
        sku(self.server, "PAIRB", price=100, stock=5)
        def one(i):
            # PAIRB first in the request: the refusal must name the short
            # line, not the one reserved first.
            return self.create(body("pair-%d" % i, {"PAIRB": 1, "PAIRA": 1}, 299))
        with concurrent.futures.ThreadPoolExecutor(24) as ex:
            rs = list(ex.map(one, range(24)))
        ok = [i for i, r in enumerate(rs) if r.status == 200]
        self.assertEqual(len(ok), 5, [(r.status, r.json) for r in rs])
        for r in rs:
            if r.status != 200:
                self.assertStatus(r, 400)
                self.assertIn("SKU PAIRB", r.json["error"]["message"])
        self.assertEqual(stock_of(self.server, "PAIRA")["reserved"], 5)
        self.assertEqual(stock_of(self.server, "PAIRB")["reserved"], 5)
        orders = self.server.admin("GET", "/orders?merchant_id=shop&limit=500").json["orders"]
        refs = sorted(o["merchant_order_id"] for o in orders if o["merchant_order_id"].startswith("pair-"))
        self.assertEqual(refs, sorted("pair-%d" % i for i in ok))

    def test_one_order_per_merchant_order_id(self):
        sku(self.server, "DUP", price=100, stock=100)
        b = body("dup-1", {"DUP": 1}, 199)
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            rs = list(ex.map(lambda _: self.create(b), range(16)))
        ids = set()
        for r in rs:
            if r.status == 200:
                ids.add(r.json["data"]["order_id"])
            else:
                self.assertStatus(r, 400)
                self.assertEqual(r.json["error"]["message"], "create_merchant_order : Could not acquire lock")
        self.assertEqual(len(ids), 1)
        self.assertEqual(stock_of(self.server, "DUP")["reserved"], 1)


def metric(server, series):
    """The value of one series in a scrape of GET /metrics (None: absent)."""
    r = server.request("GET", "/metrics")
    m = re.search(r"^%s (\S+)$" % re.escape(series), r.body, re.M)
    return float(m.group(1)) if m else None


BATCHES = 'apotheca_order_create_batches_total{outcome="%s"}'


class CreatesInBatches(OrdersBase):
    """Creates that arrive together share one transaction on PostgreSQL
    (docs/ARCHITECTURE.md, "Creates in batches"); a batch that meets any
    refusal rolls back and each of its creates runs alone. Whatever a batch
    held, every create gets the answer it would have got alone."""

    def test_mixed_creates_in_flight_get_the_answers_they_would_get_alone(self):
        sku(self.server, "BAT", price=100, stock=1000)
        sku(self.server, "BSHORT", price=100, stock=3)
        r = self.server.admin("PUT", "/coupons/BAT2", {"kind": "flat", "value": 50, "usage_limit": 2})
        self.assertStatus(r, 201)
        r = self.server.request("POST", "/api/v4/merchants/shop/inventory/check", headers=self.m.headers(),
                                body={"skus": {"BAT": 1}, "pincode": "560103", "coupon_code": "BAT2"})
        self.assertStatus(r, 200)
        with_coupon = r.json["data"]["payable_amount"]
        self.assertLess(with_coupon, 199)
        first = self.create(body("bat-dup", {"BAT": 1}, 199))
        self.assertStatus(first, 200)
        answers = []  # (kind, ref, answer)
        # Batches form only when creates meet in flight: rounds go on (a few
        # at most) until both a committed and a rolled-back batch were seen.
        for rnd in range(10):
            jobs = []
            for i in range(40):
                ref = "bat-%d-%d" % (rnd, i)
                kind = {0: "short", 1: "coupon", 2: "dup", 5: "dup", 8: "dup",
                        3: "online", 4: "online"}.get(i % 10, "plain")
                b = {"short": lambda: body(ref, {"BSHORT": 1}, 199),
                     "coupon": lambda: body(ref, {"BAT": 1}, with_coupon, coupon_code="BAT2"),
                     "dup": lambda: body("bat-dup", {"BAT": 1}, 199),
                     "online": lambda: body(ref, {"BAT": 1}, 199, method="ONLINE"),
                     "plain": lambda: body(ref, {"BAT": 1}, 199)}[kind]()
                jobs.append((kind, b["merchant_order_id"], b))
            # Processes, not threads: one Python process cannot keep
            # enough creates in flight at once.
            with concurrent.futures.ProcessPoolExecutor(16) as ex:
                rs = list(ex.map(harness.request, [self.server.port] * len(jobs), ["POST"] * len(jobs),
                                 ["/api/v4/merchants/shop/orders"] * len(jobs), [j[2] for j in jobs],
                                 [self.m.headers()] * len(jobs)))
            answers += [(k, ref, r) for (k, ref, _), r in zip(jobs, rs)]
            if harness.BACKEND != "postgres" or (metric(self.server, BATCHES % "committed") >= 1 and
                                                 metric(self.server, BATCHES % "rolled_back") >= 1):
                break
        placed = {"bat-dup"}
        payment_ids = []
        ok = {"short": 0, "coupon": 0}
        for kind, ref, r in answers:
            if kind in ("plain", "online"):
                self.assertStatus(r, 200)
                placed.add(ref)
                if kind == "online":
                    payment_ids.append(r.json["data"]["payment_id"])
            elif kind == "dup":
                self.assertStatus(r, 200)
                self.assertEqual(r.json["data"]["order_id"], first.json["data"]["order_id"])
            elif r.status == 200:
                ok[kind] += 1
                placed.add(ref)
            else:
                self.assertStatus(r, 400)
                self.assertIn("BSHORT" if kind == "short" else "BAT2", r.json["error"]["message"])
        self.assertEqual(ok, {"short": 3, "coupon": 2})
        self.assertEqual(len(payment_ids), len(set(payment_ids)))
        self.assertEqual(self.server.admin("GET", "/coupons/BAT2").json["used_count"], 2)
        self.assertEqual(stock_of(self.server, "BSHORT")["reserved"], 3)
        orders = self.server.admin("GET", "/orders?merchant_id=shop&limit=500").json["orders"]
        refs = {o["merchant_order_id"] for o in orders if o["merchant_order_id"].startswith("bat-")}
        self.assertEqual(refs, placed)
        self.assertEqual(stock_of(self.server, "BAT")["reserved"], len(placed) - ok["short"])
        committed = metric(self.server, BATCHES % "committed")
        batched = metric(self.server, "apotheca_order_creates_batched_total")
        if harness.BACKEND == "postgres":
            self.assertGreaterEqual(committed, 1)
            self.assertGreaterEqual(metric(self.server, BATCHES % "rolled_back"), 1)
            self.assertGreaterEqual(batched, 2 * committed)
        else:
            # SQLite's group commit shares the commits instead.
            self.assertEqual((committed, batched), (0, 0))


class TakenIds(OrdersBase):
    """A pharmacy create whose order id another order holds (another process,
    or an order a turn of the clock ago: core/ids.h) draws new ids; its answer,
    and the answer to its retry, name the id it got."""

    def test_a_create_whose_order_id_is_taken_gets_the_next(self):
        sku(self.server, "IDS-P", stock=5)
        r = self.create(body("ids-p-first", {"IDS-P": 1}, "249.00"))
        self.assertStatus(r, 200)
        made = r.json["data"]["order_id"]
        taken, following = hold_next_order_ids(self.server, made)
        second = body("ids-p-second", {"IDS-P": 1}, "249.00")
        r = self.create(second)
        self.assertStatus(r, 200)
        got = r.json["data"]["order_id"]
        self.assertNotIn(got, taken)
        self.assertEqual(int(got[7:]), (following + 1) % 10 ** 9, got)
        again = self.create(second)
        self.assertStatus(again, 200)
        self.assertEqual(again.json["data"]["order_id"], got)
        self.assertEqual(self.admin_order(got)["merchant_order_id"], "ids-p-second")
        self.assertEqual(stock_of(self.server, "IDS-P")["reserved"], 2)


class CrashSafety(unittest.TestCase):
    def test_kill_9_mid_burst_keeps_exactly_the_acknowledged_orders(self):
        server = Server().start()
        try:
            m = Merchant(server, "crash")
            sku(server, "K9", price=10, stock=1000)
            results = {}
            acked = threading.Semaphore(0)

            def one(i):
                try:
                    r = server.request("POST", "/api/v4/merchants/crash/orders",
                                       body=body("k9-%d" % i, {"K9": 1}, 10), headers=m.headers(), timeout=10)
                    results[i] = r
                    if r.status == 200:
                        acked.release()
                except OSError:
                    results[i] = None
            with concurrent.futures.ThreadPoolExecutor(8) as ex:
                futs = [ex.submit(one, i) for i in range(400)]
                # Kill once some orders are acknowledged (a slow machine may need
                # longer than any fixed pause), while most of the burst is still
                # to come.
                for _ in range(20):
                    self.assertTrue(acked.acquire(timeout=30), "no order acknowledged within 30 s")
                server.kill9()
                for f in futs:
                    f.result()
            server.start()
            acked = [i for i, r in results.items() if r is not None and r.status == 200]
            self.assertGreater(len(acked), 0)
            orders = server.admin("GET", "/orders?merchant_id=crash&limit=500").json["orders"]
            refs = {o["merchant_order_id"] for o in orders}
            for i in acked:
                self.assertIn("k9-%d" % i, refs)
            reserved = stock_of(server, "K9")["reserved"]
            self.assertEqual(reserved, len(orders))
            self.assertLessEqual(len(acked), len(orders))
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()


@unittest.skipUnless(__import__("harness").BACKEND == "postgres", "several processes share PostgreSQL only")
class TwoProcesses(unittest.TestCase):
    """The guarantees hold across apotheca processes sharing one PostgreSQL."""

    @classmethod
    def setUpClass(cls):
        cls.a = Server().start()
        cls.b = Server(db=cls.a.db).start()
        cls.m = Merchant(cls.a, "multi")

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        cls.a.stop()

    def create(self, i, b):
        server = self.a if i % 2 == 0 else self.b
        return server.request("POST", "/api/v4/merchants/multi/orders", body=b, headers=self.m.headers())

    def test_no_oversell_across_processes(self):
        sku(self.a, "MP", price=100, stock=10)
        with concurrent.futures.ThreadPoolExecutor(32) as ex:
            rs = list(ex.map(lambda i: self.create(i, body("mp-%d" % i, {"MP": 1}, 100)), range(32)))
        self.assertEqual(sum(1 for r in rs if r.status == 200), 10, [r.status for r in rs])
        self.assertTrue(all(r.status in (200, 400) for r in rs))
        s = stock_of(self.b, "MP")
        self.assertEqual((s["on_hand"], s["reserved"], s["available"]), (10, 10, 0))
        orders = self.a.admin("GET", "/orders?merchant_id=multi&limit=500").json["orders"]
        self.assertEqual(len([o for o in orders if o["merchant_order_id"].startswith("mp-")]), 10)

    def test_one_order_per_merchant_order_id_across_processes(self):
        sku(self.a, "MD", price=100, stock=100)
        b = body("md-1", {"MD": 1}, 100)
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            rs = list(ex.map(lambda i: self.create(i, b), range(16)))
        ids = {r.json["data"]["order_id"] for r in rs if r.status == 200}
        self.assertEqual(len(ids), 1)
        for r in rs:
            if r.status != 200:
                self.assertEqual(r.json["error"]["message"], "create_merchant_order : Could not acquire lock")
        self.assertEqual(stock_of(self.a, "MD")["reserved"], 1)
