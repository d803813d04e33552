"""Webhooks (SPEC §4.3): every status change reaches the merchant, in order,
at least once.

Pharmacy events come from real order moves (create COD, then the admin
moves); each is POSTed alone, signed with the merchant's signing secret and
carrying its auth header. Logistics events come from a logistics order's
life and its products' stock changes, in envelopes {event_id, webhook_id,
event_type, ts, retry_count, payload}: one object per request by default
(the lifecycle below), JSON arrays of up to 100 for a merchant with
webhook.batch on; batching rules are driven with events queued straight
into the outbox, the way the dialect and the catalog queue them
(test_plugin_webhooks.py has a shop plugin's view of the default). Then the
hard cases: a receiver that fails, hangs or is down while apotheca is
killed with SIGKILL, two apotheca processes sharing one PostgreSQL
database, and a hanging merchant next to a healthy one."""

import json
import time
import unittest
import urllib.parse

import harness
from harness import Merchant, Server
from mocks import MockWebhookReceiver, header, verify_signature
from test_deliveries import db_exec, delivery, now_ms, q, wait_state
from test_orders import body, sku

LIFECYCLE = [120, 130, 25, 30, 40]
TITLES = {120: "Processing", 130: "Packed", 25: "Shipped", 30: "Out for Delivery", 40: "Delivered"}


def webhook_config(receiver, mid, batch=None):
    hook = {"url": "%s/hooks/%s" % (receiver.url, mid), "auth_header": "X-Hook-Key",
            "auth_value": "hook-key-" + mid, "signing_secret": "whsec-" + mid}
    if batch is not None:
        hook["batch"] = batch
    return hook


def setup_catalog(server):
    server.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})
    sku(server, "WH", price=100, stock=100000)


def create_cod(server, merchant, ref):
    r = server.request("POST", "/api/v4/merchants/%s/orders" % merchant.id, body=body(ref, {"WH": 1}, 100),
                       headers=merchant.headers())
    assert r.status == 200, r
    return r.json["data"]["order_id"]


def move(server, order_id, to, **extra):
    b = {"status_id": to}
    b.update(extra)
    r = server.admin("POST", "/orders/%s/status" % order_id, b)
    assert r.status == 200, r
    return r


def received(receiver, mid):
    """The requests receiver got for merchant mid. Takes no lock, so it may
    run inside receiver.wait_for() (which holds it); appends are atomic."""
    return [r for r in list(receiver.received) if r["path"] == "/hooks/" + mid]


def statuses(requests, order_id=None):
    """The status ids announced by pharmacy webhook requests, in arrival order."""
    out = []
    for r in requests:
        g = r["json"]["grouped_orders"][0]
        if order_id is None or g["order_id"] == order_id:
            out.append(g["order_status"]["status_id"])
    return out


def logistics_event(event_id, event_type="order.info.change", **payload):
    return {"event_id": event_id, "event_type": event_type, "ts": "2026-11-22T08:00:00Z",
            "payload": payload or {"order_id": event_id}}


def queue_events(server, merchant_id, events, due_in_ms=300):
    """Queues logistics events (event dict, order_key) in one statement, all
    due at the same moment, so the workers find them together."""
    due = now_ms() + due_in_ms
    values = ", ".join(
        "('webhook', %s, %s, %s, %s, 'pending', 0, %d, 0, %d)"
        % (q(merchant_id), q(key), q(ev["event_type"]), q(json.dumps(ev, separators=(",", ":"))), due, due)
        for ev, key in events)
    db_exec(server, "INSERT INTO outbox (kind, merchant_id, order_key, event_type, payload, state, attempts, "
                    "next_at, lease_until, first_at) VALUES " + values)
    ids = db_exec(server, "SELECT string_agg(CAST(id AS TEXT), ',') FROM outbox WHERE merchant_id = %s"
                  % q(merchant_id)) if harness.BACKEND == "postgres" else \
        db_exec(server, "SELECT group_concat(id) FROM outbox WHERE merchant_id = %s" % q(merchant_id))
    return sorted(int(i) for i in ids.split(","))[-len(events):]


def envelopes(requests):
    """Every envelope of logistics webhook requests, in arrival order: an
    array's members (webhook.batch on), or the one envelope object."""
    return [env for r in requests for env in (r["json"] if isinstance(r["json"], list) else [r["json"]])]


