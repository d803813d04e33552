"""The command line: --version, each command's --help, serve's flags checked
before the database is touched, listen address forms, tracking URLs that
follow the real listen address, and wrong inputs that say what was wrong."""

import http.client
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

from harness import BINARY, ROOT, Merchant, Server, free_port

ENV_NAMES = sorted(set(re.findall(r'"(APOTHECA_[A-Z_]+)"',
                                  open(os.path.join(ROOT, "src", "config.c")).read())))


def run(*args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("APOTHECA_")}
    e.update(env or {})
    return subprocess.run([BINARY] + list(args), env=e, capture_output=True, text=True, timeout=60)


def ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class Version(unittest.TestCase):
    def test_version_and_build_info_agree(self):
        out = run("--version")
        self.assertEqual(out.returncode, 0, out.stderr)
        m = re.match(r"^apotheca (\d+\.\d+\.\d+) \(commit ([0-9a-f]+(\+dirty)?|unknown)\)\n$", out.stdout)
        self.assertTrue(m, out.stdout)
        server = Server().start()
        try:
            body = server.request("GET", "/metrics").body
        finally:
            server.stop()
        self.assertIn('apotheca_build_info{version="%s",commit="%s"} 1' % (m.group(1), m.group(2)), body)


class Help(unittest.TestCase):
    def test_serve_help_lists_every_variable_it_reads(self):
        out = run("serve", "--help")
        self.assertEqual(out.returncode, 0)
        self.assertGreater(len(ENV_NAMES), 8)
        for name in ENV_NAMES:
            self.assertIn(name, out.stdout)
        for flag in ("--db", "--listen", "--admin-token", "--public-url", "--threads", "--sandbox"):
            self.assertIn(flag, out.stdout)

    def test_other_commands_list_only_their_own_flags(self):
        own = {
            "migrate": ["--db"],
            "demo": ["--dir", "--db", "--listen", "--sandbox-url"],
            "import": ["--db"],
            "merchant": ["--id", "--name", "--public-key", "--logistics-secret", "--webhook-batch", "--json",
                         "--db"],
            "token": ["--merchant", "--key", "--ttl", "--iat"],
        }
        for cmd, flags in own.items():
            out = run(cmd, "--help")
            self.assertEqual(out.returncode, 0, cmd)
            # Mentions of another command ("apotheca serve --sandbox") are not flags.
            text = re.sub(r"apotheca [a-z]+ --[a-z-]+", "", out.stdout)
            listed = set(re.findall(r"--[a-z][a-z-]+", text)) - {"--help"}
            self.assertEqual(listed, set(flags), cmd)
            if cmd == "token":
                self.assertNotIn("APOTHECA_", out.stdout)
            else:
                self.assertIn("APOTHECA_DB", out.stdout, cmd)
            for name in set(ENV_NAMES) - {"APOTHECA_DB", "APOTHECA_LISTEN"}:
                self.assertNotIn(name, out.stdout, cmd)

    def test_top_level_usage(self):
        out = run()
        self.assertEqual(out.returncode, 2)
        self.assertIn("--version", out.stderr)


class WrongInput(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="apotheca-cli-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.db = os.path.join(self.dir, "never.db")

    def test_serve_refuses_bad_settings_before_touching_the_database(self):
        cases = [
            (["serve", "--listen", "nope"], {}, "--listen"),
            (["serve", "--listen", "127.0.0.1:99999"], {}, "port"),
            (["serve", "--listen", "::1:8080"], {}, "IPv4"),
            (["serve", "--threads", "0"], {}, "--threads"),
            (["serve", "--public-url", "ftp://x"], {}, "http://"),
            (["serve", "--admin-token", ""], {}, "--admin-token"),
            (["serve", "extra"], {}, "unexpected argument 'extra'"),
            (["serve", "--bogus"], {}, "--bogus"),
            (["serve"], {"APOTHECA_THREADS": "many"}, "APOTHECA_THREADS"),
            (["serve"], {"APOTHECA_LISTEN": "host-without-port"}, "APOTHECA_LISTEN"),
            (["serve"], {"APOTHECA_PUBLIC_URL": "shop.example"}, "APOTHECA_PUBLIC_URL"),
            (["serve"], {"APOTHECA_SWEEP_MS": "1"}, "APOTHECA_SWEEP_MS"),
        ]
        for args, env, says in cases:
            env = dict(env, APOTHECA_DB=self.db)
            out = run(*args, env=env)
            self.assertEqual(out.returncode, 2, (args, env, out.stderr))
            self.assertIn(says, out.stderr, (args, env))
            self.assertFalse(os.path.exists(self.db), (args, env))

    def test_token_refuses_lifetimes_the_server_would_refuse(self):
        key = os.path.join(self.dir, "k.pem")
        subprocess.run(["openssl", "genrsa", "-out", key, "2048"], check=True, capture_output=True)
        out = run("token", "--merchant", "m", "--key", key, "--ttl", "5000")
        self.assertEqual(out.returncode, 2)
        self.assertIn("900", out.stderr)
        self.assertEqual(out.stdout, "")
        out = run("token", "--merchant", "m", "--key", key, "--ttl", "900")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.count("."), 2)

    def test_each_wrong_input_is_named(self):
        cases = [
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["token", "--key", "k.pem"], "--merchant"),
            (["token", "--merchant", "m"], "--key"),
            (["token", "--merchant", "m", "--key", "/nonexistent.pem"], "/nonexistent.pem"),
            (["token", "--merchant", "m", "--key", "k", "--ttl", "soon"], "--ttl"),
            (["migrate", "--listen", "x:1"], "--listen"),
            (["migrate", "stray"], "'stray'"),
            (["import"], "skus or pincodes"),
            (["import", "things", "f.csv"], "'things'"),
            (["import", "skus"], "which file"),
            (["merchant"], "add"),
            (["merchant", "remove"], "'remove'"),
            (["demo", "--listen", "bad"], "--listen"),
        ]
        for args, says in cases:
            out = run(*args, env={"APOTHECA_DB": self.db})
            self.assertNotEqual(out.returncode, 0, args)
            self.assertIn(says, out.stderr, args)
            self.assertFalse(os.path.exists(self.db), args)


