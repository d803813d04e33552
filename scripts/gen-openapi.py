#!/usr/bin/python3
"""Writes docs/openapi.json: the OpenAPI 3.1 description of every route,
complete enough to generate clients from — an operationId and summary per
operation, typed request and response schemas built from shared
components, the error answers each operation can give, the headers
(X-Request-ID, Idempotency-Key, Idempotent-Replayed, Retry-After) and the
webhooks apotheca sends. Regenerate with `make openapi`; the output is
committed and embedded in the binary. tests/e2e/test_openapi_answers.py
checks real answers against it, and `make test` lints it (Redocly)."""

import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def nullable(schema):
    if "$ref" in schema:
        return {"oneOf": [schema, {"type": "null"}]}
    s = dict(schema)
    if "enum" in s:
        s["enum"] = s["enum"] + [None]
        if "type" not in s:
            return s
    t = s.get("type")
    s["type"] = (t if isinstance(t, list) else [t]) + ["null"]
    return s


def obj(props, required=(), desc=None, extra=True):
    o = {"type": "object", "properties": props}
    if required:
        o["required"] = list(required)
    if desc:
        o["description"] = desc
    if not extra:
        o["additionalProperties"] = False
    return o


def arr(items, **kw):
    a = {"type": "array", "items": items}
    a.update(kw)
    return a


S = {"type": "string"}
I = {"type": "integer"}
B = {"type": "boolean"}
N = {"type": "number"}
EPOCH = {"type": "integer", "description": "Unix time, seconds"}
ISO = {"type": "string", "format": "date-time"}
MONEY = ref("Money")
HEX24 = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
PO = {"type": "string", "pattern": "^PO[0-9]{14}$", "description": "PO + 14 digits"}
ORDER_STATUS_ID = {"type": "integer", "enum": [180, 15, 100, 110, 120, 20, 130, 25, 30, 40, 45, 95, 99, 140, 141, 142]}

