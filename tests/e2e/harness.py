"""Outside-in test harness: starts the real apotheca binary on loopback and
talks HTTP to it. Standard library only (Debian's /usr/bin/python3).

Environment (set by run.py):
  E2E_BINARY   path to the apotheca binary under test
  E2E_BACKEND  "sqlite" or "postgres"
  E2E_PG_HOST  PostgreSQL socket directory (postgres backend)
  E2E_PG_PORT  PostgreSQL port (postgres backend)
  E2E_KEEP     1 keeps the work directory (databases, server logs) at the end
"""

import http.client
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

ADMIN_TOKEN = "test-admin-token"
CLIENT_KEY = "1mg_client_access_key"
PUBLIC_KEY = "1mg_public_access_key"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BINARY = os.environ.get("E2E_BINARY", os.path.join(ROOT, "build", "apotheca"))
BACKEND = os.environ.get("E2E_BACKEND", "sqlite")

_db_counter = itertools.count(1)
_workdir = tempfile.mkdtemp(prefix="apotheca-e2e-")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_url(dbname):
    host = os.environ["E2E_PG_HOST"]
    port = os.environ.get("E2E_PG_PORT", "5432")
    return "postgresql://postgres@/%s?host=%s&port=%s" % (dbname, urllib.parse.quote(host, safe=""), port)


def psql(sql, dbname="postgres"):
    """Runs SQL on the test cluster as the postgres superuser."""
    host = os.environ["E2E_PG_HOST"]
    port = os.environ.get("E2E_PG_PORT", "5432")
    out = subprocess.run(
        ["psql", "-X", "-q", "-At", "-h", host, "-p", port, "-U", "postgres", "-d", dbname, "-c", sql],
        check=True, capture_output=True, text=True)
    return out.stdout.strip()


def new_database():
    """A fresh, empty database for one test server: a SQLite file or a new
    PostgreSQL database on the shared throw-away cluster."""
    n = next(_db_counter)
    if BACKEND == "postgres":
        name = "apotheca_e2e_%d_%d" % (os.getpid(), n)
        psql("CREATE DATABASE %s" % name)
        return pg_url(name)
    return os.path.join(_workdir, "db%d.sqlite" % n)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "<Response %d %s>" % (self.status, self.body[:300])


def request(port, method, path, body=None, headers=None, raw=None, timeout=30):
    """One HTTP request on a fresh connection. body (any JSON value) is sent
    as JSON; raw (bytes or str) is sent as-is."""
    h = dict(headers or {})
    data = None
    if raw is not None:
        data = raw.encode() if isinstance(raw, str) else raw
    elif body is not None:
        data = json.dumps(body).encode()
        h.setdefault("Content-Type", "application/json")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        try:
            conn.request(method, path, body=data, headers=h)
        except (BrokenPipeError, ConnectionResetError):
            if conn.sock is None:
                raise  # reset while connecting (a server going away): no answer to read
            # answered before the whole body was sent (413): read that answer
        resp = conn.getresponse()
        payload = resp.read().decode("utf-8", "replace")
        return Response(resp.status, resp.getheaders(), payload)
    finally:
        conn.close()


class ServerGone(ConnectionRefusedError):
    """A request found no server because its process has exited; the
    message holds the exit status and the log's tail. Still an OSError,
    for tests that expect refusals while they kill the server."""


