"""Outbox deliveries (SPEC §4, §7): the admin routes, and delivery itself —
webhooks and refunds POSTed to real mock peers with the merchant's auth
header and a valid X-Apotheca-Signature, retried with backoff, in order per
order, without a slow merchant holding up the others, parked as failed after
24 h and sent again by an operator's retry, surviving a restart.

Rows are queued by writing the outbox table directly (as the order code does
inside its transactions), so these tests need no order endpoints."""

import json
import sqlite3
import time
import unittest
import urllib.parse

import harness
from harness import Merchant, Server, ServerTest
from mocks import MockPaymentServer, MockWebhookReceiver, header, verify_signature

DAY_MS = 24 * 3600 * 1000


def q(v):
    """An SQL literal (both backends)."""
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"


def db_exec(server, sql):
    """Runs one statement on the server's database; returns the first column
    of the first row (as text), or None."""
    if harness.BACKEND == "postgres":
        dbname = urllib.parse.urlparse(server.db).path.lstrip("/")
        out = harness.psql(sql, dbname)
        return out.splitlines()[0] if out else None
    con = sqlite3.connect(server.db, timeout=30)
    try:
        row = con.execute(sql).fetchone()
        con.commit()
        return None if row is None else str(row[0])
    finally:
        con.close()


def now_ms():
    return int(time.time() * 1000)


def queue(server, kind, merchant_id, payload, order_key=None, event_type="order.status", first_at=None):
    """Queues an outbox row due now; returns its id."""
    now = now_ms()
    text = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))
    sql = ("INSERT INTO outbox (kind, merchant_id, order_key, event_type, payload, state, attempts, "
           "next_at, lease_until, first_at) VALUES (%s, %s, %s, %s, %s, 'pending', 0, %d, 0, %d) RETURNING id"
           % (q(kind), q(merchant_id), q(order_key), q(event_type), q(text), now,
              first_at if first_at is not None else now))
    return int(db_exec(server, sql))


def delivery(server, did):
    r = server.admin("GET", "/deliveries?limit=1000")
    assert r.status == 200, r
    for d in r.json["deliveries"]:
        if d["id"] == did:
            return d
    return None


def wait_state(server, did, state, timeout=15):
    deadline = time.time() + timeout
    d = None
    while time.time() < deadline:
        d = delivery(server, did)
        if d and d["state"] == state:
            return d
        time.sleep(0.05)
    raise AssertionError("delivery %s not %s in %ss: %r" % (did, state, timeout, d))


def pharmacy_event(event_id, order_id="PO00000000000001"):
    return {"event_id": event_id, "grouped_orders": [{"order_id": order_id, "order_status": 15}]}


class DeliveriesAdmin(ServerTest):
    def test_requires_admin_token(self):
        self.assertStatus(self.server.request("GET", "/admin/v1/deliveries"), 401)
        r = self.server.request("POST", "/admin/v1/deliveries/1/retry",
                                headers={"Authorization": "Bearer wrong"})
        self.assertStatus(r, 401)

    def test_empty_list(self):
        for path in ("/deliveries", "/deliveries?state=failed", "/deliveries?state=pending&limit=5",
                     "/deliveries?state=done&limit=1000"):
            r = self.server.admin("GET", path)
            self.assertStatus(r, 200, path)
            self.assertEqual(r.json, {"deliveries": [], "next_cursor": None}, path)

    def test_bad_filters(self):
        for path in ("/deliveries?state=lost", "/deliveries?limit=0", "/deliveries?limit=1001",
                     "/deliveries?limit=ten"):
            r = self.server.admin("GET", path)
            self.assertStatus(r, 400, path)
            self.assertEqual(r.json["error"]["code"], "invalid")

    def test_retry_unknown(self):
        for did in ("999999", "abc", "0", "-1"):
            r = self.server.admin("POST", "/deliveries/%s/retry" % did)
            self.assertStatus(r, 404, did)
            self.assertEqual(r.json["error"]["code"], "not_found")


