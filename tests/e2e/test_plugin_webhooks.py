"""Logistics webhooks as a merchant's own shop plugin consumes them (issue:
the Logitrail modules for WooCommerce and Magento 2). The receiver is
mocks.MockShopPlugin: HTTP Basic credentials, ONE event object per request,
and it reads only payload.product.merchants_id + payload.inventory.available
(sets the shop's stock) and payload.order.merchants_order.id (completes the
shop's order on order.shipped).

By default (webhook.batch off) every logistics event is its own request; a
merchant whose receiver takes arrays turns webhook.batch on (admin API or
`apotheca merchant set --webhook-batch on`) and gets arrays of envelopes
again, which such a plugin cannot read."""

import time

import jsonschema

import harness
from harness import Merchant
from mocks import MockShopPlugin, MockWebhookReceiver, verify_signature
from test_deliveries import db_exec, delivery, wait_state
from test_openapi_answers import DOC, resolve

API = "/2015-01-01"
CUSTOMER = {"firstName": "Asha", "lastName": "Rao", "address": "12 MG Road", "postalCode": "560001",
            "city": "Bengaluru", "countryCode": "IN"}
ENVELOPE = ["event_id", "webhook_id", "event_type", "ts", "retry_count", "payload"]


def plugin_webhook(plugin, mid, **extra):
    hook = {"url": "%s/wc-api/logitrail/%s" % (plugin.url, mid), "signing_secret": "whsec-" + mid}
    hook.update(plugin.basic_auth())
    hook.update(extra)
    return hook


def check_schema(testcase, events):
    """Every event matches docs/openapi.json's logistics webhook event."""
    schema = resolve(DOC["components"]["schemas"]["LogisticsWebhookEvent"])
    testcase.assertTrue(events)
    for e in events:
        jsonschema.Draft202012Validator(schema).validate(e)


def wait_until(predicate, timeout=15.0, interval=0.05):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)