def tracking_url(server):
    """Confirms a logistics order and returns its tracking_url."""
    m = Merchant(server, "cli1")
    h = m.basic()
    r = server.request("POST", "/2015-01-01/products/", {"merchants_id": "P1", "name": "Thing"}, headers=h)
    assert r.status in (200, 201), r
    r = server.admin("POST", "/merchants/cli1/products/P1/stock", {"delta": 5, "reason": "test"})
    assert r.status == 200, r
    r = server.request("POST", "/2015-01-01/orders/_create", {
        "merchants_order": "o1", "products": [{"merchants_id": "P1", "qty": 1}],
        "customer": {"firstName": "A", "lastName": "B", "address": "1 Rd", "postalCode": "560103",
                     "city": "Bengaluru"}}, headers=h)
    assert r.status == 201, r
    r = server.request("POST", "/2015-01-01/orders/%s/_confirm" % r.json["order_id"], headers=h)
    assert r.status == 200, r
    return r.json["tracking_url"]


class ListenAndPublicUrl(unittest.TestCase):
    def test_localhost_and_tracking_urls_follow_the_port(self):
        port = free_port()
        server = Server(env={"APOTHECA_LISTEN": "localhost:%d" % port, "APOTHECA_PUBLIC_URL": ""},
                        port=port).start()
        try:
            url = tracking_url(server)
        finally:
            server.stop()
        self.assertRegex(url, r"^http://localhost:%d/t/[A-Za-z0-9_-]+$" % port)

    def test_public_url_wins_without_its_trailing_slash(self):
        server = Server(env={"APOTHECA_PUBLIC_URL": "https://shop.example/"}).start()
        try:
            url = tracking_url(server)
        finally:
            server.stop()
        self.assertRegex(url, r"^https://shop\.example/t/[A-Za-z0-9_-]+$")

    @unittest.skipUnless(ipv6_loopback(), "no IPv6 loopback on this machine")
    def test_ipv6_loopback(self):
        port = free_port()
        server = Server(env={"APOTHECA_PUBLIC_URL": ""}, port=port)
        server.env["APOTHECA_LISTEN"] = "[::1]:%d" % port
        log = open(server.log_path, "ab")
        proc = subprocess.Popen([BINARY, "serve"], env=server.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            status = None
            for _ in range(600):
                try:
                    c = http.client.HTTPConnection("::1", port, timeout=2)
                    c.request("GET", "/healthz")
                    status = c.getresponse().status
                    c.close()
                    break
                except OSError:
                    if proc.poll() is not None:
                        break
                    time.sleep(0.05)
            self.assertEqual(status, 200, server.log_tail())
            # The HTTP server answers before the rest of start-up logs
            # "listening": wait for the line, not for a fixed moment.
            want = '"public_url":"http://[::1]:%d"' % port
            deadline = time.time() + 10
            while want not in server.log_tail() and time.time() < deadline:
                time.sleep(0.05)
            self.assertIn(want, server.log_tail())
        finally:
            proc.terminate()
            proc.wait(timeout=20)
            log.close()


if __name__ == "__main__":
    unittest.main()
