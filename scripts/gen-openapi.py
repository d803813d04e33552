#!/usr/bin/python3
"""Writes docs/openapi.json: the OpenAPI 3.1 description of every route.
Kept as a script so the document stays consistent (shared components,
security schemes) and is regenerated with `make openapi`; the output is
committed and embedded in the binary."""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

money = {"oneOf": [{"type": "number", "multipleOf": 0.01, "minimum": 0}, {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}],
         "description": "Rupees with at most two decimals (exact; integer paise inside)."}
pharm_error = {"type": "object", "required": ["is_success", "status_code", "error"], "properties": {
    "is_success": {"const": False}, "status_code": {"type": "integer"},
    "error": {"oneOf": [{"type": "string"}, {"type": "object", "properties": {
        "message": {"type": "string"},
        "errors": {"oneOf": [{"type": "null"}, {"type": "array", "items": {"type": "object", "properties": {"message": {"type": "string"}}}}]}}}]}}}
logi_error = {"type": "object", "required": ["success", "code"], "properties": {
    "success": {"const": False}, "code": {"type": "string"}, "message": {"type": "string"}}}
admin_error = {"type": "object", "properties": {"error": {"type": "object", "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}}}}}


def envelope(data_schema):
    return {"type": "object", "required": ["data", "partial_complete", "is_success", "status_code"], "properties": {
        "data": data_schema, "partial_complete": {"type": "boolean"}, "is_success": {"const": True},
        "status_code": {"const": 200}}}


def resp(desc, schema=None, ctype="application/json"):
    r = {"description": desc}
    if schema is not None:
        r["content"] = {ctype: {"schema": schema}}
    return r


def body(schema, ctype="application/json", required=True):
    return {"required": required, "content": {ctype: {"schema": schema}}}


def op(summary, tag, responses, request=None, security=None, params=None):
    o = {"summary": summary, "tags": [tag], "responses": responses}
    if request:
        o["requestBody"] = request
    if security is not None:
        o["security"] = security
    if params:
        o["parameters"] = params
    return o


def q(name, schema, desc=""):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}


obj = {"type": "object"}
PH = [{"merchantJwt": [], "accessKey": []}]
LG = [{"logisticsBasic": []}]
AD = [{"adminToken": []}]
NONE = []

pe = {"$ref": "#/components/schemas/PharmacyError"}
le = {"$ref": "#/components/schemas/LogisticsError"}
ae = {"$ref": "#/components/schemas/AdminError"}
perr = {"400": resp("Invalid request, refused by a business rule, or merchant not found", pe),
        "401": resp("Missing or invalid X-Access-Key or bearer token", pe),
        "413": resp("Body over 1 MiB", pe), "415": resp("Not JSON", pe)}
lerr = {"400": resp("Invalid request", le), "403": resp("access_denied", le), "404": resp("not_found", le)}
aerr = {"400": resp("Invalid request", ae), "401": resp("Missing or wrong admin token", ae),
        "403": resp("Admin API disabled (APOTHECA_ADMIN_TOKEN unset)", ae), "404": resp("Not found", ae)}

cart = {"type": "object", "required": ["skus", "pincode"], "properties": {
    "skus": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 1000},
             "maxProperties": 100, "minProperties": 1},
    "pincode": {"type": "string", "pattern": "^[1-9][0-9]{5}$"},
    "user": {"type": "object"}, "coupon_code": {"type": "string"}}}
create = {"type": "object", "required": ["merchant_order_id", "payable_amount", "payment_method", "skus", "user"],
          "properties": {"merchant_order_id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
                         "payable_amount": money, "payment_method": {"enum": ["COD", "ONLINE"]},
                         "coupon_code": {"type": "string"}, "user": {"type": "object"},
                         "prescriptions": {"type": "array", "maxItems": 10, "items": {"type": "string", "format": "uri"}},
                         "skus": cart["properties"]["skus"]}}

# The admin lists' one paging style, and the order search filters.
PAGE = [q("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size, default 50"),
        q("cursor", {"type": "string"}, "next_cursor of the previous page (opaque)")]
SEARCH = [q("q", {"type": "string", "maxLength": 128}, "order_id, merchant_order_id, phone or email; exact or prefix"),
          q("merchant_id", {"type": "string"}), q("status_id", {"type": "integer"}),
          q("flagged", {"type": "boolean"}), q("created_from", {"type": "integer"}, "epoch seconds, inclusive"),
          q("created_to", {"type": "integer"}, "epoch seconds, inclusive")]

