"""GET /metrics: build info, in-flight requests, database errors, outbound
calls by kind and outcome with latency, webhook lag and flagged orders —
and `promtool check metrics` (Debian's prometheus package) finds nothing
to complain about in a live scrape."""

import re
import shutil
import subprocess
import time

from harness import Merchant, ServerTest
from mocks import MockPaymentServer
from test_orders import body, sku


def value(text, series):
    m = re.search(r"^%s (\S+)$" % re.escape(series), text, re.M)
    return float(m.group(1)) if m else None


class Metrics(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        s = cls.server
        cls.m = Merchant(s, "mx", payment_api={"base_url": cls.pay.url},
                         webhook={"url": "http://127.0.0.1:9/hooks", "signing_secret": "whsec-mx"})
        cls.dead = Merchant(s, "mx2", payment_api={"base_url": "http://127.0.0.1:9"})
        sku(s, "MX1", price=100, stock=100)

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        super().tearDownClass()

    def order(self, m, ref):
        r = self.server.request("POST", "/api/v4/merchants/%s/orders" % m.id, headers=m.headers(),
                                body=body(ref, {"MX1": 1}, 100, method="ONLINE"))
        self.assertStatus(r, 200)
        return r.json["data"]["order_id"]

    def confirm(self, m, oid, ref):
        return self.server.request("PUT", "/api/v4/merchants/%s/orders/%s/confirm" % (m.id, oid),
                                   headers=m.headers(), body={"order_id": oid, "merchant_order_id": ref})

    def scrape(self):
        r = self.server.request("GET", "/metrics")
        self.assertStatus(r, 200)
        return r.body

    def test_metrics_are_there_and_promtool_is_happy(self):
        # An approved payment (ok), a mismatched one (flagged), an unreachable payment API.
        oid = self.order(self.m, "mx-ok")
        self.pay.set_transaction("mx-ok", status="SUCCESS", amount="100", transaction_id="T-mx-ok")
        self.assertStatus(self.confirm(self.m, oid, "mx-ok"), 200)
        oid = self.order(self.m, "mx-flag")
        self.pay.set_transaction("mx-flag", status="SUCCESS", amount="99", transaction_id="T-mx-flag")
        self.assertStatus(self.confirm(self.m, oid, "mx-flag"), 400)
        oid = self.order(self.dead, "mx-dead")
        self.assertStatus(self.confirm(self.dead, oid, "mx-dead"), 502)

        # The webhooks of mx go to a closed port: they wait, and the lag grows.
        deadline = time.time() + 20
        while time.time() < deadline:
            text = self.scrape()
            lag = value(text, "apotheca_outbox_oldest_pending_seconds")
            webhook_fails = value(text, 'apotheca_outbound_calls_total{kind="webhook",outcome="unreachable"}')
            if lag and lag > 0.2 and webhook_fails:
                break
            time.sleep(0.05)
        self.assertGreater(lag, 0.2)
        self.assertGreaterEqual(webhook_fails, 1)
        self.assertRegex(text, r'(?m)^apotheca_build_info\{version="[^"]+",commit="[^"]+"\} 1$')
        self.assertGreaterEqual(value(text, "apotheca_http_requests_in_flight"), 1)  # this scrape
        self.assertEqual(value(text, 'apotheca_outbound_calls_total{kind="transaction_status",outcome="ok"}'), 2)
        self.assertEqual(value(text, 'apotheca_outbound_calls_total{kind="transaction_status",outcome="unreachable"}'), 1)
        self.assertEqual(value(text, 'apotheca_outbound_call_duration_seconds_count{kind="transaction_status"}'), 3)
        self.assertEqual(value(text, "apotheca_orders_flagged"), 1)
        self.assertIsNotNone(value(text, 'apotheca_db_errors_total{reason="unavailable"}'))

        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing: scripts/install-deps.sh test installs prometheus")
        out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        self.assertEqual((out.stdout + out.stderr).strip(), "", "promtool complains")

    def test_in_flight_goes_back_down(self):
        deadline = time.time() + 10
        while time.time() < deadline:
            if value(self.scrape(), "apotheca_http_requests_in_flight") == 1:
                return
            time.sleep(0.05)
        self.fail("in-flight never settled at 1 (the scrape itself)")


if __name__ == "__main__":
    import unittest
    unittest.main()
