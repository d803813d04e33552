"""Idempotency-Key (SPEC §1): replays, reuse with another body, in-flight
duplicates, failures not stored, scope per merchant and route."""

import concurrent.futures
import unittest

from harness import ServerTest, Merchant
from mocks import MockPaymentServer
from test_orders import body, sku


class Idempotency(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        cls.m = Merchant(cls.server, "idem", payment_api={"base_url": cls.pay.url})
        cls.other = Merchant(cls.server, "idem2", key="other")
        sku(cls.server, "ID1", price=100, stock=100)

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        super().tearDownClass()

    def create(self, b, key, m=None):
        m = m or self.m
        h = m.headers()
        h["Idempotency-Key"] = key
        return self.server.request("POST", "/api/v4/merchants/%s/orders" % m.id, body=b, headers=h)

    def test_replay_returns_the_stored_answer(self):
        before = self.server.admin("GET", "/skus/ID1").json["reserved"]
        r1 = self.create(body("idem-1", {"ID1": 1}, 100), "k-1")
        self.assertStatus(r1, 200)
        self.assertIsNone(r1.header("Idempotent-Replayed"))
        r2 = self.create(body("idem-1", {"ID1": 1}, 100), "k-1")
        self.assertStatus(r2, 200)
        self.assertEqual(r2.header("Idempotent-Replayed"), "true")
        self.assertEqual(r1.body, r2.body)
        self.assertEqual(self.server.admin("GET", "/skus/ID1").json["reserved"], before + 1)

    def test_same_key_other_body_is_422(self):
        self.assertStatus(self.create(body("idem-2", {"ID1": 1}, 100), "k-2"), 200)
        r = self.create(body("idem-2b", {"ID1": 1}, 100), "k-2")
        self.assertStatus(r, 422)
        self.assertFalse(r.json["is_success"])

    def test_validation_failures_are_not_stored(self):
        r = self.create(body("idem-3", {"ID1": 1}, 999), "k-3")
        self.assertStatus(r, 400)
        self.assertIsNone(r.header("Idempotent-Replayed"))
        # the refusal was not stored: the corrected request runs under the same key
        r = self.create(body("idem-3", {"ID1": 1}, 100), "k-3")
        self.assertStatus(r, 200)
        self.assertIsNone(r.header("Idempotent-Replayed"))
        r = self.create(body("idem-3", {"ID1": 1}, 100), "k-3")
        self.assertEqual(r.header("Idempotent-Replayed"), "true")

    def test_scope_is_per_merchant(self):
        self.assertStatus(self.create(body("idem-4", {"ID1": 1}, 100), "shared-key"), 200)
        r = self.create(body("idem-4", {"ID1": 1}, 100), "shared-key", m=self.other)
        self.assertStatus(r, 200)
        self.assertIsNone(r.header("Idempotent-Replayed"))

    def test_in_flight_duplicate_is_409_with_retry_after(self):
        r = self.create(body("idem-5", {"ID1": 1}, 100, method="ONLINE"), "k-5c")
        oid = r.json["data"]["order_id"]
        self.pay.set_transaction("idem-5", status="SUCCESS", amount=100, delay=1.5)
        h = self.m.headers()
        h["Idempotency-Key"] = "confirm-5"

        def confirm():
            return self.server.request("PUT", "/api/v4/merchants/idem/orders/%s/confirm" % oid,
                                       body={"order_id": oid, "merchant_order_id": "idem-5"}, headers=h)
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            first = ex.submit(confirm)
            import time
            time.sleep(0.5)
            second = confirm()
            self.assertStatus(second, 409)
            self.assertEqual(second.header("Retry-After"), "1")
            self.assertStatus(first.result(), 200)
        third = confirm()
        self.assertStatus(third, 200)
        self.assertEqual(third.header("Idempotent-Replayed"), "true")

    def test_bad_key_and_get_requests(self):
        h = self.m.headers()
        h["Idempotency-Key"] = "x" * 256
        r = self.server.request("POST", "/api/v4/merchants/idem/orders", body=body("i6", {"ID1": 1}, 100), headers=h)
        self.assertStatus(r, 400)
        r = self.server.admin("GET", "/skus/ID1", headers={"Idempotency-Key": "whatever"})
        self.assertStatus(r, 200)

    def test_admin_and_logistics_scopes(self):
        b = {"name": "Idem", "mrp": 10, "price": 10, "stock": 1}
        r1 = self.server.admin("PUT", "/skus/IDA", b, headers={"Idempotency-Key": "a-1"})
        r2 = self.server.admin("PUT", "/skus/IDA", b, headers={"Idempotency-Key": "a-1"})
        self.assertStatus(r1, 201)
        self.assertStatus(r2, 201)
        self.assertEqual(r2.header("Idempotent-Replayed"), "true")


if __name__ == "__main__":
    unittest.main()