paths = {
    "/healthz": {"get": op("Liveness", "health", {"200": resp("Alive", obj)}, security=NONE)},
    "/readyz": {"get": op("Readiness: the database answers", "health",
                          {"200": resp("Ready", obj), "503": resp("Database unreachable", obj)}, security=NONE)},
    "/metrics": {"get": op("Prometheus metrics", "health", {"200": resp("Text exposition format", {"type": "string"}, "text/plain")},
                           security=NONE)},
    "/openapi.json": {"get": op("This document", "health", {"200": resp("OpenAPI 3.1", obj)}, security=NONE)},
    "/api/v4/merchants/{merchant_id}/inventory/check": {"post": op(
        "Check stock and price a cart", "pharmacy", dict(perr, **{"200": resp("Priced cart", envelope(obj))}),
        body(cart), PH)},
    "/api/v4/merchants/{merchant_id}/orders": {"post": op(
        "Create an order (COD or ONLINE)", "pharmacy", dict(perr, **{"200": resp("Order created (or the original, on a retry)", envelope(obj))}),
        body(create), PH)},
    "/api/v4/merchants/{merchant_id}/orders/{order_id}/confirm": {"put": op(
        "Confirm an ONLINE order after checking the merchant's payment API", "pharmacy",
        dict(perr, **{"200": resp("Confirmed", envelope(obj)), "500": resp("Order not found / Map payment to order operation failed", pe),
                      "502": resp("The merchant's payment API failed", pe)}),
        body({"type": "object", "required": ["order_id", "merchant_order_id"], "properties": {
            "order_id": {"type": "string"}, "merchant_order_id": {"type": "string"}}}), PH)},
    "/api/v4/merchants/{merchant_id}/orders/{order_id}/prescriptions": {"post": op(
        "Add prescriptions (100 -> 110)", "pharmacy", dict(perr, **{"200": resp("Added", envelope(obj))}),
        body({"type": "object", "properties": {"prescriptions": {"type": "array", "items": {"type": "string"}}}}), PH)},
    "/api/v4/{merchant_id}/order/cancel": {"post": op(
        "Cancel an order, whole or by SKU", "pharmacy", dict(perr, **{"200": resp("Cancelled", envelope(obj)),
                                                                       "404": resp("Order not found", pe)}),
        body({"type": "object", "required": ["order_id"], "properties": {
            "order_id": {"type": "string"}, "reason": {"type": "string"}, "agent_id": {"type": "string"},
            "merchant": {"type": "string"}, "skus": {"type": "object"}}}), PH)},
    "/api/v4/merchants/{merchant_name}/orders/{merchant_order_id}/track": {"get": op(
        "Track an order by the merchant's order id", "pharmacy", dict(perr, **{"200": resp("data.result as the Track seed", envelope(obj)),
                                                                              "404": resp("Order not found", pe)}),
        security=PH)},
    "/t/{code}": {"get": op("Public tracking page", "tracking",
                            {"200": resp("HTML", {"type": "string"}, "text/html"), "404": resp("Unknown code", {"type": "string"}, "text/html")},
                            security=NONE)},
    "/t/{code}.json": {"get": op("Public tracking facts", "tracking",
                                 {"200": resp("Status, timeline, ETA, carrier, item count", obj), "404": resp("Unknown code", obj)},
                                 security=NONE)},
    "/2015-01-01/products/": {"post": op("Create or update a product", "logistics",
                                         dict(lerr, **{"200": resp("Updated", obj), "201": resp("Created", obj)}), body(obj), LG)},
    "/2015-01-01/products": {"post": op("Create or update a product (without the trailing slash)", "logistics",
                                        dict(lerr, **{"200": resp("Updated", obj), "201": resp("Created", obj)}), body(obj), LG)},
    "/2015-01-01/products/inventory": {
        "get": op("Inventory of one product or a page", "logistics", dict(lerr, **{"200": resp("Inventory", obj)}), security=LG,
                  params=[q("merchants_id", {"type": "string"}), q("id", {"type": "string"}),
                          q("offset", {"type": "integer"}), q("limit", {"type": "integer", "maximum": 500})]),
        "post": op("Inventory of one product or a page", "logistics", dict(lerr, **{"200": resp("Inventory", obj)}),
                   body(obj, required=False), LG)},
    "/2015-01-01/orders/_create": {"post": op("Create a passive order", "logistics",
                                              dict(lerr, **{"201": resp("Created", obj)}), body(obj), LG)},
    "/2015-01-01/orders/{id}": {
        "get": op("An order with its status", "logistics", dict(lerr, **{"200": resp("Order", obj)}), security=LG),
        "post": op("Update a passive order", "logistics", dict(lerr, **{"200": resp("Updated", obj), "409": resp("order_not_passive", le)}),
                   body(obj), LG),
        "delete": op("Delete (passive) or cancel (confirmed) an order", "logistics",
                     dict(lerr, **{"200": resp("Deleted or cancelled", obj)}), security=LG)},
    "/2015-01-01/orders/{id}/_confirm": {"post": op(
        "Confirm a passive order (confirmed or waiting_products)", "logistics",
        dict(lerr, **{"200": resp("Confirmed", obj), "409": resp("order_not_passive", le)}), body(obj, required=False), LG)},
    "/2015-01-01/orders/{id}/_delete": {"post": op("Same as DELETE /orders/{id}", "logistics",
                                                   dict(lerr, **{"200": resp("Deleted or cancelled", obj)}), security=LG)},
    "/admin/v1/merchants": {"post": op("Register a merchant", "admin", dict(aerr, **{"201": resp("Created", obj),
                                                                                      "409": resp("Exists", ae)}), body(obj), AD)},
    "/admin/v1/merchants/{id}": {
        "get": op("A merchant (secrets never echoed)", "admin", dict(aerr, **{"200": resp("Merchant", obj)}), security=AD),
        "patch": op("Change a merchant", "admin", dict(aerr, **{"200": resp("Merchant", obj)}), body(obj), AD)},
    "/admin/v1/merchants/{id}/products/{merchants_id}": {"get": op(
        "A logistics merchant's product with its inventory", "admin", dict(aerr, **{"200": resp("Product", obj)}), security=AD)},
    "/admin/v1/merchants/{id}/products/{merchants_id}/stock": {"post": op(
        "Adjust or set a logistics product's stock (ledgered)", "admin",
        dict(aerr, **{"200": resp("{on_hand, reserved, available}", obj), "409": resp("Would go below reserved", ae)}),
        body(obj), AD)},
    "/admin/v1/skus/{sku_id}": {
        "put": op("Create or replace a platform SKU", "admin", dict(aerr, **{"200": resp("Updated", obj), "201": resp("Created", obj)}),
                  body(obj), AD),
        "get": op("A platform SKU with stock", "admin", dict(aerr, **{"200": resp("SKU", obj)}), security=AD)},
    "/admin/v1/skus/import": {"post": op("Import SKUs from CSV (all or nothing)", "admin",
                                         dict(aerr, **{"200": resp("Imported", obj)}), body({"type": "string"}, "text/csv"), AD)},
    "/admin/v1/skus/{sku_id}/stock": {"post": op("Adjust or set stock (ledgered)", "admin",
                                                 dict(aerr, **{"200": resp("{on_hand, reserved, available}", obj),
                                                               "409": resp("Would go below reserved", ae)}), body(obj), AD)},
    "/admin/v1/coupons/{code}": {
        "put": op("Create or replace a coupon", "admin", dict(aerr, **{"200": resp("Updated", obj), "201": resp("Created", obj)}),
                  body(obj), AD),
        "get": op("A coupon", "admin", dict(aerr, **{"200": resp("Coupon", obj)}), security=AD)},
    "/admin/v1/pincodes/{pincode}": {
        "put": op("Create or replace a pincode entry", "admin", dict(aerr, **{"200": resp("Updated", obj), "201": resp("Created", obj)}),
                  body(obj), AD),
        "get": op("A pincode entry", "admin", dict(aerr, **{"200": resp("Pincode", obj)}), security=AD)},
    "/admin/v1/pincodes/import": {"post": op("Import pincodes from CSV (all or nothing)", "admin",
                                             dict(aerr, **{"200": resp("Imported", obj)}), body({"type": "string"}, "text/csv"), AD)},
    "/admin/v1/orders": {"get": op("Search orders, newest first (unknown parameters are 400)", "admin",
                                   dict(aerr, **{"200": resp("{orders, next_cursor}", obj)}), security=AD,
                                   params=SEARCH + PAGE)},
    "/admin/v1/orders.csv": {"get": op("Every order the filters match, as RFC 4180 CSV with a header row (streamed)",
                                       "admin", dict(aerr, **{"200": resp("CSV", {"type": "string"}, "text/csv")}),
                                       security=AD, params=SEARCH)},
    "/admin/v1/skus/{sku_id}/ledger": {"get": op("A platform SKU's stock movements, newest first", "admin",
                                                 dict(aerr, **{"200": resp("{sku_id, ledger, next_cursor}", obj)}),
                                                 security=AD, params=PAGE)},
    "/admin/v1/skus": {"get": op("Platform SKUs with stock", "admin",
                                 dict(aerr, **{"200": resp("{skus, next_cursor}", obj)}), security=AD, params=PAGE)},
    "/admin/v1/coupons": {"get": op("Coupons", "admin",
                                    dict(aerr, **{"200": resp("{coupons, next_cursor}", obj)}), security=AD, params=PAGE)},
    "/admin/v1/pincodes": {"get": op("Pincode entries", "admin",
                                     dict(aerr, **{"200": resp("{pincodes, next_cursor}", obj)}), security=AD, params=PAGE)},
    "/admin/v1/orders/{order_id}": {"get": op("An order with lines, payments, refunds, history", "admin",
                                              dict(aerr, **{"200": resp("Order", obj)}), security=AD)},
    "/admin/v1/orders/{order_id}/status": {"post": op("Move an order along SPEC §5", "admin",
                                                      dict(aerr, **{"200": resp("Order", obj), "409": resp("Move not allowed", ae)}),
                                                      body(obj), AD)},
    "/admin/v1/orders/{order_id}/prescriptions/verify": {"post": op(
        "Approve (110 -> 120) or reject (110 -> 100) prescriptions", "admin",
        dict(aerr, **{"200": resp("Order", obj), "409": resp("Not under review", ae)}),
        body({"type": "object", "required": ["approved"], "properties": {"approved": {"type": "boolean"}}}), AD)},
    "/admin/v1/deliveries": {"get": op("Outbox deliveries (refunds, webhooks)", "admin",
                                       dict(aerr, **{"200": resp("{deliveries, next_cursor}", obj)}), security=AD,
                                       params=[q("state", {"enum": ["pending", "done", "failed"]}),
                                               q("limit", {"type": "integer", "maximum": 1000}), q("cursor", {"type": "string"})])},
    "/admin/v1/deliveries/{id}/retry": {"post": op("Retry a parked delivery", "admin",
                                                   dict(aerr, **{"200": resp("Delivery", obj), "409": resp("Not failed", ae)}), security=AD)},
}

