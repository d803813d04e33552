"""The order service's invariants (issue 11), outside in: one prescription
rule for COD and ONLINE, a money ledger that stays balanced through partial
cancels before payment and payments captured for cancelled orders, and a
money parser that refuses every negative sign. After each money step the
admin ledger and track's payment_summary are checked against each other."""

import concurrent.futures
import time
import unittest

from harness import ServerTest, Merchant
from mocks import MockPaymentServer
from test_orders import body, sku, stock_of

RX_URL = "https://rx.example.com/p.pdf"
MAP_FAILED = "Map payment to order operation failed"


class InvariantsBase(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        cls.m = Merchant(cls.server, "inv", payment_api={"base_url": cls.pay.url, "auth_header": "X-Pay-Key",
                                                        "auth_value": "k"},
                         webhook={"signing_secret": "whsec-inv"},
                         charges=[{"type": "handling_fee", "display_text": "Handling", "amount": 99}])
        cls.server.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})
        # 157 a unit: two units and the handling fee are the 413.00.
        sku(cls.server, "INV", price=157, mrp=200, stock=1000)
        sku(cls.server, "INVRX", price=157, mrp=200, stock=1000, rx=True)

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        super().tearDownClass()

    def create(self, b):
        return self.server.request("POST", "/api/v4/merchants/inv/orders", body=b, headers=self.m.headers())

    def confirm(self, oid, ref):
        return self.server.request("PUT", "/api/v4/merchants/inv/orders/%s/confirm" % oid,
                                   body={"order_id": oid, "merchant_order_id": ref}, headers=self.m.headers())

    def cancel(self, oid, **extra):
        b = {"order_id": oid, "reason": "customer asked", "agent_id": "a", "merchant": "inv"}
        b.update(extra)
        return self.server.request("POST", "/api/v4/inv/order/cancel", body=b, headers=self.m.headers())

    def order(self, oid):
        r = self.server.admin("GET", "/orders/" + oid)
        self.assertStatus(r, 200)
        return r.json

    def summary(self, ref):
        r = self.server.request("GET", "/api/v4/merchants/%s/orders/%s/track" % (self.m.name, ref),
                                headers=self.m.headers())
        self.assertStatus(r, 200)
        return r.json["data"]["result"]["grouped_orders"][0]["payment_summary"]

    def refunds_for(self, oid):
        return [r["json"] for r in self.pay.refunds if isinstance(r["json"], dict) and r["json"].get("order_id") == oid]

    def assertBalanced(self, oid, ref):
        """collected − refunded (queued or done) = what the order holds, and
        track's payment_summary tells the same numbers."""
        o = self.order(oid)
        led = o["ledger"]
        collected = sum(p["amount"] for p in o["payments"] if p["status"] == "SUCCESS")
        initiated = sum(f["amount"] for f in o["refunds"])
        self.assertEqual(led["collected"], collected)
        self.assertEqual(led["refund_initiated"], initiated)
        held = 0 if o["status_id"] == 99 else round(
            sum((l["qty"] - l["cancelled_qty"]) * l["discounted_price"] for l in o["lines"])
            + sum(c["amount"] for c in o["charges"]), 2)
        self.assertEqual(led["value"], held)
        if collected:
            self.assertEqual(round(collected - initiated, 2), held, o)
        s = self.summary(ref)
        self.assertEqual(s["online_collected"], led["collected"])
        self.assertEqual(s["online_refund_initiated"], led["refund_initiated"])
        # Refunds complete in the background: the two views agree once
        # they read the same moment, which a few reads reach.
        for _ in range(100):
            if s["total_refunded_amount"] == led["refunded"]:
                break
            led = self.order(oid)["ledger"]
            s = self.summary(ref)
            self.pay.wait_for(lambda: False, timeout=0.05)
        self.assertEqual(s["total_refunded_amount"], led["refunded"])
        self.assertEqual(s["total_refund_due"], led["refund_pending"])
        return o


