"""PostgreSQL as the scale-out backend (SPEC §8): several apotheca processes
share one database and every guarantee holds across them; a database
restart or outage is answered with clean 503s and recovered from without
restarting apotheca. Runs only with --backend postgres."""

import os
import random
import socket
import subprocess
import threading
import time
import unittest

import harness
from harness import Server, keypair

THREADS = 4  # harness.Server's APOTHECA_THREADS


def pg_cluster(action):
    """Runs scripts/pg-test.sh ACTION on the suite's cluster."""
    subprocess.run([os.path.join(harness.ROOT, "scripts", "pg-test.sh"), action,
                    os.environ["E2E_PG_DATA"]], check=True, capture_output=True, timeout=120)


def dbname_of(url):
    return url.split("/", 3)[3].split("?", 1)[0]


def parallel(n, fn):
    """Runs fn(i) for i in range(n) on n threads; returns the results in order,
    re-raising the first exception."""
    results = [None] * n
    errors = []

    def run(i):
        try:
            results[i] = fn(i)
        except BaseException as e:  # noqa: B036 - reported to the test thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        raise errors[0]
    return results


@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL backend only")
class TwoProcessesOneDatabase(unittest.TestCase):
    """Two apotheca processes on one database, hammered through both."""

    @classmethod
    def setUpClass(cls):
        db = harness.new_database()
        # Started together, so both race to apply the migrations.
        cls.servers = parallel(2, lambda i: Server(db=db).start())

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            if s:
                s.stop()

    def via(self, i):
        return self.servers[i % 2]

    def test_concurrent_stock_adjustments_through_both_add_up(self):
        a = self.servers[0]
        r = a.admin("PUT", "/skus/S1", {"name": "x", "mrp": 10, "price": 10, "stock": 0})
        self.assertIn(r.status, (200, 201), r)
        workers, per_worker = 8, 15
        rng = random.Random(1)
        # Each worker adds before it takes away and never takes more than it
        # added, so stock never needs to go below zero whatever the order.
        plans = []
        for _ in range(workers):
            plan, own = [], 0
            for _ in range(per_worker):
                d = rng.randint(1, 9) if own < 5 or rng.random() < 0.6 else -rng.randint(1, own)
                own += d
                plan.append(d)
            plans.append(plan)

        def work(i):
            answers = []
            for j, d in enumerate(plans[i]):
                r = self.via(i + j).admin("POST", "/skus/S1/stock", {"delta": d, "reason": "test"})
                answers.append(r)
            return answers

        answers = [r for rs in parallel(workers, work) for r in rs]
        for r in answers:
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["available"], r.json["on_hand"] - r.json["reserved"], r)
        total = sum(sum(p) for p in plans)
        for i in range(2):
            r = self.via(i).admin("POST", "/skus/S1/stock", {"delta": 1, "reason": "check"})
            self.assertStatus(r, 200)
            self.assertEqual(r.json["on_hand"], total + 1 + i, "lost or doubled stock updates")
            self.assertEqual(r.json["reserved"], 0)

    def test_concurrent_creates_of_one_sku_make_exactly_one(self):
        body = {"name": "race", "mrp": 20, "price": 18, "stock": 3}
        answers = parallel(12, lambda i: self.via(i).admin("PUT", "/skus/RACE1", body))
        statuses = sorted(r.status for r in answers)
        self.assertEqual(statuses.count(201), 1, answers)
        self.assertEqual(statuses.count(200), 11, answers)

    def test_concurrent_merchant_creates_with_one_id_make_exactly_one(self):
        _, pub = keypair()

        def create(i):
            return self.via(i).admin("POST", "/merchants", {
                "id": "race1", "name": "race_%d" % i, "jwt_public_key": pub})

        answers = parallel(10, create)
        self.assertEqual(sorted(r.status for r in answers), [201] + [409] * 9, answers)
        for i in range(2):
            r = self.via(i).admin("GET", "/merchants/race1")
            self.assertStatus(r, 200)

    def test_both_processes_are_ready(self):
        for s in self.servers:
            r = s.request("GET", "/readyz")
            self.assertStatus(r, 200)
            self.assertEqual(r.json["database"], "postgres")

    assertStatus = harness.ServerTest.assertStatus