paths["/admin/v1/merchants"]["get"] = op("Merchants with their settings (secrets never)", "admin",
                                         dict(aerr, **{"200": resp("{merchants, next_cursor}", obj)}),
                                         security=AD, params=PAGE)

# The operator console (docs/console.md): HTML pages behind a session
# cookie from signing in with the admin token; forms carry a CSRF token.
CS = [{"consoleSession": []}]
html = {"type": "string"}


def page(summary, security=CS):
    return op(summary, "console", {"200": resp("HTML page", html, "text/html"),
                                   "303": resp("To sign-in without a session", html, "text/html")},
              security=security)


def action(summary):
    return op(summary, "console", {"303": resp("Done: back to the page", html, "text/html"),
                                   "403": resp("No session or wrong CSRF token", html, "text/html")},
              body({"type": "object"}, "application/x-www-form-urlencoded"), CS)


paths.update({
    "/admin": {"get": page("Redirect to /admin/", NONE)},
    "/admin/": {"get": page("Console dashboard: orders per hour, value per day, payment outcomes, outbox")},
    "/admin/console.css": {"get": op("Console stylesheet", "console", {"200": resp("CSS", html, "text/css")}, security=NONE)},
    "/admin/sign-in": {"get": page("Sign-in form (admin token)", NONE),
                       "post": op("Sign in: sets an HttpOnly, SameSite=Strict session cookie", "console",
                                  {"303": resp("Signed in", html, "text/html"), "401": resp("Wrong token", html, "text/html")},
                                  body({"type": "object"}, "application/x-www-form-urlencoded"), NONE)},
    "/admin/sign-out": {"post": action("Sign out (ends the session)")},
    "/admin/orders": {"get": page("Order search with the admin API's filters")},
    "/admin/orders.csv": {"get": op("The search as CSV (GET /admin/v1/orders.csv for a session)", "console",
                                    {"200": resp("CSV", html, "text/csv")}, security=CS)},
    "/admin/orders/{order_id}": {"get": page("An order: lines, money, timeline, prescriptions, deliveries, actions")},
    "/admin/orders/{order_id}/status": {"post": action("Move the order (POST /admin/v1/orders/{id}/status)")},
    "/admin/orders/{order_id}/cancel": {"post": action("Cancel the order (a move to 99)")},
    "/admin/orders/{order_id}/verify": {"post": action("Approve or reject prescriptions")},
    "/admin/deliveries": {"get": page("Deliveries by state, failed first, with retry")},
    "/admin/deliveries/{id}/retry": {"post": action("Retry a parked delivery")},
    "/admin/stock": {"get": page("Stock levels of platform SKUs")},
    "/admin/stock/{sku_id}": {"get": page("A SKU's stock, adjust form and ledger"),
                              "post": action("Adjust the SKU's stock with a reason")},
    "/admin/merchants": {"get": page("Merchants' settings (secrets never)")},
})

