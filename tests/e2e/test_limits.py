"""Limits and malformed input (SPEC §1): every one is a clear 4xx in the
dialect's error shape — never a crash, a hang or a 500."""

import http.client
import json
import socket
import time
import unittest

from harness import ServerTest, Merchant


class Limits(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.m = Merchant(cls.server, "lim")
        cls.path = "/api/v4/merchants/lim/inventory/check"

    def pharm(self, raw, ctype="application/json"):
        h = self.m.headers()
        if ctype:
            h["Content-Type"] = ctype
        return self.server.request("POST", self.path, raw=raw, headers=h)

    def assertPharmError(self, r, status):
        self.assertStatus(r, status)
        self.assertEqual(r.json["is_success"], False)
        self.assertEqual(r.json["status_code"], status)
        self.assertIsInstance(r.json["error"]["message"], str)

    def test_body_over_one_mib_is_413_in_each_dialect(self):
        big = b'{"skus": {"1": 1}, "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
        self.assertPharmError(self.pharm(big), 413)
        r = self.server.request("POST", "/2015-01-01/orders/_create", raw=big,
                                headers={"Content-Type": "application/json"})
        self.assertStatus(r, 413)
        self.assertEqual(r.json["success"], False)
        r = self.server.admin("POST", "/merchants", raw=big, headers={"Content-Type": "application/json"})
        self.assertStatus(r, 413)
        self.assertIn("code", r.json["error"])
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_chunked_body_over_the_limit(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        h = self.m.headers()
        h["Content-Type"] = "application/json"
        def chunks():
            for _ in range(40):
                yield b"x" * 65536
        try:
            conn.request("POST", self.path, body=chunks(), headers=h, encode_chunked=True)
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close as soon as it has answered
        finally:
            conn.close()
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_malformed_json(self):
        for raw in ('{"skus": {"1": 1}', "", "{", "nul", '{"a":1}{"b":2}', "\xff\xfe", '{"a": 1, "a": 2}'):
            r = self.pharm(raw)
            self.assertPharmError(r, 400)
        r = self.pharm('{"skus": ')
        self.assertEqual(r.json["error"]["message"], "Invalid request")

    def test_deep_nesting(self):
        self.assertPharmError(self.pharm("[" * 33 + "]" * 33), 400)
        self.assertPharmError(self.pharm('{"a":' * 40 + "1" + "}" * 40), 400)
        self.assertPharmError(self.pharm("[" * 100000), 400)
        # 32 levels is fine as far as nesting goes (it is still not a valid cart)
        r = self.pharm('{"skus": {"1": 1}, "pincode": "560103", "x": ' + "[" * 30 + "]" * 30 + "}")
        self.assertStatus(r, 200)

    def test_non_object_bodies(self):
        for raw in ("[]", "1", '"s"', "null", "true"):
            self.assertPharmError(self.pharm(raw), 400)

    def test_wrong_content_types(self):
        self.assertPharmError(self.pharm('{"skus": {"1": 1}, "pincode": "560103"}', "text/plain"), 415)
        self.assertPharmError(self.pharm('{"skus": {"1": 1}, "pincode": "560103"}',
                                         "application/x-www-form-urlencoded"), 415)
        r = self.pharm('{"skus": {"1": 1}, "pincode": "560103"}', "application/json; charset=utf-8")
        self.assertStatus(r, 200)
        r = self.pharm('{"skus": {"1": 1}, "pincode": "560103"}', None)
        self.assertStatus(r, 200)

    def test_unknown_routes_and_methods_per_dialect(self):
        r = self.server.request("GET", "/api/v4/nothing/here")
        self.assertPharmError(r, 404)
        r = self.server.request("GET", self.path)
        self.assertPharmError(r, 405)
        self.assertEqual(r.header("Allow"), "POST")
        r = self.server.request("GET", "/2015-01-01/nothing")
        self.assertStatus(r, 404)
        self.assertEqual(r.json, {"success": False, "code": "not_found", "message": "Not found"})
        r = self.server.admin("GET", "/nothing")
        self.assertStatus(r, 404)
        self.assertEqual(r.json["error"]["code"], "not_found")
        r = self.server.request("BREW", "/healthz")
        self.assertStatus(r, 405)

    def test_request_id_limits(self):
        r = self.server.request("GET", "/healthz", headers={"X-Request-ID": "a" * 128})
        self.assertEqual(r.header("X-Request-ID"), "a" * 128)
        r = self.server.request("GET", "/healthz", headers={"X-Request-ID": "has space"})
        self.assertNotEqual(r.header("X-Request-ID"), "has space")

    def test_headers_fit_the_connection_memory(self):
        # SERVER_CONNECTION_MEMORY (16 KiB) holds 12 KB of headers; more is 431.
        r = self.server.request("GET", "/healthz", headers={"X-Big": "a" * 12000})
        self.assertStatus(r, 200)
        r = self.server.request("GET", "/healthz", headers={"X-Big": "a" * 20000})
        self.assertStatus(r, 431)
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_garbage_on_the_socket_does_not_hurt(self):
        for payload in (b"\x00\x01\x02garbage\r\n\r\n", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
                        b"POST /api/v4/merchants/lim/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
                        b"GET /" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"):
            s = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
            try:
                s.sendall(payload)
                s.settimeout(5)
                try:
                    s.recv(4096)
                except (socket.timeout, ConnectionResetError):
                    pass
            finally:
                s.close()
        self.assertStatus(self.server.request("GET", "/healthz"), 200)

    def test_keep_alive_survives_many_requests(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            for _ in range(50):
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, 200)
                self.assertNotEqual((resp.getheader("Connection") or "").lower(), "close")
        finally:
            conn.close()


class AdminDisabled(ServerTest):
    server_env = {"APOTHECA_ADMIN_TOKEN": None}

    def test_every_admin_route_answers_403_without_a_token_configured(self):
        for method, path in (("GET", "/admin/v1/merchants/x"), ("POST", "/admin/v1/merchants"),
                             ("GET", "/admin/v1/orders"), ("PUT", "/admin/v1/skus/x")):
            r = self.server.request(method, path, headers={"Authorization": "Bearer anything"})
            self.assertStatus(r, 403, path)
            self.assertEqual(r.json["error"]["code"], "forbidden")


if __name__ == "__main__":
    unittest.main()
