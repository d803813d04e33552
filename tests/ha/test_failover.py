#!/usr/bin/python3
"""apotheca on highly available PostgreSQL (SPEC §8), run for real: the
stack of scripts/cluster.sh (etcd, two PostgreSQL nodes under Patroni with
synchronous replication, HAProxy, three apotheca processes) under a steady,
bounded create load through HAProxy.

1. Failover: the PostgreSQL leader is killed (node loss). No acknowledged
   order is lost, every order is stored once, the stock reserved equals the
   orders stored, and writes resume by themselves within 30 s.
2. Rolling restart: the three apotheca processes are restarted one at a
   time (SIGTERM, start, wait until HAProxy routes to it again). No request
   fails.

The load's clients behave as docs/DEPLOYING.md tells merchants to: a create
answered 503 with Retry-After (or cut off without an answer) is sent again,
unchanged, with the same merchant_order_id, after Retry-After seconds. That
retry is what turns "the database moved while my order was in flight" into
exactly one order. In the rolling restart nothing needs retrying: any answer
but 200 there counts as a failed request.

Run with `make cluster-test` (as root: Patroni and PostgreSQL run as the
postgres user). Prints the measured failover time and throughput.
"""

import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

import harness  # noqa: E402
from harness import CLIENT_KEY, Merchant  # noqa: E402

CLUSTER = os.path.join(ROOT, "scripts", "cluster.sh")
WORKERS = 4                 # concurrent clients of the load
MAX_ORDERS_PER_PHASE = 20000  # bounds each phase in count...
MAX_PHASE_S = 120           # ...and in time
ORDER_RETRY_S = 60          # how long one order may be retried before it fails
RESUME_LIMIT_S = 30         # writes must resume within this after the kill
SKU = "HA1"
PRICE = 150
STOCK = 1000000
TOKEN_REFRESH_S = 600
STEADY_S = 5                # steady load before the kill (a measurement, not a wait)       # tokens live 900 s; mint a new one well before


