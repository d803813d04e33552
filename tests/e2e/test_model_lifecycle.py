"""Model-based test of the order lifecycle (issue 11): random sequences of
creates, confirms, cancels, admin moves, prescriptions, payment-window
expiry, failing refund endpoints and pairs of these at once, run against
the real server and a reference model (order_model.py) of SPEC §2.2–2.5
and §5. After every step: the server's orders and stock equal the model's
(stock on hand − reserved never negative), the money identity holds in the
admin order view and in track's payment_summary, statuses moved only along
SPEC §5; at checkpoints, every move has produced its webhook, in order; at
the end, every refund reached the merchant's payment API with one id.

Knobs (environment):
  E2E_MODEL_SEED     the seed (default: random; printed at start and on failure)
  E2E_MODEL_SECONDS  how long to drive, per backend (default 120)
  E2E_MODEL_STEPS    at most this many steps (default 0: no limit but time)
  E2E_MODEL_VERBOSE  1 prints every step

A failure lists every kind of discrepancy found, each with the seed, the
step and the trace of the order it showed on (a recipe to reproduce it).
After a discrepancy the model takes the server's state and goes on, so one
run reports many kinds.
"""

import concurrent.futures
import itertools
import os
import random
import time
import unittest
from decimal import Decimal

import order_model as M
from harness import ServerTest, Merchant
from mocks import MockPaymentServer, MockWebhookReceiver
from test_deliveries import db_exec

SEED = int(os.environ.get("E2E_MODEL_SEED") or random.SystemRandom().randrange(1, 10 ** 9))
SECONDS = float(os.environ.get("E2E_MODEL_SECONDS") or 120)
MAX_STEPS = int(os.environ.get("E2E_MODEL_STEPS") or 0)
VERBOSE = os.environ.get("E2E_MODEL_VERBOSE") == "1"

PIN = "560103"
ADDRESS = {"pincode": PIN, "contact_number": "9611002324", "name": "Model Customer",
           "street1": "Varthur Road", "street2": "", "type": "home"}
USER = {"email": "model@example.com", "mobile": "8465944178", "first_name": "M", "last_name": "C",
        "address": ADDRESS}
# (sku, name, mrp, price, rx, stock, pool): "main" SKUs are scarce (orders
# compete for them); "quick" SKUs serve the merchant whose payment window
# is 2 s, plentiful so its expiries never decide another order's fate.
SKUS = [("MA", 200, 150, False, 12, "main"), ("MB", 120, 99.5, False, 8, "main"),
        ("MC", 40, 37.25, False, 30, "main"), ("MRX1", 230, 210, True, 10, "main"),
        ("MRX2", 70, 64.4, True, 6, "main"),
        ("QA", 130, 120, False, 100000, "quick"), ("QRX", 90, 80.55, True, 100000, "quick")]
COUPONS = {"PCT10": {"kind": "percent", "value": 10, "max_discount": 60},
           "FLAT25": {"kind": "flat", "value": 25, "min_cart_value": 300}}
CHARGES = [{"type": "handling_fee", "display_text": "Handling", "amount": 25},
           {"type": "delivery", "display_text": "Delivery", "amount": 40, "below": 500}]
LIVE_MAX = 12
CHECKPOINT_EVERY = 40
ORDER_NUMBERS = itertools.count(1)


def paise(v):
    if v is None:
        return None
    return int((Decimal(str(v)) * 100).to_integral_value())


