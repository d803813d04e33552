"""Refunds (SPEC §2.4, §4.2): cancelling a paid ONLINE order sends the
merchant's payment API one refund, retried with the same refund_id until it
succeeds, surviving a restart of apotheca."""

import unittest

from harness import ServerTest, Merchant
from mocks import MockPaymentServer, verify_signature
from test_orders import body, sku

SECRET = "whsec-refunds"


class Refunds(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        cls.m = Merchant(cls.server, "rf", payment_api={"base_url": cls.pay.url, "auth_header": "X-Pay-Key",
                                                       "auth_value": "k1"},
                         webhook={"signing_secret": SECRET})
        sku(cls.server, "RF", price=100, stock=100)

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        super().tearDownClass()

    def paid_order(self, ref, qty=2):
        r = self.server.request("POST", "/api/v4/merchants/rf/orders",
                                body=body(ref, {"RF": qty}, 100 * qty, method="ONLINE"), headers=self.m.headers())
        self.assertStatus(r, 200)
        oid = r.json["data"]["order_id"]
        self.pay.set_transaction(ref, status="SUCCESS", amount=100 * qty, transaction_id="T-" + ref)
        r = self.server.request("PUT", "/api/v4/merchants/rf/orders/%s/confirm" % oid,
                                body={"order_id": oid, "merchant_order_id": ref}, headers=self.m.headers())
        self.assertStatus(r, 200)
        return oid

    def cancel(self, oid, **extra):
        b = {"order_id": oid, "reason": "changed mind", "agent_id": "a", "merchant": "rf"}
        b.update(extra)
        return self.server.request("POST", "/api/v4/rf/order/cancel", body=b, headers=self.m.headers())

    def refunds_for(self, oid):
        return [r for r in self.pay.refunds if isinstance(r["json"], dict) and r["json"].get("order_id") == oid]

    def wait_refund_done(self, oid):
        for _ in range(200):
            o = self.server.admin("GET", "/orders/" + oid).json
            if o["refunds"] and all(f["state"] == "done" for f in o["refunds"]):
                return o
            self.pay.wait_for(lambda: False, timeout=0.05)
        self.fail("refund of %s never completed: %r" % (oid, o["refunds"]))

    def test_refund_retried_with_one_id_until_success(self):
        oid = self.paid_order("rf-1")
        self.pay.set_refund_behaviour(fail_times=2)
        self.assertStatus(self.cancel(oid), 200)
        self.pay.wait_for(lambda: len(self.refunds_for(oid)) >= 3, timeout=20)
        calls = self.refunds_for(oid)
        self.assertEqual(len({c["json"]["refund_id"] for c in calls}), 1)
        first = calls[0]
        self.assertEqual(first["json"]["transaction_id"], "T-rf-1")
        self.assertEqual(first["json"]["type"], "FULL")
        self.assertEqual(first["json"]["reason"], "changed mind")
        self.assertEqual(float(first["json"]["amount"]), 200.0)
        self.assertEqual(first["headers"].get("x-pay-key"), "k1")
        self.assertTrue(verify_signature(first["headers"], first["raw"], SECRET))
        o = self.wait_refund_done(oid)
        self.assertEqual(o["refunds"][0]["amount"], 200)
        self.assertEqual(len(self.refunds_for(oid)), 3)

    def test_partial_refund(self):
        self.pay.set_refund_behaviour(fail_times=0)
        oid = self.paid_order("rf-2", qty=3)
        r = self.cancel(oid, skus={"RF": 1})
        self.assertStatus(r, 200)
        self.pay.wait_for(lambda: len(self.refunds_for(oid)) >= 1, timeout=20)
        call = self.refunds_for(oid)[0]["json"]
        self.assertEqual(call["type"], "PARTIAL")
        self.assertEqual(float(call["amount"]), 100.0)
        self.wait_refund_done(oid)

    def test_unpaid_cancel_sends_no_refund(self):
        r = self.server.request("POST", "/api/v4/merchants/rf/orders",
                                body=body("rf-3", {"RF": 1}, 100, method="ONLINE"), headers=self.m.headers())
        oid = r.json["data"]["order_id"]
        r = self.cancel(oid)
        self.assertStatus(r, 200)
        self.assertIsNone(r.json["data"]["refund"])
        self.assertEqual(self.server.admin("GET", "/orders/" + oid).json["refunds"], [])

    def test_pending_refund_survives_restart(self):
        oid = self.paid_order("rf-4")
        self.pay.set_refund_behaviour(fail_times=10 ** 6)
        self.assertStatus(self.cancel(oid), 200)
        self.pay.wait_for(lambda: len(self.refunds_for(oid)) >= 2, timeout=20)
        self.server.stop()
        self.pay.set_refund_behaviour(fail_times=0)
        self.server.start()
        self.wait_refund_done(oid)
        self.assertEqual(len({c["json"]["refund_id"] for c in self.refunds_for(oid)}), 1)


if __name__ == "__main__":
    unittest.main()
