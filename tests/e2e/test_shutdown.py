"""A graceful stop (docs/DEPLOYING.md, rolling restarts): on SIGTERM the
process stops accepting connections at once, answers every request it has
already begun, and only then exits."""

import signal
import socket
import threading
import time
import unittest

from harness import Server, Merchant
from mocks import MockPaymentServer

USER = {"email": "a@example.com", "mobile": "8465944178", "first_name": "A", "last_name": "B",
        "address": {"pincode": "560103", "contact_number": "9611002324", "name": "A",
                    "street1": "S", "street2": "", "type": "home"}}


def refused(port):
    """True when a new connection is turned away. A connection that the
    kernel completed just before the listener closed is reset instead of
    refused: that is turned away too. A connect that times out (a loaded
    machine) says nothing yet; the caller polls again."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except (ConnectionRefusedError, ConnectionResetError):
        return True
    except socket.timeout:
        return False


class GracefulStop(unittest.TestCase):
    def setUp(self):
        self.pay = MockPaymentServer()
        self.addCleanup(self.pay.stop)
        self.server = Server().start()
        self.addCleanup(self.server.stop)
        self.m = Merchant(self.server, "gs", payment_api={"base_url": self.pay.url, "aggregator": "X"})
        r = self.server.admin("PUT", "/skus/GS1", {"name": "Item", "mrp": 200, "price": 100,
                                                   "pack_size_label": "1", "sku_type": "otc",
                                                   "prescription_required": False, "active": True,
                                                   "stock": 10})
        self.assertIn(r.status, (200, 201), r)

    def test_sigterm_answers_requests_in_flight_and_refuses_new_ones(self):
        r = self.server.request("POST", "/api/v4/merchants/gs/orders", headers=self.m.headers(),
                                body={"merchant_order_id": "gs-1", "payable_amount": 100,
                                      "payment_method": "ONLINE", "user": USER, "skus": {"GS1": 1}})
        self.assertEqual(r.status, 200, r)
        oid = r.json["data"]["order_id"]
        # The merchant's payment API takes 2 s: the confirm is in flight
        # when the signal arrives.
        self.pay.set_transaction("gs-1", amount="100.00", delay=2)
        headers = self.m.headers()
        answer = {}

        def confirm():
            try:
                answer["r"] = self.server.request(
                    "PUT", "/api/v4/merchants/gs/orders/%s/confirm" % oid, headers=headers,
                    body={"order_id": oid, "merchant_order_id": "gs-1"}, timeout=30)
            except OSError as e:
                answer["error"] = e

        t = threading.Thread(target=confirm)
        t.start()
        self.assertTrue(self.pay.wait_for(lambda: len(self.pay.transaction_calls) == 1, timeout=10),
                        "the confirm never reached the payment API")
        proc = self.server.proc
        t_term = time.time()
        proc.send_signal(signal.SIGTERM)
        # New connections are refused well before the confirm can finish.
        deadline = t_term + 1.5
        while not refused(self.server.port) and time.time() < deadline:
            time.sleep(0.02)
        self.assertTrue(refused(self.server.port), "still accepting connections after SIGTERM")
        self.assertIsNone(proc.poll(), "exited before its request in flight was answered")
        t.join(timeout=30)
        self.assertNotIn("error", answer, "the request in flight was cut off")
        self.assertEqual(answer["r"].status, 200, answer["r"])
        self.assertEqual(answer["r"].header("Connection"), "close")
        self.assertEqual(proc.wait(timeout=20), 0, self.server.log_tail())
        self.assertIn('"msg":"drained"', self.server.log_tail())

    def test_sigterm_answers_requests_waiting_past_the_merchants_share(self):
        """Ten confirms at once: eight call the payment API (the merchant's
        share), two wait for a place. A stop answers all ten — the two once
        places free (or 503 if they waited too long) — and only then exits."""
        n = 10
        headers = self.m.headers()
        oids = {}
        for i in range(n):
            ref = "gw-%d" % i
            r = self.server.request("POST", "/api/v4/merchants/gs/orders", headers=headers,
                                    body={"merchant_order_id": ref, "payable_amount": 100,
                                          "payment_method": "ONLINE", "user": USER, "skus": {"GS1": 1}})
            self.assertEqual(r.status, 200, r)
            oids[ref] = r.json["data"]["order_id"]
            self.pay.set_transaction(ref, amount="100.00", transaction_id="T" + ref, delay=1)
        answers = {}

        def confirm(ref):
            try:
                answers[ref] = self.server.request(
                    "PUT", "/api/v4/merchants/gs/orders/%s/confirm" % oids[ref], headers=headers,
                    body={"order_id": oids[ref], "merchant_order_id": ref}, timeout=30)
            except OSError as e:
                answers[ref] = e

        threads = [threading.Thread(target=confirm, args=(ref,)) for ref in oids]
        for t in threads:
            t.start()
        self.assertTrue(self.pay.wait_for(lambda: len(self.pay.transaction_calls) >= 8, timeout=10),
                        "the confirms never reached the payment API")
        proc = self.server.proc
        proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(len(answers), n)
        statuses = sorted(a.status if hasattr(a, "status") else repr(a) for a in answers.values())
        self.assertTrue(all(s in (200, 503) for s in statuses), statuses)
        self.assertGreaterEqual(statuses.count(200), 8, statuses)
        self.assertLessEqual(self.pay.most_transactions_in_flight, 8)
        self.assertEqual(proc.wait(timeout=20), 0, self.server.log_tail())


if __name__ == "__main__":
    unittest.main()