class Server:
    """One apotheca process. The database outlives restarts of the process."""

    def __init__(self, env=None, db=None, port=None, args=()):
        self.args = list(args)  # extra `apotheca serve` flags (e.g. --sandbox)
        self.db = db or new_database()
        self.port = port or free_port()
        self.env = dict(os.environ)
        self.env.update({
            "APOTHECA_DB": self.db,
            "APOTHECA_LISTEN": "127.0.0.1:%d" % self.port,
            "APOTHECA_ADMIN_TOKEN": ADMIN_TOKEN,
            "APOTHECA_PUBLIC_URL": "http://127.0.0.1:%d" % self.port,
            "APOTHECA_THREADS": "4",
            "APOTHECA_SWEEP_MS": "100",
            "APOTHECA_RETRY_BASE_MS": "100",
            # The mock peers listen on loopback.
            "APOTHECA_OUTBOUND_ALLOW_PRIVATE": "1",
        })
        self.env.update(env or {})
        # None in env means "leave the variable unset".
        self.env = {k: v for k, v in self.env.items() if v is not None}
        self.proc = None
        self.preexec = None  # run in the child before exec (resource limits)
        self.log_path = os.path.join(_workdir, "server-%d-%d.log" % (self.port, next(_db_counter)))

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BINARY, "serve"] + self.args, env=self.env, stdout=self.log,
                                     stderr=subprocess.STDOUT, preexec_fn=self.preexec)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("apotheca exited with %s:\n%s" % (self.proc.returncode, self.log_tail()))
            try:
                if request(self.port, "GET", "/healthz", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("apotheca did not become healthy:\n" + self.log_tail())

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def cli(self, *args, check=True, input=None):
        """Runs an apotheca CLI command against this server's database."""
        out = subprocess.run([BINARY] + list(args), env=self.env, capture_output=True, text=True,
                             input=input, timeout=120)
        if check and out.returncode != 0:
            raise AssertionError("apotheca %s failed (%d): %s%s" % (" ".join(args), out.returncode,
                                                                    out.stdout, out.stderr))
        return out

    def request(self, method, path, body=None, headers=None, raw=None, timeout=30):
        try:
            return request(self.port, method, path, body, headers, raw, timeout)
        except ConnectionRefusedError:
            # Say why nothing listens: the process is gone (its exit status
            # and log), or it is alive and the refusal is the test's to judge.
            if self.proc is not None and self.proc.poll() is not None:
                raise ServerGone("apotheca is not running (exit status %s):\n%s" % (
                    self.proc.returncode, self.log_tail())) from None
            raise

    def admin(self, method, path, body=None, raw=None, headers=None):
        h = {"Authorization": "Bearer " + ADMIN_TOKEN}
        h.update(headers or {})
        return self.request(method, "/admin/v1" + path, body=body, raw=raw, headers=h)


_keys = {}
_keys_lock = threading.Lock()


def keypair(name="default"):
    """An RSA key pair (private PEM path, public PEM text), made once per name."""
    with _keys_lock:
        if name not in _keys:
            priv = os.path.join(_workdir, "key-%s.pem" % name)
            subprocess.run(["openssl", "genrsa", "-out", priv, "2048"], check=True, capture_output=True)
            pub = subprocess.run(["openssl", "rsa", "-in", priv, "-pubout"], check=True,
                                 capture_output=True, text=True).stdout
            _keys[name] = (priv, pub)
        return _keys[name]


class Merchant:
    """A merchant registered through the admin API, with its key pair."""

    def __init__(self, server, mid="m1", name=None, key="default", secret="logistics-secret-1", **extra):
        self.server = server
        self.id = mid
        self.name = name or ("merchant_" + mid)
        self.priv, self.pub = keypair(key)
        self.secret = secret
        body = {"id": mid, "name": self.name, "jwt_public_key": self.pub, "logistics_secret": secret}
        body.update(extra)
        r = server.admin("POST", "/merchants", body)
        if r.status != 201:
            raise AssertionError("merchant create failed: %r" % r)

    def token(self, ttl=900, iat=None, key_path=None):
        args = ["token", "--merchant", self.id, "--key", key_path or self.priv, "--ttl", str(ttl)]
        if iat is not None:
            args += ["--iat", str(iat)]
        return self.server.cli(*args).stdout.strip()

    def headers(self, access_key=CLIENT_KEY, token=None):
        return {"X-Access-Key": access_key, "Authorization": "Bearer " + (token or self.token())}

    def basic(self, secret=None):
        import base64
        raw = ("M-%s:%s" % (self.id, secret or self.secret)).encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


class ServerTest(unittest.TestCase):
    """Base class: one fresh server (and database) per test class."""

    server_env = None
    server_args = ()

    @classmethod
    def setUpClass(cls):
        cls.server = Server(env=cls.server_env, args=cls.server_args).start()

    @classmethod
    def tearDownClass(cls):
        # A server that exited by itself (a crash) fails the class with its
        # log, instead of leaving only "connection refused" behind.
        died = cls.server.proc is not None and cls.server.proc.poll() is not None
        tail = cls.server.log_tail() if died else ""
        rc = cls.server.stop()
        if died:
            raise AssertionError("apotheca exited with %s while %s ran:\n%s" % (rc, cls.__name__, tail))

    def assertStatus(self, resp, status, msg=None):
        if resp.status != status:
            self.fail("%sexpected %d, got %r" % (msg + ": " if msg else "", status, resp))


def scratch_dir(prefix):
    """A new directory inside the run's work directory, removed with it by cleanup()."""
    return tempfile.mkdtemp(prefix=prefix, dir=_workdir)


def cleanup():
    """Removes the databases, keys and server logs (E2E_KEEP=1 keeps them)."""
    if os.environ.get("E2E_KEEP") == "1":
        print("e2e: kept %s (databases, keys, server logs)" % _workdir)
        return
    shutil.rmtree(_workdir, ignore_errors=True)
