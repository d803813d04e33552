"""The read cache (docs/ARCHITECTURE.md, "Read cache") across processes:
two apotheca processes on one database (one SQLite file, or one
PostgreSQL database). A change made through one — a price, a product
deactivated, a merchant deactivated, a coupon, an order's status — shows
in the other's inventory check and track within APOTHECA_CACHE_CHECK_MS
(polled with a deadline; nothing here measures time), and on SQLite at
the other's very next request (the processes count their commits in
<database>-commits). Stock sold through one process shows in the same
process's very next quote; in the other's next quote on SQLite, and within
the bound on PostgreSQL. A change made behind every process's back (plain
SQL) shows within the bound on either backend in a quote, and at the
very next create."""

import sqlite3
import time
import unittest

import harness
from harness import Merchant, Server

CHECK_MS = 300
# How long a change may take to show, beyond the bound: a loaded machine.
DEADLINE_S = CHECK_MS / 1000 + 10

USER = {"email": "rc@example.com", "mobile": "9611002324", "first_name": "R", "last_name": "C",
        "address": {"pincode": "560103", "contact_number": "9611002324", "name": "R C",
                    "street1": "1 Road", "street2": "", "type": "home"}}


def sku(server, sku_id, price, mrp=200, stock=10, active=True):
    r = server.admin("PUT", "/skus/" + sku_id, {"name": "Item " + sku_id, "mrp": mrp, "price": price,
                                                 "pack_size_label": "strip of 10", "sku_type": "otc",
                                                 "prescription_required": False, "active": active,
                                                 "stock": stock})
    assert r.status in (200, 201), r


