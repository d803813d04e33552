"""docs/openapi.json describes what the server really answers: every
operation is called on a live server (success and the errors that can be
produced on demand), and each answer's status, Content-Type, headers and
body are checked against the document's response for that status with
JSON Schema (Debian's python3-jsonschema, draft 2020-12 as OpenAPI 3.1
uses it)."""

import json
import os
import re
import time
import unittest

import jsonschema

from harness import ADMIN_TOKEN, ROOT, Merchant, ServerTest
from test_orders import USER, sku

DOC = json.load(open(os.path.join(ROOT, "docs", "openapi.json")))


def resolve(node):
    """The schema with every local $ref replaced by what it points at."""
    if isinstance(node, dict):
        if "$ref" in node:
            target = DOC
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(target)
        return {k: resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v) for v in node]
    return node


def response_for(template, method, status):
    op = DOC["paths"][template][method.lower()]
    responses = op["responses"]
    r = responses.get(str(status)) or responses.get("%dXX" % (status // 100)) or responses.get("default")
    return op, resolve(r) if r else None


class Answers(ServerTest):
    server_args = ("--sandbox",)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.seen = set()
        cls.checked = 0
        s = cls.server
        base = "http://127.0.0.1:%d/sandbox/merchants/oa" % s.port
        cls.m = Merchant(s, "oa", payment_api={"base_url": base, "aggregator": "SANDBOX"},
                         webhook={"url": base + "/webhooks", "signing_secret": "whsec-oa"},
                         charges=[{"type": "handling_fee", "display_text": "Handling", "amount": 99}])
        cls.nopay = Merchant(s, "oa2")
        sku(s, "OA1", price=100, mrp=120, stock=100)
        sku(s, "OARX", price=100, mrp=120, stock=100, rx=True)
        s.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})

    def call(self, template, method, path, status, body=None, raw=None, headers=None, ctype=None):
        """Sends the request, asserts the status, and checks the answer
        against the document's response for it."""
        r = self.server.request(method, path, body=body, raw=raw, headers=headers)
        if status is None:  # any success
            self.assertTrue(200 <= r.status < 300, "%s %s: %r" % (method, path, r))
            status = r.status
        self.assertEqual(r.status, status, "%s %s: %r" % (method, path, r))
        op, spec = response_for(template, method, status)
        self.assertIsNotNone(spec, "%s %s: %d is not documented" % (method, template, status))
        self.seen.add((template, method.lower()))
        content = spec.get("content", {})
        got_type = (r.header("Content-Type") or "").split(";")[0].strip()
        if content:
            self.assertIn(got_type, content, "%s %s %d: Content-Type %s" % (method, template, status, got_type))
            schema = content[got_type].get("schema", {})
            instance = r.json if got_type == "application/json" else r.body
            try:
                jsonschema.Draft202012Validator(schema).validate(instance)
            except jsonschema.ValidationError as e:
                self.fail("%s %s %d does not match its schema: %s at %s\n%s" % (
                    method, template, status, e.message, list(e.absolute_path), r.body[:800]))
        for name, h in spec.get("headers", {}).items():
            if h.get("required"):
                self.assertIsNotNone(r.header(name), "%s %s %d lacks %s" % (method, template, status, name))
        type(self).checked += 1
        return r

    def ph(self):
        return self.m.headers()

    def create(self, ref, method="COD", skus=None, payable=100, merchant=None, **extra):
        m = merchant or self.m
        b = {"merchant_order_id": ref, "payable_amount": payable, "payment_method": method, "user": USER,
             "skus": skus or {"OA1": 1}}
        b.update(extra)
        payable_paise = b["payable_amount"]
        return self.call("/api/v4/merchants/{merchant_id}/orders", "POST",
                         "/api/v4/merchants/%s/orders" % m.id, 200, body=b, headers=m.headers()), payable_paise

    def test_every_operation_answers_as_documented(self):
        s, A = self.server, {"Authorization": "Bearer " + ADMIN_TOKEN}
        P = "/api/v4/merchants/{merchant_id}"
        # Health.
        self.call("/healthz", "GET", "/healthz", 200)
        self.call("/readyz", "GET", "/readyz", 200)
        self.call("/metrics", "GET", "/metrics", 200)
        self.call("/openapi.json", "GET", "/openapi.json", 200)
        # Pharmacy: inventory check.
        inv = P + "/inventory/check"
        cart = {"skus": {"OA1": 2}, "pincode": "560103"}
        self.call(inv, "POST", "/api/v4/merchants/oa/inventory/check", 200, body=cart, headers=self.ph())
        self.call(inv, "POST", "/api/v4/merchants/oa/inventory/check", 400, body={"skus": {}}, headers=self.ph())
        self.call(inv, "POST", "/api/v4/merchants/oa/inventory/check", 401, body=cart)
        self.call(inv, "POST", "/api/v4/merchants/oa/inventory/check", 413, raw="{" + " " * (1 << 20) + "}",
                  headers=dict(self.ph(), **{"Content-Type": "application/json"}))
        self.call(inv, "POST", "/api/v4/merchants/oa/inventory/check", 415, raw="x",
                  headers=dict(self.ph(), **{"Content-Type": "text/plain"}))
        # Create (COD, ONLINE, Rx without prescription), with idempotency.
        self.create("oa-cod", payable=199)
        self.call(P + "/orders", "POST", "/api/v4/merchants/oa/orders", 400, body={"merchant_order_id": "x"},
                  headers=self.ph())
        online, _ = self.create("oa-online", method="ONLINE", payable=199)
        oid = online.json["data"]["order_id"]
        rx, _ = self.create("oa-rx", skus={"OARX": 1}, payable=199)
        rx_oid = rx.json["data"]["order_id"]
        idem = dict(self.ph(), **{"Idempotency-Key": "oa-key-1"})
        b = {"merchant_order_id": "oa-idem", "payable_amount": 199, "payment_method": "COD", "user": USER,
             "skus": {"OA1": 1}}
        self.call(P + "/orders", "POST", "/api/v4/merchants/oa/orders", 200, body=b, headers=idem)
        r = self.call(P + "/orders", "POST", "/api/v4/merchants/oa/orders", 200, body=b, headers=idem)
        self.assertEqual(r.header("Idempotent-Replayed"), "true")
        self.call(P + "/orders", "POST", "/api/v4/merchants/oa/orders", 422, body=dict(b, payable_amount=1),
                  headers=idem)
        # Confirm: success, unknown order, payment API missing.
        conf = P + "/orders/{order_id}/confirm"
        self.call(conf, "PUT", "/api/v4/merchants/oa/orders/%s/confirm" % oid, 200,
                  body={"order_id": oid, "merchant_order_id": "oa-online"}, headers=self.ph())
        self.call(conf, "PUT", "/api/v4/merchants/oa/orders/PO00000000000000/confirm", 500,
                  body={"order_id": "PO00000000000000", "merchant_order_id": "nope"}, headers=self.ph())
        r = self.call(P + "/orders", "POST", "/api/v4/merchants/oa2/orders", 200, headers=self.nopay.headers(),
                      body={"merchant_order_id": "np-1", "payable_amount": 100, "payment_method": "ONLINE",
                            "user": USER, "skus": {"OA1": 1}})
        np_oid = r.json["data"]["order_id"]
        self.call(conf, "PUT", "/api/v4/merchants/oa2/orders/%s/confirm" % np_oid, 502,
                  body={"order_id": np_oid, "merchant_order_id": "np-1"}, headers=self.nopay.headers())
        # Prescriptions for the Rx order (100 -> 110).
        self.call(P + "/orders/{order_id}/prescriptions", "POST",
                  "/api/v4/merchants/oa/orders/%s/prescriptions" % rx_oid, 200,
                  body={"prescriptions": ["https://rx.example/1.pdf"]}, headers=self.ph())
        # Cancel part of the paid order, then a refused cancel.
        cancel = "/api/v4/{merchant_id}/order/cancel"
        self.call(cancel, "POST", "/api/v4/oa/order/cancel", 200, headers=self.ph(),
                  body={"order_id": oid, "reason": "r", "agent_id": "a", "merchant": "oa"})
        self.call(cancel, "POST", "/api/v4/oa/order/cancel", 400, headers=self.ph(),
                  body={"order_id": oid, "reason": "r", "agent_id": "a", "merchant": "oa"})
        # Track and the public page.
        track = "/api/v4/merchants/{merchant_name}/orders/{merchant_order_id}/track"
        tr = self.call(track, "GET", "/api/v4/merchants/%s/orders/oa-cod/track" % self.m.name, 200,
                       headers=self.ph())
        self.call(track, "GET", "/api/v4/merchants/%s/orders/nope/track" % self.m.name, 404, headers=self.ph())
        code = tr.json["data"]["result"]["grouped_orders"][0]["shipment_detail"]["tracking_code"]
        self.call("/t/{code}", "GET", "/t/" + code, 200)
        self.call("/t/{code}", "GET", "/t/nothing-here", 404)
        self.call("/t/{code}.json", "GET", "/t/%s.json" % code, 200)
        self.call("/t/{code}.json", "GET", "/t/nothing-here.json", 404)
        self.call("/admin/v1/skus/{sku_id}/ledger", "GET", "/admin/v1/skus/OA1/ledger", 200, headers=A)
        self.call("/admin/v1/skus/{sku_id}/waiting", "GET", "/admin/v1/skus/OA1/waiting", 200, headers=A)
        self.call("/admin/v1/skus/{sku_id}/waiting", "GET", "/admin/v1/skus/NOPE/waiting", 404, headers=A)
        self.call("/t", "GET", "/t", 308)
        self.call("/t/", "GET", "/t/", 200)
        self.call("/t/", "GET", "/t/?code=" + code, 303)
        # Logistics.
        L = self.m.basic()
        self.call("/2015-01-01/products/", "POST", "/2015-01-01/products/", 201, headers=L,
                  body={"merchants_id": "LP1", "name": "Thermometer", "gtin": "8901234567890", "weight": 120,
                        "dimensions": "10 x 3 x 2"})
        self.call("/2015-01-01/products/", "POST", "/2015-01-01/products/", 200, headers=L,
                  body={"merchants_id": "LP1", "name": "Thermometer 2"})
        self.call("/2015-01-01/products", "POST", "/2015-01-01/products", 200, headers=L,
                  body={"merchants_id": "LP1", "name": "Thermometer 3"})
        self.call("/2015-01-01/products/", "POST", "/2015-01-01/products/", 403,
                  headers=self.m.basic("wrong-secret"), body={"merchants_id": "LP1"})
        self.call("/2015-01-01/products/", "POST", "/2015-01-01/products/", 400, headers=L, body={"name": "x"})
        self.call("/admin/v1/merchants/{id}/products/{merchants_id}/stock", "POST",
                  "/admin/v1/merchants/oa/products/LP1/stock", 200, headers=A, body={"delta": 5, "reason": "in"})
        self.call("/admin/v1/merchants/{id}/products/{merchants_id}", "GET",
                  "/admin/v1/merchants/oa/products/LP1", 200, headers=A)
        self.call("/admin/v1/merchants/{id}/products/{merchants_id}/waiting", "GET",
                  "/admin/v1/merchants/oa/products/LP1/waiting?limit=5", 200, headers=A)
        inv_l = "/2015-01-01/products/inventory"
        self.call(inv_l, "GET", inv_l + "?merchants_id=LP1", 200, headers=L)
        self.call(inv_l, "GET", inv_l + "?offset=0&limit=10", 200, headers=L)
        self.call(inv_l, "POST", inv_l, 200, headers=L, body={"merchants_id": "LP1"})
        self.call(inv_l, "GET", inv_l + "?merchants_id=nope", 404, headers=L)
        lorder = {"merchants_order": "lo-1", "products": [{"merchants_id": "LP1", "qty": 1}],
                  "customer": {"firstName": "A", "lastName": "B", "address": "1 Rd", "postalCode": "560103",
                               "city": "Bengaluru"}}
        r = self.call("/2015-01-01/orders/_create", "POST", "/2015-01-01/orders/_create", 201, headers=L,
                      body=lorder)
        lid = r.json["order_id"]
        self.call("/2015-01-01/orders/_create", "POST", "/2015-01-01/orders/_create", 400, headers=L,
                  body={"merchants_order": "lo-x", "products": [{"qty": 1}], "customer": lorder["customer"]})
        self.call("/2015-01-01/orders/{id}", "POST", "/2015-01-01/orders/" + lid, 200, headers=L,
                  body={"tags": ["gift"]})
        self.call("/2015-01-01/orders/{id}", "GET", "/2015-01-01/orders/" + lid, 200, headers=L)
        self.call("/2015-01-01/orders/{id}", "GET", "/2015-01-01/orders/ffffffffffffffffffffffff", 404, headers=L)
        self.call("/2015-01-01/orders/{id}/_confirm", "POST", "/2015-01-01/orders/%s/_confirm" % lid, 200,
                  headers=L)
        self.call("/2015-01-01/orders/{id}/_confirm", "POST", "/2015-01-01/orders/%s/_confirm" % lid, 409,
                  headers=L)
        self.call("/2015-01-01/orders/{id}", "POST", "/2015-01-01/orders/" + lid, 409, headers=L,
                  body={"tags": ["late"]})
        self.call("/2015-01-01/orders/{id}", "DELETE", "/2015-01-01/orders/" + lid, 200, headers=L)
        r = self.call("/2015-01-01/orders/_create", "POST", "/2015-01-01/orders/_create", 201, headers=L,
                      body=dict(lorder, merchants_order="lo-2"))
        self.call("/2015-01-01/orders/{id}/_delete", "POST", "/2015-01-01/orders/%s/_delete" % r.json["order_id"],
                  200, headers=L)
        self.call("/2015-01-01/orders/{id}/_delete", "POST", "/2015-01-01/orders/%s/_delete" % r.json["order_id"],
                  400, headers=L)
        # Admin: merchants.
        self.call("/admin/v1/merchants", "POST", "/admin/v1/merchants", 201, headers=A,
                  body={"id": "oa3", "name": "oa_three"})
        self.call("/admin/v1/merchants", "POST", "/admin/v1/merchants", 409, headers=A,
                  body={"id": "oa3", "name": "oa_three"})
        self.call("/admin/v1/merchants", "POST", "/admin/v1/merchants", 400, headers=A, body={"name": "x"})
        self.call("/admin/v1/merchants", "POST", "/admin/v1/merchants", 401, body={"id": "x", "name": "x"})
        self.call("/admin/v1/merchants/{id}", "GET", "/admin/v1/merchants/oa", 200, headers=A)
        self.call("/admin/v1/merchants/{id}", "GET", "/admin/v1/merchants/nope", 404, headers=A)
        self.call("/admin/v1/merchants/{id}", "PATCH", "/admin/v1/merchants/oa3", 200, headers=A,
                  body={"display_name": "OA Three"})
        # Admin: catalog.
        self.call("/admin/v1/skus/{sku_id}", "PUT", "/admin/v1/skus/OA9", 201, headers=A,
                  body={"name": "Nine", "mrp": 10, "price": 9, "stock": 5})
        self.call("/admin/v1/skus/{sku_id}", "PUT", "/admin/v1/skus/OA9", 200, headers=A,
                  body={"name": "Nine", "mrp": 10, "price": 8})
        self.call("/admin/v1/skus/{sku_id}", "GET", "/admin/v1/skus/OA9", 200, headers=A)
        self.call("/admin/v1/skus/{sku_id}", "GET", "/admin/v1/skus/nope", 404, headers=A)
        self.call("/admin/v1/skus/{sku_id}/stock", "POST", "/admin/v1/skus/OA9/stock", 200, headers=A,
                  body={"delta": 3, "reason": "count"})
        self.call("/admin/v1/skus/{sku_id}/stock", "POST", "/admin/v1/skus/OA9/stock", 409, headers=A,
                  body={"delta": -1000, "reason": "count"})
        csv = "sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock\nOA10,Ten,10,9,strip,otc,false,4\n"
        self.call("/admin/v1/skus/import", "POST", "/admin/v1/skus/import", 200, raw=csv,
                  headers=dict(A, **{"Content-Type": "text/csv"}))
        self.call("/admin/v1/skus/import", "POST", "/admin/v1/skus/import", 400, raw=csv + "bad,row\n",
                  headers=dict(A, **{"Content-Type": "text/csv"}))
        self.call("/admin/v1/coupons/{code}", "PUT", "/admin/v1/coupons/OA10", 201, headers=A,
                  body={"kind": "percent", "value": 10, "max_discount": 50})
        self.call("/admin/v1/coupons/{code}", "GET", "/admin/v1/coupons/OA10", 200, headers=A)
        self.call("/admin/v1/pincodes/{pincode}", "PUT", "/admin/v1/pincodes/110002", 201, headers=A,
                  body={"serviceable": True, "eta_min_days": 1, "eta_max_days": 2})
        self.call("/admin/v1/pincodes/{pincode}", "GET", "/admin/v1/pincodes/110002", 200, headers=A)
        self.call("/admin/v1/pincodes/import", "POST", "/admin/v1/pincodes/import", 200,
                  raw="pincode,serviceable,eta_min_days,eta_max_days\n110003,true,1,3\n",
                  headers=dict(A, **{"Content-Type": "text/csv"}))
        # Admin: orders.
        self.call("/admin/v1/orders", "GET", "/admin/v1/orders?merchant_id=oa&limit=2", 200, headers=A)
        self.call("/admin/v1/orders", "GET", "/admin/v1/orders?status_id=abc", 400, headers=A)
        cod = tr.json["data"]["result"]["grouped_orders"][0]["order_id"]
        self.call("/admin/v1/orders/{order_id}", "GET", "/admin/v1/orders/" + cod, 200, headers=A)
        self.call("/admin/v1/orders/{order_id}", "GET", "/admin/v1/orders/PO00000000000000", 404, headers=A)
        st = "/admin/v1/orders/{order_id}/status"
        self.call(st, "POST", "/admin/v1/orders/%s/status" % cod, 200, headers=A, body={"status_id": 120})
        self.call(st, "POST", "/admin/v1/orders/%s/status" % cod, 409, headers=A, body={"status_id": 40})
        self.call("/admin/v1/orders/{order_id}/prescriptions/verify", "POST",
                  "/admin/v1/orders/%s/prescriptions/verify" % rx_oid, 200, headers=A, body={"approved": True})
        self.call("/admin/v1/orders/{order_id}/prescriptions/verify", "POST",
                  "/admin/v1/orders/%s/prescriptions/verify" % rx_oid, 409, headers=A, body={"approved": True})
        # Admin: deliveries (the webhooks above went through the outbox).
        d = self.call("/admin/v1/deliveries", "GET", "/admin/v1/deliveries?limit=5", 200, headers=A)
        self.call("/admin/v1/deliveries/{id}/retry", "POST", "/admin/v1/deliveries/999999/retry", 404, headers=A)
        done = [x for x in d.json["deliveries"] if x.get("state") == "done"]
        if done:
            self.call("/admin/v1/deliveries/{id}/retry", "POST", "/admin/v1/deliveries/%s/retry" % done[0]["id"],
                      409, headers=A)
        # Sandbox.
        sb = "/sandbox/merchants/{merchant_id}"
        self.call(sb + "/transactions/{merchant_order_id}", "GET", "/sandbox/merchants/oa/transactions/oa-cod", 200)
        self.call(sb + "/transactions/{merchant_order_id}", "GET", "/sandbox/merchants/oa/transactions/x-failed", 200)
        self.call(sb + "/transactions/{merchant_order_id}", "GET", "/sandbox/merchants/oa/transactions/nope", 404)
        self.call(sb + "/refunds", "POST", "/sandbox/merchants/oa/refunds", 200, body={"refund_id": "RF1"})
        self.call(sb + "/webhooks", "POST", "/sandbox/merchants/oa/webhooks", 200, body={"event_id": "e1"})
        self.call(sb + "/webhooks", "POST", "/sandbox/merchants/nope/webhooks", 404, body={"event_id": "e1"})
        self.call("/sandbox/webhooks", "GET", "/sandbox/webhooks", 200)
        self.call("/sandbox/webhooks.json", "GET", "/sandbox/webhooks.json", 200)

        # Documented GETs without path parameters that the script above does not
        # know yet (lists added later) are called as they are.
        # The console's HTML pages are walked in a real browser
        # (test_console_browser.py), not here.
        documented = {(p, m) for p, item in DOC["paths"].items() for m in item
                      if m in ("get", "post", "put", "patch", "delete") and "console" not in item[m]["tags"]}
        by_scheme = {"adminToken": A, "merchantJwt": self.ph(), "logisticsBasic": L}
        for p, m in sorted(documented - self.seen):
            if m != "get" or "{" in p:
                continue
            sec = DOC["paths"][p][m].get("security", DOC.get("security", []))
            headers = {}
            for req in sec:
                for scheme in req:
                    headers.update(by_scheme.get(scheme, {}))
            self.call(p, "GET", p, None, headers=headers)
        self.assertEqual(documented - self.seen, set(), "operations never called: add them above")

    def test_webhook_payloads_match_their_schemas(self):
        """What reached the sandbox receiver matches the document's webhooks."""
        online, _ = self.create("oa-hook", method="ONLINE", payable=199)
        oid = online.json["data"]["order_id"]
        self.server.request("PUT", "/api/v4/merchants/oa/orders/%s/confirm" % oid, headers=self.ph(),
                            body={"order_id": oid, "merchant_order_id": "oa-hook"})
        schema = resolve(DOC["webhooks"]["pharmacyOrderStatus"]["post"]["requestBody"]["content"]
                         ["application/json"]["schema"])
        deadline = time.time() + 20
        mine = []
        while time.time() < deadline and not mine:
            events = self.server.request("GET", "/sandbox/webhooks.json").json["events"]
            mine = [e for e in events if e["merchant_id"] == "oa" and isinstance(e["payload"], dict) and
                    (e["payload"].get("grouped_orders") or [{}])[0].get("order_id") == oid]
            time.sleep(0.05)
        self.assertTrue(mine, "no webhook for %s" % oid)
        for e in mine:
            jsonschema.Draft202012Validator(schema).validate(e["payload"])


if __name__ == "__main__":
    unittest.main()
