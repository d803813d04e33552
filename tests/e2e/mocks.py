"""Real mock peers for the outside-in tests: the merchant's payment API and
its webhook receiver, each a small HTTP server on 127.0.0.1 (a free port) in
a daemon thread. Standard library only.

    pay = MockPaymentServer()              # pay.url -> "http://127.0.0.1:PORT"
    pay.set_transaction("MO-1", status="SUCCESS", amount="632.80", transaction_id="T1")
    pay.set_refund_behaviour(fail_times=2)  # two failures, then SUCCESS
    ...
    pay.wait_for(lambda: len(pay.refunds) >= 3)
    assert verify_signature(pay.refunds[0]["headers"], pay.refunds[0]["raw"], "whsec")
    pay.stop()

Every request is logged in `.requests` as a dict: method, path, headers
(a dict with lower-case names), raw (the body bytes), json (parsed body or
None), at (time.time()). Servers speak HTTP/1.1 with keep-alive, as
apotheca's libcurl reuses connections.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SIGNATURE_HEADER = "X-Apotheca-Signature"


def header(headers, name):
    """A header from a recorded headers dict (any case), or None."""
    return headers.get(name.lower())


def verify_signature(headers, body, secret, max_age=300, now=None):
    """True when headers carry a valid X-Apotheca-Signature for body (bytes
    or str) under secret: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">, t no
    more than max_age seconds away from now (None: no age check)."""
    value = header(headers, SIGNATURE_HEADER) if isinstance(headers, dict) else None
    if value is None and not isinstance(headers, dict):
        for k, v in headers:
            if k.lower() == SIGNATURE_HEADER.lower():
                value = v
    if not value:
        return False
    parts = dict(p.split("=", 1) for p in value.split(",") if "=" in p)
    t, mac = parts.get("t"), parts.get("v1")
    if not t or not mac or not t.isdigit():
        return False
    if max_age is not None and abs((now or time.time()) - int(t)) > max_age:
        return False
    if isinstance(body, str):
        body = body.encode()
    want = hmac.new(secret.encode(), t.encode() + b"." + (body or b""), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, mac)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def _read(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        rec = {"method": self.command, "path": self.path,
               "headers": {k.lower(): v for k, v in self.headers.items()},
               "raw": raw, "json": parsed, "at": time.time()}
        with self.server.mock.lock:
            self.server.mock.requests.append(rec)
        return rec

    def send(self, status, body=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        if isinstance(data, str):
            data = data.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up (timeout): nothing to answer

    def do_GET(self):
        self.server.mock.handle(self, self._read())

    def do_POST(self):
        self.server.mock.handle(self, self._read())

    def do_PUT(self):
        self.server.mock.handle(self, self._read())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # broken pipes after a client timeout are expected


class MockServer:
    """Base: a server on 127.0.0.1:<free port>; subclasses implement handle()."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self._stopped = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.mock = self
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def handle(self, h, rec):
        h.send(404, {"error": "not found"})

    def sleep(self, seconds):
        """Sleeps in a handler, cut short by stop()."""
        self._stopped.wait(seconds)

    def stop(self):
        self._stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def wait_for(self, predicate, timeout=10.0, interval=0.02):
        """Polls predicate() until true; returns its last value."""
        deadline = time.time() + timeout
        while True:
            with self.lock:
                value = predicate()
            if value or time.time() >= deadline:
                return value
            time.sleep(interval)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class MockPaymentServer(MockServer):
    """A merchant's payment API (SPEC §4.1, §4.2).

    GET  /transactions/<merchant_order_id>: what set_transaction() said, or 404.
    POST /refunds: recorded in .refunds (the request dicts); answered per
         set_refund_behaviour(): the first fail_times calls fail (HTTP
         fail_status, or with fail_status=200 a 200 whose status is
         fail_with), the rest answer 200 {"status": then, ...}.
    """

    def __init__(self):
        self.transactions = {}
        self.refunds = []
        self.transaction_calls = []
        self.transactions_in_flight = 0
        self.most_transactions_in_flight = 0   # the most delayed answers ever pending at once
        self._refund_fail_times = 0
        self._refund_fail_status = 500
        self._refund_fail_with = "FAILED"
        self._refund_then = "SUCCESS"
        self._refund_delay = 0
        self._refund_failed = 0
        super().__init__()

    def set_transaction(self, merchant_order_id, status="SUCCESS", amount="632.80", transaction_id="T1",
                        http_status=200, delay=0, raw_body=None, order_id=None):
        """How GET /transactions/<merchant_order_id> answers. amount may be a
        number or a string; raw_body (str/bytes) replaces the JSON answer."""
        with self.lock:
            self.transactions[merchant_order_id] = {
                "status": status, "amount": amount, "transaction_id": transaction_id,
                "http_status": http_status, "delay": delay, "raw_body": raw_body,
                "order_id": order_id if order_id is not None else merchant_order_id}

    def set_refund_behaviour(self, fail_times=0, then="SUCCESS", fail_status=500, fail_with="FAILED",
                             delay=0):
        """The next fail_times refund calls fail — HTTP fail_status, or when
        fail_status is 200 a 200 {"status": fail_with} — then calls answer
        200 {"status": then}. delay (s) delays every refund answer."""
        with self.lock:
            self._refund_fail_times = fail_times
            self._refund_then = then
            self._refund_fail_status = fail_status
            self._refund_fail_with = fail_with
            self._refund_delay = delay
            self._refund_failed = 0

    def refund_ids(self):
        with self.lock:
            return [r["json"].get("refund_id") if isinstance(r["json"], dict) else None for r in self.refunds]

    def handle(self, h, rec):
        path = rec["path"].split("?", 1)[0]
        if rec["method"] == "GET" and path.startswith("/transactions/"):
            self._transaction(h, rec, path[len("/transactions/"):])
        elif rec["method"] == "POST" and path == "/refunds":
            self._refund(h, rec)
        else:
            h.send(404, {"error": "not found"})

    def _transaction(self, h, rec, moid):
        import urllib.parse
        moid = urllib.parse.unquote(moid)
        with self.lock:
            self.transaction_calls.append(rec)
            t = self.transactions.get(moid)
        if t is None:
            h.send(404, {"error": "unknown transaction"})
            return
        if t["delay"]:
            with self.lock:
                self.transactions_in_flight += 1
                self.most_transactions_in_flight = max(self.most_transactions_in_flight,
                                                       self.transactions_in_flight)
            self.sleep(t["delay"])
            with self.lock:
                self.transactions_in_flight -= 1
        if t["raw_body"] is not None:
            h.send(t["http_status"], raw=t["raw_body"])
            return
        h.send(t["http_status"], {"order_id": t["order_id"], "transaction_id": t["transaction_id"],
                                  "amount": t["amount"], "status": t["status"]})

    def _refund(self, h, rec):
        with self.lock:
            self.refunds.append(rec)
            fail = self._refund_failed < self._refund_fail_times
            if fail:
                self._refund_failed += 1
            delay = self._refund_delay
            status, fail_with, then = self._refund_fail_status, self._refund_fail_with, self._refund_then
        if delay:
            self.sleep(delay)
        body = rec["json"] if isinstance(rec["json"], dict) else {}
        if fail and status != 200:
            h.send(status, {"error": "refund service unavailable"})
        else:
            h.send(200, {"refund_id": body.get("refund_id"), "status": fail_with if fail else then})