@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL backend only")
class DatabaseRestart(harness.ServerTest):
    """PostgreSQL restarts and outages under a running apotheca."""

    def setUp(self):
        self.down = False
        self.addCleanup(self.bring_up)

    def bring_up(self):
        if self.down:
            pg_cluster("up")
            self.down = False

    def take_down(self):
        self.down = True
        pg_cluster("down")

    def all_ok(self, n=3 * THREADS):
        """n requests on fresh connections, so every worker thread serves some."""
        for i in range(n):
            r = self.server.request("GET", "/readyz", timeout=10)
            self.assertStatus(r, 200, "readyz #%d" % i)
            r = self.server.admin("GET", "/merchants/nope")
            self.assertStatus(r, 404, "db route #%d" % i)

    def assert_alive(self):
        self.assertIsNone(self.server.proc.poll(), "apotheca exited:\n" + self.server.log_tail())

    def test_restart_is_invisible_to_the_next_requests(self):
        self.all_ok()
        pg_cluster("restart")
        # Each thread notices its connection died before using it, so even
        # the first request after the restart gets an answer from the database.
        self.all_ok()
        self.assert_alive()

    def test_outage_answers_503_and_recovers_without_restarting(self):
        self.all_ok()
        self.take_down()
        for i in range(2 * THREADS):
            t0 = time.time()
            r = self.server.request("GET", "/readyz", timeout=10)
            self.assertStatus(r, 503, "readyz while down")
            self.assertEqual(r.json["status"], "unavailable")
            self.assertEqual(r.header("Retry-After"), "1")
            r = self.server.admin("GET", "/merchants/nope")
            self.assertStatus(r, 503, "db route while down")
            self.assertIn("error", r.json or {}, r)
            r = self.server.admin("POST", "/merchants", {"id": "down%d" % i, "name": "down_%d" % i})
            self.assertStatus(r, 503, "db write while down")
            self.assertLess(time.time() - t0, 5, "requests while down must not hang")
        self.assertStatus(self.server.request("GET", "/healthz"), 200)
        self.bring_up()
        self.all_ok()
        r = self.server.admin("POST", "/merchants", {"id": "back1", "name": "back_one"})
        self.assertStatus(r, 201)
        self.assert_alive()

    def test_requests_during_a_restart_get_an_answer(self):
        stop = threading.Event()
        seen = []

        def hammer(i):
            while not stop.is_set():
                try:
                    r = self.server.admin("GET", "/merchants/nope")
                    seen.append(r.status)
                except OSError as e:
                    seen.append(repr(e))

        threads = [threading.Thread(target=hammer, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.2)
            pg_cluster("restart")
            time.sleep(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        bad = [s for s in seen if s not in (404, 503)]
        self.assertEqual(bad, [], "only 404 (answered) or 503 (database away) are acceptable")
        self.all_ok()
        self.assert_alive()

@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL backend only")
class ConnectionsAcrossRestarts(harness.ServerTest):
    """Reconnecting after a restart must not leave extra connections open.
    One HTTP worker thread, so the same threads use the database before and
    after (with several, which worker accepts a fresh connection is up to
    the kernel, and the count would depend on it)."""

    server_env = {"APOTHECA_THREADS": "1"}

    def exercise(self):
        for i in range(6):
            self.assertStatus(self.server.request("GET", "/readyz", timeout=10), 200, "readyz #%d" % i)
            self.assertStatus(self.server.admin("GET", "/merchants/nope"), 404, "db route #%d" % i)

    def connections(self):
        """The count once it has held still for a second (background threads
        reconnect on their next round, every APOTHECA_SWEEP_MS)."""
        db = dbname_of(self.server.db)
        sql = "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s'" % db
        last, since, deadline = None, time.time(), time.time() + 20
        while time.time() < deadline:
            n = int(harness.psql(sql))
            if n != last:
                last, since = n, time.time()
            elif time.time() - since >= 1.0:
                return n
            time.sleep(0.1)
        self.fail("connection count never settled (last %s)" % last)

    def test_connections_are_not_leaked_by_reconnects(self):
        self.exercise()
        before = self.connections()
        for _ in range(3):
            pg_cluster("restart")
            self.exercise()
        # One connection per thread that uses the database, before and after
        # (the one that ran the migrations is not reopened).
        after = self.connections()
        self.assertGreater(after, 0)
        self.assertLessEqual(after, before)


class Forwarder:
    """A TCP port forwarding to the test cluster's Unix socket: the
    database as apotheca sees it through a load balancer. While cut, it
    closes live connections and accepts new ones only to close them at
    once (counting them), as HAProxy does when no node is primary."""

    def __init__(self):
        self.target = os.path.join(os.environ["E2E_PG_HOST"], ".s.PGSQL.%s" % os.environ["E2E_PG_PORT"])
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.cut = False
        self.refused = 0
        self.live = []
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                if self.cut:
                    self.refused += 1
                    client.close()
                    continue
                upstream = socket.socket(socket.AF_UNIX)
                upstream.connect(self.target)
                self.live += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pump, args=(a, b), daemon=True).start()

    @staticmethod
    def pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def set_cut(self, cut):
        with self.lock:
            self.cut = cut
            live, self.live = self.live, []
        if cut:
            for s in live:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()
        self.set_cut(True)


@unittest.skipUnless(harness.BACKEND == "postgres", "PostgreSQL backend only")
class ReconnectBackoff(unittest.TestCase):
    """While the database is unreachable a process does not try to
    reconnect on every request: attempts back off (shared by its threads),
    requests meanwhile get a prompt 503 with Retry-After in their dialect's
    shape, and the first readiness probe after the database is back ends
    the backoff."""

    def setUp(self):
        self.fwd = Forwarder()
        self.addCleanup(self.fwd.close)
        db = harness.new_database()
        url = "postgresql://postgres@127.0.0.1:%d/%s" % (self.fwd.port, dbname_of(db))
        self.server = Server(db=url).start()
        self.addCleanup(self.server.stop)

    def test_reconnects_back_off_while_the_database_is_away(self):
        self.assertEqual(self.server.admin("GET", "/merchants/nope").status, 404)
        self.fwd.set_cut(True)
        t0 = time.time()
        statuses = []
        for i in range(40):
            r = self.server.admin("GET", "/merchants/nope")
            statuses.append(r.status)
            if r.status == 503:
                self.assertEqual(r.header("Retry-After"), "1", r)
                self.assertIn("error", r.json or {}, r)
            time.sleep(0.03)
        elapsed = time.time() - t0
        self.assertEqual(set(statuses), {503}, statuses)
        with self.fwd.lock:
            attempts = self.fwd.refused
        # 50 ms doubling: about 6 attempts in these 1.5 s, whatever the
        # number of requests and threads; one per request would be 40+.
        self.assertLess(attempts, 15, "%d connection attempts in %.1f s" % (attempts, elapsed))
        self.assertGreater(attempts, 0)
        self.fwd.set_cut(False)
        r = self.server.request("GET", "/readyz")
        self.assertEqual(r.status, 200, r)
        for _ in range(8):
            self.assertEqual(self.server.admin("GET", "/merchants/nope").status, 404)


if __name__ == "__main__":
    unittest.main()
