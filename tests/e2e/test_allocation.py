"""Orders waiting for stock are allocated when it arrives (issue 19): first
come, first served, each order only when every line fits in full; an order
that does not fit yet is passed over and keeps its place. Triggered by
every stock rise (operator adjustment, an order giving units back) right
after it commits, and by the sweeper for stock raised behind the server's
back; an operator's hand move to 20 is not undone by its own units. On
PostgreSQL, two processes receiving stock at once allocate each unit once.

Webhook bodies are checked only for their event type and order id."""

import concurrent.futures
import json
import re
import sqlite3
import urllib.parse
import time
import unittest

import harness
from harness import ServerTest, Server, Merchant
from mocks import MockWebhookReceiver

API = "/2015-01-01"
NOTE = "stock arrived: allocated"
CUSTOMER = {"firstName": "Asha", "lastName": "Rao", "address": "12 MG Road", "postalCode": "560001",
            "city": "Bengaluru", "countryCode": "IN"}
ADDRESS = {"pincode": "560103", "contact_number": "9611002324", "name": "Harish",
           "street1": "Varthur", "street2": "", "type": "home"}
USER = {"email": "a@example.com", "mobile": "8465944178", "first_name": "A", "last_name": "B",
        "address": ADDRESS}


def wait_until(fn, timeout=15.0, what="condition"):
    """Polls fn() until it returns something true; fails after timeout."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


def raise_stock_behind_the_server(server, pid_sql_where, delta):
    """Adds units with plain SQL, as another process without the hook would."""
    sql = "UPDATE products SET on_hand = on_hand + %d WHERE %s" % (delta, pid_sql_where)
    if harness.BACKEND == "postgres":
        harness.psql(sql, dbname=server.db.split("/", 3)[3].split("?", 1)[0])
    else:
        con = sqlite3.connect(server.db, timeout=10)
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()


def console_session(server):
    """Signs in to the console over plain HTTP; returns the Cookie header."""
    r = server.request("GET", "/admin/sign-in")
    signin = re.search(r"apotheca_signin=([0-9a-f]+)", r.header("Set-Cookie") or "").group(1)
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', r.body).group(1)
    form = urllib.parse.urlencode({"csrf": csrf, "next": "/admin/", "token": harness.ADMIN_TOKEN})
    r = server.request("POST", "/admin/sign-in", raw=form,
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Cookie": "apotheca_signin=" + signin})
    session = re.search(r"apotheca_session=([0-9a-f]+)", r.header("Set-Cookie") or "")
    assert session, r
    return "apotheca_session=" + session.group(1)


class AllocationBase(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hooks = MockWebhookReceiver()
        cls.m = Merchant(cls.server, "alog", secret="logistics-secret-1",
                         webhook={"url": "%s/hooks/alog" % cls.hooks.url, "signing_secret": "whsec-a"})
        cls.ph = Merchant(cls.server, "aph", key="other",
                          webhook={"url": "%s/hooks/aph" % cls.hooks.url, "signing_secret": "whsec-p"})
        cls.server.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2,
                                                     "eta_max_days": 4})

    @classmethod
    def tearDownClass(cls):
        cls.hooks.stop()
        super().tearDownClass()

    # ---- logistics helpers ----
    def call(self, method, path, body=None):
        return self.server.request(method, API + path, body=body, headers=self.m.basic())

    def product(self, pid, stock=0):
        r = self.call("POST", "/products/", {"merchants_id": pid, "name": "Item " + pid})
        self.assertIn(r.status, (200, 201), r)
        if stock:
            self.stock(pid, stock)

    def stock(self, pid, delta):
        r = self.server.admin("POST", "/merchants/alog/products/%s/stock" % pid,
                              {"delta": delta, "reason": "goods received"})
        self.assertStatus(r, 200)
        return r.json

    def order(self, lines, ref):
        r = self.call("POST", "/orders/_create", {"merchants_order": {"id": ref}, "customer": CUSTOMER,
                                                  "products": [{"merchants_id": p, "qty": q}
                                                               for p, q in lines.items()]})
        self.assertStatus(r, 201)
        oid = r.json["order_id"]
        r = self.call("POST", "/orders/%s/_confirm" % oid)
        self.assertStatus(r, 200)
        return oid, r.json["status"]

    def get(self, oid):
        r = self.call("GET", "/orders/" + oid)
        self.assertStatus(r, 200)
        return r.json

    def admin_order(self, oid):
        r = self.server.admin("GET", "/orders/" + oid)
        self.assertStatus(r, 200)
        return r.json

    def queue(self, pid, merchant="alog"):
        r = self.server.admin("GET", "/merchants/%s/products/%s/waiting" % (merchant, pid))
        self.assertStatus(r, 200)
        return r.json

    def assertAllocated(self, oid):
        o = self.get(oid)
        self.assertEqual((o["status"], o["status_id"]), ("confirmed", 120), o)
        last = self.admin_order(oid)["status_history"][-1]
        self.assertEqual((last["from"], last["to"], last["actor"], last["note"]),
                         (20, 120, "system", NOTE))

    def logistics_events(self, hex_id):
        """(event_type) of the logistics webhooks naming order hex_id."""
        out = []
        for r in list(self.hooks.received):
            if r["path"] != "/hooks/alog":
                continue
            events = r["json"] if isinstance(r["json"], list) else [r["json"]]
            for e in events:
                if isinstance(e, dict) and hex_id in json.dumps(e.get("payload")):
                    out.append(e.get("event_type"))
        return out


class IssueCase(AllocationBase):
    def test_two_more_units_allocate_the_order_for_three(self):
        self.product("I-1", stock=2)
        oid, status = self.order({"I-1": 3}, "issue-1")
        self.assertEqual(status, "waiting_products")
        after = self.stock("I-1", 2)
        # Allocated before the stock answer: the 3 units are reserved.
        self.assertEqual((after["on_hand"], after["reserved"], after["available"]), (4, 3, 1))
        self.assertAllocated(oid)
        self.assertEqual(self.get(oid)["products"][0]["reserved"], 3)
        # Every move has its order.info.change, the allocation's too.
        moves = len(self.admin_order(oid)["status_history"]) - 1
        self.assertEqual(moves, 4)
        wait_until(lambda: self.logistics_events(oid).count("order.info.change") == moves,
                   what="the allocation's order webhook")
        self.assertEqual(self.queue("I-1")["waiting"], [])

    def test_an_order_waiting_on_two_products_waits_for_both(self):
        self.product("TWO-A")
        self.product("TWO-B")
        oid, status = self.order({"TWO-A": 1, "TWO-B": 2}, "two-1")
        self.assertEqual(status, "waiting_products")
        self.stock("TWO-A", 1)
        self.assertEqual(self.get(oid)["status"], "waiting_products")
        q = self.queue("TWO-A")["waiting"]
        self.assertEqual([(w["id"], w["wants"], w["fits_now"]) for w in q], [(oid, 1, False)])
        self.stock("TWO-B", 1)
        self.assertEqual(self.get(oid)["status"], "waiting_products", "one of two units of B")
        after = self.stock("TWO-B", 1)
        self.assertEqual((after["reserved"], after["available"]), (2, 0))
        self.assertAllocated(oid)
        self.assertEqual(self.queue("TWO-A")["waiting"], [])

    def test_units_a_cancelled_order_gives_back_go_to_the_waiting_one(self):
        self.product("CX-1", stock=2)
        holder, status = self.order({"CX-1": 2}, "cx-hold")
        self.assertEqual(status, "confirmed")
        waiter, status = self.order({"CX-1": 2}, "cx-wait")
        self.assertEqual(status, "waiting_products")
        self.assertStatus(self.call("DELETE", "/orders/" + holder), 200)
        self.assertEqual(self.get(holder)["status"], "cancelled")
        self.assertAllocated(waiter)


class FirstComeFirstServed(AllocationBase):
    def test_stock_in_steps_serves_the_right_orders_in_order(self):
        self.product("F-1")
        a, _ = self.order({"F-1": 2}, "fcfs-a")
        b, _ = self.order({"F-1": 5}, "fcfs-b")
        c, _ = self.order({"F-1": 1}, "fcfs-c")
        d, _ = self.order({"F-1": 2}, "fcfs-d")
        q = self.queue("F-1")
        self.assertEqual([(w["position"], w["id"], w["wants"], w["held"]) for w in q["waiting"]],
                         [(1, a, 2, False), (2, b, 5, False), (3, c, 1, False), (4, d, 2, False)])
        self.assertEqual(q["waiting"][0]["status"], "waiting_products")

        # 3 units: a (2) is served; b (5) does not fit and is passed over;
        # c (1) behind it is served; d (2) finds nothing left.
        after = self.stock("F-1", 3)
        self.assertEqual((after["reserved"], after["available"]), (3, 0))
        self.assertAllocated(a)
        self.assertAllocated(c)
        self.assertEqual([w["id"] for w in self.queue("F-1")["waiting"]], [b, d], "b keeps its place")

        # 2 more: b still does not fit; d does.
        self.stock("F-1", 2)
        self.assertAllocated(d)
        q = self.queue("F-1")["waiting"]
        self.assertEqual([(w["position"], w["id"], w["fits_now"]) for w in q], [(1, b, False)])

        # 5 more: b at last.
        after = self.stock("F-1", 5)
        self.assertAllocated(b)
        self.assertEqual((after["on_hand"], after["reserved"], after["available"]), (10, 10, 0))
        for oid in (a, b, c, d):
            moves = [(h["from"], h["to"]) for h in self.admin_order(oid)["status_history"]]
            self.assertEqual(moves.count((20, 120)), 1, moves)

    def test_the_queue_pages_and_refuses_bad_requests(self):
        self.product("PG-1")
        oids = [self.order({"PG-1": 1}, "page-%d" % i)[0] for i in range(5)]
        r = self.server.admin("GET", "/merchants/alog/products/PG-1/waiting?limit=2")
        self.assertStatus(r, 200)
        seen = [w["id"] for w in r.json["waiting"]]
        while r.json["next_cursor"]:
            r = self.server.admin("GET", "/merchants/alog/products/PG-1/waiting?limit=2&cursor=" +
                                  r.json["next_cursor"])
            self.assertStatus(r, 200)
            seen += [w["id"] for w in r.json["waiting"]]
        self.assertEqual(seen, oids)
        for path, status in [("/merchants/alog/products/NOPE/waiting", 404),
                             ("/skus/NOPE/waiting", 404),
                             ("/merchants/alog/products/PG-1/waiting?color=red", 400),
                             ("/merchants/alog/products/PG-1/waiting?cursor=zz", 400),
                             ("/merchants/alog/products/PG-1/waiting?limit=0", 400)]:
            self.assertStatus(self.server.admin("GET", path), status, path)
        r = self.server.request("GET", "/admin/v1/skus/NOPE/waiting")
        self.assertIn(r.status, (401, 403), r)


class PharmacyAwaitingStock(AllocationBase):
    def create_cod(self, ref, sku_id, qty):
        r = self.server.request("POST", "/api/v4/merchants/aph/orders", headers=self.ph.headers(),
                                body={"merchant_order_id": ref, "payable_amount": 100 * qty,
                                      "payment_method": "COD", "user": USER, "skus": {sku_id: qty}})
        self.assertStatus(r, 200)
        return r.json["data"]["order_id"]

    def move(self, order_id, to):
        r = self.server.admin("POST", "/orders/%s/status" % order_id, {"status_id": to})
        self.assertStatus(r, 200, "move to %d" % to)

    def sku_stock(self, sku_id):
        return self.server.admin("GET", "/skus/" + sku_id).json

    def pharmacy_statuses(self, order_id):
        out = []
        for r in list(self.hooks.received):
            if r["path"] == "/hooks/aph":
                for g in r["json"].get("grouped_orders") or []:
                    if g.get("order_id") == order_id:
                        out.append(g["order_status"]["status_id"])
        return out

    def test_a_hand_move_to_20_waits_for_the_next_rise_then_20_to_120(self):
        r = self.server.admin("PUT", "/skus/PH-1", {"name": "Item", "mrp": 120, "price": 100,
                                                     "active": True, "stock": 3})
        self.assertIn(r.status, (200, 201), r)
        oid = self.create_cod("ph-1", "PH-1", 3)
        self.move(oid, 120)
        self.move(oid, 20)
        # Its own 3 units are free again, but the same step does not hand
        # them back to it.
        self.assertEqual(self.admin_order(oid)["status_id"], 20)
        s = self.sku_stock("PH-1")
        self.assertEqual((s["on_hand"], s["reserved"]), (3, 0))
        q = self.server.admin("GET", "/skus/PH-1/waiting").json
        self.assertEqual([(w["order_id"], w["held"], w["fits_now"], w["title"]) for w in q["waiting"]],
                         [(oid, True, True, "Awaiting Stock")])
        page = self.server.request("GET", "/admin/stock/PH-1",
                                   headers={"Cookie": console_session(self.server)})
        self.assertStatus(page, 200)
        self.assertIn("Waiting for stock", page.body)
        self.assertIn('href="/admin/orders/%s"' % oid, page.body)
        self.assertIn("moved here by hand", page.body)

        # Nor does the sweeper: a logistics order waiting on stock raised
        # behind the server's back is allocated by it, this one is not.
        self.product("SW-1")
        lo, status = self.order({"SW-1": 1}, "sweep-1")
        self.assertEqual(status, "waiting_products")
        raise_stock_behind_the_server(self.server, "merchant_id = 'alog' AND sku_id = 'SW-1'", 1)
        wait_until(lambda: self.get(lo)["status"] == "confirmed", what="the sweeper's allocation")
        self.assertAllocated(lo)
        self.assertEqual(self.admin_order(oid)["status_id"], 20, "a held order is not the sweeper's")

        # The next stock rise allocates it: 20 -> 120 with its webhook.
        r = self.server.admin("POST", "/skus/PH-1/stock", {"delta": 1, "reason": "delivery"})
        self.assertStatus(r, 200)
        self.assertEqual((r.json["on_hand"], r.json["reserved"], r.json["available"]), (4, 3, 1))
        o = self.admin_order(oid)
        self.assertEqual(o["status_id"], 120)
        self.assertEqual((o["status_history"][-1]["actor"], o["status_history"][-1]["note"]),
                         ("system", NOTE))
        wait_until(lambda: self.pharmacy_statuses(oid) == [120, 20, 120],
                   what="the pharmacy webhooks 120, 20, 120")

    def test_an_operator_still_moves_a_waiting_order_by_hand(self):
        r = self.server.admin("PUT", "/skus/PH-2", {"name": "Item", "mrp": 120, "price": 100,
                                                     "active": True, "stock": 2})
        self.assertIn(r.status, (200, 201), r)
        oid = self.create_cod("ph-2", "PH-2", 2)
        self.move(oid, 120)
        self.move(oid, 20)
        self.move(oid, 120)
        self.assertEqual(self.sku_stock("PH-2")["reserved"], 2)
        self.move(oid, 20)
        self.move(oid, 99)
        self.assertEqual(self.sku_stock("PH-2")["reserved"], 0)


class ConcurrentArrivals(unittest.TestCase):
    """Stock arriving at once, through two processes on PostgreSQL (one on
    SQLite): every unit is allocated once, first come first served."""

    ORDERS, UNITS = 30, 20

    @classmethod
    def setUpClass(cls):
        db = harness.new_database()
        n = 2 if harness.BACKEND == "postgres" else 1
        cls.servers = [Server(db=db).start()]
        if n == 2:
            cls.servers.append(Server(db=db).start())
        cls.m = Merchant(cls.servers[0], "conc", secret="logistics-secret-1")

    @classmethod
    def tearDownClass(cls):
        for s in cls.servers:
            s.stop()

    def call(self, i, method, path, body=None):
        return self.servers[i % len(self.servers)].request(method, API + path, body=body,
                                                           headers=self.m.basic())

    def test_each_unit_is_allocated_once(self):
        s0 = self.servers[0]
        self.assertIn(self.call(0, "POST", "/products/", {"merchants_id": "C-1", "name": "c"}).status,
                      (200, 201))
        oids = []
        for i in range(self.ORDERS):
            r = self.call(i, "POST", "/orders/_create", {"merchants_order": {"id": "c-%d" % i},
                                                          "customer": CUSTOMER,
                                                          "products": [{"merchants_id": "C-1", "qty": 1}]})
            self.assertEqual(r.status, 201, r)
            oids.append(r.json["order_id"])
            r = self.call(i, "POST", "/orders/%s/_confirm" % oids[-1])
            self.assertEqual(r.json["status"], "waiting_products", r)

        def arrive(i):
            return self.servers[i % len(self.servers)].admin(
                "POST", "/merchants/conc/products/C-1/stock", {"delta": 1, "reason": "arrival %d" % i})

        with concurrent.futures.ThreadPoolExecutor(max_workers=10) as ex:
            answers = list(ex.map(arrive, range(self.UNITS)))
        for r in answers:
            self.assertEqual(r.status, 200, r)
        p = s0.admin("GET", "/merchants/conc/products/C-1").json
        self.assertEqual((p["on_hand"], p["reserved"], p["available"]), (self.UNITS, self.UNITS, 0))
        statuses = [self.call(0, "GET", "/orders/" + oid).json["status"] for oid in oids]
        self.assertEqual(statuses, ["confirmed"] * self.UNITS + ["waiting_products"] * (self.ORDERS - self.UNITS),
                         "the first %d in the queue, each once" % self.UNITS)
        for oid in oids[:self.UNITS]:
            hist = s0.admin("GET", "/orders/" + oid).json["status_history"]
            self.assertEqual([(h["from"], h["to"]) for h in hist].count((20, 120)), 1, hist)
            self.assertEqual(s0.admin("GET", "/orders/" + oid).json["lines"][0]["reserved_qty"], 1)
        q = s0.admin("GET", "/merchants/conc/products/C-1/waiting").json["waiting"]
        self.assertEqual([w["id"] for w in q], oids[self.UNITS:])


if __name__ == "__main__":
    unittest.main()