def money(p):
    return "%s%d.%02d" % ("-" if p < 0 else "", abs(p) // 100, abs(p) % 100)


class Discrepancies:
    """Kinds of disagreement, each with its count and first example."""

    def __init__(self):
        self.kinds = {}

    def add(self, kind, detail):
        k = self.kinds.setdefault(kind, {"count": 0, "first": detail})
        k["count"] += 1

    def report(self):
        out = []
        for kind, k in self.kinds.items():
            out.append("* %s  (%d times)\n%s" % (kind, k["count"], k["first"]))
        return "\n".join(out)


class ModelDriver(ServerTest):
    """The server, its mock peers, the model and the driver's moves."""

    server_env = {"APOTHECA_SWEEP_MS": "100", "APOTHECA_RETRY_BASE_MS": "50"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pay = MockPaymentServer()
        cls.hook = MockWebhookReceiver()
        s = cls.server
        common = {"payment_api": {"base_url": cls.pay.url, "aggregator": "EKACARE"},
                  "webhook": {"url": cls.hook.url, "signing_secret": "whsec-model"},
                  "charges": CHARGES}
        cls.merchants = {"main": Merchant(s, "mslow", name="model_slow", **common),
                         "quick": Merchant(s, "mquick", name="model_quick", key="other",
                                           payment_window_s=2, **common)}
        assert s.admin("PUT", "/pincodes/" + PIN, {"serviceable": True, "eta_min_days": 2,
                                                   "eta_max_days": 4}).status in (200, 201)
        for sku, mrp, price, rx, stock, _ in SKUS:
            r = s.admin("PUT", "/skus/" + sku, {"name": "Item " + sku, "mrp": mrp, "price": price,
                                                "pack_size_label": "strip of 10", "sku_type": "otc",
                                                "prescription_required": rx, "active": True,
                                                "stock": stock})
            assert r.status in (200, 201), r
        for code, body in COUPONS.items():
            assert s.admin("PUT", "/coupons/" + code, body).status in (200, 201)

    @classmethod
    def tearDownClass(cls):
        cls.pay.stop()
        cls.hook.stop()
        super().tearDownClass()

    # ---- wire -----------------------------------------------------------------------------------

    def headers(self, pool):
        m = self.merchants[pool]
        cached = self._tokens.get(pool)
        if not cached or time.time() - cached[1] > 600:
            cached = (m.headers(), time.time())
            self._tokens[pool] = cached
        return cached[0]

    def quote(self, pool, cart, coupon):
        b = {"skus": cart, "pincode": PIN}
        if coupon:
            b["coupon_code"] = coupon
        return self.server.request("POST", "/api/v4/merchants/%s/inventory/check" % self.merchants[pool].id,
                                   body=b, headers=self.headers(pool))

    def http_create(self, pool, body):
        return self.server.request("POST", "/api/v4/merchants/%s/orders" % self.merchants[pool].id,
                                   body=body, headers=self.headers(pool))

    def tx_calls(self, key):
        with self.pay.lock:
            return sum(1 for c in self.pay.transaction_calls if c["path"].endswith("/" + key))

    def http_confirm(self, key, watch=True):
        """Confirms; the answer's .asked tells whether the payment API was
        asked meanwhile (None when another confirm of it runs at once)."""
        before = self.tx_calls(key)
        r = self._confirm(key)
        r.asked = self.tx_calls(key) > before if watch else None
        return r

    def _confirm(self, key):
        o = self.meta[key]
        return self.server.request("PUT", "/api/v4/merchants/%s/orders/%s/confirm" % (
            self.merchants[o["pool"]].id, o["order_id"]), body={"order_id": o["order_id"],
                                                                 "merchant_order_id": key},
            headers=self.headers(o["pool"]))

    def http_cancel(self, key, skus=None):
        o = self.meta[key]
        mid = self.merchants[o["pool"]].id
        b = {"order_id": o["order_id"], "reason": "model test", "agent_id": "model", "merchant": mid}
        if skus:
            b["skus"] = skus
        return self.server.request("POST", "/api/v4/%s/order/cancel" % mid, body=b,
                                   headers=self.headers(o["pool"]))

    def http_prescriptions(self, key, n):
        o = self.meta[key]
        urls = ["https://rx.example.com/%s/%d.pdf" % (key, self.rng_urls()) for _ in range(n)]
        return self.server.request("POST", "/api/v4/merchants/%s/orders/%s/prescriptions" % (
            self.merchants[o["pool"]].id, o["order_id"]), body={"prescriptions": urls},
            headers=self.headers(o["pool"]))

    def http_move(self, key, to, **extra):
        b = {"status_id": to}
        b.update(extra)
        return self.server.admin("POST", "/orders/%s/status" % self.meta[key]["order_id"], b)

    def http_verify(self, key, approved):
        return self.server.admin("POST", "/orders/%s/prescriptions/verify" % self.meta[key]["order_id"],
                                 {"approved": approved})

    def http_track(self, key):
        o = self.meta[key]
        m = self.merchants[o["pool"]]
        return self.server.request("GET", "/api/v4/merchants/%s/orders/%s/track" % (m.name, key),
                                   headers=self.headers(o["pool"]))

    def rng_urls(self):
        self._url_n += 1
        return self._url_n

    # ---- observation ----------------------------------------------------------------------------

    def observe_order(self, key):
        """The admin view of order key as the model's fields, or None."""
        oid = self.meta.get(key, {}).get("order_id")
        if not oid:
            return None
        r = self.server.admin("GET", "/orders/" + oid)
        if r.status != 200:
            return None
        j = r.json
        cancelled = {}
        for l in j["lines"]:
            cancelled[l["sku_id"]] = cancelled.get(l["sku_id"], 0) + l["cancelled_qty"]
        return {"status": j["status_id"], "subtitle": j.get("subtitle"),
                "history": [h["to"] for h in j["status_history"]],
                "moves": [(h["from"], h["to"]) for h in j["status_history"]],
                "cancelled": cancelled, "payments": sorted(paise(p["amount"]) for p in j["payments"]),
                "txns": [p["transaction_id"] for p in j["payments"]],
                "refunds": sorted(paise(f["amount"]) for f in j["refunds"]),
                "refund_rows": j["refunds"], "flagged": bool(j.get("flagged")),
                "prescriptions": len(j.get("prescriptions") or []), "payable": paise(j["totals"]["payable"]),
                "value": sum((l["qty"] - l["cancelled_qty"]) * paise(l["discounted_price"]) for l in j["lines"]),
                "charges": sum(paise(c["amount"]) for c in j["charges"]), "raw": j}

    def observe_stock(self):
        out = {}
        for sku, *_ in SKUS:
            r = self.server.admin("GET", "/skus/" + sku)
            out[sku] = (r.json["on_hand"], r.json["reserved"])
        return out

    def quick_waiting(self, world, skip=()):
        return [k for k, o in world.orders.items()
                if o.merchant == "quick" and o.status == 180 and k not in skip]

    def quick_statuses(self, keys):
        out = {}
        for k in keys:
            r = self.server.admin("GET", "/orders/" + self.meta[k]["order_id"])
            out[k] = r.json["status_id"] if r.status == 200 else None
        return out

    # ---- one step -------------------------------------------------------------------------------

    def run_step(self, label, ops, calls, touched, optional=()):
        """Sends calls (one, or several at once), then matches what the
        server shows against every outcome the model allows."""
        self.step += 1
        t0 = time.time()
        if len(calls) == 1:
            resps = [calls[0]()]
        else:
            with concurrent.futures.ThreadPoolExecutor(len(calls)) as ex:
                futs = [ex.submit(c) for c in calls]
                resps = [f.result() for f in futs]
        # creates learn their order id
        for key in touched:
            if key not in self.meta or self.meta[key].get("order_id"):
                continue
            for r in resps:
                if r is not None and r.status == 200 and r.json and r.json.get("data", {}).get(
                        "merchant_order_id") == key:
                    self.meta[key]["order_id"] = r.json["data"]["order_id"]
        line = "step %d: %s -> %s (%.2fs)" % (self.step, label,
                                             [r.status if r is not None else None for r in resps],
                                             time.time() - t0)
        self.log.append(line)
        for key in touched:
            self.trace.setdefault(key, []).append(line)
        if VERBOSE:
            print(line, flush=True)
        self.match(label, ops, optional, resps, touched)

    def match(self, label, ops, optional, resps, touched):
        world = self.world
        # Orders of the 2 s window may expire at any time: settle those this
        # step does not touch, and read stock while none of them moves.
        for _ in range(5):
            waiting = self.quick_waiting(world, touched)
            before = self.quick_statuses(waiting)
            obs = {k: self.observe_order(k) for k in touched}
            stock = self.observe_stock()
            after = self.quick_statuses(waiting)
            tobs = {k: self.observe_order(k) for k in touched if self.world_has_quick180(k)}
            if before == after and all(obs[k] is None or tobs[k] is None or tobs[k]["status"] == obs[k]["status"]
                                       for k in tobs):
                break
        world = self.expired(world, after)
        cands = M.interleave(world, ops, optional)
        best, best_m, best_diffs = None, None, None
        for w, mresps in cands:
            d = self.diff(w, mresps, resps, obs, stock, touched)
            if best_diffs is None or weight(d) < weight(best_diffs):
                best, best_m, best_diffs = w, mresps, d
            if not d:
                break
        if best_diffs:
            self.diff(best, best_m, resps, obs, stock, touched)  # which order it shows on
            fields = []
            for field, _ in best_diffs:
                if field not in fields:
                    fields.append(field)
            k0 = self._diff_key or (touched[0] if touched else None)
            detail = "%s\n      %s\n      (model, %d outcome(s) allowed, vs server)" % (
                label, "\n      ".join("%s: %s" % fd for fd in best_diffs), len(cands))
            self.note("%s: %s" % (label_kind(label), ", ".join(fields)), k0, detail)
            best = self.resync(best, obs, stock, touched)
        self.world = best
        self.invariants(label, touched, obs, stock)

    def expired(self, world, statuses):
        """world with the waiting orders whose status the server now shows
        as 99 expired (statuses: key -> status read from the server)."""
        for k, st in statuses.items():
            if st == 99:
                world = M.interleave(world, [M.op_expire(k)])[0][0]
                self.trace.setdefault(k, []).append("step %d: (payment window expired)" % self.step)
            elif st != 180:
                self.note("expiry: a waiting order moved to %s without a request" % st, k,
                          "status %s" % st)
        return world

    def world_has_quick180(self, key):
        o = self.world.orders.get(key)
        return o is not None and o.merchant == "quick" and o.status == 180

    def diff(self, w, mresps, resps, obs, stock, touched):
        d = []
        for i, (m, r) in enumerate(zip(mresps, resps)):
            if m is None or m.get("status") is None:
                continue
            got = r.status if r is not None else None
            if m["status"] != got:
                d.append(("response", "op %d: HTTP %s vs %s %s" % (i, m["status"], got,
                                                                  (r.body[:160] if r is not None else ""))))
                continue
            msg = (((r.json or {}).get("error") or {}).get("message") if isinstance(r.json, dict) else None)
            if "message" in m and msg != m["message"]:
                d.append(("response message", "%r vs %r" % (m["message"], msg)))
            if m.get("message_has") and (not msg or m["message_has"] not in msg or "does not match" in msg):
                d.append(("response message", "one about %s vs %r" % (m["message_has"], msg)))
            asked = getattr(r, "asked", None)
            if m.get("asked") is not None and asked is not None and m["asked"] != asked:
                d.append(("payment API asked", "%s vs %s" % (m["asked"], asked)))
            if "refund" in m and got == 200:
                ref = (r.json.get("data") or {}).get("refund")
                gotref = paise(ref["amount"]) if isinstance(ref, dict) else None
                if gotref != m["refund"]:
                    d.append(("refund in the cancel answer", "%s vs %s" % (m["refund"], gotref)))
        self._diff_key = None
        for k in touched:
            o, ob = w.orders.get(k), obs.get(k)
            n0 = len(d)
            self._diff_order(d, k, o, ob)
            if len(d) > n0 and self._diff_key is None:
                self._diff_key = k
        for sku, (on_hand, reserved) in stock.items():
            dh, dr = self.drift.get(sku, (0, 0))
            mh, mr = w.on_hand[sku] + dh, w.reserved(sku) + dr
            if (mh, mr) != (on_hand, reserved):
                d.append(("stock", "%s on_hand/reserved %s vs %s" % (sku, (mh, mr), (on_hand, reserved))))
        return d

    def _diff_order(self, d, k, o, ob):
        if (o is None) != (ob is None):
            d.append(("order exists", "%s: %s vs %s" % (k, o is not None, ob is not None)))
            return
        if o is None:
            return
        cancelled = {l.sku: l.cancelled for l in o.lines}
        if o.status == 99 and ob["cancelled"] == {l.sku: l.qty for l in o.lines}:
            cancelled = ob["cancelled"]  # a whole cancel may count every unit as cancelled
        for field, mv, sv in [("status", o.status, ob["status"]), ("history", o.history, ob["history"]),
                              ("cancelled units", cancelled, ob["cancelled"]),
                              ("payments", sorted(o.payments), ob["payments"]),
                              ("refunds", sorted(o.refunds), ob["refunds"]),
                              ("flagged", o.flagged, ob["flagged"]),
                              ("prescriptions", o.rx_urls, ob["prescriptions"])]:
            if mv != sv:
                d.append((field, "%s: %s vs %s" % (k, mv, sv)))

    def resync(self, w, obs, stock, touched):
        """Takes the server's state for what differs, to go on testing."""
        w = w.copy()
        for k in touched:
            ob = obs.get(k)
            if ob is None:
                if k in w.orders:
                    del w.orders[k]
                    w._reserved = None
                continue
            if k not in w.orders:
                w.add(self.specs[k].clone())
            o = w.edit(k)
            if ob["status"] == 20 and o.status != 20:
                w.start_waiting(o)
            o.status, o.history = ob["status"], list(ob["history"])
            for l in o.lines:
                l.cancelled = ob["cancelled"].get(l.sku, 0)
            o.payments, o.refunds = list(ob["payments"]), list(ob["refunds"])
            o.txns = list(ob["txns"])
            o.flagged, o.rx_urls = ob["flagged"], ob["prescriptions"]
            o.shipped = 25 in o.history
            if not o.dues:
                o.dues = [o.due()]
        for sku, (on_hand, reserved) in stock.items():
            self.drift[sku] = (on_hand - w.on_hand[sku], reserved - w.reserved(sku))
        w.adjust = {sku: dh - dr for sku, (dh, dr) in self.drift.items()}
        return w

    # ---- what must hold whatever the model says -------------------------------------------------

    def invariants(self, label, touched, obs, stock):
        for sku, (on_hand, reserved) in stock.items():
            if on_hand < 0 or reserved < 0 or on_hand - reserved < 0:
                self.note("invariant: stock went negative", None, "%s after %s: on_hand %d reserved %d" % (
                    sku, label, on_hand, reserved), once=("stock", sku))
        for k in touched:
            ob = obs.get(k)
            if ob is None:
                continue
            moves = ob["moves"]
            bad = [mv for i, mv in enumerate(moves) if (i == 0 and (mv[0] is not None or mv[1] not in M.INITIAL))
                   or (i > 0 and mv[1] not in M.ALLOWED.get(mv[0], ()))]
            if bad or any(moves[i][0] != moves[i - 1][1] for i in range(1, len(moves))):
                self.note("invariant: a move outside SPEC §5", k, "%s after %s" % (moves, label),
                          once=("moves", k))
            held = 0 if ob["status"] == 99 else ob["value"] + ob["charges"]
            r = self.http_track(k)
            if r.status != 200:
                self.note("track answers %d" % r.status, k, r.body[:200], once=("track", k))
                continue
            g = r.json["data"]["result"]["grouped_orders"][0]
            ps = g["payment_summary"]
            if g["order_status"]["status_id"] != ob["status"]:
                continue  # moved between the two reads (an expiry)
            collected = paise(ps["amount_collected"])
            refunded = sum(ob["refunds"])
            if (collected or refunded) and collected - refunded != held:
                self.note("invariant: money identity (collected - refunded = value held)", k,
                          "after %s: collected %s - refunded %s != held %s (status %s; payments %s, refunds %s)" % (
                              label, money(collected), money(refunded), money(held), ob["status"],
                              [money(p) for p in ob["payments"]], [money(p) for p in ob["refunds"]]),
                          once=("identity", k))
            checks = [("track online_collected = admin payments", paise(ps["online_collected"]),
                       sum(ob["payments"])),
                      ("track online_refund_initiated = admin refunds", paise(ps["online_refund_initiated"]),
                       refunded),
                      ("track amount_payable = open lines + charges", paise(ps["amount_payable"]),
                       ob["value"] + ob["charges"]),
                      ("admin totals.payable = track amount_payable", ob["payable"],
                       paise(ps["amount_payable"]))]
            for name, a, b in checks:
                if a != b:
                    self.note("invariant: " + name, k, "after %s: %s vs %s" % (label, money(a), money(b)),
                              once=(name, k))

    def note(self, kind, key, detail, once=None):
        if once is not None:
            if once in self.seen:
                return
            self.seen.add(once)
        trace = ""
        if key is not None:
            trace = "\n      order %s (%s):\n        %s" % (
                key, self.meta.get(key, {}).get("order_id"),
                "\n        ".join(self.specs_text.get(key, []) + self.trace.get(key, [])))
        first = "    seed %d, step %d: %s%s" % (SEED, self.step, detail, trace)
        if VERBOSE:
            print("DISCREPANCY " + kind + "\n" + first, flush=True)
        self.found.add(kind, first)

    # ---- the driver's moves ---------------------------------------------------------------------

    def pick(self, pred):
        keys = [k for k, o in self.world.orders.items() if pred(o)]
        return self.rng.choice(keys) if keys else None

    def live(self):
        return [k for k, o in self.world.orders.items() if o.status not in M.TERMINAL]

    def new_order_spec(self, pool, cart=None, coupon="any", method=None, rx_kind=None):
        rng = self.rng
        if cart is None:
            skus = [s for s in SKUS if s[5] == pool]
            cart = {}
            for s in rng.sample(skus, rng.randint(1, min(3, len(skus)))):
                cart[s[0]] = rng.randint(1, 3)
        if coupon == "any":
            coupon = rng.choice([None, None, "PCT10", "FLAT25"])
        q = self.quote(pool, cart, coupon)
        if q.status == 400 and coupon:
            coupon = None
            q = self.quote(pool, cart, None)
        if q.status != 200:
            self.note("inventory check answers %d" % q.status, None, q.body[:200])
            return None
        data = q.json["data"]
        # The quote's quantities are the model's available units.
        for sku, want in cart.items():
            exp = max(0, min(want, self.world.available(sku)))
            got = data["skus"][sku]["quantity"]
            if got != exp and pool == "main":
                self.note("inventory check: quantity", None, "%s: model %d vs server %d" % (sku, exp, got))
        self.n_orders += 1
        ref = "%s-%d-%d" % (pool[0], SEED % 100000, next(ORDER_NUMBERS))
        method = method or (rng.choice(["COD", "ONLINE"]) if pool == "main" else "ONLINE")
        rx_kind = rx_kind or rng.choice(["missing", "null", "empty", "urls"])
        rx = {sku: s[3] for s in SKUS for sku in [s[0]]}
        lines = [M.Line(sku, qty, paise(data["skus"][sku]["discounted_price"]), rx[sku])
                 for sku, qty in cart.items()]
        payable = paise(data["payable_amount"])
        charges = payable - sum(l.qty * l.discounted for l in lines)
        urls = ["https://rx.example.com/%s/%d.pdf" % (ref, i) for i in range(rng.randint(1, 2))]
        o = M.Order(ref, pool, ref, method, lines, charges, len(urls) if rx_kind == "urls" else 0)
        body = {"merchant_order_id": ref, "payable_amount": rng.choice([data["payable_amount"], money(payable)]),
                "payment_method": method, "user": USER, "skus": cart}
        if coupon:
            body["coupon_code"] = coupon
        if rx_kind == "null":
            body["prescriptions"] = None
        elif rx_kind == "empty":
            body["prescriptions"] = []
        elif rx_kind == "urls":
            body["prescriptions"] = urls
        self.specs[ref] = o
        self.meta[ref] = {"pool": pool, "order_id": None}
        self.specs_text[ref] = ["create %s %s cart=%s coupon=%s prescriptions=%s payable=%s" % (
            pool, method, cart, coupon, rx_kind if rx_kind != "urls" else urls, money(payable))]
        return o, body

    def do_create(self, pool, **fixed):
        spec = self.new_order_spec(pool, **fixed)
        if not spec:
            return None
        o, body = spec
        self.run_step("create %s %s" % (o.method, "Rx" if any(l.rx for l in o.lines) else "otc"),
                      [M.op_create(o, time.time())], [lambda: self.http_create(pool, body)], [o.key])
        return o.key

    def do_bad_money(self, amount=None):
        """A create whose payable_amount carries a sign is refused as an
        invalid amount (issue 11, case 5), whatever its digits."""
        spec = self.new_order_spec("main")
        if not spec:
            return
        o, body = spec
        due = money(o.due())
        body["payable_amount"] = amount or self.rng.choice(["-" + due, "-0.01", due[:-2] + "-0", "-0.00"])
        self.run_step("create with payable_amount %r" % body["payable_amount"],
                      [M.op_refused(400, "payable_amount")], [lambda: self.http_create("main", body)], [o.key])

    def transaction_id(self, key, fresh=None):
        """The customer's payment for order key keeps its id across confirms,
        as a payment system's does; now and then (a cancelled order the
        customer paid for again) a new one. fresh True/False decides."""
        m = self.meta[key]
        if fresh is None:
            fresh = self.world.orders[key].status == 99 and self.rng.random() < 0.2
        if "txn" not in m or fresh:
            m["txn"] = "TX-%s-%d" % (key, self.step)
        return m["txn"]

    def set_payment(self, key, kind, delay=0, fresh=None):
        """Tells the payment mock how to answer; returns (model kind, amount,
        label, transaction id)."""
        o = self.world.orders[key]
        txn = self.transaction_id(key, fresh)
        due = o.due()
        amount, label = due, "SUCCESS"
        if kind == "old" and max(o.dues) > due:
            amount, label = max(o.dues), "SUCCESS(earlier due)"
        elif kind == "mismatch" and due > 1:
            amount, label = due - 1, "SUCCESS(amount mismatch)"
        elif kind in ("PENDING", "FAILED"):
            self.pay.set_transaction(key, status=kind, amount=money(due), transaction_id=txn, delay=delay)
            return kind, due, kind, txn
        elif kind == "ERROR":
            if self.rng.random() < 0.5:
                self.pay.set_transaction(key, http_status=500, delay=delay)
            else:
                self.pay.set_transaction(key, raw_body="garbage", delay=delay)
            return "ERROR", due, "ERROR", txn
        elif kind == "TIMEOUT":
            self.pay.set_transaction(key, status="SUCCESS", amount=money(due), transaction_id=txn, delay=6)
            return "ERROR", due, "TIMEOUT", txn
        self.pay.set_transaction(key, status="SUCCESS", amount=money(amount), transaction_id=txn, delay=delay)
        return "SUCCESS", amount, label, txn

    def expire_optional(self, key):
        o = self.world.orders.get(key)
        return [M.op_expire(key)] if o is not None and o.merchant == "quick" and o.status == 180 else []

    def do_confirm(self):
        key = self.pick(lambda o: o.method == "ONLINE" and o.status == 180) if self.rng.random() < 0.8 \
            else self.pick(lambda o: True)
        if not key:
            return
        kind = self.rng.choices(["due", "old", "mismatch", "PENDING", "FAILED", "ERROR", "TIMEOUT"],
                                [50, 15, 8, 8, 8, 8, 1])[0]
        self.step_confirm(key, kind)

    def step_confirm(self, key, kind="due", delay=0, optional=None, fresh=None):
        mk, amount, label, txn = self.set_payment(key, kind, delay, fresh)
        self.run_step("confirm %s %s %s" % (label, money(amount), txn), [M.op_confirm(key, mk, amount, txn)],
                      [lambda: self.http_confirm(key)], [key],
                      self.expire_optional(key) if optional is None else optional)

    def cancel_skus(self, key, valid=True):
        o = self.world.orders[key]
        open_lines = [l for l in o.lines if l.open > 0]
        if not open_lines:
            return None
        skus = {}
        for l in self.rng.sample(open_lines, self.rng.randint(1, len(open_lines))):
            skus[l.sku] = self.rng.randint(1, l.open)
        if not valid:
            l = self.rng.choice(open_lines)
            skus = {l.sku: l.open + 1}
        return skus

    def do_cancel(self, partial):
        key = self.pick(lambda o: o.status in M.CANCELLABLE) if self.rng.random() < 0.85 \
            else self.pick(lambda o: True)
        if not key:
            return
        skus = self.cancel_skus(key, self.rng.random() < 0.9) if partial else None
        if partial and not skus:
            return
        self.step_cancel(key, skus)

    def step_cancel(self, key, skus=None):
        self.run_step("cancel %s" % ("by skus %s" % skus if skus else "whole"), [M.op_cancel(key, skus)],
                      [lambda: self.http_cancel(key, skus)], [key], self.expire_optional(key))

    def step_move(self, key, to, **extra):
        self.run_step("admin move %d->%d" % (self.world.orders[key].status, to), [M.op_admin_move(key, to)],
                      [lambda: self.http_move(key, to, **extra)], [key], self.expire_optional(key))

    def move_target(self, o, allowed=True):
        if allowed:
            targets = sorted(M.ALLOWED.get(o.status, ()))
            if o.status == 180:
                targets = [99]  # an operator does not confirm a payment
            return self.rng.choice(targets) if targets else None
        bad = [s for s in M.ALL_STATUSES + [180] if s not in M.ALLOWED.get(o.status, ())]
        return self.rng.choice(bad)

    def do_move(self, allowed=True):
        key = self.pick(lambda o: o.status not in M.TERMINAL and (o.status != 180 or self.rng.random() < 0.2))
        if not key:
            return
        to = self.move_target(self.world.orders[key], allowed)
        if to is None:
            return
        extra = {"delivery_partner_name": "Delhivery", "carrier_tracking_code": "DL%d" % self.step} \
            if to == 25 and self.rng.random() < 0.5 else {}
        self.step_move(key, to, **extra)

    def do_prescriptions(self):
        key = self.pick(lambda o: o.status in (100, 110)) if self.rng.random() < 0.85 \
            else self.pick(lambda o: o.status not in M.TERMINAL)
        if not key:
            return
        n = self.rng.randint(1, 2)
        self.run_step("add %d prescription(s) in %d" % (n, self.world.orders[key].status),
                      [M.op_add_prescriptions(key, n)], [lambda: self.http_prescriptions(key, n)], [key],
                      self.expire_optional(key))

    def do_verify(self):
        key = self.pick(lambda o: o.status == 110) if self.rng.random() < 0.85 \
            else self.pick(lambda o: o.status not in M.TERMINAL)
        if not key:
            return
        approved = self.rng.random() < 0.6
        self.run_step("verify approved=%s in %d" % (approved, self.world.orders[key].status),
                      [M.op_verify(key, approved)], [lambda: self.http_verify(key, approved)], [key],
                      self.expire_optional(key))

    def do_restock(self):
        sku = self.rng.choice([s[0] for s in SKUS if s[5] == "main"])
        delta = self.rng.randint(1, 6)
        self.run_step("restock %s +%d" % (sku, delta), [M.op_restock(sku, delta)],
                      [lambda: self.server.admin("POST", "/skus/%s/stock" % sku,
                                                 {"delta": delta, "reason": "model restock"})], [])

    def do_refund_failures(self):
        n = self.rng.randint(1, 3)
        self.pay.set_refund_behaviour(fail_times=n, fail_status=self.rng.choice([500, 200]))
        self.log.append("step %d: the refund endpoint fails its next %d calls" % (self.step, n))

    def do_quick(self):
        """An order of the 2 s payment window: wait out the window, or
        confirm with a payment API slow enough for the expiry to win."""
        if len(self.quick_waiting(self.world)) >= 3:
            return
        spec = self.new_order_spec("quick")
        if not spec:
            return
        o, body = spec
        self.run_step("create quick ONLINE", [M.op_create(o, time.time())],
                      [lambda: self.http_create("quick", body)], [o.key], [])
        key = o.key
        if key not in self.world.orders:
            return
        what = self.rng.choice(["wait", "confirm-slow", "cancel", "partial"])
        if what == "wait":
            def wait():
                deadline = time.time() + 10
                while time.time() < deadline:
                    r = self.server.admin("GET", "/orders/" + self.meta[key]["order_id"])
                    if r.json["status_id"] != 180:
                        return None
                    time.sleep(0.1)
                return None
            self.run_step("wait for the payment window", [M.op_expire(key)], [wait], [key])
            ob = self.observe_order(key)
            if ob and ob["status"] == 99 and ob["subtitle"] != "Payment not received":
                self.note("expiry: subtitle", key, "%r" % ob["subtitle"], once=("subtitle", key))
        elif what == "confirm-slow":
            mk, amount, label, txn = self.set_payment(key, "due", delay=3.5)
            self.run_step("confirm (payment API answers after the window) %s %s" % (money(amount), txn),
                          [M.op_confirm(key, mk, amount, txn)], [lambda: self.http_confirm(key)], [key],
                          [M.op_expire(key)])
        elif what == "cancel":
            self.run_step("cancel whole (racing the window)", [M.op_cancel(key)],
                          [lambda: self.http_cancel(key)], [key], [M.op_expire(key)])
        else:
            skus = self.cancel_skus(key)
            self.run_step("cancel by skus %s (racing the window)" % skus, [M.op_cancel(key, skus)],
                          [lambda: self.http_cancel(key, skus)], [key], [M.op_expire(key)])

    def step_confirm_pair(self, key, kind, delay):
        """A confirm whose payment API answers after delay, sent at once
        with a cancel (whole or partial) or with another confirm."""
        mk, amount, label, txn = self.set_payment(key, "due", delay=delay)
        a = (M.op_confirm(key, mk, amount, txn), lambda: self.http_confirm(key))
        if kind == "confirm|cancel":
            b = (M.op_cancel(key), lambda: self.http_cancel(key))
        elif kind == "confirm|partial":
            skus = self.cancel_skus(key)
            b = (M.op_cancel(key, skus), lambda: self.http_cancel(key, skus))
            kind += " %s" % skus
        else:
            a = (a[0], lambda: self.http_confirm(key, watch=False))
            b = (M.op_confirm(key, mk, amount, txn), lambda: self.http_confirm(key, watch=False))
        self.run_step("at once: %s (%s)" % (kind, label), [a[0], b[0]], [a[1], b[1]], [key])

    def do_pair(self):
        rng = self.rng
        kind = rng.choice(["confirm|cancel", "confirm|partial", "confirm|confirm", "cancel|cancel",
                           "cancel|move", "create|create", "rx|cancel", "verify|cancel", "move|move"])
        w = self.world
        if kind.startswith("confirm"):
            key = self.pick(lambda o: o.method == "ONLINE" and o.status == 180 and o.merchant == "main")
            if key:
                self.step_confirm_pair(key, kind, rng.choice([0.2, 0.5]))
        elif kind == "create|create":
            specs = [self.new_order_spec("main"), self.new_order_spec("main")]
            if not all(specs):
                return
            (o1, b1), (o2, b2) = specs
            self.run_step("at once: create|create", [M.op_create(o1), M.op_create(o2)],
                          [lambda: self.http_create("main", b1), lambda: self.http_create("main", b2)],
                          [o1.key, o2.key])
        else:
            first = {"cancel|cancel": M.CANCELLABLE, "cancel|move": {15, 100, 110}, "rx|cancel": {100, 110},
                     "verify|cancel": {110}, "move|move": set(M.ALLOWED) - {180}}[kind]
            key = self.pick(lambda o: o.status in first and o.merchant == "main")
            if not key:
                return
            o = w.orders[key]
            if kind == "cancel|cancel":
                s1 = self.cancel_skus(key) if rng.random() < 0.5 else None
                s2 = self.cancel_skus(key) if rng.random() < 0.5 else None
                a = (M.op_cancel(key, s1), lambda: self.http_cancel(key, s1))
                b = (M.op_cancel(key, s2), lambda: self.http_cancel(key, s2))
                kind += " %s %s" % (s1, s2)
            elif kind == "rx|cancel":
                a = (M.op_add_prescriptions(key, 1), lambda: self.http_prescriptions(key, 1))
                b = (M.op_cancel(key), lambda: self.http_cancel(key))
            elif kind == "verify|cancel":
                ok = rng.random() < 0.5
                a = (M.op_verify(key, ok), lambda: self.http_verify(key, ok))
                b = (M.op_cancel(key), lambda: self.http_cancel(key))
            else:
                t1 = self.move_target(o)
                t2 = self.move_target(o) if kind == "move|move" else None
                a = (M.op_admin_move(key, t1), lambda: self.http_move(key, t1))
                if kind == "cancel|move":
                    b = (M.op_cancel(key), lambda: self.http_cancel(key))
                else:
                    b = (M.op_admin_move(key, t2), lambda: self.http_move(key, t2))
                kind += " %s %s" % (t1, t2)
            self.run_step("at once [%d] %s" % (o.status, kind), [a[0], b[0]], [a[1], b[1]], [key])

    # ---- checkpoints ----------------------------------------------------------------------------

    def received_webhooks(self):
        seen, per = set(), {}
        with self.hook.lock:
            bodies = [r["json"] for r in self.hook.received]
        for b in bodies:
            if not isinstance(b, dict) or b.get("event_id") in seen:
                continue
            seen.add(b.get("event_id"))
            for g in b.get("grouped_orders") or []:
                per.setdefault(g.get("order_id"), []).append(g["order_status"]["status_id"])
        return per

    def check_webhooks(self, timeout=15.0):
        deadline = time.time() + timeout
        while True:
            # Orders of the 2 s window expire between steps too: read their
            # status before the webhooks, so an expiry's 99 is expected.
            self.world = self.expired(self.world, self.quick_statuses(self.quick_waiting(self.world)))
            per = self.received_webhooks()
            bad = []
            for k, o in self.world.orders.items():
                oid = self.meta[k]["order_id"]
                want = o.history[1:]
                if per.get(oid, []) != want:
                    bad.append((k, want, per.get(oid, [])))
            if not bad or time.time() > deadline:
                break
            time.sleep(0.2)
        for k, want, got in bad:
            self.note("webhooks: the moves' webhooks, in order", k, "moves %s, webhooks %s" % (want, got),
                      once=("webhooks", k, tuple(want)))

    # Every reference an order's rows hold, by the rows they point from. On
    # PostgreSQL no foreign key checks these (migration 013); the code that
    # writes them must.
    REFERENCES = [("orders", "merchant_id", "merchants", "id"), ("order_lines", "oid", "orders", "oid"),
                  ("order_lines", "pid", "products", "pid"), ("order_charges", "oid", "orders", "oid"),
                  ("order_history", "oid", "orders", "oid"), ("stock_ledger", "pid", "products", "pid"),
                  ("payments", "oid", "orders", "oid"), ("refunds", "oid", "orders", "oid"),
                  ("prescriptions", "oid", "orders", "oid")]

    def check_references(self):
        for table, col, target, key in self.REFERENCES:
            n = db_exec(self.server, "SELECT COUNT(*) FROM %s r WHERE r.%s IS NOT NULL AND NOT EXISTS "
                                     "(SELECT 1 FROM %s t WHERE t.%s = r.%s)" % (table, col, target, key, col))
            self.assertEqual(n, "0", "%s.%s points at no %s row" % (table, col, target))
        rows = db_exec(self.server, "SELECT COUNT(*) FROM order_lines")
        self.assertNotEqual(rows, "0", "no order lines to check")

    def check_refunds(self, timeout=30.0):
        """Every refund the orders show reaches the payment API, one id per
        refund, with its amount; nothing else is sent."""
        self.pay.set_refund_behaviour(fail_times=0)
        deadline = time.time() + timeout
        while True:
            views = {k: self.observe_order(k) for k in self.world.orders if self.world.orders[k].refunds}
            pending = [k for k, v in views.items() if v and any(f["state"] != "done" for f in v["refund_rows"])]
            if not pending or time.time() > deadline:
                break
            time.sleep(0.3)
        for k in pending:
            self.note("refunds: never completed", k, "%s" % views[k]["refund_rows"], once=("refund-done", k))
        mine = {self.meta[k]["order_id"] for k in self.world.orders}
        with self.pay.lock:
            calls = [r["json"] for r in self.pay.refunds
                     if isinstance(r["json"], dict) and r["json"].get("order_id") in mine]
        by_id = {}
        for c in calls:
            by_id.setdefault(c.get("refund_id"), []).append(c)
        known = set()
        for k, v in views.items():
            if not v:
                continue
            for f in v["refund_rows"]:
                known.add(f["refund_id"])
                got = by_id.get(f["refund_id"], [])
                if f["state"] == "done" and not got:
                    self.note("refunds: done but never sent", k, "%s" % f, once=("sent", f["refund_id"]))
                for c in got:
                    if paise(c.get("amount")) != paise(f["amount"]) or c.get("order_id") != self.meta[k]["order_id"]:
                        self.note("refunds: sent with another amount or order", k, "%s vs %s" % (c, f),
                                  once=("amount", f["refund_id"]))
        for rid in by_id:
            if rid not in known:
                self.note("refunds: sent but shown on no order", None, "%s" % by_id[rid][0], once=("unknown", rid))

    # ---- the test -------------------------------------------------------------------------------

    def init_state(self):
        """A model that starts from the server's stock as it is now (what
        earlier tests of the class reserved counts as the server's own)."""
        self.rng = random.Random(SEED)
        self._tokens, self._url_n = {}, 0
        self.world = M.World()
        self.meta, self.specs, self.specs_text, self.trace = {}, {}, {}, {}
        self.drift, self.seen, self.found = {}, set(), Discrepancies()
        self.log, self.step = [], 0
        self.n_orders = 0
        self.pay.set_refund_behaviour(fail_times=0)
        for sku, (on_hand, reserved) in self.observe_stock().items():
            self.world.on_hand[sku] = on_hand
            self.drift[sku] = (0, reserved)
        self.world.adjust = {sku: -dr for sku, (_, dr) in self.drift.items()}

    def discrepancies_or_none(self):
        if self.found.kinds:
            self.fail("seed %d (set E2E_MODEL_SEED=%d to replay): the server and the model disagree:\n%s" % (
                SEED, SEED, self.found.report()))


class ModelLifecycle(ModelDriver):
    def test_random_sequences_keep_stock_money_and_moves_right(self):
        self.init_state()
        print("\nmodel lifecycle: seed %d (E2E_MODEL_SEED), %.0f s on %s" % (
            SEED, SECONDS, os.environ.get("E2E_BACKEND", "sqlite")), flush=True)
        actions = [("create", 20), ("quick", 2), ("confirm", 14), ("cancel", 6), ("partial", 8),
                   ("move", 16), ("badmove", 3), ("rx", 5), ("verify", 5), ("restock", 2),
                   ("refundfail", 2), ("pair", 10), ("badmoney", 1)]
        names, weights = [a for a, _ in actions], [w for _, w in actions]
        end = time.time() + SECONDS
        try:
            while time.time() < end and (not MAX_STEPS or self.step < MAX_STEPS):
                act = self.rng.choices(names, weights)[0]
                if act == "create" and len(self.live()) >= LIVE_MAX:
                    act = "move"
                {"create": lambda: self.do_create("main"), "quick": self.do_quick, "confirm": self.do_confirm,
                 "cancel": lambda: self.do_cancel(False), "partial": lambda: self.do_cancel(True),
                 "move": self.do_move, "badmove": lambda: self.do_move(False), "rx": self.do_prescriptions,
                 "verify": self.do_verify, "restock": self.do_restock, "refundfail": self.do_refund_failures,
                 "pair": self.do_pair, "badmoney": self.do_bad_money}[act]()
                if self.step and self.step % CHECKPOINT_EVERY == 0:
                    self.check_webhooks()
            self.check_webhooks()
            self.check_refunds()
            self.check_references()
        except Exception:
            print("model lifecycle: seed %d, step %d; last steps:\n  %s" % (SEED, self.step,
                                                                           "\n  ".join(self.log[-25:])))
            raise
        print("model lifecycle: %d steps, %d orders, %d kind(s) of discrepancy" % (
            self.step, len(self.world.orders), len(self.found.kinds)), flush=True)
        self.discrepancies_or_none()


class Reproductions(ModelDriver):
    """Issue 11's cases, and what the random run found beyond them, each
    as the shortest sequence that shows it, judged by the same model,
    invariants, webhook and refund checks as the random run."""

    def setUp(self):
        self.init_state()

    def finish(self):
        self.check_webhooks()
        self.check_refunds()
        self.check_references()
        self.discrepancies_or_none()

    def create(self, cart, method, rx_kind="missing", pool="main"):
        key = self.do_create(pool, cart=cart, coupon=None, method=method, rx_kind=rx_kind)
        self.assertIn(key, self.world.orders, "the create was refused:\n" + "\n".join(self.log))
        return key

    def test_an_rx_order_without_a_prescription_url_waits_in_100(self):
        for rx_kind in ("missing", "null", "empty"):
            self.create({"MRX1": 1}, "COD", rx_kind)
        self.create({"MRX1": 1}, "COD", "urls")
        self.finish()

    def test_an_online_rx_order_with_a_prescription_is_placed_at_confirm(self):
        key = self.create({"MRX2": 1}, "ONLINE", "urls")
        self.step_confirm(key, "due")
        self.finish()

    def test_a_partial_cancel_before_payment_lowers_what_is_due(self):
        paid_old = self.create({"MA": 2}, "ONLINE")
        self.step_cancel(paid_old, {"MA": 1})
        self.step_confirm(paid_old, "old")  # the first amount: confirmed, the difference refunded
        paid_new = self.create({"MA": 2}, "ONLINE")
        self.step_cancel(paid_new, {"MA": 1})
        self.step_confirm(paid_new, "due")  # the lowered amount: confirmed
        self.finish()

    def test_a_partial_cancel_lowers_what_is_due_for_cod_too(self):
        key = self.create({"MA": 2, "MC": 1}, "COD")
        self.step_cancel(key, {"MA": 1})
        self.step_move(key, 120)
        self.finish()

    def test_a_partial_cancel_of_every_open_unit_is_a_whole_cancel(self):
        cod = self.create({"MA": 1}, "COD")
        self.step_cancel(cod, {"MA": 1})
        online = self.create({"MA": 2, "MC": 1}, "ONLINE")
        self.step_cancel(online, {"MA": 1})
        self.step_cancel(online, {"MA": 1, "MC": 1})
        paid = self.create({"MA": 1, "MC": 2}, "ONLINE")
        self.step_confirm(paid, "due")
        self.step_cancel(paid, {"MC": 1})
        self.step_cancel(paid, {"MA": 1, "MC": 1})
        for key in (cod, online, paid):
            self.assertEqual(self.world.orders[key].status, 99, "\n".join(self.log))
        self.finish()

    def test_a_payment_captured_for_an_order_cancelled_meanwhile_is_refunded(self):
        key = self.create({"MC": 1}, "ONLINE")
        self.step_confirm_pair(key, "confirm|cancel", 0.5)
        self.finish()

    def test_a_payment_captured_for_an_order_expired_meanwhile_is_refunded(self):
        key = self.create({"QA": 1}, "ONLINE", pool="quick")
        self.step_confirm(key, "due", delay=3.5, optional=[M.op_expire(key)])
        self.finish()

    def test_a_repeated_confirm_of_an_expired_order_records_its_payment_once(self):
        key = self.create({"QA": 1}, "ONLINE", pool="quick")
        self.step_confirm(key, "due", delay=3.5, optional=[M.op_expire(key)])
        self.assertEqual(self.world.orders[key].status, 99, "\n".join(self.log))
        for _ in range(2):  # the same payment again: the seed's 500, nothing recorded
            self.step_confirm(key, "due", fresh=False)
        self.step_confirm(key, "due", fresh=True)  # a second payment: refunded too
        self.step_confirm(key, "due", fresh=False)
        self.finish()

    def test_creates_at_once_taking_the_same_skus_in_opposite_orders_both_succeed(self):
        # On PostgreSQL, two creates locking the same stock rows in opposite
        # orders deadlocked and one was refused with the seed's lock message.
        for _ in range(3):
            specs = [self.new_order_spec("main", cart=cart, coupon=None, method="COD", rx_kind="missing")
                     for cart in ({"MB": 1, "MC": 1}, {"MC": 1, "MB": 1})]
            (o1, b1), (o2, b2) = specs
            self.run_step("at once: create|create", [M.op_create(o1), M.op_create(o2)],
                          [lambda: self.http_create("main", b1), lambda: self.http_create("main", b2)],
                          [o1.key, o2.key])
            for o in (o1, o2):
                self.assertIn(o.key, self.world.orders, "\n".join(self.log))
        self.finish()

    def test_a_signed_amount_is_an_invalid_amount(self):
        for amount in ("-199.00", "-0.01", "256.-0"):
            self.do_bad_money(amount)
        self.finish()

    def test_an_operator_cancel_of_a_paid_order_refunds_it(self):
        key = self.create({"MC": 1}, "ONLINE")
        self.step_confirm(key, "due")
        self.step_move(key, 99)
        self.finish()


class ModelSelfCheck(unittest.TestCase):
    """The model alone keeps its own invariants under random operations,
    sequential and at once (no server: a wrong model would blame it)."""

    def test_the_model_keeps_stock_money_and_moves_right(self):
        rng = random.Random(SEED)
        w = M.World()
        w.on_hand = {"A": 5, "B": 3, "R": 4}
        prices = {"A": 15050, "B": 9999, "R": 2001}
        for n in range(3000):
            keys = list(w.orders)
            key = rng.choice(keys) if keys else None
            o = w.orders.get(key)
            ops = []
            for _ in range(rng.choice([1, 1, 2])):
                kind = rng.choice(["create", "confirm", "cancel", "partial", "move", "rx", "verify", "expire"])
                if kind == "create" or o is None:
                    cart = {s: rng.randint(1, 3) for s in rng.sample(sorted(prices), rng.randint(1, 3))}
                    lines = [M.Line(s, q, prices[s], s == "R") for s, q in cart.items()]
                    spec = M.Order("o%d-%d" % (n, len(ops)), "main", "r", rng.choice(["COD", "ONLINE"]), lines,
                                   rng.choice([0, 2500]), rng.choice([0, 1]))
                    ops.append(M.op_create(spec))
                elif kind == "confirm":
                    due = o.due()
                    amount = rng.choice([due, max(o.dues), due - 1])
                    ops.append(M.op_confirm(key, rng.choice(["SUCCESS", "SUCCESS", "FAILED", "ERROR"]), amount,
                                            rng.choice(["TX1", "TX1", "TX2"])))
                elif kind in ("cancel", "partial"):
                    skus = None
                    if kind == "partial":
                        skus = {l.sku: rng.randint(1, max(1, l.open)) for l in o.lines}
                    ops.append(M.op_cancel(key, skus))
                elif kind == "move":
                    ops.append(M.op_admin_move(key, rng.choice(M.ALL_STATUSES + [180])))
                elif kind == "rx":
                    ops.append(M.op_add_prescriptions(key, 1))
                elif kind == "verify":
                    ops.append(M.op_verify(key, rng.random() < 0.5))
                else:
                    ops.append(M.op_expire(key))
            outs = M.interleave(w, ops)
            self.assertTrue(outs)
            for w2, resps in outs:
                self.assertTrue(all(r is not None for r in resps))
                for sku in w2.on_hand:
                    self.assertGreaterEqual(w2.available(sku), 0)
                    self.assertGreaterEqual(w2.on_hand[sku], 0)
                for k, o2 in w2.orders.items():
                    self.assertIn(o2.history[0], M.INITIAL)
                    for a_, b_ in zip(o2.history, o2.history[1:]):
                        self.assertIn(b_, M.ALLOWED[a_], (k, o2.history))
                    if o2.collected() or o2.refunded():
                        self.assertEqual(o2.collected() - o2.refunded(), o2.held_value(), (k, o2.history))
            w = rng.choice(outs)[0]
            if rng.random() < 0.05:
                w = w.copy()
                w.on_hand["A"] += 2


def weight(diffs):
    """How far an outcome is from what the server shows: whether the
    payment API was asked is seen for certain, so it outweighs the rest."""
    return sum(100 if f == "payment API asked" else 1 for f, _ in diffs)


def label_kind(label):
    """A step's label without its amounts and SKUs, to group discrepancies."""
    out = []
    for w in label.split():
        if "->" in w or w[:1] in "([" or w.endswith(")"):
            out.append(w)
            continue
        if any(ch.isdigit() for ch in w) or w == "None" or w[:1] in "{'" or w[-1:] in "},":
            continue
        out.append(w)
    return " ".join(out)


if __name__ == "__main__":
    unittest.main()
