"""Logs an operator can use: every 5xx says why at warn or error; lines name
the merchant, order, merchant order, refund and event they are about; a
flagged payment is logged; the request's X-Request-ID goes out on the calls
it causes (payment API, refunds, webhooks)."""

import json
import time

from harness import Merchant, ServerTest
from mocks import MockPaymentServer, MockWebhookReceiver
from test_orders import body, sku


class Logs(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        cls.hooks = MockWebhookReceiver()
        cls.m = Merchant(cls.server, "lg", payment_api={"base_url": cls.pay.url},
                         webhook={"url": cls.hooks.url, "signing_secret": "whsec-lg"})
        sku(cls.server, "LG1", price=100, stock=100)

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        cls.hooks.stop()
        super().tearDownClass()

    def lines(self):
        out = []
        with open(self.server.log_path, "rb") as f:
            for raw in f:
                try:
                    out.append(json.loads(raw))
                except ValueError:
                    pass
        return out

    def wait_line(self, pred, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = [l for l in self.lines() if pred(l)]
            if found:
                return found
            time.sleep(0.05)
        self.fail("no such log line; last lines:\n%s" % "\n".join(json.dumps(l) for l in self.lines()[-15:]))

    def online(self, ref, rid):
        h = dict(self.m.headers(), **{"X-Request-ID": rid})
        r = self.server.request("POST", "/api/v4/merchants/lg/orders", body=body(ref, {"LG1": 2}, 200, method="ONLINE"),
                                headers=h)
        self.assertStatus(r, 200)
        return r.json["data"]["order_id"]

    def confirm(self, oid, ref, rid):
        h = dict(self.m.headers(), **{"X-Request-ID": rid})
        return self.server.request("PUT", "/api/v4/merchants/lg/orders/%s/confirm" % oid, headers=h,
                                   body={"order_id": oid, "merchant_order_id": ref})

    def test_a_502_says_why_and_names_the_order(self):
        oid = self.online("lg-502", "rid-lg-502-create")
        # The mock knows no transaction lg-502: it answers 404.
        r = self.confirm(oid, "lg-502", "rid-lg-502")
        self.assertStatus(r, 502)
        access = self.wait_line(lambda l: l.get("msg") == "access" and l.get("request_id") == "rid-lg-502")[0]
        self.assertEqual(access["level"], "warn")
        self.assertEqual(access["status"], 502)
        self.assertIn("404", access["error"])
        self.assertEqual((access["merchant_id"], access["order_id"], access["merchant_order_id"]),
                         ("lg", oid, "lg-502"))
        why = self.wait_line(lambda l: l.get("msg") == "payment API call failed" and
                             l.get("request_id") == "rid-lg-502")[0]
        self.assertEqual(why["level"], "warn")
        self.assertEqual((why["order_id"], why["merchant_order_id"]), (oid, "lg-502"))
        self.assertIn("404", why["error"])

    def test_refused_connection_is_named(self):
        m = Merchant(self.server, "lg2", payment_api={"base_url": "http://127.0.0.1:9"})
        r = self.server.request("POST", "/api/v4/merchants/lg2/orders", headers=m.headers(),
                                body=body("lg2-1", {"LG1": 1}, 100, method="ONLINE"))
        oid = r.json["data"]["order_id"]
        r = self.server.request("PUT", "/api/v4/merchants/lg2/orders/%s/confirm" % oid,
                                headers=dict(m.headers(), **{"X-Request-ID": "rid-refused"}),
                                body={"order_id": oid, "merchant_order_id": "lg2-1"})
        self.assertStatus(r, 502)
        why = self.wait_line(lambda l: l.get("msg") == "payment API call failed" and
                             l.get("request_id") == "rid-refused")[0]
        self.assertRegex(why["error"].lower(), r"connect|refused")

    def test_request_id_travels_to_payment_api_refund_and_webhooks(self):
        oid = self.online("lg-ok", "rid-lg-create")
        self.pay.set_transaction("lg-ok", status="SUCCESS", amount="200", transaction_id="T-lg-ok")
        self.assertStatus(self.confirm(oid, "lg-ok", "rid-lg-confirm"), 200)
        calls = [c for c in self.pay.requests if c["path"] == "/transactions/lg-ok"]
        self.assertEqual(calls[-1]["headers"].get("x-request-id"), "rid-lg-confirm")
        h = dict(self.m.headers(), **{"X-Request-ID": "rid-lg-cancel"})
        r = self.server.request("POST", "/api/v4/lg/order/cancel", headers=h,
                                body={"order_id": oid, "reason": "r", "agent_id": "a", "merchant": "lg"})
        self.assertStatus(r, 200)
        refund_id = r.json["data"]["refund"]["refund_id"]
        self.pay.wait_for(lambda: any(x["json"] and x["json"].get("refund_id") == refund_id
                                      for x in self.pay.refunds), timeout=20)
        refund = [x for x in self.pay.refunds if x["json"].get("refund_id") == refund_id][0]
        self.assertEqual(refund["headers"].get("x-request-id"), "rid-lg-cancel")
        self.hooks.wait_for(lambda: any(x["headers"].get("x-request-id") == "rid-lg-cancel"
                                        for x in self.hooks.requests), timeout=20)
        hook = [x for x in self.hooks.requests if x["headers"].get("x-request-id") == "rid-lg-cancel"][0]
        event_id = hook["json"]["event_id"]
        # The delivery lines name what they delivered.
        self.wait_line(lambda l: l.get("msg") == "outbox delivered" and l.get("refund_id") == refund_id and
                       l.get("order_id") == oid and l.get("request_id") == "rid-lg-cancel")
        self.wait_line(lambda l: l.get("msg") == "outbox delivered" and l.get("event_id") == event_id and
                       l.get("merchant_id") == "lg")

    def test_flagged_payment_is_logged(self):
        oid = self.online("lg-flag", "rid-lg-flag-create")
        self.pay.set_transaction("lg-flag", status="SUCCESS", amount="150", transaction_id="T-lg-flag")
        self.assertStatus(self.confirm(oid, "lg-flag", "rid-lg-flag"), 400)
        line = self.wait_line(lambda l: "flagged" in l.get("msg", "") and l.get("request_id") == "rid-lg-flag")[0]
        self.assertEqual(line["level"], "warn")
        self.assertEqual((line["order_id"], line["merchant_order_id"], line["merchant_id"]), (oid, "lg-flag", "lg"))
        self.assertEqual(line["transaction_id"], "T-lg-flag")


if __name__ == "__main__":
    import unittest
    unittest.main()