class ReadCacheAcrossProcesses(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        env = {"APOTHECA_CACHE_CHECK_MS": str(CHECK_MS)}
        cls.a = Server(env=env).start()
        cls.b = Server(env=env, db=cls.a.db).start()
        cls.m = Merchant(cls.a, "rc1")

    @classmethod
    def tearDownClass(cls):
        cls.b.stop()
        cls.a.stop()

    def quote(self, server, skus, coupon=None, merchant=None):
        m = merchant or self.m
        body = {"skus": skus, "pincode": "560103"}
        if coupon:
            body["coupon_code"] = coupon
        return server.request("POST", "/api/v4/merchants/%s/inventory/check" % m.id, body=body,
                              headers=m.headers())

    def eventually(self, fn, what):
        """Polls fn() until it is true or the deadline passes."""
        deadline = time.time() + DEADLINE_S
        while True:
            if fn():
                return
            if time.time() > deadline:
                self.fail("%s did not show in the other process within %.1f s" % (what, DEADLINE_S))
            time.sleep(0.05)

    def place(self, server, ref, skus, payable):
        """A COD order of merchant rc1 placed through server; the answer."""
        return server.request("POST", "/api/v4/merchants/rc1/orders", headers=self.m.headers(), body={
            "merchant_order_id": ref, "payable_amount": payable, "payment_method": "COD",
            "user": USER, "skus": skus})

    def behind_every_process(self, sql):
        """Runs sql on the shared database with a client that is not apotheca."""
        if harness.BACKEND == "postgres":
            harness.psql(sql, dbname=self.a.db.split("/", 3)[3].split("?", 1)[0])
            return
        con = sqlite3.connect(self.a.db, timeout=10)
        try:
            con.execute(sql)
            con.commit()
        finally:
            con.close()

    def offered(self, server, sku_id, coupon=None):
        r = self.quote(server, {sku_id: 1}, coupon)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]["skus"][sku_id]

    def test_a_price_change_made_through_the_other_process_shows(self):
        sku(self.a, "RC-P", price=150)
        self.assertEqual(self.offered(self.a, "RC-P")["offered_price"], 150)  # now cached in a
        sku(self.b, "RC-P", price=120)
        # The process that made the change sees it at once.
        self.assertEqual(self.offered(self.b, "RC-P")["offered_price"], 120)
        if harness.BACKEND == "sqlite":
            # b counted its commit: a's very next quote asks the database.
            self.assertEqual(self.offered(self.a, "RC-P")["offered_price"], 120)
        self.eventually(lambda: self.offered(self.a, "RC-P")["offered_price"] == 120, "the new price")

    def test_a_change_made_behind_every_process_shows_within_the_bound(self):
        sku(self.a, "RC-X", price=150)
        for server in (self.a, self.b):
            self.assertEqual(self.offered(server, "RC-X")["offered_price"], 150)  # cached
        self.behind_every_process("UPDATE products SET price = 9900 WHERE merchant_id = '' AND sku_id = 'RC-X'")
        for server in (self.a, self.b):
            self.eventually(lambda: self.offered(server, "RC-X")["offered_price"] == 99,
                            "a price set with plain SQL")

    def test_a_create_counts_a_change_made_behind_every_process_at_once(self):
        """A quote may lag by the bound; an order may not. A create takes
        the merchant and the catalog from memory only after reading the
        version rows, so a price and the prescription flag set with plain
        SQL count at the very next create in either process."""
        sku(self.a, "RC-W", price=100, stock=10)
        for n, server in enumerate((self.a, self.b)):
            r = self.place(server, "rc-warm-%d" % n, {"RC-W": 1}, 100)  # held for creates too
            self.assertEqual(r.status, 200, r)
        for server in (self.a, self.b):  # and trusted: no commit counted since these
            self.assertEqual(self.offered(server, "RC-W")["offered_price"], 100)
        self.behind_every_process("UPDATE products SET price = 9900, rx_required = 1 "
                                  "WHERE merchant_id = '' AND sku_id = 'RC-W'")
        for n, server in enumerate((self.a, self.b)):  # refused: nothing committed
            r = self.place(server, "rc-old-price-%d" % n, {"RC-W": 1}, 100)
            self.assertEqual(r.status, 400, r)  # priced at the new price: 100 is not what is due
        for n, server in enumerate((self.a, self.b)):
            ref = "rc-new-price-%d" % n
            r = self.place(server, ref, {"RC-W": 1}, 99)
            self.assertEqual(r.status, 200, r)
            r = server.request("GET", "/api/v4/merchants/%s/orders/%s/track" % (self.m.name, ref),
                               headers=self.m.headers())
            self.assertEqual(r.status, 200, r)
            # A prescription medicine now: the order waits for one (100).
            self.assertEqual(r.json["data"]["result"]["grouped_orders"][0]["order_status"]["status_id"],
                             100, r.json)

    def test_a_confirm_counts_a_merchant_deactivated_behind_every_process_at_once(self):
        """A merchant deactivated with plain SQL is refused at the very
        next confirm, while the process's quotes trust what they hold."""
        m = Merchant(self.a, "rc-conf", key="rc-conf")
        sku(self.a, "RC-F", price=100)
        r = self.a.request("POST", "/api/v4/merchants/rc-conf/orders", headers=m.headers(), body={
            "merchant_order_id": "rc-conf-1", "payable_amount": 100, "payment_method": "ONLINE",
            "user": USER, "skus": {"RC-F": 1}})
        self.assertEqual(r.status, 200, r)
        order_id = r.json["data"]["order_id"]
        self.assertEqual(self.quote(self.a, {"RC-F": 1}, merchant=m).status, 200)  # trusted from here
        self.behind_every_process("UPDATE merchants SET active = 0 WHERE id = 'rc-conf'")
        r = self.a.request("PUT", "/api/v4/merchants/rc-conf/orders/%s/confirm" % order_id,
                           headers=m.headers(),
                           body={"merchant_order_id": "rc-conf-1", "order_id": order_id})
        self.assertEqual(r.status, 400, r)
        self.assertIn("Merchant not found", r.body)

    def test_a_product_deactivated_through_the_other_process_is_no_longer_quoted(self):
        sku(self.a, "RC-D", price=100)
        self.assertEqual(self.offered(self.a, "RC-D")["quantity"], 1)
        sku(self.b, "RC-D", price=100, active=False)
        self.eventually(lambda: self.offered(self.a, "RC-D")["offered_price"] is None,
                        "the deactivation")
        self.assertEqual(self.offered(self.a, "RC-D")["quantity"], 0)

    def test_a_merchant_deactivated_through_the_other_process_is_refused(self):
        m = Merchant(self.a, "rc-gone", key="rc-gone")
        sku(self.a, "RC-M", price=100)
        self.assertEqual(self.quote(self.a, {"RC-M": 1}, merchant=m).status, 200)
        r = self.b.admin("PATCH", "/merchants/rc-gone", {"active": False})
        self.assertEqual(r.status, 200, r)

        def refused():
            r = self.quote(self.a, {"RC-M": 1}, merchant=m)
            return r.status == 400 and "Merchant not found" in r.body
        self.eventually(refused, "the deactivation of the merchant")

    def test_a_coupon_changed_through_the_other_process_shows(self):
        sku(self.a, "RC-C", price=100, mrp=100)
        self.assertEqual(self.a.admin("PUT", "/coupons/RCTEN", {"kind": "percent", "value": 10}).status, 201)
        self.assertEqual(self.offered(self.a, "RC-C", "RCTEN")["discounted_price"], 90)
        r = self.b.admin("PUT", "/coupons/RCTEN", {"kind": "percent", "value": 50})
        self.assertEqual(r.status, 200, r)
        self.eventually(lambda: self.offered(self.a, "RC-C", "RCTEN")["discounted_price"] == 50,
                        "the new coupon value")

    def test_stock_sold_through_the_other_process_shows(self):
        sku(self.a, "RC-S", price=100, stock=10)
        self.assertEqual(self.offered(self.a, "RC-S")["quantity"], 1)
        r = self.quote(self.a, {"RC-S": 8})
        self.assertEqual(r.json["data"]["skus"]["RC-S"]["quantity"], 8)
        # Five units go to an order placed through b.
        r = self.place(self.b, "rc-stock-1", {"RC-S": 5}, 500)
        self.assertEqual(r.status, 200, r)
        if harness.BACKEND == "sqlite":
            # PRAGMA data_version: a's very next quote knows.
            r = self.quote(self.a, {"RC-S": 8})
            self.assertEqual(r.json["data"]["skus"]["RC-S"]["quantity"], 5)
            self.assertTrue(r.json["partial_complete"])
        self.eventually(lambda: self.quote(self.a, {"RC-S": 8}).json["data"]["skus"]["RC-S"]["quantity"] == 5,
                        "the units sold")
        # b sold them: b's own next quote knows at once, on either backend.
        r = self.quote(self.b, {"RC-S": 8})
        self.assertEqual(r.json["data"]["skus"]["RC-S"]["quantity"], 5)

    def test_stock_sold_through_the_same_process_shows_at_once(self):
        sku(self.a, "RC-O", price=100, stock=10)
        for _ in range(3):  # read, and held where the backend holds it
            r = self.quote(self.a, {"RC-O": 8})
            self.assertEqual(r.json["data"]["skus"]["RC-O"]["quantity"], 8)
        r = self.place(self.a, "rc-stock-own", {"RC-O": 6}, 600)
        self.assertEqual(r.status, 200, r)
        r = self.quote(self.a, {"RC-O": 8})
        self.assertEqual(r.json["data"]["skus"]["RC-O"]["quantity"], 4)
        self.assertTrue(r.json["partial_complete"])
        # A stale quote never sells: the other process, whatever its quote
        # said, is refused what is no longer there.
        r = self.place(self.b, "rc-stock-over", {"RC-O": 5}, 500)
        self.assertEqual(r.status, 400, r)
        self.assertIn("only 4 available", str(r.json))

    def test_track_shows_a_cancel_made_through_the_other_process(self):
        sku(self.a, "RC-T", price=100, stock=10)
        r = self.place(self.a, "rc-track-1", {"RC-T": 1}, 100)
        self.assertEqual(r.status, 200, r)
        order_id = r.json["data"]["order_id"]
        path = "/api/v4/merchants/%s/orders/rc-track-1/track" % self.m.name

        def status():
            r = self.a.request("GET", path, headers=self.m.headers())
            self.assertEqual(r.status, 200, r)
            return r.json["data"]["result"]["grouped_orders"][0]["order_status"]["status_id"]
        before = status()
        self.assertEqual(status(), before)  # answered again, from the cache
        r = self.b.request("POST", "/api/v4/rc1/order/cancel", headers=self.m.headers(),
                           body={"order_id": order_id, "reason": "customer asked", "agent_id": "a1",
                                 "merchant": "rc1"})
        self.assertEqual(r.status, 200, r)
        if harness.BACKEND == "sqlite":
            self.assertNotEqual(status(), before)  # b counted its commit
        self.eventually(lambda: status() != before, "the cancel")
        # And the process that cancelled answers the new status at once.
        r = self.b.request("GET", path, headers=self.m.headers())
        self.assertEqual(r.json["data"]["result"]["grouped_orders"][0]["order_status"]["status_id"],
                         status())


if __name__ == "__main__":
    unittest.main()
