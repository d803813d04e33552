"""Idempotency-Key (SPEC §1): replays, reuse with another body, in-flight
duplicates, failures not stored, scope per merchant and route."""

import concurrent.futures
import time
import unittest
import urllib.parse

import harness
from harness import ServerTest, Merchant, Server
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


@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL's planner only")
class PurgeOverManyKeys(unittest.TestCase):
    """The sweeper forgets answers older than two days, every
    APOTHECA_SWEEP_MS in every process. With 20,000 keys on record it must
    find the few expired ones by index, not read them all: PostgreSQL's
    count of sequential scans of idempotency_keys, read once the server's
    connections have closed, does not move while the purge runs.
    (SQLite's side: tests/unit/test_repo_idem.c.)"""

    def psql(self, sql):
        return harness.psql(sql, self.dbname)

    def scans(self):
        return [int(v) for v in self.psql("SELECT seq_scan || ' ' || n_tup_del "
                                          "FROM pg_stat_user_tables "
                                          "WHERE relname = 'idempotency_keys'").split()]

    def wait(self, predicate, timeout=30):
        deadline = time.time() + timeout
        while not predicate():
            self.assertLess(time.time(), deadline, "timed out")
            time.sleep(0.05)

    def stop(self, server):
        server.stop()
        self.wait(lambda: harness.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'"
                                       % self.dbname) == "0")

    def test_the_purge_reads_only_the_expired_keys(self):
        server = Server().start()
        self.dbname = urllib.parse.urlparse(server.db).path.lstrip("/")
        try:
            self.stop(server)
            now = int(time.time())
            self.psql("INSERT INTO idempotency_keys (merchant_id, method, route, idem_key, "
                      "request_hash, state, status, body, created) "
                      "SELECT 'm1', 'POST', '/orders', 'key-' || i, 'h', 'done', 200, '{}', "
                      "CASE WHEN i <= 50 THEN %d - i ELSE %d - i %% 3600 END "
                      "FROM generate_series(1, 20000) AS i" % (now - 3 * 86400, now))
            self.psql("ANALYZE idempotency_keys")
            seq_before, deleted_before = self.scans()
            server.start()
            # One statement forgets them all; a key read by its primary key
            # (no scan of the table) says when it has run.
            self.wait(lambda: self.psql("SELECT count(*) FROM idempotency_keys WHERE merchant_id = 'm1' "
                                        "AND method = 'POST' AND route = '/orders' "
                                        "AND idem_key = 'key-1'") == "0")
            self.stop(server)
            seq_after, deleted_after = self.scans()
            # Only the server deletes: its counts have been reported.
            self.assertEqual(deleted_after - deleted_before, 50)
            self.assertEqual(seq_after, seq_before)
            self.assertEqual(self.psql("SELECT count(*) FROM idempotency_keys"), "19950")
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