class MockWebhookReceiver(MockServer):
    """A merchant's webhook receiver. Records every POST in .received
    (request dicts) and answers 200 {"status": "ok"}, unless told to:
    fail_first(n, status) — the next n answers are that status;
    hang(seconds) — every call sleeps that long first (past apotheca's 5 s
    timeout by default); answer_without_status() — 200 with a body that has
    no "status" member; reset() — back to normal."""

    def __init__(self):
        self.received = []
        self._fail_left = 0
        self._fail_status = 500
        self._hang = 0
        self._with_status = True
        self._active = {}
        self.most_at_once = {}  # path -> the most requests it had open at one moment
        super().__init__()

    def fail_first(self, n, status=500):
        with self.lock:
            self._fail_left = n
            self._fail_status = status

    def hang(self, seconds=6.0):
        with self.lock:
            self._hang = seconds

    def answer_without_status(self, on=True):
        with self.lock:
            self._with_status = not on

    def reset(self):
        with self.lock:
            self._fail_left = 0
            self._hang = 0
            self._with_status = True

    def bodies(self):
        with self.lock:
            return [r["json"] for r in self.received]

    def handle(self, h, rec):
        if rec["method"] != "POST":
            h.send(405, {"error": "POST only"})
            return
        path = rec["path"]
        with self.lock:
            self.received.append(rec)
            hang = self._hang
            fail = self._fail_left > 0
            if fail:
                self._fail_left -= 1
            status, with_status = self._fail_status, self._with_status
            self._active[path] = self._active.get(path, 0) + 1
            self.most_at_once[path] = max(self.most_at_once.get(path, 0), self._active[path])
        try:
            if hang:
                self.sleep(hang)
            if fail:
                h.send(status, {"error": "receiver failing on purpose"})
            elif with_status:
                h.send(200, {"status": "ok"})
            else:
                h.send(200, {"received": True})
        finally:
            with self.lock:
                self._active[path] -= 1