class PluginWebhooks(harness.ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.plugin = MockShopPlugin()
        cls.m = Merchant(cls.server, "wc", webhook=plugin_webhook(cls.plugin, "wc"))

    @classmethod
    def tearDownClass(cls):
        cls.plugin.stop()
        super().tearDownClass()

    def setUp(self):
        self.plugin.fail_first(0)

    def call(self, method, path, b=None, merchant=None):
        r = self.server.request(method, API + path, body=b, headers=(merchant or self.m).basic())
        self.assertIn(r.status, (200, 201), r)
        return r.json

    def product(self, sku, stock=0, merchant=None, **fields):
        b = {"merchants_id": sku, "name": "Item " + sku}
        b.update(fields)
        self.call("POST", "/products/", b, merchant)
        if stock:
            self.restock(sku, stock, merchant)

    def restock(self, sku, delta, merchant=None):
        r = self.server.admin("POST", "/merchants/%s/products/%s/stock" % ((merchant or self.m).id, sku),
                              {"delta": delta, "reason": "goods received"})
        self.assertEqual(r.status, 200, r)

    def order(self, merchants_order, sku, qty=1):
        oid = self.call("POST", "/orders/_create", {"merchants_order": merchants_order, "customer": CUSTOMER,
                                                     "products": [{"merchants_id": sku, "qty": qty}]})["order_id"]
        self.assertEqual(self.call("POST", "/orders/%s/_confirm" % oid)["success"], True)
        return oid

    def move(self, oid, to, **extra):
        b = {"status_id": to}
        b.update(extra)
        r = self.server.admin("POST", "/orders/%s/status" % oid, b)
        self.assertEqual(r.status, 200, r)

    def ship(self, oid, carrier="DL-1"):
        for to in (120, 130):
            self.move(oid, to)
        self.move(oid, 25, delivery_partner_name="Delhivery", carrier_tracking_code=carrier)

    def events(self, pred=lambda e: True):
        """Events the plugin decoded. Takes no lock, so it may run inside
        plugin.wait_for() (which holds it); appends are atomic."""
        return [e for e in list(self.plugin.events) if pred(e)]

    def order_events(self, oid):
        return self.events(lambda e: e["event_type"] != "product.inventory.change" and
                           e["payload"]["order"]["id"] == oid)

    def test_batch_is_off_by_default(self):
        r = self.server.admin("GET", "/merchants/wc")
        self.assertEqual(r.json["webhook"]["batch"], False)
        self.assertEqual(r.json["webhook"]["auth_header"], "Authorization")
        self.assertTrue(r.json["webhook"]["has_auth_value"])

    def test_a_stock_change_sets_the_shops_stock(self):
        self.product("WC-1", gtin="4006381333931")
        self.restock("WC-1", 7)
        self.assertTrue(self.plugin.wait_for(lambda: self.plugin.stock.get("WC-1") == 7), self.plugin.stock)
        (ev,) = self.events(lambda e: e["payload"]["product"]["merchants_id"] == "WC-1"
                            if e["event_type"] == "product.inventory.change" else False)
        self.assertEqual(list(ev), ENVELOPE)
        self.assertEqual((ev["webhook_id"], ev["retry_count"]), ("wh_wc", 0))
        inv = self.call("GET", "/products/inventory?merchants_id=WC-1")["products"][0]
        self.assertEqual(ev["payload"]["product"],
                         {"id": inv["id"], "merchants_id": "WC-1", "name": "Item WC-1", "gtin": "4006381333931"})
        self.assertEqual(ev["payload"]["inventory"], inv["inventory"])  # what the API shows after it
        self.assertEqual(list(ev["payload"]["inventory"]),
                         ["inbound", "in_stock", "available", "reserved", "on_hold", "last_movement"])
        # Each request was one signed object carrying the Basic credentials.
        with self.plugin.lock:
            reqs = [r for r in self.plugin.received if r["path"] == "/wc-api/logitrail/wc"]
        self.assertTrue(reqs)
        for r in reqs:
            self.assertIsInstance(r["json"], dict)
            self.assertTrue(verify_signature(r["headers"], r["raw"], "whsec-wc"))
        self.assertEqual(self.plugin.unreadable, [])

    def test_reserving_and_shipping_move_the_available_count(self):
        self.product("WC-2", stock=10)
        self.assertTrue(self.plugin.wait_for(lambda: self.plugin.stock.get("WC-2") == 10))
        oid = self.order("wc-200", "WC-2", qty=3)
        self.assertTrue(self.plugin.wait_for(lambda: self.plugin.stock.get("WC-2") == 7), self.plugin.stock)
        self.ship(oid)
        self.assertTrue(self.plugin.wait_for(lambda: "wc-200" in self.plugin.completed), self.plugin.completed)
        # Shipping takes the units off the shelf; what is available does not change again.
        self.assertEqual([n for sku, n in self.plugin.stock_log if sku == "WC-2"], [10, 7, 7])

    def test_shipping_completes_the_right_shop_order(self):
        self.product("WC-3", stock=10)
        first = self.order({"id": "wc-301", "time": "2026-11-30T10:00:00Z"}, "WC-3")
        second = self.order("wc-302", "WC-3")
        self.ship(second, carrier="DL-302")
        self.assertTrue(self.plugin.wait_for(lambda: self.plugin.completed.count("wc-302") == 1))
        self.ship(first, carrier="DL-301")
        self.assertTrue(self.plugin.wait_for(lambda: "wc-301" in self.plugin.completed))
        done = [c for c in self.plugin.completed if c in ("wc-301", "wc-302")]
        self.assertEqual(done, ["wc-302", "wc-301"])

        (shipped,) = [e for e in self.order_events(first) if e["event_type"] == "order.shipped"]
        view = self.call("GET", "/orders/%s" % first)
        order = shipped["payload"]["order"]
        self.assertEqual(list(order)[:5], ["id", "merchants_order", "status", "tracking_code", "tracking_url"])
        self.assertEqual(order["id"], first)
        self.assertEqual(order["merchants_order"], {"id": "wc-301", "time": "2026-11-30T10:00:00Z"})
        self.assertEqual(order["status"], "processed")
        self.assertEqual((order["tracking_code"], order["tracking_url"]), (view["tracking_code"], view["tracking_url"]))
        self.assertEqual(order["reference"], view["reference"])  # the PO number, beside the documented members
        self.assertEqual(shipped["payload"]["shipment"]["id"], first)
        self.assertEqual(shipped["payload"]["shipment"]["carrier_tracking_code"], "DL-301")
        (shipped2,) = [e for e in self.order_events(second) if e["event_type"] == "order.shipped"]
        self.assertEqual(shipped2["payload"]["order"]["merchants_order"], {"id": "wc-302"})
        # Events before shipping have no shipment yet.
        self.assertTrue(all("shipment" not in e["payload"] for e in self.order_events(first)
                            if e["payload"]["order"]["status_id"] in (15, 120, 130)))

    def test_an_orders_events_arrive_in_order_one_per_request(self):
        self.product("WC-4", stock=10)
        oid = self.order("wc-400", "WC-4")
        self.ship(oid)
        for to in (30, 40):
            self.move(oid, to)
        want = [15, 120, 130, 25, 30, 40]
        self.assertTrue(self.plugin.wait_for(lambda: len(self.order_events(oid)) >= len(want)))
        got = self.order_events(oid)
        self.assertEqual([e["payload"]["order"]["status_id"] for e in got], want)
        self.assertEqual([e["event_type"] for e in got],
                         ["order.info.change"] * 3 + ["order.shipped"] + ["order.info.change"] * 2)
        self.assertEqual([e["payload"]["order"]["status"] for e in got],
                         ["confirmed"] * 3 + ["processed"] * 3)
        self.assertEqual(len({e["event_id"] for e in got}), len(got))
        check_schema(self, got)
        check_schema(self, self.events(lambda e: e["event_type"] == "product.inventory.change"))

    def test_the_plugin_failing_gets_the_same_event_again(self):
        self.product("WC-5")
        self.plugin.fail_first(2)
        self.restock("WC-5", 4)
        self.assertTrue(self.plugin.wait_for(lambda: self.plugin.stock.get("WC-5") == 4, timeout=20))
        rows = [d for d in self.server.admin("GET", "/deliveries?limit=1000").json["deliveries"]
                if d["order_key"] == "product:wc:WC-5"]
        self.assertEqual(len(rows), 1)
        d = wait_state(self.server, rows[0]["id"], "done")
        self.assertEqual(d["attempts"], 2)
        with self.plugin.lock:
            tries = [r["json"] for r in self.plugin.received if isinstance(r["json"], dict) and
                     r["json"]["payload"].get("product", {}).get("merchants_id") == "WC-5"]
        self.assertEqual([t["retry_count"] for t in tries], [0, 1, 2])
        self.assertEqual(len({t["event_id"] for t in tries}), 1)

    def test_wrong_credentials_are_refused_and_retried(self):
        wrong = Merchant(self.server, "wcx", webhook=plugin_webhook(self.plugin, "wcx", auth_value="Basic bm86cGU="))
        self.product("WCX-1", merchant=wrong)
        self.restock("WCX-1", 3, merchant=wrong)
        rows = wait_until(lambda: [d for d in self.server.admin("GET", "/deliveries?limit=1000").json["deliveries"]
                                   if d["order_key"] == "product:wcx:WCX-1" and d["attempts"] >= 1])
        self.assertTrue(rows)
        self.assertIn("401", delivery(self.server, rows[0]["id"])["last_error"])
        self.assertNotIn("WCX-1", self.plugin.stock)
        # Put right, the waiting event goes through.
        r = self.server.admin("PATCH", "/merchants/wcx", {"webhook": self.plugin.basic_auth()})
        self.assertEqual(r.status, 200, r)
        self.assertTrue(self.plugin.wait_for(lambda: self.plugin.stock.get("WCX-1") == 3, timeout=20))

    def test_batch_on_sends_arrays_the_plugin_cannot_read(self):
        m = Merchant(self.server, "wcb", webhook=plugin_webhook(self.plugin, "wcb"))
        r = self.server.admin("PATCH", "/merchants/wcb", {"webhook": {"batch": True}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["webhook"]["batch"], True)
        self.assertEqual(r.json["webhook"]["url"], plugin_webhook(self.plugin, "wcb")["url"])  # the rest is kept
        self.product("WCB-1", merchant=m)
        self.restock("WCB-1", 5, merchant=m)

        def arrays():
            with self.plugin.lock:
                return [x for x in self.plugin.unreadable if isinstance(x, list) and
                        any(e["payload"].get("product", {}).get("merchants_id") == "WCB-1" for e in x)]
        self.assertTrue(wait_until(arrays))
        self.assertEqual(list(arrays()[0][0]), ENVELOPE)
        self.assertNotIn("WCB-1", self.plugin.stock)  # what the issue saw: stock never synced
        r = self.server.admin("PATCH", "/merchants/wcb", {"webhook": {"batch": False}})
        self.assertEqual(r.json["webhook"]["batch"], False)
        self.restock("WCB-1", 1, merchant=m)
        self.assertTrue(self.plugin.wait_for(lambda: self.plugin.stock.get("WCB-1") == 6))

    def test_batch_must_be_a_boolean(self):
        for bad in ("yes", 1, [], {}):
            r = self.server.admin("PATCH", "/merchants/wc", {"webhook": {"batch": bad}})
            self.assertEqual(r.status, 400, (bad, r))
            self.assertIn("webhook.batch", r.json["message"] if "message" in r.json else str(r.json))
        self.assertEqual(self.server.admin("GET", "/merchants/wc").json["webhook"]["batch"], False)

    def test_cli_sets_webhook_batch(self):
        Merchant(self.server, "wcc", webhook=plugin_webhook(self.plugin, "wcc"))
        out = self.server.cli("merchant", "set", "--id", "wcc", "--webhook-batch", "on")
        self.assertIn("merchant wcc changed", out.stdout)
        got = self.server.admin("GET", "/merchants/wcc").json
        self.assertEqual(got["webhook"]["batch"], True)
        self.assertTrue(got["webhook"]["has_signing_secret"])  # only batch changed
        self.server.cli("merchant", "set", "--id", "wcc", "--webhook-batch", "off")
        self.assertEqual(self.server.admin("GET", "/merchants/wcc").json["webhook"]["batch"], False)
        out = self.server.cli("merchant", "set", "--id", "wcc", "--webhook-batch", "maybe", check=False)
        self.assertEqual(out.returncode, 2)
        self.assertIn("--webhook-batch", out.stderr)
        out = self.server.cli("merchant", "set", "--id", "nobody", "--webhook-batch", "on", check=False)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("no such merchant", out.stderr)
        self.server.cli("merchant", "add", "--id", "wcd", "--name", "shop_wcd", "--webhook-batch", "on")
        self.assertEqual(self.server.admin("GET", "/merchants/wcd").json["webhook"]["batch"], True)


class BatchedReceiver(harness.ServerTest):
    """webhook.batch on: the same events, as arrays of envelopes (up to 100),
    still in order per order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hooks = MockWebhookReceiver()
        cls.m = Merchant(cls.server, "wa", webhook={"url": cls.hooks.url + "/hooks/wa", "signing_secret": "whsec-wa",
                                                    "batch": True})

    @classmethod
    def tearDownClass(cls):
        cls.hooks.stop()
        super().tearDownClass()

    def test_events_arrive_in_arrays_in_order(self):
        r = self.server.request("POST", API + "/products/", body={"merchants_id": "WA-1", "name": "Item"},
                                headers=self.m.basic())
        self.assertIn(r.status, (200, 201), r)
        for _ in range(12):
            r = self.server.admin("POST", "/merchants/wa/products/WA-1/stock", {"delta": 1, "reason": "count"})
            self.assertEqual(r.status, 200, r)

        def stock():
            return [e["payload"]["inventory"]["in_stock"] for r in list(self.hooks.received)
                    for e in r["json"]]
        self.hooks.wait_for(lambda: len(stock()) >= 12)
        self.assertTrue(all(isinstance(r["json"], list) for r in self.hooks.received))
        self.assertTrue(all(verify_signature(r["headers"], r["raw"], "whsec-wa") for r in self.hooks.received))
        self.assertEqual(stock(), list(range(1, 13)))
        first = self.hooks.received[0]["json"][0]
        self.assertEqual(list(first), ENVELOPE)
        self.assertEqual(first["payload"]["product"]["merchants_id"], "WA-1")


class UpgradeKeepsArrays(harness.ServerTest):
    """Migration 009 on a database made before it: merchants that already
    had logistics webhooks (a logistics secret and a webhook URL) were being
    sent arrays and keep them; every other merchant gets the default."""

    def test_existing_logistics_receivers_keep_arrays(self):
        hook = {"url": "http://127.0.0.1:9/hooks", "signing_secret": "whsec-up"}
        Merchant(self.server, "up-logi", webhook=hook)
        Merchant(self.server, "up-nohook")
        r = self.server.admin("POST", "/merchants", {"id": "up-pharm", "name": "up_pharm", "webhook": hook})
        self.assertEqual(r.status, 201, r)
        # Back to the schema before 009, then start again: 009 runs on these rows.
        self.server.stop()
        db_exec(self.server, "ALTER TABLE merchants DROP COLUMN webhook_batch")
        db_exec(self.server, "DELETE FROM schema_migrations WHERE version = 9")
        self.server.start()
        batch = {mid: self.server.admin("GET", "/merchants/" + mid).json["webhook"]["batch"]
                 for mid in ("up-logi", "up-nohook", "up-pharm")}
        self.assertEqual(batch, {"up-logi": True, "up-nohook": False, "up-pharm": False})
        Merchant(self.server, "up-new", webhook=hook)
        self.assertEqual(self.server.admin("GET", "/merchants/up-new").json["webhook"]["batch"], False)


if __name__ == "__main__":
    import unittest
    unittest.main()