# ---------------------------------------------------------------- schemas
schemas = {
    "Money": {"type": "number", "minimum": 0,
              "description": "Rupees with at most two decimals (exact: integer paise inside)."},
    "MoneyInput": {"oneOf": [{"type": "number", "minimum": 0},
                             {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"}],
                   "description": "Rupees as a number or a string, at most two decimals."},
    "PharmacyError": obj({
        "is_success": {"const": False}, "status_code": I,
        "error": {"oneOf": [S, obj({"message": S, "errors": nullable(arr(obj({"message": S})))},
                                   ["message"])]}}, ["is_success", "status_code", "error"],
        "The pharmacy dialect's error envelope; HTTP status = status_code."),
    "LogisticsError": obj({"success": {"const": False}, "code": S, "message": S}, ["success", "code"],
                          "The logistics dialect's error."),
    "AdminError": obj({"error": obj({"code": S, "message": S}, ["code", "message"])}, ["error"],
                      "Admin API, tracking JSON and sandbox errors."),
    "PharmacyEnvelope": obj({"data": {"type": "object"}, "partial_complete": B, "is_success": {"const": True},
                             "status_code": {"const": 200}},
                            ["data", "partial_complete", "is_success", "status_code"],
                            "The pharmacy dialect's success envelope; data is the operation's answer."),
    "OrderStatus": obj({"status_id": ORDER_STATUS_ID, "title": S, "subtitle": nullable(S)},
                       ["status_id", "title"]),
    "Eta": obj({"eta_from": EPOCH, "eta_to": EPOCH}, ["eta_from", "eta_to"]),
    "User": obj({"email": S, "mobile": S, "first_name": S, "last_name": S, "address": ref("Address")}),
    "Address": obj({"pincode": S, "contact_number": S, "name": S, "street1": S, "street2": S, "type": S}),
    "SkuQuantities": {"type": "object", "minProperties": 1, "maxProperties": 100,
                      "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 1000},
                      "description": "sku_id -> quantity"},
    # Pharmacy answers.
    "InventoryCheck": obj({
        "skus": {"type": "object", "additionalProperties": obj({
            "price": nullable(MONEY), "offered_price": nullable(MONEY), "discounted_price": nullable(MONEY),
            "quantity": I}, ["price", "offered_price", "discounted_price", "quantity"])},
        "vas_charges": obj({"details": arr(obj({"type": S, "amount": MONEY, "display_text": S})),
                            "total_amount": MONEY}, ["details", "total_amount"]),
        "payable_amount": MONEY, "eta": nullable(ref("Eta"))},
        ["skus", "vas_charges", "payable_amount", "eta"]),
    "OrderCreated": obj({"order_id": PO, "merchant_order_id": S,
                         "action": {"const": "map_payment", "description": "ONLINE only"},
                         "payment_id": {"type": "integer", "description": "ONLINE only"},
                         "payment_aggregator": nullable(S)}, ["order_id", "merchant_order_id"],
                        "COD: {order_id, merchant_order_id}; ONLINE adds action, payment_id, payment_aggregator."),
    "OrderConfirmed": obj({"order_id": PO, "merchant_order_id": S}, ["order_id", "merchant_order_id"]),
    "PrescriptionsAdded": obj({"order_id": PO, "merchant_order_id": S, "status_id": ORDER_STATUS_ID},
                              ["order_id", "merchant_order_id", "status_id"]),
    "RefundRequest": obj({"refund_id": S, "transaction_id": nullable(S), "order_id": S, "amount": MONEY,
                          "type": {"enum": ["FULL", "PARTIAL"]}, "reason": nullable(S)},
                         ["refund_id", "order_id", "amount", "type"],
                         "What apotheca POSTs to {payment_api}/refunds (SPEC 4.2)."),
    "OrderCancelled": obj({"order_id": PO, "merchant_order_id": S, "order_status": ref("OrderStatus"),
                           "refund": ref("RefundRequest")}, ["order_id", "merchant_order_id", "order_status"],
                          "refund is present when the cancel started one."),
    "TrackResult": obj({"result": obj({
        "prescriptions": arr(obj({"patient_id": nullable(S), "url": S, "id": {"type": ["string", "integer"]},
                                  "prescription_date": nullable(I), "status": nullable(S)})),
        "grouped_orders": arr(obj({
            "order_status": ref("OrderStatus"), "status_changed": B, "order_id": PO,
            "eta": nullable(ref("Eta")), "created": EPOCH, "updated": EPOCH,
            "shipment_detail": ref("ShipmentDetail"), "is_cashless_order": B,
            "skus": arr(obj({"sku_id": S, "name": S, "mrp": MONEY, "offered_price": MONEY,
                             "pack_size_label": nullable(S), "sku_type": nullable(S),
                             "prescription_required": B, "prescription_verified": B,
                             "prescription_status": nullable(S), "normalized_quantity": I})),
            "invoice": obj({"shipping": nullable(S), "order": nullable(S)}),
            "payment_summary": obj({k: MONEY for k in (
                "online_refund_due", "total_payment", "shipping_charges", "order_mrp", "online_collected",
                "current_mrp", "coupon_discount", "amount_to_be_paid", "amount_collected", "amount_payable",
                "online_pending_amount", "cashback_earned", "total_refunded_amount", "online_refund_initiated",
                "discounted_mrp", "cart_mrp", "total_refund_due")} | {
                "mode": S, "allow_payment_retry": B, "payments": arr({"type": "object"}),
                "additional_charges": arr({"type": "object"}),
                "vas": arr(obj({"display_text": S, "group_name": S, "id": S, "amount": MONEY}))}),
            "invoice_data": {"type": "object"},
            "status_history": arr(obj({"status_id": ORDER_STATUS_ID, "title": S, "at": EPOCH}))},
            ["order_status", "order_id", "shipment_detail", "skus", "payment_summary", "status_history"])),
        "user": obj({"contact_number": nullable(S), "username": nullable(S), "email": nullable(S)}),
        "group_order_id": S, "delivery_address": {"type": "object"}, "merchant_order_id": S, "source": S},
        ["grouped_orders", "merchant_order_id", "source"])}, ["result"]),
    "ShipmentDetail": obj({"delivery_partner_name": nullable(S), "tracking_code": nullable(S),
                           "tracking_url": nullable(S)}),
    # Public tracking.
    "TrackingFacts": obj({
        "tracking_code": S, "status": obj({"status_id": ORDER_STATUS_ID, "title": S}, ["status_id", "title"]),
        "timeline": arr(obj({"status_id": ORDER_STATUS_ID, "title": S, "label": S, "at": EPOCH})),
        "eta": nullable(obj({"from": EPOCH, "to": EPOCH})),
        "carrier": nullable(obj({"name": nullable(S), "tracking_code": nullable(S),
                                 "tracking_url": nullable(S)})), "item_count": I,
        "merchant": {"type": "object", "description": "The shop's display name and help contact"},
        "state": {"type": "object", "description": "What the status means to the customer"},
        "progress": {"type": ["array", "null"], "description": "The steps of delivery: done, current, upcoming"},
        "return_progress": {"type": ["array", "null"], "description": "The steps of a return, when one started"},
        "delivered_at": nullable(EPOCH),
        "cancellation": {"type": ["object", "null"], "description": "Why the order was cancelled"},
        "refund": {"type": ["object", "null"], "description": "The refund of a paid cancelled order"}},
        ["tracking_code", "status", "timeline", "eta", "carrier", "item_count"],
        "Public facts only: no name, phone, address or price."),
    # Logistics.
    "LogisticsProductInput": obj({
        "merchants_id": S, "name": S, "gtin": S, "weight": N,
        "dimensions": {"oneOf": [S, arr(N, minItems=3, maxItems=3)], "description": "\"W x H x D\" or [w, h, d]"},
        "status": {"enum": ["active", "deleted"]}}, ["merchants_id"]),
    "LogisticsProductSaved": obj({"success": {"const": True}, "created": B, "id": HEX24},
                                 ["success", "created"]),
    "LogisticsInventory": obj({"inbound": I, "in_stock": I, "available": I, "reserved": I, "on_hold": I,
                               "last_movement": nullable(ISO)}),
    "LogisticsInventoryPage": obj({
        "success": {"const": True}, "total_count": I, "offset": I, "count": I,
        "products": arr(obj({"merchants_id": S, "id": HEX24, "name": nullable(S), "gtin": nullable(S),
                             "status": S, "inventory": ref("LogisticsInventory")},
                            ["merchants_id", "id", "inventory"]))},
        ["total_count", "offset", "count", "products"]),
    "LogisticsInventoryQuery": obj({"merchants_id": S, "id": S, "offset": {"type": "integer", "minimum": 0},
                                    "limit": {"type": "integer", "minimum": 1, "maximum": 500}}),
    "LogisticsCustomer": obj({"firstName": S, "lastName": S, "address": S, "postalCode": S, "city": S,
                              "countryCode": S, "email": S, "phoneNumber": S, "organizationName": S},
                             ["firstName", "lastName", "address", "postalCode", "city"]),
    "LogisticsOrderInput": obj({
        "merchants_order": {"oneOf": [S, obj({"id": S, "time": S})]},
        "customer": ref("LogisticsCustomer"),
        "products": arr(obj({"merchants_id": S, "qty": {"type": "integer", "minimum": 1, "maximum": 1000},
                             "name": S, "unit_price": ref("MoneyInput"), "tax_percent": N, "gtin": S,
                             "weight": N}, ["merchants_id", "qty"]), maxItems=100),
        "products_all": {"$ref": "#/components/schemas/LogisticsOrderInput/properties/products"},
        "destination": {"type": "object"}, "tags": arr(S), "language": S, "currency": S}),
    "LogisticsOrderStatus": {"enum": ["passive", "confirmed", "waiting_products", "processed", "cancelled",
                                      "deleted"]},
    "LogisticsOrderAck": obj({"success": {"const": True}, "order_id": HEX24, "status": ref("LogisticsOrderStatus"),
                              "tracking_code": nullable(S), "tracking_url": nullable(S)},
                             ["success", "order_id"]),
    "LogisticsOrder": obj({
        "success": {"const": True}, "order_id": HEX24, "id": HEX24, "reference": PO,
        "merchants_order": obj({"id": S, "time": nullable(S)}), "status": ref("LogisticsOrderStatus"),
        "status_id": ORDER_STATUS_ID, "tracking_code": nullable(S), "tracking_url": nullable(S),
        "delivery_partner_name": nullable(S), "carrier_tracking_code": nullable(S),
        "products": arr(obj({"merchants_id": S, "qty": I, "name": nullable(S), "unit_price": nullable(MONEY),
                             "reserved": I})),
        "created": ISO, "updated": ISO, "customer": {"type": "object"}, "tags": arr(S)},
        ["id", "status", "products"]),
    # Admin.
    "ChargeRule": obj({"type": S, "display_text": S, "amount": MONEY, "below": nullable(MONEY)},
                      ["type", "amount"]),
    "MerchantInput": obj({
        "id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"}, "name": S, "display_name": S,
        "jwt_public_key": {"type": "string", "description": "RSA public key, PEM"},
        "logistics_secret": {"type": "string", "minLength": 8, "maxLength": 256, "writeOnly": True},
        "payment_api": obj({"base_url": S, "auth_header": S, "auth_value": {"type": "string", "writeOnly": True},
                            "aggregator": S}),
        "webhook": obj({"url": S, "auth_header": S, "auth_value": {"type": "string", "writeOnly": True},
                        "signing_secret": {"type": "string", "writeOnly": True},
                        "batch": {"type": ["boolean", "null"],
                                  "description": "true: logistics events as JSON arrays of up to 100; "
                                                 "false or null: one event object per request (default)"}},
                       desc="For an HTTP Basic receiver: auth_header \"Authorization\", "
                            "auth_value \"Basic \" + base64(user:password)."),
        "charges": arr(ref("ChargeRule"), maxItems=16),
        "payment_window_s": {"type": "integer", "minimum": 1, "maximum": 604800}, "active": B},
        desc="POST needs id and name; PATCH takes any subset."),
    "Merchant": obj({
        "id": S, "name": S, "display_name": nullable(S), "jwt_public_key": nullable(S),
        "has_logistics_secret": B,
        "payment_api": obj({"base_url": nullable(S), "auth_header": nullable(S), "aggregator": nullable(S),
                            "has_auth_value": B}),
        "webhook": obj({"url": nullable(S), "auth_header": nullable(S), "has_auth_value": B,
                        "has_signing_secret": B,
                        "batch": {"type": "boolean", "description": "logistics events as arrays of up to "
                                  "100 (true) or one event object per request (false, the default)"}}),
        "charges": arr(ref("ChargeRule")), "payment_window_s": I, "active": B},
        ["id", "name", "payment_api", "webhook", "charges", "payment_window_s", "active"],
        "Secrets are never echoed: has_* says whether one is set."),
    "SkuInput": obj({"name": S, "mrp": ref("MoneyInput"), "price": ref("MoneyInput"), "pack_size_label": S,
                     "sku_type": S, "prescription_required": B, "active": B,
                     "stock": {"type": "integer", "minimum": 0}}, ["name", "mrp", "price"]),
    "Sku": obj({"sku_id": S, "hex_id": HEX24, "name": S, "mrp": MONEY, "price": MONEY,
                "pack_size_label": nullable(S), "sku_type": nullable(S), "prescription_required": B,
                "active": B, "on_hand": I, "reserved": I, "available": I, "created": EPOCH, "updated": EPOCH},
               ["sku_id", "name", "mrp", "price", "on_hand", "reserved", "available"]),
    "StockChange": {"type": "object", "properties": {"delta": I, "set": {"type": "integer", "minimum": 0},
                                                     "reason": S},
                    "oneOf": [{"required": ["delta"]}, {"required": ["set"]}]},
    "Stock": obj({"sku_id": S, "on_hand": I, "reserved": I, "available": I}, ["on_hand", "reserved", "available"]),
    "MerchantProduct": obj({"merchant_id": S, "merchants_id": S, "id": HEX24, "name": nullable(S),
                            "gtin": nullable(S), "weight": nullable(N), "dimensions": nullable(S), "active": B,
                            "on_hand": I, "reserved": I, "available": I, "last_movement": nullable(EPOCH)},
                           ["merchants_id", "id", "on_hand", "reserved", "available"]),
    "ImportResult": obj({"imported": I, "created": I, "updated": I}, ["imported", "created", "updated"]),
    "WaitingOrder": obj({"position": I, "order_id": S, "id": HEX24, "merchant_id": S, "merchant_order_id": S,
                         "dialect": {"enum": ["pharmacy", "logistics"]}, "status_id": I, "title": S, "status": S,
                         "waiting_since": EPOCH, "held": B, "wants": I, "fits_now": B},
                        ["position", "order_id", "id", "waiting_since", "held", "wants", "fits_now"],
                        desc="An order waiting for stock, in allocation order. held: an operator moved it "
                             "to 20 by hand, so only the next stock rise (not the sweeper) allocates it; "
                             "wants: units of this product it needs; fits_now: every line could be "
                             "reserved in full now"),
    "WaitingQueue": obj({"merchant_id": S, "sku_id": S, "on_hand": I, "reserved": I, "available": I,
                         "waiting": arr(ref("WaitingOrder")), "next_cursor": nullable(S)},
                        ["sku_id", "on_hand", "reserved", "available", "waiting", "next_cursor"]),
    "CouponInput": obj({"kind": {"enum": ["percent", "flat"]}, "value": N, "max_discount": ref("MoneyInput"),
                        "min_cart_value": ref("MoneyInput"), "valid_from": EPOCH, "valid_to": EPOCH,
                        "usage_limit": {"type": "integer", "minimum": 0}, "merchant_id": S}, ["kind", "value"]),
    "Coupon": obj({"code": S, "kind": {"enum": ["percent", "flat"]}, "value": N,
                   "max_discount": nullable(MONEY), "min_cart_value": nullable(MONEY),
                   "valid_from": nullable(EPOCH), "valid_to": nullable(EPOCH), "usage_limit": nullable(I),
                   "used_count": I, "merchant_id": nullable(S)}, ["code", "kind", "value"]),
    "PincodeInput": obj({"serviceable": B, "eta_min_days": nullable(I), "eta_max_days": nullable(I)},
                        ["serviceable"]),
    "Pincode": obj({"pincode": S, "serviceable": B, "eta_min_days": nullable(I), "eta_max_days": nullable(I)},
                   ["pincode", "serviceable"]),
    "OrderSummary": obj({
        "order_id": PO, "id": HEX24, "merchant_id": S, "merchant_order_id": nullable(S),
        "dialect": {"enum": ["pharmacy", "logistics"]}, "status_id": ORDER_STATUS_ID, "title": S,
        "subtitle": nullable(S), "payment_method": nullable({"enum": ["COD", "ONLINE"]}),
        "payable": MONEY, "created": EPOCH, "updated": EPOCH, "status_changed": EPOCH,
        "tracking_code": nullable(S), "flagged": nullable(S)},
        ["order_id", "id", "merchant_id", "status_id", "title", "payable", "created"]),
    "Payment": obj({"transaction_id": S, "status": S, "amount": MONEY, "at": EPOCH}),
    "Refund": obj({"refund_id": S, "transaction_id": nullable(S), "amount": MONEY,
                   "type": {"enum": ["FULL", "PARTIAL"]}, "state": {"enum": ["pending", "done", "failed"]},
                   "created": EPOCH}, ["refund_id", "amount", "type", "state"]),
    "Order": {"allOf": [ref("OrderSummary"), obj({
        "totals": obj({"mrp": MONEY, "offered": MONEY, "discount": MONEY, "charges": MONEY, "payable": MONEY}),
        "user": nullable({"type": "object"}), "address": nullable({"type": "object"}),
        "delivery_partner_name": nullable(S), "carrier_tracking_code": nullable(S),
        "lines": arr(obj({"sku_id": S, "name": nullable(S), "qty": I, "cancelled_qty": I, "reserved_qty": I,
                          "mrp": MONEY, "offered_price": MONEY, "discounted_price": MONEY,
                          "prescription_required": B})),
        "charges": arr(obj({"type": S, "display_text": nullable(S), "amount": MONEY})),
        "status_history": arr(obj({"from": nullable(ORDER_STATUS_ID), "to": ORDER_STATUS_ID, "actor": nullable(S),
                                   "note": nullable(S), "at": EPOCH})),
        "payments": arr(ref("Payment")), "refunds": arr(ref("Refund")),
        "prescriptions": arr({"type": "object"})},
        ["lines", "status_history", "payments", "refunds"])],
        "description": "An order with its lines, charges, payments, refunds and status history."},
    "OrderList": obj({"orders": arr(ref("OrderSummary")), "next_cursor": nullable(S)}, ["orders", "next_cursor"]),
    "StatusMove": obj({"status_id": ORDER_STATUS_ID, "subtitle": S, "note": S, "delivery_partner_name": S,
                       "carrier_tracking_code": S}, ["status_id"]),
    "Delivery": obj({"id": I, "kind": {"enum": ["webhook", "refund"]}, "merchant_id": S, "order_key": nullable(S),
                     "event_type": nullable(S), "state": {"enum": ["pending", "done", "failed"]}, "attempts": I,
                     "next_at": nullable(I), "first_at": nullable(I), "last_error": nullable(S),
                     "delivered_at": nullable(I)}, ["id", "kind", "state", "attempts"],
                    "An outbox delivery; *_at are Unix milliseconds."),
    "DeliveryList": obj({"deliveries": arr(ref("Delivery"))}, ["deliveries"]),
    # Health.
    "Health": obj({"status": S}, ["status"]),
    "Readiness": obj({"status": {"enum": ["ready", "unavailable"]}, "database": S, "reason": S}, ["status"]),
    # Sandbox.
    "SandboxTransaction": obj({"order_id": PO, "merchant_order_id": S, "transaction_id": S, "amount": MONEY,
                               "status": {"enum": ["SUCCESS", "PENDING", "FAILED"]}}, ["status"],
                              "What a merchant's transaction status API answers (SPEC 4.1)."),
    "SandboxRefund": obj({"refund_id": S, "status": {"const": "SUCCESS"}}, ["refund_id", "status"]),
    "SandboxReceipt": obj({"status": {"const": "received"}, "signature_valid": B}, ["status", "signature_valid"]),
    "SandboxEvents": obj({"events": arr(obj({
        "received_ms": I, "merchant_id": S, "request_id": S, "signature_valid": B,
        "signature_error": nullable(S), "event_id": {}, "event_type": nullable(S),
        "payload": {"type": ["object", "array", "null"]}},
        ["received_ms", "merchant_id", "signature_valid", "payload"]), maxItems=100)}, ["events"],
        "Newest first."),
}

# ---------------------------------------------------------------- headers, responses
headers = {
    "X-Request-ID": {"description": "The request's id: the client's X-Request-ID when it sent a valid one "
                                    "(<= 128 printable characters), else a generated one; also in every log line.",
                     "schema": {"type": "string", "maxLength": 128}, "required": True},
    "Idempotent-Replayed": {"description": "true when this is the stored answer of an earlier request with "
                                           "the same Idempotency-Key.", "schema": {"const": "true"}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer", "minimum": 0}},
}
RID = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}
REPLAY = dict(RID, **{"Idempotent-Replayed": {"$ref": "#/components/headers/Idempotent-Replayed"}})
RETRY = dict(RID, **{"Retry-After": {"$ref": "#/components/headers/Retry-After"}})

JSON = "application/json"


def resp(desc, schema=None, ctype=JSON, hdrs=RID):
    r = {"description": desc, "headers": hdrs}
    if schema is not None:
        r["content"] = {ctype: {"schema": schema}}
    return r


def envelope(name, data_schema):
    """A named pharmacy success envelope component whose data is data_schema."""
    schemas[name] = {"allOf": [ref("PharmacyEnvelope"), obj({"data": data_schema}, ["data"])]}
    return ref(name)


def errors(shape, codes, notes=None):
    """The error answers codes (str) in the dialect's shape."""
    text = {
        "400": "Invalid request or refused by a business rule; the message says which",
        "401": "Missing or invalid credentials",
        "403": "Forbidden",
        "404": "Not found",
        "405": "Method not allowed",
        "409": "Conflict: the same Idempotency-Key is still in flight (retry after Retry-After), "
               "or the resource's state does not allow this",
        "413": "Body over 1 MiB",
        "415": "Content-Type is not application/json",
        "422": "The Idempotency-Key was used with a different request",
        "429": "Too many requests; retry after Retry-After",
        "500": "Internal error",
        "502": "The merchant's system failed (unreachable, timed out, non-2xx or garbage); safe to retry",
        "503": "Database unavailable or too busy; retry after Retry-After",
    }
    text.update(notes or {})
    return {c: resp(text[c], shape, hdrs=RETRY if c in ("409", "429", "503") else RID) for c in codes}


pe, le, ae = ref("PharmacyError"), ref("LogisticsError"), ref("AdminError")
PH_READ = ("400", "401", "503")
PH_WRITE = ("400", "401", "409", "413", "415", "422", "503")
LG_READ = ("400", "403", "404", "503")
LG_WRITE = ("400", "403", "404", "409", "413", "415", "422", "503")
AD_READ = ("400", "401", "403", "404", "503")
AD_WRITE = ("400", "401", "403", "404", "409", "413", "415", "422", "503")

PH = [{"merchantJwt": [], "accessKey": []}]
LG = [{"logisticsBasic": []}]
AD = [{"adminToken": []}]
NONE = []


def body(schema, ctype=JSON, required=True, desc=None):
    b = {"required": required, "content": {ctype: {"schema": schema}}}
    if desc:
        b["description"] = desc
    return b


def op(opid, summary, tag, ok, errs, request=None, security=None, params=None, desc=None):
    o = {"operationId": opid, "summary": summary, "tags": [tag], "responses": dict(ok, **errs)}
    if desc:
        o["description"] = desc
    if request:
        o["requestBody"] = request
    if security is not None:
        o["security"] = security
    if params:
        o["parameters"] = params
    return o


def q(name, schema, desc):
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": desc}


HTML = {"type": "string", "description": "An HTML page"}
pharm_write_ok = lambda desc, schema: {"200": resp(desc, schema, hdrs=REPLAY)}


PAGE = [q("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size, default 50"),
        q("cursor", S, "next_cursor of the previous page (opaque)")]
SEARCH = [q("q", {"type": "string", "maxLength": 128}, "order_id, merchant_order_id, phone or email; exact or prefix"),
          q("merchant_id", S, "only this merchant's orders"),
          q("status_id", ORDER_STATUS_ID, "only orders in this status"),
          q("flagged", B, "only orders flagged (or not) for an operator"),
          q("created_from", EPOCH, "created at or after (epoch seconds)"),
          q("created_to", EPOCH, "created at or before (epoch seconds)")]


def PAGE_OF(key):
    return obj({key: arr({"type": "object"}), "next_cursor": nullable(S)}, [key, "next_cursor"])


paths = {
    "/healthz": {"get": op("getHealth", "Liveness: the process runs", "health",
                           {"200": resp("Alive", ref("Health"))}, {}, security=NONE)},
    "/readyz": {"get": op("getReadiness", "Readiness: the database answers", "health",
                          {"200": resp("Ready", ref("Readiness"))},
                          {"503": resp("Not ready: database unreachable, disk full or read-only (reason given)", ref("Readiness"), hdrs=RETRY)}, security=NONE)},
    "/metrics": {"get": op("getMetrics", "Prometheus metrics (bearer APOTHECA_METRICS_TOKEN when set)", "health",
                           {"200": resp("Prometheus text exposition format 0.0.4", S, "text/plain")},
                           {"401": resp("APOTHECA_METRICS_TOKEN is set and the bearer token is missing or wrong", ae)},
                           security=NONE)},
    "/openapi.json": {"get": op("getOpenApi", "This document", "health",
                                {"200": resp("OpenAPI 3.1", {"type": "object"})}, {}, security=NONE)},
    # Pharmacy.
    "/api/v4/merchants/{merchant_id}/inventory/check": {"post": op(
        "checkInventory", "Check stock and price a cart", "pharmacy",
        {"200": resp("Priced cart; partial_complete when some SKU is short",
                     envelope("InventoryCheckEnvelope", ref("InventoryCheck")))},
        errors(pe, ("400", "401", "413", "415", "503")),
        body(obj({"skus": ref("SkuQuantities"), "pincode": {"type": "string", "pattern": "^[1-9][0-9]{5}$"},
                  "user": ref("User"), "coupon_code": S}, ["skus", "pincode"])), PH)},
    "/api/v4/merchants/{merchant_id}/orders": {"post": op(
        "createOrder", "Create an order (COD or ONLINE)", "pharmacy",
        pharm_write_ok("Order created (or the original, on a retry)", envelope("OrderCreatedEnvelope", ref("OrderCreated"))),
        errors(pe, PH_WRITE),
        body(obj({"merchant_order_id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"},
                  "payable_amount": ref("MoneyInput"), "payment_method": {"enum": ["COD", "ONLINE"]},
                  "coupon_code": S, "user": ref("User"),
                  "prescriptions": arr({"type": "string", "format": "uri"}, maxItems=10),
                  "skus": ref("SkuQuantities")},
                 ["merchant_order_id", "payable_amount", "payment_method", "skus", "user"])), PH)},
    "/api/v4/merchants/{merchant_id}/orders/{order_id}/confirm": {"put": op(
        "confirmOrder", "Confirm an ONLINE order after checking the merchant's payment API", "pharmacy",
        pharm_write_ok("Confirmed (or already confirmed)", envelope("OrderConfirmedEnvelope", ref("OrderConfirmed"))),
        errors(pe, PH_WRITE + ("500", "502"),
               {"500": "Order not found / Map payment to order operation failed (the seed's shapes)",
                "400": "PENDING or FAILED payment, amount mismatch (order flagged), or not an ONLINE order"}),
        body(obj({"order_id": S, "merchant_order_id": S}, ["order_id", "merchant_order_id"])), PH)},
    "/api/v4/merchants/{merchant_id}/orders/{order_id}/prescriptions": {"post": op(
        "addPrescriptions", "Add prescriptions (100 -> 110)", "pharmacy",
        pharm_write_ok("Added", envelope("PrescriptionsAddedEnvelope", ref("PrescriptionsAdded"))),
        errors(pe, PH_WRITE + ("404",)),
        body(obj({"prescriptions": arr({"type": "string", "format": "uri"}, minItems=1, maxItems=10)},
                 ["prescriptions"])), PH)},
    "/api/v4/{merchant_id}/order/cancel": {"post": op(
        "cancelOrder", "Cancel an order, whole or by SKU", "pharmacy",
        pharm_write_ok("Cancelled; refund present when one was started",
                       envelope("OrderCancelledEnvelope", ref("OrderCancelled"))),
        errors(pe, PH_WRITE + ("404",)),
        body(obj({"order_id": S, "reason": S, "agent_id": S, "merchant": S,
                  "skus": ref("SkuQuantities")}, ["order_id"])), PH)},
    "/api/v4/merchants/{merchant_name}/orders/{merchant_order_id}/track": {"get": op(
        "trackOrder", "Track an order by the merchant's order id", "pharmacy",
        {"200": resp("data.result as the Track seed", envelope("TrackEnvelope", ref("TrackResult")))},
        errors(pe, PH_READ + ("404",)), security=PH)},
    # Public tracking.
    "/t": {"get": op("redirectTrackingForm", "Redirects to /t/", "tracking",
                     {"308": resp("To /t/", HTML, "text/html")}, {}, security=NONE)},
    "/t/": {"get": op("getTrackingForm", "Form to enter a tracking code; with ?code= redirects to the code's page",
                      "tracking",
                      {"200": resp("The form", HTML, "text/html"),
                       "303": resp("To /t/{code}", HTML, "text/html")},
                      {"404": resp("Not a tracking code: the form again", HTML, "text/html")},
                      security=NONE, params=[q("code", {"type": "string", "maxLength": 512},
                                               "A tracking code, or a pasted tracking link")])},
    "/t/{code}": {"get": op("getTrackingPage", "Public tracking page", "tracking",
                            {"200": resp("The page", HTML, "text/html")},
                            {"404": resp("Unknown code", HTML, "text/html")}, security=NONE)},
    "/t/{code}.json": {"get": op("getTrackingFacts", "Public tracking facts", "tracking",
                                 {"200": resp("Status, timeline, ETA, carrier, item count", ref("TrackingFacts"))},
                                 {"404": resp("Unknown code", ae)}, security=NONE)},
    # Logistics.
    "/2015-01-01/products/": {"post": op(
        "upsertLogisticsProduct", "Create or update a product", "logistics",
        {"200": resp("Updated", ref("LogisticsProductSaved"), hdrs=REPLAY),
         "201": resp("Created", ref("LogisticsProductSaved"), hdrs=REPLAY)},
        errors(le, LG_WRITE), body(ref("LogisticsProductInput")), LG)},
    "/2015-01-01/products": {"post": op(
        "upsertLogisticsProductNoSlash", "Create or update a product (without the trailing slash)", "logistics",
        {"200": resp("Updated", ref("LogisticsProductSaved"), hdrs=REPLAY),
         "201": resp("Created", ref("LogisticsProductSaved"), hdrs=REPLAY)},
        errors(le, LG_WRITE), body(ref("LogisticsProductInput")), LG)},
    "/2015-01-01/products/inventory": {
        "get": op("getLogisticsInventory", "Inventory of one product or a page", "logistics",
                  {"200": resp("Inventory", ref("LogisticsInventoryPage"))}, errors(le, LG_READ), security=LG,
                  params=[q("merchants_id", S, "one product by the merchant's id"),
                          q("id", S, "one product by apotheca's id"),
                          q("offset", {"type": "integer", "minimum": 0}, "page start"),
                          q("limit", {"type": "integer", "minimum": 1, "maximum": 500}, "page size")]),
        "post": op("queryLogisticsInventory", "Inventory of one product or a page (query in the body)", "logistics",
                   {"200": resp("Inventory", ref("LogisticsInventoryPage"))}, errors(le, LG_READ + ("413", "415")),
                   body(ref("LogisticsInventoryQuery"), required=False), LG)},
    "/2015-01-01/orders/_create": {"post": op(
        "createLogisticsOrder", "Create a passive order", "logistics",
        {"201": resp("Created", ref("LogisticsOrderAck"), hdrs=REPLAY)}, errors(le, LG_WRITE),
        body(ref("LogisticsOrderInput")), LG)},
    "/2015-01-01/orders/{id}": {
        "get": op("getLogisticsOrder", "An order with its status", "logistics",
                  {"200": resp("Order", ref("LogisticsOrder"))}, errors(le, LG_READ), security=LG),
        "post": op("updateLogisticsOrder", "Update a passive order", "logistics",
                   {"200": resp("Updated", ref("LogisticsOrderAck"), hdrs=REPLAY)},
                   errors(le, LG_WRITE, {"409": "order_not_passive (or Idempotency-Key in flight)"}),
                   body(ref("LogisticsOrderInput")), LG),
        "delete": op("deleteLogisticsOrder", "Delete (passive) or cancel (confirmed) an order", "logistics",
                     {"200": resp("Deleted or cancelled", ref("LogisticsOrderAck"), hdrs=REPLAY)},
                     errors(le, LG_WRITE, {"400": "order_already_processing, order_already_processed or "
                                                  "order_already_cancelled"}), security=LG)},
    "/2015-01-01/orders/{id}/_confirm": {"post": op(
        "confirmLogisticsOrder", "Confirm a passive order (confirmed or waiting_products)", "logistics",
        {"200": resp("Confirmed", ref("LogisticsOrderAck"), hdrs=REPLAY)},
        errors(le, LG_WRITE, {"409": "order_not_passive (or Idempotency-Key in flight)"}),
        body(ref("LogisticsOrderInput"), required=False, desc="Optional updates applied first"), LG)},
    "/2015-01-01/orders/{id}/_delete": {"post": op(
        "deleteLogisticsOrderByPost", "Same as DELETE /orders/{id}", "logistics",
        {"200": resp("Deleted or cancelled", ref("LogisticsOrderAck"), hdrs=REPLAY)},
        errors(le, LG_WRITE, {"400": "order_already_processing, order_already_processed or order_already_cancelled"}),
        security=LG)},
    # Admin.
    "/admin/v1/merchants": {"post": op(
        "createMerchant", "Register a merchant", "admin",
        {"201": resp("Created", ref("Merchant"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"409": "A merchant with this id or name exists (or Idempotency-Key in flight)"}),
        body(ref("MerchantInput")), AD)},
    "/admin/v1/merchants/{id}": {
        "get": op("getMerchant", "A merchant (secrets never echoed)", "admin",
                  {"200": resp("Merchant", ref("Merchant"))}, errors(ae, AD_READ), security=AD),
        "patch": op("updateMerchant", "Change a merchant", "admin",
                    {"200": resp("Merchant", ref("Merchant"), hdrs=REPLAY)}, errors(ae, AD_WRITE),
                    body(ref("MerchantInput")), AD)},
    "/admin/v1/merchants/{id}/products/{merchants_id}": {"get": op(
        "getMerchantProduct", "A logistics merchant's product with its stock", "admin",
        {"200": resp("Product", ref("MerchantProduct"))}, errors(ae, AD_READ), security=AD)},
    "/admin/v1/merchants/{id}/products/{merchants_id}/stock": {"post": op(
        "changeMerchantProductStock", "Adjust or set a logistics product's stock (ledgered)", "admin",
        {"200": resp("The product with its new stock", ref("MerchantProduct"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"409": "Would go below zero or below reserved units"}), body(ref("StockChange")), AD)},
    "/admin/v1/skus/{sku_id}": {
        "put": op("putSku", "Create or replace a platform SKU", "admin",
                  {"200": resp("Updated", ref("Sku"), hdrs=REPLAY), "201": resp("Created", ref("Sku"), hdrs=REPLAY)},
                  errors(ae, AD_WRITE), body(ref("SkuInput")), AD),
        "get": op("getSku", "A platform SKU with stock", "admin",
                  {"200": resp("SKU", ref("Sku"))}, errors(ae, AD_READ), security=AD)},
    "/admin/v1/skus/import": {"post": op(
        "importSkus", "Import SKUs from CSV (all or nothing)", "admin",
        {"200": resp("Imported", ref("ImportResult"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"400": "A bad row; the message names its line",
                              "415": "Content-Type is not text/csv"}),
        body({"type": "string", "description": "sku_id,name,mrp,price,pack_size_label,sku_type,"
                                               "prescription_required,stock"}, "text/csv"), AD)},
    "/admin/v1/skus/{sku_id}/stock": {"post": op(
        "changeSkuStock", "Adjust or set stock (ledgered)", "admin",
        {"200": resp("{on_hand, reserved, available}", ref("Stock"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"409": "Would go below zero or below reserved units"}), body(ref("StockChange")), AD)},
    "/admin/v1/coupons/{code}": {
        "put": op("putCoupon", "Create or replace a coupon", "admin",
                  {"200": resp("Updated", ref("Coupon"), hdrs=REPLAY), "201": resp("Created", ref("Coupon"), hdrs=REPLAY)},
                  errors(ae, AD_WRITE), body(ref("CouponInput")), AD),
        "get": op("getCoupon", "A coupon", "admin", {"200": resp("Coupon", ref("Coupon"))},
                  errors(ae, AD_READ), security=AD)},
    "/admin/v1/pincodes/{pincode}": {
        "put": op("putPincode", "Create or replace a pincode entry", "admin",
                  {"200": resp("Updated", ref("Pincode"), hdrs=REPLAY),
                   "201": resp("Created", ref("Pincode"), hdrs=REPLAY)},
                  errors(ae, AD_WRITE), body(ref("PincodeInput")), AD),
        "get": op("getPincode", "A pincode entry", "admin", {"200": resp("Pincode", ref("Pincode"))},
                  errors(ae, AD_READ), security=AD)},
    "/admin/v1/pincodes/import": {"post": op(
        "importPincodes", "Import pincodes from CSV (all or nothing)", "admin",
        {"200": resp("Imported", ref("ImportResult"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"400": "A bad row; the message names its line",
                              "415": "Content-Type is not text/csv"}),
        body({"type": "string", "description": "pincode,serviceable,eta_min_days,eta_max_days"}, "text/csv"), AD)},
    "/admin/v1/orders": {"get": op(
        "listOrders", "Search orders, newest first (an unknown parameter is a 400 naming it)", "admin",
        {"200": resp("A page of orders", ref("OrderList"))},
        errors(ae, AD_READ), security=AD, params=SEARCH + PAGE)},
    "/admin/v1/orders.csv": {"get": op(
        "exportOrdersCsv", "Every order the filters match, as RFC 4180 CSV with a header row (streamed)", "admin",
        {"200": resp("CSV", {"type": "string"}, "text/csv")}, errors(ae, AD_READ), security=AD, params=SEARCH)},
    "/admin/v1/skus/{sku_id}/waiting": {"get": op(
        "getSkuWaiting", "A platform SKU's queue of orders waiting for stock, first come first served",
        "admin", {"200": resp("The SKU's counters and a page of its queue", ref("WaitingQueue"))},
        errors(ae, AD_READ), security=AD, params=PAGE)},
    "/admin/v1/merchants/{id}/products/{merchants_id}/waiting": {"get": op(
        "getMerchantProductWaiting", "A logistics product's queue of orders waiting for stock, first come "
        "first served", "admin", {"200": resp("The product's counters and a page of its queue",
                                              ref("WaitingQueue"))},
        errors(ae, AD_READ), security=AD, params=PAGE)},
    "/admin/v1/skus/{sku_id}/ledger": {"get": op(
        "getSkuLedger", "A platform SKU's stock movements, newest first", "admin",
        {"200": resp("{sku_id, ledger, next_cursor}", PAGE_OF("ledger"))}, errors(ae, AD_READ), security=AD,
        params=PAGE)},
    "/admin/v1/skus": {"get": op(
        "listSkus", "Platform SKUs with their stock", "admin", {"200": resp("{skus, next_cursor}", PAGE_OF("skus"))},
        errors(ae, AD_READ), security=AD, params=PAGE)},
    "/admin/v1/coupons": {"get": op(
        "listCoupons", "Coupons", "admin", {"200": resp("{coupons, next_cursor}", PAGE_OF("coupons"))},
        errors(ae, AD_READ), security=AD, params=PAGE)},
    "/admin/v1/pincodes": {"get": op(
        "listPincodes", "Pincode entries", "admin", {"200": resp("{pincodes, next_cursor}", PAGE_OF("pincodes"))},
        errors(ae, AD_READ), security=AD, params=PAGE)},
    "/admin/v1/orders/{order_id}": {"get": op(
        "getOrder", "An order with lines, payments, refunds, history", "admin",
        {"200": resp("Order", ref("Order"))}, errors(ae, AD_READ), security=AD)},
    "/admin/v1/orders/{order_id}/status": {"post": op(
        "moveOrder", "Move an order along SPEC section 5", "admin",
        {"200": resp("The order after the move", ref("Order"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"409": "Move not allowed from the current status (or Idempotency-Key in flight)"}),
        body(ref("StatusMove")), AD)},
    "/admin/v1/orders/{order_id}/prescriptions/verify": {"post": op(
        "verifyPrescriptions", "Approve (110 -> 120) or reject (110 -> 100) prescriptions", "admin",
        {"200": resp("The order after the move", ref("Order"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"409": "Not under prescription review (or Idempotency-Key in flight)"}),
        body(obj({"approved": B}, ["approved"])), AD)},
    "/admin/v1/deliveries": {"get": op(
        "listDeliveries", "Outbox deliveries (refunds, webhooks)", "admin",
        {"200": resp("Deliveries, newest first", ref("DeliveryList"))}, errors(ae, AD_READ), security=AD,
        params=[q("state", {"enum": ["pending", "done", "failed"]}, "only deliveries in this state"),
                q("order_id", S, "only this order's webhooks and refunds"),
                q("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "page size, default 50"),
                q("cursor", S, "next_cursor of the previous page (opaque)")])},
    "/admin/v1/deliveries/{id}/retry": {"post": op(
        "retryDelivery", "Retry a parked delivery", "admin",
        {"200": resp("The delivery, pending again", ref("Delivery"), hdrs=REPLAY)},
        errors(ae, AD_WRITE, {"409": "The delivery is not failed (or Idempotency-Key in flight)"}), security=AD)},
}

paths["/admin/v1/merchants"]["get"] = op(
    "listMerchants", "Merchants with their settings (secrets never)", "admin",
    {"200": resp("{merchants, next_cursor}", PAGE_OF("merchants"))}, errors(ae, AD_READ), security=AD, params=PAGE)

# The operator console (docs/console.md): HTML pages behind a session
# cookie from signing in with the admin token; forms carry a CSRF token.
CS = [{"consoleSession": []}]


def page(opid, summary, security=CS):
    return op(opid, summary, "console", {"200": resp("HTML page", HTML, "text/html")},
              {"303": resp("To sign-in without a session", HTML, "text/html")}, security=security)


def action(opid, summary):
    return op(opid, summary, "console", {"303": resp("Done: back to the page", HTML, "text/html")},
              {"403": resp("No session or wrong CSRF token", HTML, "text/html")},
              body({"type": "object"}, "application/x-www-form-urlencoded"), CS)


paths.update({
    "/admin": {"get": op("consoleRedirect", "Redirect to /admin/", "console",
                         {"303": resp("To /admin/", HTML, "text/html")}, {}, security=NONE)},
    "/admin/": {"get": page("consoleDashboard", "Dashboard: orders per hour, value per day, payment outcomes, outbox")},
    "/admin/console.css": {"get": op("consoleStylesheet", "Console stylesheet", "console",
                                     {"200": resp("CSS", S, "text/css")}, {}, security=NONE)},
    "/admin/sign-in": {"get": page("consoleSignInForm", "Sign-in form (admin token)", NONE),
                       "post": op("consoleSignIn", "Sign in: sets an HttpOnly, SameSite=Strict session cookie",
                                  "console", {"303": resp("Signed in", HTML, "text/html")},
                                  {"401": resp("Wrong token", HTML, "text/html")},
                                  body({"type": "object"}, "application/x-www-form-urlencoded"), NONE)},
    "/admin/sign-out": {"post": action("consoleSignOut", "Sign out (ends the session)")},
    "/admin/orders": {"get": page("consoleOrders", "Order search with the admin API's filters")},
    "/admin/orders.csv": {"get": op("consoleOrdersCsv", "The search as CSV", "console",
                                    {"200": resp("CSV", S, "text/csv")}, {}, security=CS)},
    "/admin/orders/{order_id}": {"get": page("consoleOrder", "An order: lines, money, timeline, prescriptions, "
                                                             "deliveries, actions")},
    "/admin/orders/{order_id}/status": {"post": action("consoleMoveOrder", "Move the order")},
    "/admin/orders/{order_id}/cancel": {"post": action("consoleCancelOrder", "Cancel the order (a move to 99)")},
    "/admin/orders/{order_id}/verify": {"post": action("consoleVerifyPrescriptions", "Approve or reject prescriptions")},
    "/admin/deliveries": {"get": page("consoleDeliveries", "Deliveries by state, failed first, with retry")},
    "/admin/deliveries/{id}/retry": {"post": action("consoleRetryDelivery", "Retry a parked delivery")},
    "/admin/stock": {"get": page("consoleStock", "Stock levels of platform SKUs")},
    "/admin/stock/{sku_id}": {"get": page("consoleSku", "A SKU's stock, adjust form and ledger"),
                              "post": action("consoleAdjustStock", "Adjust the SKU's stock with a reason")},
    "/admin/merchants": {"get": page("consoleMerchants", "Merchants' settings (secrets never)")},
})

# The merchant sandbox: only with `apotheca serve --sandbox` (src/api/sandbox.h).
SB = "Only when the server runs with --sandbox. "
sb_err = lambda codes: errors(ae, codes, {"404": "No such merchant or order"})
paths.update({
    "/sandbox/merchants/{merchant_id}/transactions/{merchant_order_id}": {"get": op(
        "sandboxTransactionStatus", "Sandbox payment API: transaction status", "sandbox",
        {"200": resp("SUCCESS with the order's payable amount; ids ending -pending/-failed answer that",
                     ref("SandboxTransaction"))}, sb_err(("404", "503")), security=NONE, desc=SB)},
    "/sandbox/merchants/{merchant_id}/refunds": {"post": op(
        "sandboxRefund", "Sandbox payment API: refund (always SUCCESS)", "sandbox",
        {"200": resp("Approved", ref("SandboxRefund"))}, sb_err(("400", "413", "415")),
        body(ref("RefundRequest")), NONE, desc=SB)},
    "/sandbox/merchants/{merchant_id}/webhooks": {"post": op(
        "sandboxReceiveWebhook", "Sandbox webhook receiver: verifies X-Apotheca-Signature and keeps the event",
        "sandbox", {"200": resp("Kept, valid signature or not", ref("SandboxReceipt"))},
        sb_err(("400", "404", "413", "503")),
        body({"oneOf": [{"type": "object"}, {"type": "array"}]}), NONE, desc=SB)},
    "/sandbox/webhooks": {"get": op("sandboxWebhookPage", "Sandbox webhook inbox, newest first", "sandbox",
                                    {"200": resp("HTML", HTML, "text/html")}, {}, security=NONE, desc=SB)},
    "/sandbox/webhooks.json": {"get": op("sandboxWebhookEvents", "Sandbox webhook inbox as JSON, newest first",
                                         "sandbox", {"200": resp("The latest events", ref("SandboxEvents"))}, {},
                                         security=NONE, desc=SB)},
})

# Parameters every operation shares: path parameters from the template,
# X-Request-ID, and Idempotency-Key on writes.
parameters = {
    "X-Request-ID": {"name": "X-Request-ID", "in": "header", "required": False,
                     "schema": {"type": "string", "maxLength": 128},
                     "description": "Kept and echoed when <= 128 printable characters; else one is generated."},
    "Idempotency-Key": {"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                        "description": "Replays the stored answer of the same request (SPEC section 1); "
                                       "a different request with the key answers 422, one still in flight 409."},
}
for path, item in paths.items():
    names = re.findall(r"\{(\w+)\}", path)
    for method, o in item.items():
        ps = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]
        ps += o.get("parameters", [])
        ps.append({"$ref": "#/components/parameters/X-Request-ID"})
        console = path == "/admin" or (path.startswith("/admin/") and not path.startswith("/admin/v1/"))
        if method in ("post", "put", "patch", "delete") and not path.startswith("/sandbox/") and not console:
            ps.append({"$ref": "#/components/parameters/Idempotency-Key"})
        o["parameters"] = ps

# ---------------------------------------------------------------- webhooks
out_request_id = {"name": "X-Request-ID", "in": "header", "required": False, "schema": S,
                  "description": "The id of the request that caused the event, when one did"}
schemas["PharmacyWebhookEvent"] = obj({
    "event_id": S,
    "grouped_orders": arr(obj({
        "order_id": PO, "merchant_order_id": S, "order_status": ref("OrderStatus"), "status_changed": B,
        "updated": EPOCH, "eta": nullable(obj({"eta_from": EPOCH, "eta_to": EPOCH})),
        "shipment_detail": ref("ShipmentDetail")},
        ["order_id", "merchant_order_id", "order_status", "updated"]), minItems=1, maxItems=1)},
    ["event_id", "grouped_orders"], "One pharmacy order's status change.")
schemas["LogisticsOrderEventPayload"] = obj({
    "order": obj({
        "id": HEX24, "merchants_order": obj({"id": S}, ["id"], "as the merchant sent it (e.g. with time)"),
        "status": S, "tracking_code": nullable(S), "tracking_url": nullable(S),
        "reference": PO, "status_id": I, "previous_status_id": I, "delivery_partner_name": nullable(S),
        "updated": ISO},
        ["id", "merchants_order", "status", "tracking_code", "tracking_url"]),
    "shipment": obj({"id": HEX24, "carrier_tracking_code": nullable(S), "delivery_partner_name": nullable(S)},
                    ["id", "carrier_tracking_code"], "once the order is with the courier"),
    "order_id": HEX24, "merchants_order": S, "reference": PO, "status": S, "status_id": I,
    "previous_status_id": I, "tracking_code": nullable(S), "tracking_url": nullable(S),
    "delivery_partner_name": nullable(S), "carrier_tracking_code": nullable(S), "updated": ISO},
    ["order"], "order.info.change and order.shipped. The flat members after order and shipment are "
               "those of earlier releases, kept for their receivers.")
schemas["LogisticsProductEventPayload"] = obj({
    "product": obj({"id": HEX24, "merchants_id": S, "name": S, "gtin": nullable(S)},
                   ["id", "merchants_id", "name", "gtin"]),
    "inventory": ref("LogisticsInventory"),
    "merchants_id": S, "id": HEX24},
    ["product", "inventory"], "product.inventory.change: the numbers GET /products/inventory shows "
                              "after the change. merchants_id and id are kept from earlier releases.")
schemas["LogisticsWebhookEvent"] = obj({
    "event_id": S,
    "webhook_id": {"type": "string", "description": "wh_<merchant id>: the merchant's one subscription"},
    "event_type": {"enum": ["order.info.change", "order.shipped", "product.inventory.change"]},
    "ts": ISO,
    "retry_count": {"type": "integer", "minimum": 0, "description": "earlier failed calls carrying this event"},
    "payload": {"oneOf": [ref("LogisticsOrderEventPayload"), ref("LogisticsProductEventPayload")]}},
    ["event_id", "webhook_id", "event_type", "ts", "retry_count", "payload"])
webhooks = {
    "pharmacyOrderStatus": {"post": {
        "operationId": "pharmacyOrderStatusWebhook",
        "summary": "A pharmacy order's status changed (one event per request)",
        "tags": ["webhooks"],
        "security": [{"apothecaSignature": []}],
        "parameters": [out_request_id],
        "requestBody": body(ref("PharmacyWebhookEvent")),
        "responses": {"200": {"description": "Delivered: any 2xx whose JSON object has a status member",
                              "content": {JSON: {"schema": obj({"status": {}}, ["status"])}}},
                      "default": {"description": "Anything else is retried with backoff for 24 h"}}}},
    "logisticsEvents": {"post": {
        "operationId": "logisticsEventsWebhook",
        "summary": "Logistics order and product events: one per request, or up to 100 with webhook.batch",
        "tags": ["webhooks"],
        "security": [{"apothecaSignature": []}],
        "parameters": [out_request_id],
        "requestBody": body({"oneOf": [ref("LogisticsWebhookEvent"),
                                       arr(ref("LogisticsWebhookEvent"), minItems=1, maxItems=100)]}),
        "responses": {"2XX": {"description": "Delivered: any 2xx delivers every event of the request"},
                      "default": {"description": "Anything else is retried with backoff for 24 h"}}}},
}

tags = [
    {"name": "pharmacy", "description": "Pharmacy partner API (/api/v4): RS256 merchant JWT and X-Access-Key."},
    {"name": "logistics", "description": "Logistics API (/2015-01-01): HTTP Basic M-<merchant_id>."},
    {"name": "admin", "description": "Admin API (/admin/v1): bearer APOTHECA_ADMIN_TOKEN."},
    {"name": "tracking", "description": "The public tracking page, by tracking code."},
    {"name": "health", "description": "Liveness, readiness, metrics and this document."},
    {"name": "sandbox", "description": "The merchant sandbox of `apotheca serve --sandbox`."},
    {"name": "console", "description": "The operator console (/admin/): HTML pages behind a session cookie."},
    {"name": "webhooks", "description": "What apotheca sends to a merchant's webhook URL."},
]

doc = {
    "openapi": "3.1.0",
    "info": {"title": "apotheca", "version": "1.0.0",
             "description": "Order and fulfilment server: pharmacy partner API, logistics API, admin API, "
                            "public tracking. Every answer carries X-Request-ID.",
             "license": {"name": "Proprietary", "identifier": "LicenseRef-Proprietary"}},
    "servers": [{"url": "http://127.0.0.1:8080", "description": "make run"}],
    "tags": tags,
    "paths": paths,
    "webhooks": webhooks,
    "components": {
        "securitySchemes": {
            "merchantJwt": {"type": "http", "scheme": "bearer",
                            "bearerFormat": "JWT (RS256, iat/exp, <= 900 s)"},
            "accessKey": {"type": "apiKey", "in": "header", "name": "X-Access-Key"},
            "logisticsBasic": {"type": "http", "scheme": "basic",
                               "description": "user M-<merchant_id>, password the shared secret"},
            "adminToken": {"type": "http", "scheme": "bearer"},
            "consoleSession": {"type": "apiKey", "in": "cookie", "name": "apotheca_session",
                               "description": "The console's session, from POST /admin/sign-in"},
            "apothecaSignature": {
                "type": "apiKey", "in": "header", "name": "X-Apotheca-Signature",
                "description": "On every call apotheca makes to a merchant: t=<unix>,v1=<hex HMAC-SHA256 of "
                               "\"t.body\" keyed with webhook.signing_secret>; reject stale t."}},
        "schemas": schemas,
        "headers": headers,
        "parameters": parameters},
}

with open(os.path.join(ROOT, "docs", "openapi.json"), "w") as f:
    json.dump(doc, f, indent=1, sort_keys=False)
    f.write("\n")