def cluster(*args, timeout=180):
    out = subprocess.run([CLUSTER] + list(args), capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise AssertionError("cluster.sh %s failed (%d):\n%s%s" % (" ".join(args), out.returncode,
                                                                  out.stdout, out.stderr))
    return out.stdout


class ClusterClient:
    """What harness.Merchant needs of a server: admin calls and the CLI,
    here through HAProxy."""

    def __init__(self, url, admin_token, db_url):
        self.port = urllib.parse.urlsplit(url).port
        self.admin_token = admin_token
        self.env = dict(os.environ, APOTHECA_DB=db_url)

    def request(self, method, path, body=None, headers=None, timeout=30):
        return harness.request(self.port, method, path, body=body, headers=headers, timeout=timeout)

    def admin(self, method, path, body=None, raw=None, headers=None):
        h = {"Authorization": "Bearer " + self.admin_token}
        h.update(headers or {})
        return harness.request(self.port, method, "/admin/v1" + path, body=body, raw=raw, headers=h)

    def cli(self, *args, check=True):
        out = subprocess.run([harness.BINARY] + list(args), env=self.env, capture_output=True,
                             text=True, timeout=60)
        if check and out.returncode != 0:
            raise AssertionError("apotheca %s: %s" % (" ".join(args), out.stderr))
        return out


class Load:
    """WORKERS clients creating COD orders of one unit each, as fast as the
    answers come, until stopped or bounded. Each order is one
    merchant_order_id, retried (when retry is on) until acknowledged."""

    def __init__(self, client, merchant, phase, retry):
        self.client, self.m, self.phase, self.retry = client, merchant, phase, retry
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.acked = {}      # merchant_order_id -> order_id
        self.ack_times = []  # (time acknowledged, time its successful attempt began)
        self.failures = []   # (merchant_order_id, what went wrong)
        self.retries = 0     # attempts answered 503 / cut off and sent again
        self.count = 0
        self.token = None
        self.token_at = 0
        self.threads = [threading.Thread(target=self.worker, args=(i,)) for i in range(WORKERS)]

    def headers(self):
        with self.lock:
            if time.time() - self.token_at > TOKEN_REFRESH_S:
                self.token = self.m.token()
                self.token_at = time.time()
            return {"X-Access-Key": CLIENT_KEY, "Authorization": "Bearer " + self.token}

    def body(self, ref):
        return {"merchant_order_id": ref, "payable_amount": PRICE, "payment_method": "COD",
                "user": {"email": "ha@example.com", "mobile": "8465944178", "first_name": "H",
                         "last_name": "A", "address": {"pincode": "560103", "contact_number": "9611002324",
                                                       "name": "H", "street1": "S", "street2": "",
                                                       "type": "home"}},
                "skus": {SKU: 1}}

    def one_order(self, ref):
        """Creates one order; True when acknowledged."""
        path = "/api/v4/merchants/%s/orders" % self.m.id
        first = time.time()
        while True:
            began = time.time()
            try:
                r = self.client.request("POST", path, body=self.body(ref), headers=self.headers(), timeout=30)
                status, wait = r.status, r.header("Retry-After")
            except OSError as e:
                r, status, wait = None, "connection: %s" % e, None
            if status == 503 and not (r.json and r.json.get("is_success") is False
                                       and r.json.get("status_code") == 503):
                # Not apotheca's answer (a load balancer's own page): the
                # merchant could not tell it from a real failure.
                with self.lock:
                    self.failures.append((ref, "503 not in the dialect's shape: %s" % r.body[:200]))
                return False
            if status == 200 and r.json and r.json.get("is_success"):
                with self.lock:
                    self.acked[ref] = r.json["data"]["order_id"]
                    self.ack_times.append((time.time(), began))
                return True
            # 503 with Retry-After: the database or this process is moving.
            # A cut connection: the answer was lost, the order may or may not
            # exist; the same request finds out. 400 "Could not acquire lock":
            # the first attempt still holds the merchant_order_id.
            retryable = (status == 503 and wait) or r is None or (
                status == 400 and "acquire lock" in (r.body or ""))
            if not self.retry or not retryable or time.time() - first > ORDER_RETRY_S:
                with self.lock:
                    self.failures.append((ref, status if r is None else "%d %s" % (status, r.body[:200])))
                return False
            with self.lock:
                self.retries += 1
            time.sleep(min(float(wait or 1), 1.0))

    def worker(self, i):
        deadline = time.time() + MAX_PHASE_S
        n = 0
        while not self.stop_event.is_set() and time.time() < deadline:
            with self.lock:
                if self.count >= MAX_ORDERS_PER_PHASE:
                    return
                self.count += 1
            n += 1
            self.one_order("%s-%d-%d" % (self.phase, i, n))

    def start(self):
        self.t0 = time.time()
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=ORDER_RETRY_S + 40)
        self.t1 = time.time()

    def acks(self):
        with self.lock:
            return len(self.acked)

    def wait_acks(self, n, limit):
        deadline = time.time() + limit
        while self.acks() < n:
            if time.time() > deadline:
                raise AssertionError("only %d of %d orders acknowledged in %d s (failures: %r)" % (
                    self.acks(), n, limit, self.failures[:5]))
            if all(not t.is_alive() for t in self.threads):
                raise AssertionError("load ended early (%d orders, bound %d in %d s): %r" % (
                    self.count, MAX_ORDERS_PER_PHASE, MAX_PHASE_S, self.failures[:5]))
            time.sleep(0.05)

    def rate(self):
        return len(self.acked) / max(self.t1 - self.t0, 1e-9)


