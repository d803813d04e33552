"""Hardening (docs/SECURITY.md): each case is something a bad actor or a bad
day did to a live server, and the answer it must get now. Connection tests
attack from 127.0.0.2 and measure service to 127.0.0.1."""

import base64
import os
import socket
import subprocess
import threading
import time
import unittest

import harness
from harness import ADMIN_TOKEN, BACKEND, BINARY, Merchant, Server, ServerTest, request


def wait_until(cond, timeout=10.0, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return cond()


class AdminToken(unittest.TestCase):
    """Item 1: an empty or short admin token never opens the admin API."""

    def serve(self, args=(), env=None):
        srv = Server(env=env)
        e = dict(srv.env)
        return subprocess.run([BINARY, "serve"] + list(args), env=e, capture_output=True,
                              text=True, timeout=30)

    def test_empty_flag_is_refused_at_start(self):
        out = self.serve(["--admin-token", ""])
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("admin token", out.stderr)
        self.assertIn("empty", out.stderr)

    def test_short_flag_is_refused_at_start(self):
        out = self.serve(["--admin-token", "short-token"])
        self.assertEqual(out.returncode, 2, out.stderr)
        self.assertIn("at least 16", out.stderr)

    def test_empty_or_short_environment_is_refused_at_start(self):
        for value in ("", "fifteen-chars!!"):
            out = self.serve(env={"APOTHECA_ADMIN_TOKEN": value})
            self.assertEqual(out.returncode, 2, (value, out.stderr))
            self.assertIn("admin token", out.stderr)

    def test_unset_keeps_the_admin_api_closed(self):
        srv = Server(env={"APOTHECA_ADMIN_TOKEN": None}).start()
        try:
            r = srv.request("GET", "/admin/v1/orders", headers={"Authorization": "Bearer "})
            self.assertEqual(r.status, 403)
        finally:
            srv.stop()

    def test_sixteen_characters_serve(self):
        srv = Server(env={"APOTHECA_ADMIN_TOKEN": None})
        srv.env["APOTHECA_ADMIN_TOKEN"] = "0123456789abcdef"
        srv.start()
        try:
            r = srv.request("GET", "/admin/v1/orders",
                            headers={"Authorization": "Bearer 0123456789abcdef"})
            self.assertEqual(r.status, 200)
            r = srv.request("GET", "/admin/v1/orders", headers={"Authorization": "Bearer "})
            self.assertEqual(r.status, 401)
        finally:
            srv.stop()


if __name__ == "__main__":
    unittest.main()