class Prescriptions(InvariantsBase):
    """Case 1 and 2: an empty list is no prescription; ONLINE follows COD's rule."""

    def test_cod_without_a_prescription_url_waits_in_100(self):
        for i, rx in enumerate(([], None, "absent")):
            extra = {} if rx == "absent" else {"prescriptions": rx}
            r = self.create(body("rx-cod-%d" % i, {"INVRX": 1}, 256, **extra))
            self.assertStatus(r, 200)
            self.assertEqual(self.order(r.json["data"]["order_id"])["status_id"], 100, repr(rx))

    def test_cod_with_a_prescription_url_is_placed(self):
        r = self.create(body("rx-cod-url", {"INVRX": 1}, 256, prescriptions=[RX_URL]))
        self.assertStatus(r, 200)
        self.assertEqual(self.order(r.json["data"]["order_id"])["status_id"], 15)

    def test_online_with_a_prescription_url_is_placed_at_confirm(self):
        r = self.create(body("rx-on-url", {"INVRX": 1}, 256, method="ONLINE", prescriptions=[RX_URL]))
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        self.pay.set_transaction("rx-on-url", status="SUCCESS", amount="256.00", transaction_id="T-rx-on")
        self.assertStatus(self.confirm(oid, "rx-on-url"), 200)
        self.assertEqual(self.order(oid)["status_id"], 15)
        # Operators can move it on, as they can a COD one.
        r = self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": 120})
        self.assertStatus(r, 200)

    def test_online_without_a_prescription_url_waits_in_100_after_confirm(self):
        r = self.create(body("rx-on-none", {"INVRX": 1}, 256, method="ONLINE", prescriptions=[]))
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        self.pay.set_transaction("rx-on-none", status="SUCCESS", amount="256", transaction_id="T-rx-none")
        self.assertStatus(self.confirm(oid, "rx-on-none"), 200)
        self.assertEqual(self.order(oid)["status_id"], 100)
        r = self.server.request("POST", "/api/v4/merchants/inv/orders/%s/prescriptions" % oid,
                                body={"prescriptions": [RX_URL]}, headers=self.m.headers())
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["status_id"], 110)
        r = self.server.admin("POST", "/orders/%s/prescriptions/verify" % oid, {"approved": True})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["status_id"], 120)


