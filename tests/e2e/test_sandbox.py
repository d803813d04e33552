"""The merchant sandbox (`apotheca serve --sandbox`): a payment API that
approves orders at their payable amount (or PENDING/FAILED by suffix),
refunds that succeed, and a webhook inbox that checks signatures."""

import hashlib
import hmac
import json
import time
import unittest

from harness import Merchant, Server, ServerTest, scratch_dir
from test_orders import body, sku

SECRET = "whsec-sandbox"


def signed(payload, secret, t=None):
    raw = json.dumps(payload).encode()
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), b"%d." % t + raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Apotheca-Signature": "t=%d,v1=%s" % (t, mac)}


class WithoutTheFlag(ServerTest):
    def test_no_sandbox_route_exists(self):
        for method, path in (("GET", "/sandbox/webhooks"), ("GET", "/sandbox/webhooks.json"),
                             ("POST", "/sandbox/merchants/m/refunds"),
                             ("POST", "/sandbox/merchants/m/webhooks"),
                             ("GET", "/sandbox/merchants/m/transactions/x")):
            self.assertStatus(self.server.request(method, path, body={}), 404, path)


class Sandbox(ServerTest):
    server_args = ("--sandbox",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        base = "http://127.0.0.1:%d/sandbox/merchants/sb" % cls.server.port
        cls.m = Merchant(cls.server, "sb", payment_api={"base_url": base, "aggregator": "SANDBOX"},
                         webhook={"url": base + "/webhooks", "signing_secret": SECRET})
        sku(cls.server, "SB1", price=100, stock=100)

    def events(self):
        r = self.server.request("GET", "/sandbox/webhooks.json")
        self.assertStatus(r, 200)
        return r.json["events"]

    def wait_events(self, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            ev = self.events()
            if pred(ev):
                return ev
            time.sleep(0.05)
        self.fail("events never matched: %r" % self.events()[:3])

    def online(self, ref, qty=2):
        r = self.server.request("POST", "/api/v4/merchants/sb/orders",
                                body=body(ref, {"SB1": qty}, 100 * qty, method="ONLINE"), headers=self.m.headers())
        self.assertStatus(r, 200)
        return r.json["data"]["order_id"]

    def confirm(self, oid, ref):
        return self.server.request("PUT", "/api/v4/merchants/sb/orders/%s/confirm" % oid,
                                   body={"order_id": oid, "merchant_order_id": ref}, headers=self.m.headers())

    def test_payment_api_answers_the_payable_amount(self):
        oid = self.online("sb-1", qty=3)
        r = self.server.request("GET", "/sandbox/merchants/sb/transactions/sb-1")
        self.assertStatus(r, 200)
        self.assertEqual((r.json["status"], r.json["amount"], r.json["order_id"]), ("SUCCESS", 300, oid))
        self.assertStatus(self.confirm(oid, "sb-1"), 200)
        o = self.server.admin("GET", "/orders/" + oid).json
        self.assertEqual(o["payments"][0]["amount"], 300)
        self.assertStatus(self.server.request("GET", "/sandbox/merchants/sb/transactions/nope"), 404)

    def test_pending_and_failed_suffixes(self):
        for ref, word in (("sb-2-pending", "PENDING"), ("sb-3-failed", "FAILED")):
            oid = self.online(ref)
            r = self.server.request("GET", "/sandbox/merchants/sb/transactions/" + ref)
            self.assertEqual(r.json["status"], word)
            r = self.confirm(oid, ref)
            self.assertStatus(r, 400)
            self.assertIn(word.lower(), json.dumps(r.json).lower())
            self.assertEqual(self.server.admin("GET", "/orders/" + oid).json["status_id"], 180)

    def test_partial_cancel_refund_succeeds(self):
        oid = self.online("sb-4", qty=3)
        self.assertStatus(self.confirm(oid, "sb-4"), 200)
        r = self.server.request("POST", "/api/v4/sb/order/cancel", headers=self.m.headers(), body={
            "order_id": oid, "reason": "r", "agent_id": "a", "merchant": "sb", "skus": {"SB1": 1}})
        self.assertStatus(r, 200)
        deadline = time.time() + 20
        while time.time() < deadline:
            refunds = self.server.admin("GET", "/orders/" + oid).json["refunds"]
            if refunds and refunds[0]["state"] == "done":
                break
            time.sleep(0.05)
        self.assertEqual((refunds[0]["state"], refunds[0]["amount"], refunds[0]["type"]), ("done", 100, "PARTIAL"))

    def test_webhooks_arrive_signed_newest_first(self):
        oid = self.online("sb-5")
        self.assertStatus(self.confirm(oid, "sb-5"), 200)
        self.assertStatus(self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": 120}), 200)

        def mine(ev):
            return [e for e in ev if e["payload"].get("grouped_orders", [{}])[0].get("order_id") == oid]
        ev = self.wait_events(lambda ev: len(mine(ev)) >= 2)
        got = mine(ev)
        self.assertTrue(all(e["signature_valid"] for e in got))
        self.assertTrue(all(e["merchant_id"] == "sb" and e["event_id"] for e in got))
        # Newest first: 120 (processing) was received after 15 (confirmed).
        statuses = [e["payload"]["grouped_orders"][0]["order_status"]["status_id"] for e in got]
        self.assertEqual(statuses[:2], [120, 15])
        self.assertGreaterEqual(got[0]["received_ms"], got[1]["received_ms"])
        page = self.server.request("GET", "/sandbox/webhooks")
        self.assertStatus(page, 200)
        self.assertIn("text/html", page.header("Content-Type"))
        self.assertIn(got[0]["event_id"], page.body)
        self.assertIn("signature valid", page.body)

    def test_bad_signatures_are_kept_and_marked(self):
        cases = {
            "wrong secret": signed({"event_id": "bad-1"}, "not-the-secret"),
            "stale": signed({"event_id": "bad-2"}, SECRET, t=int(time.time()) - 3600),
            "missing": (json.dumps({"event_id": "bad-3"}).encode(), {"Content-Type": "application/json"}),
        }
        for why, (raw, headers) in cases.items():
            r = self.server.request("POST", "/sandbox/merchants/sb/webhooks", raw=raw, headers=headers)
            self.assertStatus(r, 200, why)
            self.assertFalse(r.json["signature_valid"], why)
        raw, headers = signed({"event_id": "good-1"}, SECRET)
        r = self.server.request("POST", "/sandbox/merchants/sb/webhooks", raw=raw, headers=headers)
        self.assertTrue(r.json["signature_valid"])
        by_id = {e["event_id"]: e for e in self.events()}
        self.assertTrue(by_id["good-1"]["signature_valid"])
        for eid in ("bad-1", "bad-2", "bad-3"):
            self.assertFalse(by_id[eid]["signature_valid"], eid)
            self.assertTrue(by_id[eid]["signature_error"], eid)
        self.assertStatus(self.server.request("POST", "/sandbox/merchants/nobody/webhooks", raw=raw,
                                              headers=headers), 404)

    def test_inbox_keeps_only_the_latest(self):
        for i in range(105):
            raw, headers = signed({"event_id": "flood-%d" % i}, SECRET)
            self.assertStatus(self.server.request("POST", "/sandbox/merchants/sb/webhooks", raw=raw,
                                                  headers=headers), 200)
        ev = self.events()
        self.assertEqual(len(ev), 100)
        self.assertEqual(ev[0]["event_id"], "flood-104")


class DemoUsesTheSandbox(unittest.TestCase):
    def test_demo_merchant_pays_and_hears_through_the_sandbox(self):
        server = Server(args=["--sandbox"])
        d = scratch_dir("demo-")
        server.cli("demo", "--dir", d)
        server.start()
        try:
            m = server.admin("GET", "/merchants/demo").json
            self.assertEqual(m["payment_api"]["base_url"],
                             "http://127.0.0.1:%d/sandbox/merchants/demo" % server.port)
            self.assertEqual(m["webhook"]["url"], "http://127.0.0.1:%d/sandbox/merchants/demo/webhooks" % server.port)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