# Path parameters, from the templates.
import re
for path, item in paths.items():
    names = re.findall(r"\{(\w+)\}", path)
    for method, o in item.items():
        if names:
            o.setdefault("parameters", [])
            o["parameters"] = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names] + o["parameters"]
        o.setdefault("parameters", [])
        console = path == "/admin" or (path.startswith("/admin/") and not path.startswith("/admin/v1/"))
        if method in ("post", "put", "patch", "delete") and not path.startswith("/t/") and not console:
            o["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                    "schema": {"type": "string", "maxLength": 255},
                                    "description": "Replays a stored 2xx answer (SPEC §1)."})
        if not o["parameters"]:
            del o["parameters"]

# What apotheca POSTs to a merchant's webhook.url (docs/api/webhooks.md).
signature = {"name": "X-Apotheca-Signature", "in": "header", "required": True, "schema": {"type": "string"},
             "description": "t=<unix>,v1=<hex HMAC-SHA256 of \"t.body\" keyed with webhook.signing_secret>"}
nullable_str = {"type": ["string", "null"]}
pharmacy_event = {"type": "object", "required": ["event_id", "grouped_orders"], "properties": {
    "event_id": {"type": "string"},
    "grouped_orders": {"type": "array", "minItems": 1, "maxItems": 1, "items": {"type": "object", "properties": {
        "order_id": {"type": "string"}, "merchant_order_id": {"type": "string"},
        "order_status": {"type": "object", "properties": {"status_id": {"type": "integer"}, "title": {"type": "string"},
                                                          "subtitle": nullable_str}},
        "status_changed": {"type": "boolean"}, "updated": {"type": "integer"},
        "eta": {"type": "object", "properties": {"eta_from": {"type": "integer"}, "eta_to": {"type": "integer"}}},
        "shipment_detail": {"type": "object", "properties": {"delivery_partner_name": nullable_str,
                                                             "tracking_code": nullable_str,
                                                             "tracking_url": nullable_str}}}}}}}