class MockShopPlugin(MockServer):
    """A merchant's shop plugin receiving logistics webhooks, the way the
    Logitrail modules for WooCommerce and Magento 2 do: the request must
    carry HTTP Basic credentials (user, password), else 401; the raw body is
    decoded as ONE event object {event_id, webhook_id, event_type, ts,
    retry_count, payload}; then it reads exactly
    - product.inventory.change: payload.product.merchants_id and
      payload.inventory.available, and sets that product's stock
      (.stock {merchants_id: available}, .stock_log [(merchants_id, n)]);
    - order.shipped: payload.order.merchants_order.id, and completes that
      shop order (.completed, in arrival order).
    A body that is not such an object (e.g. an array of events) is what the
    plugins cannot read: they do nothing and still answer 200; it lands in
    .unreadable. Every request is in .received; every decoded event in
    .events. fail_first(n) answers the next n requests 500 first."""

    def __init__(self, user="shop", password="plugin-pass"):
        self.user, self.password = user, password
        self.received = []
        self.events = []
        self.unreadable = []
        self.stock = {}
        self.stock_log = []
        self.completed = []
        self._fail_left = 0
        super().__init__()

    def basic_auth(self):
        """The webhook auth settings that make apotheca send these credentials."""
        import base64
        raw = ("%s:%s" % (self.user, self.password)).encode()
        return {"auth_header": "Authorization", "auth_value": "Basic " + base64.b64encode(raw).decode()}

    def fail_first(self, n):
        with self.lock:
            self._fail_left = n

    def _authorised(self, headers):
        import base64
        value = header(headers, "Authorization") or ""
        if not value.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(value[6:], validate=True).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(user, self.user) and hmac.compare_digest(password, self.password)

    def handle(self, h, rec):
        if rec["method"] != "POST":
            h.send(405, {"error": "POST only"})
            return
        with self.lock:
            self.received.append(rec)
            if not self._authorised(rec["headers"]):
                answer = 401
            elif self._fail_left > 0:
                self._fail_left -= 1
                answer = 500
            else:
                answer = 200
                self._process(rec["raw"])
        h.send(answer, {"ok": answer == 200})

    def _process(self, raw):
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        if not isinstance(event, dict) or "event_id" not in event:
            self.unreadable.append(event)
            return
        self.events.append(event)
        payload = event.get("payload") or {}
        if event.get("event_type") == "product.inventory.change":
            sku = payload["product"]["merchants_id"]
            self.stock[sku] = payload["inventory"]["available"]
            self.stock_log.append((sku, payload["inventory"]["available"]))
        elif event.get("event_type") == "order.shipped":
            self.completed.append(payload["order"]["merchants_order"]["id"])