def wait_until(predicate, timeout=15, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class ReceiverTest(harness.ServerTest):
    """A server and one merchant webhook receiver for the class, back to
    normal before each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hooks = MockWebhookReceiver()

    @classmethod
    def tearDownClass(cls):
        cls.hooks.stop()
        super().tearDownClass()

    def setUp(self):
        self.hooks.reset()


class PharmacyWebhooks(ReceiverTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        setup_catalog(cls.server)

    def merchant(self, mid):
        return Merchant(self.server, mid, webhook=webhook_config(self.hooks, mid))

    def test_every_move_arrives_in_order_signed_with_the_auth_header(self):
        m = self.merchant("ph1")
        oid = create_cod(self.server, m, "ph1-1")
        for to in LIFECYCLE:
            extra = {"delivery_partner_name": "Delhivery", "carrier_tracking_code": "DL1"} if to == 25 else {}
            move(self.server, oid, to, **extra)
        got = self.hooks.wait_for(lambda: len(received(self.hooks, "ph1")) >= len(LIFECYCLE) and
                                  received(self.hooks, "ph1"))
        self.assertEqual(statuses(got), LIFECYCLE)
        self.assertEqual(len({r["json"]["event_id"] for r in got}), len(LIFECYCLE))
        for r, to in zip(got, LIFECYCLE):
            self.assertTrue(verify_signature(r["headers"], r["raw"], "whsec-ph1"), r["headers"])
            self.assertFalse(verify_signature(r["headers"], r["raw"], "whsec-other"))
            self.assertEqual(header(r["headers"], "X-Hook-Key"), "hook-key-ph1")
            self.assertEqual(header(r["headers"], "Content-Type"), "application/json")
            self.assertEqual(set(r["json"]), {"event_id", "grouped_orders"})
            g = r["json"]["grouped_orders"][0]
            self.assertEqual(g["order_id"], oid)
            self.assertEqual(g["merchant_order_id"], "ph1-1")
            self.assertEqual(g["order_status"]["title"], TITLES[to])
            self.assertEqual(set(g), {"order_id", "merchant_order_id", "order_status", "status_changed",
                                      "updated", "eta", "shipment_detail"})
            self.assertRegex(g["shipment_detail"]["tracking_url"], r"/t/[A-Za-z0-9_-]+$")
        self.assertEqual(got[2]["json"]["grouped_orders"][0]["shipment_detail"]["delivery_partner_name"],
                         "Delhivery")
        # Nothing more than one request per move, and every row is done.
        time.sleep(0.3)
        self.assertEqual(len(received(self.hooks, "ph1")), len(LIFECYCLE))
        rows = [d for d in self.server.admin("GET", "/deliveries?limit=1000").json["deliveries"]
                if d["order_key"] == oid]
        self.assertEqual(len(rows), len(LIFECYCLE))
        self.assertTrue(all(d["state"] == "done" and d["attempts"] == 0 for d in rows), rows)
        self.assertTrue(all(d["event_type"] == "order.status" for d in rows), rows)

    def test_failing_receiver_gets_the_event_again_and_later_moves_wait(self):
        m = self.merchant("ph2")
        oid = create_cod(self.server, m, "ph2-1")
        self.hooks.fail_first(3, status=503)
        move(self.server, oid, 120)
        move(self.server, oid, 130)
        got = self.hooks.wait_for(lambda: len(received(self.hooks, "ph2")) >= 5 and received(self.hooks, "ph2"))
        # Four tries of the first event (the same bytes each time), then the second.
        self.assertEqual(statuses(got), [120, 120, 120, 120, 130])
        self.assertEqual(len({r["raw"] for r in got[:4]}), 1)
        rows = sorted((d for d in self.server.admin("GET", "/deliveries?limit=1000").json["deliveries"]
                       if d["order_key"] == oid), key=lambda d: d["id"])
        wait_state(self.server, rows[1]["id"], "done")
        self.assertEqual([delivery(self.server, d["id"])["attempts"] for d in rows], [3, 0])

    def test_answer_without_status_is_a_failure_for_pharmacy(self):
        m = self.merchant("ph3")
        oid = create_cod(self.server, m, "ph3-1")
        self.hooks.answer_without_status()
        move(self.server, oid, 120)
        self.hooks.wait_for(lambda: len(received(self.hooks, "ph3")) >= 2)
        self.hooks.reset()
        rows = [d for d in self.server.admin("GET", "/deliveries?limit=1000").json["deliveries"]
                if d["order_key"] == oid]
        d = wait_state(self.server, rows[0]["id"], "done")
        self.assertGreaterEqual(d["attempts"], 1)


class LogisticsEnvelopes(ReceiverTest):
    def merchant(self, mid):
        return Merchant(self.server, mid, webhook=webhook_config(self.hooks, mid, batch=True))

    def test_events_arrive_as_one_array_of_envelopes(self):
        self.merchant("lg1")
        events = [(logistics_event("A1"), "PO-A"), (logistics_event("B1", "order.shipped"), "PO-B"),
                  (logistics_event("A2", "order.shipped"), "PO-A"),
                  (logistics_event("P1", "product.inventory.change", merchants_id="S1",
                                   inventory={"in_stock": 5, "available": 5}), "product:lg1:S1")]
        ids = queue_events(self.server, "lg1", events)
        for did in ids:
            wait_state(self.server, did, "done")
        got = received(self.hooks, "lg1")
        self.assertEqual(len(got), 1, [r["json"] for r in got])
        r = got[0]
        self.assertTrue(verify_signature(r["headers"], r["raw"], "whsec-lg1"))
        self.assertEqual(header(r["headers"], "X-Hook-Key"), "hook-key-lg1")
        self.assertIsInstance(r["json"], list)
        self.assertEqual([e["event_id"] for e in r["json"]], ["A1", "B1", "A2", "P1"])
        for env, (ev, _) in zip(r["json"], events):
            self.assertEqual(list(env), ["event_id", "webhook_id", "event_type", "ts", "retry_count", "payload"])
            self.assertEqual(env["webhook_id"], "wh_lg1")
            self.assertEqual(env["event_type"], ev["event_type"])
            self.assertEqual(env["ts"], ev["ts"])
            self.assertEqual(env["retry_count"], 0)
            self.assertEqual(env["payload"], ev["payload"])

    def test_a_receiver_failing_n_times_sees_retry_count_n(self):
        self.merchant("lg2")
        self.hooks.fail_first(3, status=500)
        ids = queue_events(self.server, "lg2", [(logistics_event("R1"), "PO-R"), (logistics_event("R2"), "PO-R")])
        for did in ids:
            wait_state(self.server, did, "done")
        got = received(self.hooks, "lg2")
        self.assertEqual(len(got), 4)
        # The batch failed and was rescheduled together: every try holds both.
        self.assertEqual([[e["event_id"] for e in r["json"]] for r in got], [["R1", "R2"]] * 4)
        self.assertEqual([[e["retry_count"] for e in r["json"]] for r in got], [[n, n] for n in range(4)])
        self.assertEqual([delivery(self.server, did)["attempts"] for did in ids], [3, 3])

    def test_any_2xx_without_status_delivers(self):
        self.merchant("lg3")
        self.hooks.answer_without_status()
        (did,) = queue_events(self.server, "lg3", [(logistics_event("N1"), "PO-N")])
        d = wait_state(self.server, did, "done")
        self.assertEqual(d["attempts"], 0)

    def test_at_most_100_per_request_and_each_order_in_order(self):
        self.merchant("lg4")
        events = [(logistics_event("K%d-%03d" % (i % 3, i)), "PO-K%d" % (i % 3)) for i in range(250)]
        ids = queue_events(self.server, "lg4", events)
        for did in ids:
            wait_state(self.server, did, "done")
        got = received(self.hooks, "lg4")
        sizes = [len(r["json"]) for r in got]
        self.assertTrue(all(1 <= n <= 100 for n in sizes), sizes)
        self.assertEqual(len(got), 3, sizes)
        seen = [e["event_id"] for e in envelopes(got)]
        self.assertEqual(sorted(seen), sorted(ev["event_id"] for ev, _ in events))  # each once
        for k in range(3):
            mine = [s for s in seen if s.startswith("K%d-" % k)]
            self.assertEqual(mine, sorted(mine))

    def test_an_event_never_overtakes_an_earlier_one_of_its_order(self):
        self.merchant("lg5")
        self.hooks.fail_first(1)
        (first,) = queue_events(self.server, "lg5", [(logistics_event("O1"), "PO-O")], due_in_ms=0)
        self.hooks.wait_for(lambda: len(received(self.hooks, "lg5")) >= 1)
        # O1 is backing off now: O2 of the same order waits for it, X1 does not.
        ids = queue_events(self.server, "lg5", [(logistics_event("O2"), "PO-O"), (logistics_event("X1"), "PO-X")],
                           due_in_ms=0)
        for did in [first] + ids:
            wait_state(self.server, did, "done")
        seen = [e["event_id"] for e in envelopes(received(self.hooks, "lg5"))]
        self.assertEqual(seen.count("O2"), 1)
        self.assertLess(seen.index("O1", 1), seen.index("O2"))

    def test_a_row_that_is_not_an_event_is_parked_alone(self):
        self.merchant("lg6")
        good, bad = logistics_event("G1"), {"not": "an event", "event_type": "order.info.change"}
        ids = queue_events(self.server, "lg6", [(bad, "PO-Z1"), (good, "PO-Z2")])
        d = wait_state(self.server, ids[0], "failed")
        self.assertIn("not a logistics event", d["last_error"])
        wait_state(self.server, ids[1], "done")
        self.assertEqual([e["event_id"] for e in envelopes(received(self.hooks, "lg6"))], ["G1"])


API = "/2015-01-01"
CUSTOMER = {"firstName": "Asha", "lastName": "Rao", "address": "12 MG Road", "postalCode": "560001",
            "city": "Bengaluru", "countryCode": "IN"}


def logistics_product(server, merchant, merchants_id):
    r = server.request("POST", API + "/products/", body={"merchants_id": merchants_id, "name": "Item"},
                       headers=merchant.basic())
    assert r.status in (200, 201), r


def restock(server, merchant, merchants_id, delta):
    r = server.admin("POST", "/merchants/%s/products/%s/stock" % (merchant.id, merchants_id),
                     {"delta": delta, "reason": "goods received"})
    assert r.status == 200, r


class LogisticsLifecycle(ReceiverTest):
    """A logistics order's life and its product's stock, as the merchant's
    receiver sees them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.m = Merchant(cls.server, "lw", webhook=webhook_config(cls.hooks, "lw"))

    def call(self, method, path, b=None):
        r = self.server.request(method, API + path, body=b, headers=self.m.basic())
        self.assertIn(r.status, (200, 201), r)
        return r.json

    def test_every_change_of_order_and_stock_arrives_in_order(self):
        logistics_product(self.server, self.m, "LW-1")
        restock(self.server, self.m, "LW-1", 10)
        oid = self.call("POST", "/orders/_create", {"merchants_order": "wc-1", "customer": CUSTOMER,
                                                     "products": [{"merchants_id": "LW-1", "qty": 2}]})["order_id"]
        self.call("POST", "/orders/%s/_confirm" % oid)
        for to in LIFECYCLE:
            move(self.server, oid, to)
        want_orders = [15, 120, 130, 25, 30, 40]

        def orders_seen():
            return [e for e in envelopes(received(self.hooks, "lw")) if e["event_type"] != "product.inventory.change"]
        self.hooks.wait_for(lambda: len(orders_seen()) >= len(want_orders))
        time.sleep(0.3)
        got = received(self.hooks, "lw")
        for r in got:
            self.assertIsInstance(r["json"], dict)  # webhook.batch is off: one event per request
            self.assertTrue(verify_signature(r["headers"], r["raw"], "whsec-lw"))
            self.assertEqual(header(r["headers"], "X-Hook-Key"), "hook-key-lw")
        events = envelopes(got)
        self.assertEqual(len({e["event_id"] for e in events}), len(events))
        for e in events:
            self.assertEqual(list(e), ["event_id", "webhook_id", "event_type", "ts", "retry_count", "payload"])
            self.assertEqual((e["webhook_id"], e["retry_count"]), ("wh_lw", 0))
            self.assertRegex(e["ts"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

        orders = [e for e in events if e["event_type"] != "product.inventory.change"]
        self.assertEqual([e["payload"]["order"]["status_id"] for e in orders], want_orders)
        # The flat members of earlier releases are still there, the same.
        self.assertEqual([e["payload"]["status_id"] for e in orders], want_orders)
        self.assertEqual([e["event_type"] for e in orders],
                         ["order.info.change"] * 3 + ["order.shipped"] + ["order.info.change"] * 2)
        self.assertEqual([e["payload"]["status"] for e in orders],
                         ["confirmed", "confirmed", "confirmed", "processed", "processed", "processed"])
        self.assertTrue(all(e["payload"]["order"]["id"] == e["payload"]["order_id"] == oid for e in orders))
        self.assertTrue(all(e["payload"]["order"]["merchants_order"] == {"id": "wc-1"} for e in orders))
        self.assertTrue(orders[0]["payload"]["order"]["tracking_code"])
        self.assertEqual(orders[0]["payload"]["order"]["tracking_code"], orders[0]["payload"]["tracking_code"])

        stock = [e["payload"] for e in events if e["event_type"] == "product.inventory.change"]
        self.assertTrue(all(p["product"]["merchants_id"] == p["merchants_id"] == "LW-1" for p in stock))
        self.assertEqual([(p["inventory"]["in_stock"], p["inventory"]["reserved"], p["inventory"]["available"])
                          for p in stock], [(10, 0, 10), (10, 2, 8), (8, 0, 8)])
        inv = self.call("GET", "/products/inventory?merchants_id=LW-1")["products"][0]
        self.assertEqual(stock[-1]["product"]["id"], inv["id"])
        self.assertEqual(stock[-1]["id"], inv["id"])
        self.assertEqual(stock[-1]["inventory"], inv["inventory"])  # the same numbers the API shows

    def test_retry_count_counts_the_failed_tries(self):
        logistics_product(self.server, self.m, "LW-2")
        self.hooks.fail_first(2, status=502)
        restock(self.server, self.m, "LW-2", 5)
        def mine():
            return [e for e in envelopes(received(self.hooks, "lw")) if e["payload"].get("merchants_id") == "LW-2"]
        self.hooks.wait_for(lambda: len(mine()) >= 3)
        got = mine()
        self.assertEqual([e["retry_count"] for e in got], [0, 1, 2])
        self.assertEqual(len({e["event_id"] for e in got}), 1)

    def test_platform_stock_changes_send_nothing(self):
        setup_catalog(self.server)
        r = self.server.admin("POST", "/skus/WH/stock", {"delta": 5, "reason": "count"})
        self.assertEqual(r.status, 200, r)
        rows = self.server.admin("GET", "/deliveries?limit=1000").json["deliveries"]
        self.assertEqual([d for d in rows if d["event_type"] == "product.inventory.change" and
                          d["merchant_id"] != "lw"], [])


class ParkedAndRetried(unittest.TestCase):
    """A receiver that never answers: each call times out after 5 s; with a
    give-up window of 2 s the event is parked as failed after its first
    try, and an operator's retry delivers it once the receiver is back."""

    def setUp(self):
        self.hooks = MockWebhookReceiver()
        self.server = Server(env={"APOTHECA_RETRY_GIVE_UP_MS": "2000"}).start()
        setup_catalog(self.server)
        self.m = Merchant(self.server, "pk1", webhook=webhook_config(self.hooks, "pk1"))

    def tearDown(self):
        self.server.stop()
        self.hooks.stop()

    def test_hanging_receiver_parks_the_event_and_retry_delivers_it(self):
        oid = create_cod(self.server, self.m, "pk1-1")
        self.hooks.hang(8)
        start = time.time()
        move(self.server, oid, 120)
        self.assertLess(time.time() - start, 3.0)  # the API never waits for a delivery (8 s)
        (row,) = [d for d in self.server.admin("GET", "/deliveries").json["deliveries"] if d["order_key"] == oid]
        d = wait_state(self.server, row["id"], "failed", timeout=12)
        self.assertIn("timed out", d["last_error"])
        self.assertEqual(d["attempts"], 1)
        failed = self.server.admin("GET", "/deliveries?state=failed").json["deliveries"]
        self.assertEqual([x["id"] for x in failed], [row["id"]])
        self.assertEqual(len(received(self.hooks, "pk1")), 1)

        self.hooks.reset()
        r = self.server.admin("POST", "/deliveries/%d/retry" % row["id"])
        self.assertEqual(r.status, 200, r)
        d = wait_state(self.server, row["id"], "done")
        self.assertEqual(d["attempts"], 1)
        got = received(self.hooks, "pk1")
        self.assertEqual(len(got), 2)
        self.assertEqual(got[0]["raw"], got[1]["raw"])
        self.assertEqual(statuses(got), [120, 120])


class CrashBetweenChangeAndDelivery(unittest.TestCase):
    """The event is in the database with the change; SIGKILL loses nothing."""

    def setUp(self):
        self.hooks = MockWebhookReceiver()
        self.server = Server().start()
        setup_catalog(self.server)
        self.m = Merchant(self.server, "kc1", webhook=webhook_config(self.hooks, "kc1"))

    def tearDown(self):
        self.server.stop()
        self.hooks.stop()

    def rows(self, oid):
        return sorted((d for d in self.server.admin("GET", "/deliveries?limit=1000").json["deliveries"]
                       if d["order_key"] == oid), key=lambda d: d["id"])

    def test_receiver_down_kill_9_receiver_up_restart(self):
        oid = create_cod(self.server, self.m, "kc1-1")
        self.hooks.fail_first(10 ** 6, status=503)  # down
        move(self.server, oid, 120)
        move(self.server, oid, 130)
        self.hooks.wait_for(lambda: len(received(self.hooks, "kc1")) >= 1)
        # Kill once the failure is recorded (the row is no longer leased); a
        # kill during the attempt itself is the next test's case.
        deadline = time.time() + 10
        while time.time() < deadline and not any(d["attempts"] >= 1 for d in self.rows(oid)):
            time.sleep(0.02)
        self.server.kill9()
        self.hooks.reset()  # up again while apotheca is dead
        n = len(received(self.hooks, "kc1"))
        self.server.start()
        for d in self.rows(oid):
            wait_state(self.server, d["id"], "done", timeout=20)
        got = received(self.hooks, "kc1")[n:]
        self.assertEqual(statuses(got), [120, 130])
        first = received(self.hooks, "kc1")[0]["json"]["event_id"]
        self.assertEqual(got[0]["json"]["event_id"], first)  # the same event, not a new one

    def test_kill_9_during_a_delivery_delivers_again_after_the_lease(self):
        oid = create_cod(self.server, self.m, "kc1-2")
        self.hooks.hang(3)
        move(self.server, oid, 120)
        self.hooks.wait_for(lambda: len(received(self.hooks, "kc1")) >= 1)
        self.server.kill9()  # the row is leased by a process that is gone
        self.hooks.reset()
        self.server.start()
        (row,) = self.rows(oid)
        d = wait_state(self.server, row["id"], "done", timeout=45)  # the 30 s lease runs out first
        got = received(self.hooks, "kc1")
        self.assertEqual(statuses(got), [120, 120])
        self.assertEqual(got[0]["raw"], got[1]["raw"])
        self.assertEqual(d["attempts"], 0)


class SlowMerchantIsolation(harness.ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.slow = MockWebhookReceiver()
        cls.fast = MockWebhookReceiver()
        setup_catalog(cls.server)
        cls.ms = Merchant(cls.server, "slow", webhook=webhook_config(cls.slow, "slow"))
        cls.mf = Merchant(cls.server, "fast", webhook=webhook_config(cls.fast, "fast"))

    @classmethod
    def tearDownClass(cls):
        cls.slow.stop()
        cls.fast.stop()
        super().tearDownClass()

    def test_a_hanging_merchant_does_not_delay_another(self):
        slow_orders = [create_cod(self.server, self.ms, "slow-%d" % i) for i in range(4)]
        fast_orders = [create_cod(self.server, self.mf, "fast-%d" % i) for i in range(4)]
        self.slow.hang(6)
        for oid in slow_orders:
            move(self.server, oid, 120)
        self.slow.wait_for(lambda: len(self.slow.received) >= 1)
        # While the slow merchant's receiver hangs: the API answers at once,
        # and the healthy merchant's events arrive well before the hang ends.
        lag = []
        for oid in fast_orders:
            start = time.time()
            move(self.server, oid, 120)
            self.assertLess(time.time() - start, 3.0)  # waiting would take the 6 s hang
            self.fast.wait_for(lambda: oid in [r["json"]["grouped_orders"][0]["order_id"]
                                               for r in self.fast.received], timeout=5)
            lag.append(time.time() - start)
        self.assertLess(max(lag), 4.0, lag)  # behind the hanging merchant it would be >= 6 s
        # One call at a time in flight to the hanging merchant.
        self.assertEqual(len(self.slow.received), 1)
        self.slow.reset()
        # The hung call timed out and is tried again; then every event is through.
        self.slow.wait_for(lambda: len(self.slow.received) >= 5, timeout=15)
        time.sleep(0.3)
        got = [r["json"]["grouped_orders"][0]["order_id"] for r in self.slow.received]
        self.assertEqual(sorted(got), sorted(slow_orders + [got[0]]))


class Backlog(ReceiverTest):
    """A merchant with many events due at once: one worker sends them one
    after another on one claim (a run), still one request at a time, each
    order's events in order; a failure ends the run and holds back only its
    own order's later events."""

    def drain(self, mid, n_events, n_keys, fail=0):
        Merchant(self.server, mid, webhook=webhook_config(self.hooks, mid))
        self.hooks.fail_first(fail, status=503)
        events = [(logistics_event("%s-%03d" % (mid, i)), "%s-K%d" % (mid, i % n_keys))
                  for i in range(n_events)]
        queued = queue_events(self.server, mid, events)
        other = []
        if not fail:  # another merchant's event, due just after the backlog: not starved by it
            Merchant(self.server, mid + "-other", webhook=webhook_config(self.hooks, mid + "-other"))
            other = queue_events(self.server, mid + "-other", [(logistics_event(mid + "-o"), mid + "-o")])
        for did in queued + other:
            wait_state(self.server, did, "done", timeout=30)
        got = [e["event_id"] for e in envelopes(received(self.hooks, mid))]
        if other:
            self.assertEqual([e["event_id"] for e in envelopes(received(self.hooks, mid + "-other"))],
                             [mid + "-o"])
        self.assertEqual(self.hooks.most_at_once.get("/hooks/" + mid), 1)
        for k in range(n_keys):
            mine = [e for e in got if int(e.rsplit("-", 1)[1]) % n_keys == k]
            self.assertEqual(mine, sorted(mine), "key %d out of order" % k)
        return got

    def test_a_backlog_goes_out_one_request_at_a_time_each_order_in_order(self):
        got = self.drain("bk1", 240, 12)
        self.assertEqual(len(got), 240)
        self.assertEqual(len(set(got)), 240)

    def test_a_failure_ends_the_run_and_holds_back_only_its_order(self):
        got = self.drain("bk2", 60, 6, fail=1)
        # The one failed event came again; nothing else twice.
        self.assertEqual(len(got), 61)
        self.assertEqual(len(set(got)), 60)
        first = got[0]
        self.assertEqual(got.count(first), 2)
        # Its order's later events all came after its second try.
        again = got.index(first, 1)
        key = int(first.rsplit("-", 1)[1]) % 6
        later = [i for i, e in enumerate(got) if e != first and int(e.rsplit("-", 1)[1]) % 6 == key]
        self.assertTrue(all(i > again for i in later), (first, got))


@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL backend only")
class TwoProcessesDeliverOnce(unittest.TestCase):
    """Two apotheca processes on one PostgreSQL database, both running
    delivery workers, both making changes: every event arrives once, and each
    order's events in order."""

    def test_each_event_delivered_once_in_order(self):
        hooks = MockWebhookReceiver()
        a = Server().start()
        b = Server(db=a.db).start()
        try:
            setup_catalog(a)
            merchants = [Merchant(a, "tp%d" % i, webhook=webhook_config(hooks, "tp%d" % i, batch=True))
                         for i in range(3)]
            orders = [(m, create_cod(a if n % 2 else b, m, "tp-%d" % n)) for n, m in enumerate(merchants * 3)]
            for step, to in enumerate(LIFECYCLE):
                for n, (m, oid) in enumerate(orders):
                    move(a if (n + step) % 2 else b, oid, to)
            queued = queue_events(a, "tp0", [(logistics_event("L%03d" % i), "PO-L%d" % (i % 4)) for i in range(60)])
            # One logistics product's stock moved through both processes.
            logistics_product(a, merchants[1], "TP-1")
            for n in range(20):
                restock(a if n % 2 else b, merchants[1], "TP-1", 1)
            total = len(orders) * len(LIFECYCLE) + 60 + 20
            hooks.wait_for(lambda: len(hooks.received) >= len(orders) * len(LIFECYCLE) + 1, timeout=30)
            for did in queued:
                wait_state(a, did, "done", timeout=30)
            hooks.wait_for(lambda: len(envelopes(r for r in list(hooks.received) if r["path"] == "/hooks/tp1")) >= 20,
                           timeout=30)
            time.sleep(1)  # room for a duplicate to show up
            pharmacy = [r for r in hooks.received if isinstance(r["json"], dict)]
            logistics = envelopes(r for r in hooks.received if isinstance(r["json"], list))
            ids = [r["json"]["event_id"] for r in pharmacy] + [e["event_id"] for e in logistics]
            self.assertEqual(len(ids), total)
            self.assertEqual(len(set(ids)), total)
            for _, oid in orders:
                self.assertEqual(statuses(pharmacy, oid), LIFECYCLE)
            for k in range(4):
                mine = [e["event_id"] for e in logistics if e["payload"].get("order_id") in
                        ["L%03d" % i for i in range(k, 60, 4)]]
                self.assertEqual(mine, sorted(mine))
            stock = [e["payload"]["inventory"]["in_stock"] for e in logistics
                     if e["event_type"] == "product.inventory.change"]
            self.assertEqual(stock, list(range(1, 21)))
            pending = a.admin("GET", "/deliveries?state=pending").json["deliveries"]
            self.assertEqual(pending, [])
        finally:
            b.stop()
            a.stop()
            hooks.stop()


@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL's planner only")
class ClaimsOverALongHistory(unittest.TestCase):
    """The outbox keeps every delivered row. A claim must find the pending
    ones through the indexes, never by reading the whole table: with 20,000
    delivered rows in it, a backlog goes out with no sequential scan of
    outbox (PostgreSQL's own count, read once the server's connections have
    closed and so reported everything they did)."""

    def scans(self, dbname):
        row = harness.psql("SELECT seq_scan || ' ' || n_tup_upd FROM pg_stat_user_tables "
                           "WHERE relname = 'outbox'", dbname)
        return [int(v) for v in row.split()]

    def stop_and_wait_for_its_connections(self, server, dbname):
        server.stop()
        wait_until(lambda: harness.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'"
                                        % dbname) == "0", timeout=30)

    def test_a_backlog_goes_out_without_reading_the_whole_outbox(self):
        hooks = MockWebhookReceiver()
        server = Server().start()
        dbname = urllib.parse.urlparse(server.db).path.lstrip("/")
        try:
            Merchant(server, "lh1", webhook=webhook_config(hooks, "lh1", batch=True))
            self.stop_and_wait_for_its_connections(server, dbname)
            harness.psql("INSERT INTO outbox (kind, merchant_id, order_key, event_type, payload, state, "
                         "attempts, next_at, lease_until, first_at, delivered_at) "
                         "SELECT 'webhook', 'lh1', 'old-' || i, 'order.info.change', '{}', 'done', 1, "
                         "0, 0, 0, 0 FROM generate_series(1, 20000) AS i", dbname)
            harness.psql("ANALYZE outbox", dbname)
            seq_before, updated_before = self.scans(dbname)
            server.start()
            # Queued here rather than by queue_events(), whose lookup of
            # the ids would be a scan of its own.
            due = now_ms() + 300
            queued = [int(i) for i in harness.psql(
                "INSERT INTO outbox (kind, merchant_id, order_key, event_type, payload, state, "
                "attempts, next_at, lease_until, first_at) SELECT 'webhook', 'lh1', 'PO-N' || (i %% 5), "
                "'order.info.change', json_build_object('event_id', 'N' || i, "
                "'event_type', 'order.info.change', 'ts', '2026-11-22T08:00:00Z', "
                "'payload', json_build_object('order_id', 'N' || i))::text, 'pending', 0, %d, 0, %d "
                "FROM generate_series(1, 40) AS i RETURNING id" % (due, due), dbname).split()]
            for did in queued:
                wait_state(server, did, "done", timeout=30)
            self.assertEqual(len(envelopes(received(hooks, "lh1"))), 40)
            self.stop_and_wait_for_its_connections(server, dbname)
            seq_after, updated_after = self.scans(dbname)
            # Only the server updates outbox rows (leases, deliveries): its
            # counts have been reported.
            self.assertGreaterEqual(updated_after - updated_before, 40)
            self.assertEqual(seq_after, seq_before)
        finally:
            server.stop()
            hooks.stop()


if __name__ == "__main__":
    unittest.main()