class PartialCancelBeforePayment(InvariantsBase):
    """Case 3: a partial cancel in 180 lowers what is due; paying the old
    amount confirms and refunds the difference at once, once."""

    def test_paying_the_old_amount_refunds_the_cancelled_unit(self):
        r = self.create(body("pc-1", {"INV": 2}, "413.00", method="ONLINE"))
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        before = stock_of(self.server, "INV")["reserved"]
        r = self.cancel(oid, skus={"INV": 1})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["order_status"]["status_id"], 180)
        self.assertIsNone(r.json["data"]["refund"])
        self.assertEqual(stock_of(self.server, "INV")["reserved"], before - 1)
        self.assertEqual(self.order(oid)["payable"], 256)
        self.assertEqual(self.summary("pc-1")["amount_payable"], 256)

        self.pay.set_transaction("pc-1", status="SUCCESS", amount="413.00", transaction_id="T-pc-1")
        r = self.confirm(oid, "pc-1")
        self.assertStatus(r, 200)
        o = self.assertBalanced(oid, "pc-1")
        self.assertEqual(o["status_id"], 15)
        self.assertEqual([p["amount"] for p in o["payments"]], [413])
        self.assertEqual([(f["amount"], f["type"]) for f in o["refunds"]], [(157, "PARTIAL")])
        # A retried confirm changes nothing and queues no second refund.
        self.assertStatus(self.confirm(oid, "pc-1"), 200)
        self.assertEqual(len(self.order(oid)["refunds"]), 1)
        self.pay.wait_for(lambda: len(self.refunds_for(oid)) >= 1, timeout=20)
        sent = self.refunds_for(oid)
        self.assertEqual({f["refund_id"] for f in sent}, {o["refunds"][0]["refund_id"]})
        self.assertEqual(float(sent[0]["amount"]), 157.0)
        self.assertEqual(sent[0]["transaction_id"], "T-pc-1")
        self.assertBalanced(oid, "pc-1")

    def test_paying_the_lowered_amount_confirms_without_refund(self):
        r = self.create(body("pc-2", {"INV": 2}, 413, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        self.assertStatus(self.cancel(oid, skus={"INV": 1}), 200)
        self.pay.set_transaction("pc-2", status="SUCCESS", amount=256, transaction_id="T-pc-2")
        self.assertStatus(self.confirm(oid, "pc-2"), 200)
        o = self.assertBalanced(oid, "pc-2")
        self.assertEqual(o["refunds"], [])

    def test_another_amount_is_still_a_mismatch(self):
        r = self.create(body("pc-3", {"INV": 2}, 413, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        self.assertStatus(self.cancel(oid, skus={"INV": 1}), 200)
        self.pay.set_transaction("pc-3", status="SUCCESS", amount=300, transaction_id="T-pc-3")
        r = self.confirm(oid, "pc-3")
        self.assertStatus(r, 400)
        self.assertIn("256.00", r.json["error"]["message"])
        o = self.order(oid)
        self.assertEqual((o["status_id"], o["payments"]), (180, []))

    def test_paid_cancels_keep_the_ledger_balanced(self):
        r = self.create(body("pc-4", {"INV": 3}, 570, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        self.pay.set_transaction("pc-4", status="SUCCESS", amount=570, transaction_id="T-pc-4")
        self.assertStatus(self.confirm(oid, "pc-4"), 200)
        self.assertBalanced(oid, "pc-4")
        self.assertStatus(self.cancel(oid, skus={"INV": 1}), 200)
        self.assertBalanced(oid, "pc-4")
        self.assertStatus(self.cancel(oid), 200)
        o = self.assertBalanced(oid, "pc-4")
        self.assertEqual(sum(f["amount"] for f in o["refunds"]), 570)


class PaymentAfterCancel(InvariantsBase):
    """Case 4: a payment captured for an order cancelled or expired first is
    recorded and refunded in full; the answer stays the seed's 500."""

    def assertRefundedInFull(self, oid, ref, amount, txn):
        o = self.assertBalanced(oid, ref)
        self.assertEqual(o["status_id"], 99)
        self.assertEqual([(p["transaction_id"], p["amount"]) for p in o["payments"]], [(txn, amount)])
        self.assertEqual([(f["amount"], f["type"], f["transaction_id"]) for f in o["refunds"]],
                         [(amount, "FULL", txn)])
        self.pay.wait_for(lambda: len(self.refunds_for(oid)) >= 1, timeout=20)
        self.assertEqual(float(self.refunds_for(oid)[0]["amount"]), float(amount))

    def test_cancelled_before_the_confirm(self):
        r = self.create(body("pa-1", {"INV": 1}, 256, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        self.assertStatus(self.cancel(oid), 200)
        self.pay.set_transaction("pa-1", status="SUCCESS", amount=256, transaction_id="T-pa-1")
        for _ in range(2):  # a retry records and refunds nothing twice
            r = self.confirm(oid, "pa-1")
            self.assertStatus(r, 500)
            self.assertEqual(r.json["error"]["message"], MAP_FAILED)
        self.assertRefundedInFull(oid, "pa-1", 256, "T-pa-1")

    def test_cancel_wins_while_the_payment_api_answers(self):
        r = self.create(body("pa-2", {"INV": 2}, 413, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        self.pay.set_transaction("pa-2", status="SUCCESS", amount="413.00", transaction_id="T-pa-2", delay=1.5)
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            pending = ex.submit(self.confirm, oid, "pa-2")
            self.pay.wait_for(lambda: any(c["path"].endswith("/pa-2") for c in self.pay.transaction_calls),
                              timeout=10)
            self.assertStatus(self.cancel(oid), 200)
            r = pending.result(timeout=20)
        self.assertStatus(r, 500)
        self.assertEqual(r.json["error"]["message"], MAP_FAILED)
        self.assertRefundedInFull(oid, "pa-2", 413, "T-pa-2")

    def test_a_failed_payment_on_a_cancelled_order_records_nothing(self):
        r = self.create(body("pa-3", {"INV": 1}, 256, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        self.assertStatus(self.cancel(oid), 200)
        self.pay.set_transaction("pa-3", status="FAILED", amount=256, transaction_id="T-pa-3")
        r = self.confirm(oid, "pa-3")
        self.assertStatus(r, 500)
        self.assertEqual(r.json["error"]["message"], MAP_FAILED)
        o = self.order(oid)
        self.assertEqual((o["payments"], o["refunds"]), ([], []))


class ExpiredThenPaid(InvariantsBase):
    def test_payment_after_the_window_is_refunded(self):
        m = Merchant(self.server, "invq", key="other", payment_api={"base_url": self.pay.url},
                     payment_window_s=1)
        r = self.server.request("POST", "/api/v4/merchants/invq/orders",
                                body=body("ex-1", {"INV": 1}, 157, method="ONLINE"), headers=m.headers())
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        deadline = time.time() + 10
        while time.time() < deadline and self.order(oid)["status_id"] != 99:
            time.sleep(0.1)
        self.assertEqual(self.order(oid)["subtitle"], "Payment not received")
        self.pay.set_transaction("ex-1", status="SUCCESS", amount=157, transaction_id="T-ex-1")
        r = self.server.request("PUT", "/api/v4/merchants/invq/orders/%s/confirm" % oid,
                                body={"order_id": oid, "merchant_order_id": "ex-1"}, headers=m.headers())
        self.assertStatus(r, 500)
        self.assertEqual(r.json["error"]["message"], MAP_FAILED)
        o = self.order(oid)
        self.assertEqual(o["ledger"]["collected"], 157)
        self.assertEqual(o["ledger"]["refund_initiated"], 157)
        self.assertEqual([f["type"] for f in o["refunds"]], ["FULL"])


class NegativeAmounts(InvariantsBase):
    """Case 5: any negative sign in an amount is a 400 saying it is invalid."""

    def test_admin_price_with_a_sign(self):
        for price in ("-0.50", "256.-0", "-0.01", -0.5, "-0"):
            r = self.server.admin("PUT", "/skus/NEG", {"name": "Neg", "mrp": 10, "price": price,
                                                       "prescription_required": False, "stock": 1})
            self.assertStatus(r, 400, repr(price))
            self.assertIn("invalid", r.json["error"]["message"], repr(price))
        self.assertStatus(self.server.admin("GET", "/skus/NEG"), 404)

    def test_payable_with_a_sign(self):
        for amount in ("256.-0", "-0.01", "-256", -0.01):
            r = self.create(body("neg-%s" % amount, {"INV": 1}, amount))
            self.assertStatus(r, 400, repr(amount))
            msg = r.json["error"]["message"]
            self.assertIn("invalid", msg, repr(amount))
            self.assertNotIn("does not match", msg)

    def test_coupon_and_charge_amounts_with_a_sign(self):
        r = self.server.admin("PUT", "/coupons/NEGFLAT", {"kind": "flat", "value": "-0.50"})
        self.assertStatus(r, 400)
        self.assertIn("invalid", r.json["error"]["message"])
        r = self.server.admin("PUT", "/coupons/NEGCAP", {"kind": "percent", "value": 10,
                                                         "max_discount": "256.-0"})
        self.assertStatus(r, 400)
        self.assertIn("invalid", r.json["error"]["message"])
        r = self.server.admin("PATCH", "/merchants/inv", {"charges": [
            {"type": "handling_fee", "display_text": "Handling", "amount": "-0.01"}]})
        self.assertStatus(r, 400)
        self.assertIn("invalid", r.json["error"]["message"])

    def test_logistics_unit_price_with_a_sign(self):
        from test_logistics import order_body
        r = self.server.request("POST", "/2015-01-01/orders/_create",
                                body=order_body([{"merchants_id": "L1", "qty": 1, "unit_price": "-0.50"}]),
                                headers=self.m.basic())
        self.assertStatus(r, 400)
        self.assertEqual(r.json["code"], "product.unit_price.invalid")

    def test_csv_import_with_a_sign(self):
        csv = ("sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock\n"
               "NEGCSV,Neg,10,-0.50,strip,otc,false,1\n")
        r = self.server.admin("POST", "/skus/import", raw=csv, headers={"Content-Type": "text/csv"})
        self.assertStatus(r, 400)
        self.assertIn("line 2", r.json["error"]["message"])


if __name__ == "__main__":
    unittest.main()
