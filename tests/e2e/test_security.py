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


def attacker_socket(port, src="127.0.0.2", timeout=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_by_peer(s, timeout):
    """True when the server closes s within timeout seconds."""
    s.settimeout(timeout)
    try:
        while True:
            data = s.recv(4096)
            if not data:
                return True
    except ConnectionResetError:
        return True
    except (socket.timeout, TimeoutError):
        return False


class Connections(ServerTest):
    """Item 2: one address cannot take the server off the air."""

    ATTACK_CONNECTIONS = 4500

    def test_half_open_flood_from_one_address_does_not_stop_another(self):
        socks = []
        try:
            deadline = time.time() + 60
            for _ in range(self.ATTACK_CONNECTIONS):
                if time.time() > deadline:
                    break
                try:
                    s = attacker_socket(self.server.port, timeout=2)
                    s.sendall(b"GET /healthz HT")
                except OSError:
                    continue  # refused: what the limit is for
                socks.append(s)
            t0 = time.time()
            r = request(self.server.port, "GET", "/healthz", timeout=5)
            self.assertEqual(r.status, 200)
            self.assertLess(time.time() - t0, 1.0)
        finally:
            for s in socks:
                s.close()

    def test_trickled_headers_are_cut_off_at_the_deadline(self):
        s = attacker_socket(self.server.port)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            t0 = time.time()
            closed = False
            # One header line every 2 s keeps MHD's idle timer fresh for ever.
            while time.time() - t0 < 20:
                s.settimeout(2)
                try:
                    if not s.recv(4096):
                        closed = True
                        break
                except (socket.timeout, TimeoutError):
                    pass
                except ConnectionResetError:
                    closed = True
                    break
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    closed = True
                    break
            self.assertTrue(closed, "a trickling client held the connection for 20 s")
            self.assertLess(time.time() - t0, 14)
        finally:
            s.close()

    def test_a_normal_request_is_not_cut_off(self):
        s = attacker_socket(self.server.port)
        try:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.settimeout(5)
            self.assertIn(b"200", s.recv(4096).split(b"\r\n")[0])
        finally:
            s.close()