class WebhookDelivery(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hooks = MockWebhookReceiver()
        cls.slow = MockWebhookReceiver()

    @classmethod
    def tearDownClass(cls):
        cls.hooks.stop()
        cls.slow.stop()
        super().tearDownClass()

    def setUp(self):
        self.hooks.reset()
        self.slow.reset()

    def merchant(self, mid, url=None):
        return Merchant(self.server, mid, webhook={
            "url": url or self.hooks.url + "/hooks/" + mid, "auth_header": "X-Hook-Key",
            "auth_value": "hook-key-" + mid, "signing_secret": "whsec-" + mid})

    def received(self, path):
        with self.hooks.lock:
            return [r for r in self.hooks.received if r["path"] == path]

    def test_delivered_signed_with_auth_header(self):
        self.merchant("wh1")
        payload = json.dumps(pharmacy_event("E-wh1"), separators=(",", ":"))
        did = queue(self.server, "webhook", "wh1", payload, order_key="PO-wh1")
        d = wait_state(self.server, did, "done")
        self.assertEqual(d["attempts"], 0)
        self.assertIsNotNone(d["delivered_at"])
        self.assertIsNone(d["last_error"])
        self.assertEqual(d["kind"], "webhook")
        self.assertEqual(d["merchant_id"], "wh1")
        self.assertEqual(d["order_key"], "PO-wh1")
        got = self.received("/hooks/wh1")
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0]["raw"], payload.encode())  # the stored bytes, exactly
        self.assertEqual(header(got[0]["headers"], "X-Hook-Key"), "hook-key-wh1")
        self.assertEqual(header(got[0]["headers"], "Content-Type"), "application/json")
        self.assertTrue(verify_signature(got[0]["headers"], got[0]["raw"], "whsec-wh1"))
        self.assertFalse(verify_signature(got[0]["headers"], got[0]["raw"], "whsec-other"))
        self.assertFalse(verify_signature(got[0]["headers"], got[0]["raw"] + b" ", "whsec-wh1"))

    def test_retried_with_backoff_until_accepted(self):
        self.merchant("wh2")
        self.hooks.fail_first(3, status=503)
        did = queue(self.server, "webhook", "wh2", pharmacy_event("E-wh2"), order_key="PO-wh2")
        d = wait_state(self.server, did, "done")
        self.assertEqual(d["attempts"], 3)
        got = self.received("/hooks/wh2")
        self.assertEqual(len(got), 4)
        self.assertEqual(len({r["raw"] for r in got}), 1)
        # Exponential backoff from 100 ms with equal jitter: the gaps grow.
        gaps = [b["at"] - a["at"] for a, b in zip(got, got[1:])]
        self.assertGreaterEqual(gaps[2], 0.2, gaps)
        self.assertGreaterEqual(sum(gaps), 0.35, gaps)

    def test_pharmacy_answer_needs_status(self):
        self.merchant("wh3")
        self.hooks.answer_without_status()
        did = queue(self.server, "webhook", "wh3", pharmacy_event("E-wh3"), order_key="PO-wh3")
        self.hooks.wait_for(lambda: len([r for r in self.hooks.received if r["path"] == "/hooks/wh3"]) >= 2)
        d = delivery(self.server, did)
        self.assertEqual(d["state"], "pending")
        self.assertIn("status", d["last_error"])
        self.hooks.reset()
        wait_state(self.server, did, "done")

    def test_logistics_envelope_needs_only_2xx(self):
        self.merchant("wh4")
        self.hooks.answer_without_status()
        did = queue(self.server, "webhook", "wh4",
                    {"event_id": "E-wh4", "event_type": "order.shipped", "ts": "2024-01-01T00:00:00Z",
                     "payload": {"order_id": "PO-wh4"}}, order_key="PO-wh4", event_type="order.shipped")
        wait_state(self.server, did, "done")
        got = self.received("/hooks/wh4")
        self.assertEqual(got[0]["json"]["event_id"], "E-wh4")  # one envelope (webhook.batch is off)
        self.assertEqual(got[0]["json"]["webhook_id"], "wh_wh4")

    def test_in_order_per_order(self):
        self.merchant("wh5")
        self.hooks.fail_first(2)
        first = queue(self.server, "webhook", "wh5", pharmacy_event("E1"), order_key="PO-wh5")
        second = queue(self.server, "webhook", "wh5", pharmacy_event("E2"), order_key="PO-wh5")
        wait_state(self.server, second, "done")
        events = [r["json"]["event_id"] for r in self.received("/hooks/wh5")]
        self.assertEqual(events, ["E1", "E1", "E1", "E2"])
        self.assertEqual(delivery(self.server, first)["state"], "done")

    def test_slow_merchant_does_not_block_others(self):
        Merchant(self.server, "wh6", webhook={"url": self.slow.url + "/slow"})
        self.merchant("wh7")
        self.slow.hang(6)
        slow = [queue(self.server, "webhook", "wh6", pharmacy_event("S%d" % i), order_key="PO-s%d" % i)
                for i in range(6)]
        time.sleep(0.3)  # the slow merchant's first call is in flight
        start = time.time()
        fast = [queue(self.server, "webhook", "wh7", pharmacy_event("F%d" % i), order_key="PO-f%d" % i)
                for i in range(3)]
        for did in fast:
            wait_state(self.server, did, "done", timeout=4)
        self.assertLess(time.time() - start, 4)
        # At most one call in flight to the slow merchant at any time.
        self.assertEqual(len(self.slow.received), 1)
        self.slow.reset()
        # The hung call timed out (one failed attempt); then all go through.
        d = wait_state(self.server, slow[0], "done", timeout=15)
        self.assertEqual(d["attempts"], 1)
        for did in slow[1:]:
            self.assertEqual(wait_state(self.server, did, "done")["attempts"], 0)

    def test_merchant_without_webhook_url_is_skipped(self):
        Merchant(self.server, "wh8")
        did = queue(self.server, "webhook", "wh8", pharmacy_event("E-wh8"))
        d = wait_state(self.server, did, "done")
        self.assertIn("no webhook URL", d["last_error"])

    def test_parked_after_24h_and_retried_by_operator(self):
        self.merchant("wh9")
        self.hooks.fail_first(1000)
        did = queue(self.server, "webhook", "wh9", pharmacy_event("E-wh9"), order_key="PO-wh9",
                    first_at=now_ms() - DAY_MS - 60000)
        d = wait_state(self.server, did, "failed")
        self.assertEqual(d["attempts"], 1)
        self.assertIn("500", d["last_error"])
        r = self.server.admin("GET", "/deliveries?state=failed")
        self.assertIn(did, [x["id"] for x in r.json["deliveries"]])
        r = self.server.admin("GET", "/deliveries?state=pending")
        self.assertNotIn(did, [x["id"] for x in r.json["deliveries"]])
        # A parked row stays parked.
        n = len(self.received("/hooks/wh9"))
        time.sleep(0.5)
        self.assertEqual(len(self.received("/hooks/wh9")), n)

        self.hooks.reset()
        r = self.server.admin("POST", "/deliveries/%d/retry" % did)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["id"], did)
        self.assertEqual(r.json["state"], "pending")
        self.assertEqual(r.json["attempts"], 1)  # kept: a receiver's retry_count never goes back
        self.assertGreater(r.json["first_at"], now_ms() // 1000 - 60)  # admin times: seconds
        wait_state(self.server, did, "done")
        self.assertEqual(len(self.received("/hooks/wh9")), n + 1)
        r = self.server.admin("POST", "/deliveries/%d/retry" % did)
        self.assertStatus(r, 409)
        self.assertEqual(r.json["error"]["code"], "state")


ORDER_SQL = ("INSERT INTO orders (order_id, hex_id, merchant_id, merchant_order_id, dialect, payment_method, "
             "status_id, payable, created, updated, status_changed) VALUES (%s, %s, %s, %s, 'pharmacy', 'ONLINE', "
             "99, 63280, 1, 1, 1) RETURNING oid")
REFUND_SQL = ("INSERT INTO refunds (refund_id, oid, transaction_id, amount, type, reason, state, created) "
              "VALUES (%s, %s, 'T-1', 63280, 'FULL', 'As per Your Request', 'pending', 1)")


class RefundDelivery(unittest.TestCase):
    """Refund rows go to the payment API's POST /refunds until it says
    SUCCESS, with one refund_id throughout; apotheca restarts in between."""

    def setUp(self):
        self.pay = MockPaymentServer()
        self.server = Server().start()
        Merchant(self.server, "rf1", payment_api={"base_url": self.pay.url + "/", "auth_header": "X-Pay-Key",
                                                  "auth_value": "pay-key"},
                 webhook={"signing_secret": "whsec-rf1"})

    def tearDown(self):
        self.server.stop()
        self.pay.stop()

    def refund(self, n, refund_id, amount="632.80"):
        order_id = "PO0000000000000%d" % n
        oid = db_exec(self.server, ORDER_SQL % (q(order_id), q("%024x" % n), q("rf1"), q("MO-%d" % n)))
        db_exec(self.server, REFUND_SQL % (q(refund_id), oid))
        payload = '{"refund_id":"%s","transaction_id":"T-1","order_id":"%s","amount":"%s","type":"FULL",' \
                  '"reason":"As per Your Request"}' % (refund_id, order_id, amount)
        return queue(self.server, "refund", "rf1", payload, order_key=order_id, event_type="refund")

    def refund_state(self, refund_id):
        return db_exec(self.server, "SELECT state FROM refunds WHERE refund_id = %s" % q(refund_id))

    def test_refund_retried_with_one_refund_id(self):
        self.pay.set_refund_behaviour(fail_times=2)
        did = self.refund(1, "RF-1")
        d = wait_state(self.server, did, "done")
        self.assertEqual(d["attempts"], 2)
        self.assertEqual(self.pay.refund_ids(), ["RF-1", "RF-1", "RF-1"])
        self.assertEqual(self.refund_state("RF-1"), "done")
        first = self.pay.refunds[0]
        self.assertEqual(first["json"], {"refund_id": "RF-1", "transaction_id": "T-1",
                                         "order_id": "PO00000000000001", "amount": 632.8, "type": "FULL",
                                         "reason": "As per Your Request"})
        self.assertEqual(first["path"], "/refunds")
        self.assertEqual(header(first["headers"], "X-Pay-Key"), "pay-key")
        for r in self.pay.refunds:
            self.assertTrue(verify_signature(r["headers"], r["raw"], "whsec-rf1"))

    def test_status_failed_is_retried(self):
        self.pay.set_refund_behaviour(fail_times=1, fail_status=200, fail_with="FAILED")
        did = self.refund(2, "RF-2", amount="100")
        d = wait_state(self.server, did, "done")
        self.assertEqual(d["attempts"], 1)
        self.assertEqual(self.pay.refunds[-1]["json"]["amount"], 100)

    def test_refund_survives_restart(self):
        self.pay.set_refund_behaviour(fail_times=10 ** 6)
        did = self.refund(3, "RF-3")
        self.pay.wait_for(lambda: len(self.pay.refunds) >= 2)
        self.server.stop()
        self.assertEqual(self.refund_state("RF-3"), "pending")
        self.pay.set_refund_behaviour(fail_times=0)
        self.server.start()
        d = wait_state(self.server, did, "done")
        self.assertGreaterEqual(d["attempts"], 2)
        self.assertEqual(self.refund_state("RF-3"), "done")
        self.assertEqual(set(self.pay.refund_ids()), {"RF-3"})

    def test_unreachable_payment_api_keeps_retrying(self):
        self.pay.stop()
        did = self.refund(4, "RF-4")
        deadline = time.time() + 10
        d = None
        while time.time() < deadline:
            d = delivery(self.server, did)
            if d["attempts"] >= 2:
                break
            time.sleep(0.05)
        self.assertEqual(d["state"], "pending")
        self.assertGreaterEqual(d["attempts"], 2)
        self.assertIn("unreachable", d["last_error"])
        self.pay = MockPaymentServer()  # tearDown stops this one


@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL backend only")
class TwoProcessesOneOutbox(unittest.TestCase):
    """Two processes share one outbox: every row is delivered exactly once
    when nothing fails (the lease is taken by a conditional UPDATE)."""

    def test_each_row_delivered_once(self):
        hooks = MockWebhookReceiver()
        a = Server().start()
        b = Server(db=a.db).start()
        try:
            for i in range(4):
                Merchant(a, "mp%d" % i, webhook={"url": hooks.url + "/mp%d" % i})
            ids = [queue(a, "webhook", "mp%d" % (n % 4), pharmacy_event("E%d" % n), order_key="PO-%d" % n)
                   for n in range(40)]
            for did in ids:
                wait_state(a, did, "done", timeout=30)
            events = sorted(body["event_id"] for body in hooks.bodies())
            self.assertEqual(events, sorted("E%d" % n for n in range(40)))
        finally:
            b.stop()
            a.stop()
            hooks.stop()


class Shutdown(unittest.TestCase):
    def test_idle_workers_stop_promptly(self):
        server = Server(env={"APOTHECA_SWEEP_MS": "60000"}).start()
        time.sleep(0.3)
        start = time.time()
        self.assertEqual(server.stop(), 0)
        self.assertLess(time.time() - start, 2)


if __name__ == "__main__":
    unittest.main()