class Failover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        subprocess.run([CLUSTER, "down"], capture_output=True)
        env = {}
        for line in cluster("up", timeout=600).splitlines():
            if "=" in line:
                k, v = line.split("=", 1)
                env[k] = v
        cls.env = env
        cls.client = ClusterClient(env["APOTHECA_URL"], env["ADMIN_TOKEN"], env["DATABASE_URL"])
        cls.m = Merchant(cls.client, "hashop")
        r = cls.client.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2,
                                                         "eta_max_days": 4})
        assert r.status in (200, 201), r
        r = cls.client.admin("PUT", "/skus/" + SKU, {"name": "Failover test item", "mrp": 200, "price": PRICE,
                                                      "pack_size_label": "strip of 10", "sku_type": "otc",
                                                      "prescription_required": False, "active": True,
                                                      "stock": STOCK})
        assert r.status in (200, 201), r
        cls.report = []

    @classmethod
    def tearDownClass(cls):
        subprocess.run([CLUSTER, "down"], capture_output=True, timeout=180)
        harness.cleanup()
        for line in cls.report:
            print(line)

    def stored_orders(self):
        """merchant_order_id -> order_id of every order the merchant has."""
        out, cursor = {}, None
        while True:
            q = "/orders?merchant_id=%s&limit=500" % self.m.id + ("&cursor=" + cursor if cursor else "")
            r = self.client.admin("GET", q)
            self.assertEqual(r.status, 200, r)
            for o in r.json["orders"]:
                ref = o["merchant_order_id"]
                self.assertNotIn(ref, out, "two orders for merchant_order_id %s" % ref)
                out[ref] = o["order_id"]
            cursor = r.json.get("next_cursor")
            if not cursor:
                return out

    def assert_books_balance(self, acked):
        stored = self.stored_orders()
        lost = [ref for ref in acked if stored.get(ref) != acked[ref]]
        self.assertEqual(lost, [], "acknowledged orders missing or changed after failover")
        # Every order a client began was retried until acknowledged, so
        # nothing is stored that no client knows about.
        self.assertEqual(sorted(set(stored) - set(acked)), [])
        r = self.client.admin("GET", "/skus/" + SKU)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["reserved"], len(stored), "stock reserved != orders stored: %r" % r.json)
        self.assertEqual(r.json["on_hand"], STOCK, r.json)
        return stored

    def test_1_failover_loses_no_acknowledged_order(self):
        load = Load(self.client, self.m, "fo", retry=True).start()
        try:
            # A few seconds of steady load first, to measure throughput.
            load.wait_acks(40, 60)
            time.sleep(STEADY_S)
            with load.lock:
                steady = len(load.ack_times) / (time.time() - load.t0)
            name = cluster("kill-primary").strip()
            t_kill = time.time()
            # Writes resume by themselves: an order begun after the kill is
            # acknowledged.
            deadline = t_kill + RESUME_LIMIT_S
            resumed = None
            while resumed is None and time.time() < deadline:
                with load.lock:
                    after = [t for t, began in load.ack_times if began > t_kill]
                if after:
                    resumed = min(after) - t_kill
                time.sleep(0.05)
            self.assertIsNotNone(resumed, "writes did not resume within %d s of killing %s" % (
                RESUME_LIMIT_S, name))
            load.wait_acks(load.acks() + 40, 60)
        finally:
            load.stop()
        self.assertEqual(load.failures, [])
        with load.lock:
            times = sorted(t for t, _ in load.ack_times)
        gap = max(b - a for a, b in zip(times, times[1:]))
        stored = self.assert_books_balance(load.acked)
        self.report.append("steady load: %.1f orders/s (%d clients through HAProxy, 3 processes)" % (
            steady, WORKERS))
        self.report.append("failover: killed %s; writes resumed %.1f s after the kill (longest gap between "
                           "acknowledgements %.1f s); %d orders acknowledged, %d stored, %d attempts retried; "
                           "%.1f orders/s over %.0f s including the outage" % (
                               name, resumed, gap, len(load.acked), len(stored), load.retries,
                               load.rate(), load.t1 - load.t0))
        # Put the killed node back, so the next phase runs with a
        # synchronous standby again.
        cluster("rejoin", name)

    def test_2_rolling_restart_fails_no_request(self):
        load = Load(self.client, self.m, "rr", retry=False).start()
        try:
            load.wait_acks(40, 60)
            t0 = time.time()
            for i in (1, 2, 3):
                cluster("restart-app", str(i))
            restart_s = time.time() - t0
            load.wait_acks(load.acks() + 40, 60)
        finally:
            load.stop()
        self.assertEqual(load.failures, [], "requests failed during the rolling restart")
        stored = self.stored_orders()
        for ref, oid in load.acked.items():
            self.assertEqual(stored.get(ref), oid)
        r = self.client.admin("GET", "/skus/" + SKU)
        self.assertEqual(r.json["reserved"], len(stored), r.json)
        self.report.append("rolling restart: 3 processes restarted in %.1f s; %d orders, 0 failed; "
                           "%.1f orders/s over %.0f s" % (restart_s, len(load.acked), load.rate(),
                                                          load.t1 - load.t0))


if __name__ == "__main__":
    if os.geteuid() != 0:
        sys.exit("test_failover.py: run as root (cluster.sh starts Patroni as the postgres user)")
    unittest.main(verbosity=2)
