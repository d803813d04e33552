"""Platform basics: health, routing errors, request ids, merchants admin."""

import unittest

from harness import ServerTest, Merchant, keypair


class HealthAndRouting(ServerTest):
    def test_healthz_and_readyz(self):
        self.assertStatus(self.server.request("GET", "/healthz"), 200)
        r = self.server.request("GET", "/readyz")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["status"], "ready")

    def test_request_id_is_echoed_or_generated(self):
        r = self.server.request("GET", "/healthz", headers={"X-Request-ID": "abc-123"})
        self.assertEqual(r.header("X-Request-ID"), "abc-123")
        r = self.server.request("GET", "/healthz")
        self.assertRegex(r.header("X-Request-ID"), r"^[0-9a-f]{16}$")
        r = self.server.request("GET", "/healthz", headers={"X-Request-ID": "x" * 129})
        self.assertNotEqual(r.header("X-Request-ID"), "x" * 129)

    def test_unknown_route_and_wrong_method(self):
        r = self.server.request("GET", "/nowhere")
        self.assertStatus(r, 404)
        r = self.server.request("DELETE", "/healthz")
        self.assertStatus(r, 405)
        self.assertIn("GET", r.header("Allow"))

    def test_metrics(self):
        self.server.request("GET", "/healthz")
        r = self.server.request("GET", "/metrics")
        self.assertStatus(r, 200)
        self.assertIn('apotheca_http_requests_total{route="healthz",status="200"}', r.body)
        self.assertIn('apotheca_http_request_duration_seconds_bucket{route="healthz",le="+Inf"}', r.body)
        self.assertIn('apotheca_outbox_rows{state="pending"} 0', r.body)


class AdminMerchants(ServerTest):
    def test_admin_token_required(self):
        self.assertStatus(self.server.request("GET", "/admin/v1/merchants/x"), 401)
        r = self.server.request("GET", "/admin/v1/merchants/x", headers={"Authorization": "Bearer nope"})
        self.assertStatus(r, 401)
        self.assertEqual(r.json["error"]["code"], "unauthorized")

    def test_create_get_patch_merchant_without_echoing_secrets(self):
        _, pub = keypair()
        r = self.server.admin("POST", "/merchants", {
            "id": "crud1", "name": "crud_one", "jwt_public_key": pub, "logistics_secret": "s3cret-value",
            "payment_api": {"base_url": "https://pay.example.com", "auth_header": "X-Key",
                            "auth_value": "hidden", "aggregator": "EKACARE"},
            "webhook": {"url": "https://hooks.example.com/a", "signing_secret": "whsec"},
            "charges": [{"type": "handling_fee", "display_text": "Handling", "amount": "99.00"}],
            "payment_window_s": 600})
        self.assertStatus(r, 201)
        self.assertNotIn("hidden", r.body)
        self.assertNotIn("s3cret-value", r.body)
        self.assertNotIn("whsec", r.body)
        self.assertEqual(r.json["charges"][0]["amount"], 99)
        self.assertEqual(r.json["payment_api"]["aggregator"], "EKACARE")
        r = self.server.admin("GET", "/merchants/crud1")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["payment_window_s"], 600)
        r = self.server.admin("PATCH", "/merchants/crud1", {"display_name": "Crud One", "active": False})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["display_name"], "Crud One")
        self.assertFalse(r.json["active"])
        self.assertEqual(r.json["charges"][0]["display_text"], "Handling")
        self.assertStatus(self.server.admin("GET", "/merchants/nope"), 404)

    def test_duplicate_and_invalid_merchants(self):
        Merchant(self.server, "dup1")
        r = self.server.admin("POST", "/merchants", {"id": "dup1", "name": "other"})
        self.assertStatus(r, 409)
        for body in ({"name": "x"}, {"id": "bad id", "name": "x"}, {"id": "ok"},
                     {"id": "ok2", "name": "y", "jwt_public_key": "not a key"},
                     {"id": "ok3", "name": "z", "payment_api": {"base_url": "http://evil.example"}},
                     {"id": "ok4", "name": "w", "charges": [{"type": "x", "amount": -1}]}):
            self.assertStatus(self.server.admin("POST", "/merchants", body), 400, repr(body))


if __name__ == "__main__":
    unittest.main()