logistics_envelope = {"type": "object", "required": ["event_id", "webhook_id", "event_type", "ts", "retry_count", "payload"],
                      "properties": {
    "event_id": {"type": "string"},
    "webhook_id": {"type": "string", "description": "wh_<merchant id>: the merchant's one subscription"},
    "event_type": {"enum": ["order.info.change", "order.shipped", "product.inventory.change"]},
    "ts": {"type": "string", "format": "date-time"},
    "retry_count": {"type": "integer", "minimum": 0, "description": "earlier failed calls carrying this event"},
    "payload": {"type": "object"}}}
webhooks = {
    "pharmacyOrderStatus": {"post": {
        "summary": "A pharmacy order's status changed (one event per request)",
        "parameters": [signature],
        "requestBody": body(pharmacy_event),
        "responses": {"200": resp("Delivered: any 2xx whose JSON object has a status member",
                                  {"type": "object", "required": ["status"]})}}},
    "logisticsEvents": {"post": {
        "summary": "Logistics order and product events, up to 100 per request, in order per order",
        "parameters": [signature],
        "requestBody": body({"type": "array", "minItems": 1, "maxItems": 100, "items": logistics_envelope}),
        "responses": {"2XX": resp("Delivered: any 2xx delivers every event of the request")}}},
}

doc = {
    "openapi": "3.1.0",
    "info": {"title": "apotheca", "version": "1.0.0",
             "description": "Order and fulfilment server: pharmacy partner API, logistics API, admin API, public tracking."},
    "servers": [{"url": "/"}],
    "tags": [{"name": t} for t in ("pharmacy", "logistics", "admin", "console", "tracking", "health")],
    "paths": paths,
    "webhooks": webhooks,
    "components": {
        "securitySchemes": {
            "merchantJwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (RS256, iat/exp, <= 900 s)"},
            "accessKey": {"type": "apiKey", "in": "header", "name": "X-Access-Key"},
            "logisticsBasic": {"type": "http", "scheme": "basic", "description": "user M-<merchant_id>, password the shared secret"},
            "adminToken": {"type": "http", "scheme": "bearer"},
            "consoleSession": {"type": "apiKey", "in": "cookie", "name": "apotheca_session"}},
        "schemas": {"PharmacyError": pharm_error, "LogisticsError": logi_error, "AdminError": admin_error, "Money": money}},
}

with open(os.path.join(ROOT, "docs", "openapi.json"), "w") as f:
    json.dump(doc, f, indent=1, sort_keys=False)
    f.write("\n")
