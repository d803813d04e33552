"""Inventory check (SPEC §2.1): the seed's example to the paisa, partial and
unknown SKUs, every coupon refusal, pincodes, every malformed body, and the
pharmacy auth matrix on this endpoint."""

import base64
import hashlib
import hmac
import json
import subprocess
import time
import unittest

from harness import CLIENT_KEY, PUBLIC_KEY, Merchant, ServerTest, keypair

SEED_FEE = {"type": "handling_fee", "display_text": "REDISTRIBUTIONTEST", "amount": 99}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forged_token(alg, claims, secret=None):
    """A JWT with any alg: unsigned for "none", HMAC-SHA256 with secret for HS256."""
    head = b64url(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signing_input = (head + "." + body).encode()
    sig = ""
    if alg == "HS256":
        sig = b64url(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return head + "." + body + "." + sig


def rs256_token(claims, private_pem_path):
    """An RS256 JWT with any claims, signed by openssl (the CLI refuses to
    mint tokens the server would refuse, such as lifetimes over 900 s)."""
    head = b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    body = b64url(json.dumps(claims).encode())
    signing_input = (head + "." + body).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", private_pem_path], input=signing_input,
                         capture_output=True, check=True).stdout
    return head + "." + body + "." + b64url(sig)


class InventoryCheck(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.m = Merchant(cls.server, "inv1", charges=[SEED_FEE])
        cls.other = Merchant(cls.server, "inv2", key="other")
        cls.path = "/api/v4/merchants/inv1/inventory/check"
        cls.sku("248941", 157, 157, 50)
        cls.sku("900001", 200, 180, 3)
        cls.sku("900002", 120.5, 99.99, 100)
        cls.sku("900003", 50, 40, 10, active=False)
        now = int(time.time())
        cls.coupon("SEED66", {"kind": "percent", "value": 66})
        cls.coupon("EXPIRED", {"kind": "percent", "value": 10, "valid_from": now - 86400,
                               "valid_to": now - 3600})
        cls.coupon("LATER", {"kind": "percent", "value": 10, "valid_from": now + 86400})
        cls.coupon("USEDUP", {"kind": "flat", "value": 10, "usage_limit": 0})
        cls.coupon("BIGCART", {"kind": "flat", "value": 10, "min_cart_value": 2000})
        cls.coupon("OTHERS", {"kind": "percent", "value": 10, "merchant_id": "inv2"})
        cls.coupon("MINE", {"kind": "percent", "value": 10, "merchant_id": "inv1"})
        cls.coupon("CAPPED", {"kind": "percent", "value": 50, "max_discount": 100})
        cls.pincode("560001", {"serviceable": False})
        cls.pincode("110001", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})

    @classmethod
    def sku(cls, sku_id, mrp, price, stock, active=True):
        r = cls.server.admin("PUT", "/skus/" + sku_id, {
            "name": "SKU " + sku_id, "mrp": mrp, "price": price, "pack_size_label": "strip of 10",
            "sku_type": "allopathy", "prescription_required": False, "active": active, "stock": stock})
        assert r.status in (200, 201), r

    @classmethod
    def coupon(cls, code, body):
        r = cls.server.admin("PUT", "/coupons/" + code, body)
        assert r.status in (200, 201), r

    @classmethod
    def pincode(cls, pin, body):
        r = cls.server.admin("PUT", "/pincodes/" + pin, body)
        assert r.status in (200, 201), r

    def check(self, body=None, headers=None, raw=None, path=None):
        h = headers if headers is not None else self.m.headers()
        if raw is not None:
            h = dict(h)
            h["Content-Type"] = "application/json"
        return self.server.request("POST", path or self.path, body=body, raw=raw, headers=h)

    def assertError(self, resp, status, message=None, contains=None):
        self.assertStatus(resp, status)
        j = resp.json
        self.assertIsNotNone(j, resp)
        self.assertIs(j["is_success"], False)
        self.assertEqual(j["status_code"], status)
        self.assertIsInstance(j["error"], dict, resp)
        if message is not None:
            self.assertEqual(j["error"]["message"], message)
        if contains is not None:
            self.assertIn(contains, j["error"]["message"])
        self.assertEqual(j["error"]["errors"], [{"message": j["error"]["message"]}])
        return j["error"]["message"]

    # -- the seed -------------------------------------------------------

    def test_seed_example_number_for_number(self):
        r = self.check({"skus": {"248941": 10}, "pincode": "560103", "coupon_code": "SEED66",
                        "user": {"email": "a@example.com", "mobile": "9999999999",
                                 "first_name": "A", "last_name": "B"}})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {
            "data": {
                "vas_charges": {
                    "details": [{"amount": 99, "type": "handling_fee",
                                 "display_text": "REDISTRIBUTIONTEST"}],
                    "total_amount": 99},
                "skus": {"248941": {"offered_price": 157, "price": 157, "quantity": 10,
                                    "discounted_price": 53.38}},
                "payable_amount": 632.8,
                "eta": None},
            "partial_complete": False, "is_success": True, "status_code": 200})
        # On the wire too: no float noise, whole rupees as integers.
        self.assertIn('"payable_amount":632.8', r.body)
        self.assertIn('"discounted_price":53.38', r.body)
        self.assertIn('"price":157,', r.body)

    def test_coupon_code_is_case_insensitive(self):
        r = self.check({"skus": {"248941": 10}, "pincode": "560103", "coupon_code": "seed66"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["payable_amount"], 632.8)

    def test_no_coupon_and_decimal_prices(self):
        r = self.check({"skus": {"900002": 3, "248941": 1}, "pincode": "560103"})
        self.assertStatus(r, 200)
        d = r.json["data"]
        self.assertEqual(d["skus"]["900002"], {"offered_price": 99.99, "price": 120.5,
                                               "quantity": 3, "discounted_price": 99.99})
        self.assertEqual(d["payable_amount"], 555.97)
        self.assertIn('"payable_amount":555.97', r.body)
        self.assertFalse(r.json["partial_complete"])

    def test_capped_and_merchant_scoped_coupons(self):
        # 50% of 1570 is 785, capped at 100: 1470 + 99.
        r = self.check({"skus": {"248941": 10}, "pincode": "560103", "coupon_code": "CAPPED"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["skus"]["248941"]["discounted_price"], 147)
        self.assertEqual(r.json["data"]["payable_amount"], 1569)
        r = self.check({"skus": {"248941": 1}, "pincode": "560103", "coupon_code": "MINE"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["skus"]["248941"]["discounted_price"], 141.3)
        self.assertEqual(r.json["data"]["payable_amount"], 240.3)

    # -- availability ---------------------------------------------------

    def test_partial_availability(self):
        r = self.check({"skus": {"900001": 5, "248941": 2}, "pincode": "560103"})
        self.assertStatus(r, 200)
        self.assertTrue(r.json["partial_complete"])
        d = r.json["data"]
        self.assertEqual(d["skus"]["900001"], {"offered_price": 180, "price": 200, "quantity": 3,
                                               "discounted_price": 180})
        self.assertEqual(d["skus"]["248941"]["quantity"], 2)
        self.assertEqual(d["payable_amount"], 3 * 180 + 2 * 157 + 99)

    def test_unknown_and_inactive_skus(self):
        r = self.check({"skus": {"777777777": 2, "900003": 1, "248941": 1}, "pincode": "560103"})
        self.assertStatus(r, 200)
        d = r.json["data"]
        none = {"offered_price": None, "price": None, "quantity": 0, "discounted_price": None}
        self.assertEqual(d["skus"]["777777777"], none)
        self.assertEqual(d["skus"]["900003"], none)
        self.assertEqual(d["payable_amount"], 157 + 99)
        self.assertTrue(r.json["partial_complete"])

    def test_nothing_available_costs_nothing(self):
        r = self.check({"skus": {"777777777": 2}, "pincode": "560103"})
        self.assertStatus(r, 200)
        d = r.json["data"]
        self.assertEqual(d["payable_amount"], 0)
        self.assertEqual(d["vas_charges"], {"details": [], "total_amount": 0})

    # -- pincodes -------------------------------------------------------

    def test_pincode_with_eta(self):
        before = int(time.time())
        r = self.check({"skus": {"248941": 1}, "pincode": "110001"})
        after = int(time.time())
        self.assertStatus(r, 200)
        eta = r.json["data"]["eta"]
        self.assertEqual(set(eta), {"eta_from", "eta_to"})
        self.assertTrue(before + 2 * 86400 <= eta["eta_from"] <= after + 2 * 86400, eta)
        self.assertEqual(eta["eta_to"] - eta["eta_from"], 2 * 86400)

    def test_unserviceable_pincode(self):
        r = self.check({"skus": {"248941": 1}, "pincode": "560001"})
        self.assertError(r, 400, "Pincode 560001 is not serviceable")

    # -- coupon refusals ------------------------------------------------

    def test_every_coupon_refusal(self):
        cases = {
            "NOPE": "Coupon NOPE does not exist",
            "EXPIRED": "Coupon EXPIRED has expired",
            "LATER": "Coupon LATER is not valid yet",
            "USEDUP": "Coupon USEDUP has reached its usage limit",
            "BIGCART": "Coupon BIGCART needs a cart value of at least 2000.00 (cart value 157.00)",
            "OTHERS": "Coupon OTHERS is not valid for this merchant",
        }
        for code, message in cases.items():
            r = self.check({"skus": {"248941": 1}, "pincode": "560103", "coupon_code": code})
            self.assertError(r, 400, message)
        # The minimum is met by a bigger cart. 10 off 13 units is 0.769 a
        # unit: half-up (0.77) would give 10.01, so each unit gets 0.76 and
        # the effective discount is 9.88, never above the nominal 10.
        r = self.check({"skus": {"248941": 13}, "pincode": "560103", "coupon_code": "BIGCART"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"]["skus"]["248941"]["discounted_price"], 156.24)
        self.assertEqual(r.json["data"]["payable_amount"], 2130.12)

    # -- malformed bodies -----------------------------------------------

    def test_malformed_bodies(self):
        ok = {"skus": {"248941": 1}, "pincode": "560103"}

        def with_(**kw):
            b = dict(ok)
            for k, v in kw.items():
                if v is KeyError:
                    b.pop(k, None)
                else:
                    b[k] = v
            return b

        many = {str(100000 + i): 1 for i in range(101)}
        cases = [
            (with_(skus={"248941": 0}), "Quantity of SKU 248941 must be an integer from 1 to 1000"),
            (with_(skus={"248941": -1}), "Quantity of SKU 248941"),
            (with_(skus={"248941": 1.5}), "Quantity of SKU 248941"),
            (with_(skus={"248941": 1.0}), "Quantity of SKU 248941"),
            (with_(skus={"248941": "10"}), "Quantity of SKU 248941"),
            (with_(skus={"248941": 10001}), "Quantity of SKU 248941"),
            (with_(skus={"248941": 1001}), "Quantity of SKU 248941"),
            (with_(skus={"248941": True}), "Quantity of SKU 248941"),
            (with_(skus={"248941": None}), "Quantity of SKU 248941"),
            (with_(skus=many), "skus must contain at most 100 SKUs"),
            (with_(skus={}), "skus must contain at least one SKU"),
            (with_(skus=["248941"]), "skus must be an object"),
            (with_(skus="248941"), "skus must be an object"),
            (with_(skus=KeyError), "skus is required"),
            (with_(skus={"bad id": 1}), "SKU id \"bad id\" is invalid"),
            (with_(skus={"x" * 65: 1}), "SKU ids must be at most 64 characters"),
            (with_(pincode=KeyError), "pincode is required"),
            (with_(pincode="012345"), "pincode must be a string of 6 digits"),
            (with_(pincode="56010"), "pincode must be a string of 6 digits"),
            (with_(pincode="5601034"), "pincode must be a string of 6 digits"),
            (with_(pincode="56010a"), "pincode must be a string of 6 digits"),
            (with_(pincode=560103), "pincode must be a string of 6 digits"),
            (with_(user="someone"), "user must be an object"),
            (with_(user={"email": 5}), "user.email must be a string"),
            (with_(coupon_code=66), "coupon_code must be a string"),
            (with_(coupon_code="BAD CODE"), "coupon_code must be a string"),
        ]
        for body, message in cases:
            r = self.check(body)
            self.assertError(r, 400, contains=message)
        # 100 SKUs is within the limit (all unknown here).
        r = self.check(with_(skus={str(200000 + i): 1000 for i in range(100)}))
        self.assertStatus(r, 200)
        # A null or empty coupon_code means no coupon.
        for code in (None, ""):
            self.assertStatus(self.check(with_(coupon_code=code)), 200)

    def test_invalid_json_is_the_seeds_invalid_request(self):
        for raw in ('{"skus": {"248941": 1}, "pincode": ', "not json", '{"skus": {"1": 1, "1": 2}}'):
            r = self.check(raw=raw)
            self.assertStatus(r, 400)
            self.assertEqual(r.json, {"is_success": False, "status_code": 400, "error": {
                "message": "Invalid request", "errors": [{"message": "Invalid request"}]}})
        r = self.check(raw="[1, 2]")
        self.assertError(r, 400)
        r = self.check(raw="")
        self.assertError(r, 400)

    # -- auth -----------------------------------------------------------

    def body(self):
        return {"skus": {"248941": 1}, "pincode": "560103"}

    def auth(self, token, access_key=CLIENT_KEY):
        h = {"Authorization": "Bearer " + token}
        if access_key is not None:
            h["X-Access-Key"] = access_key
        return h

    def test_auth_matrix(self):
        now = int(time.time())
        self.assertStatus(self.check(self.body(), headers=self.auth(self.m.token())), 200)
        # The openssl-signed token below differs only in its lifetime.
        at_limit = rs256_token({"sub": "inv1", "iat": now, "exp": now + 900}, self.m.priv)
        self.assertStatus(self.check(self.body(), headers=self.auth(at_limit)), 200)
        bad = {
            "expired": self.m.token(ttl=900, iat=now - 1000),
            "lifetime over 900s": rs256_token({"sub": "inv1", "iat": now, "exp": now + 901}, self.m.priv),
            "iat in the future": self.m.token(ttl=300, iat=now + 600),
            "alg none": forged_token("none", {"sub": "inv1", "iat": now, "exp": now + 300}),
            "HS256 with the public key": forged_token(
                "HS256", {"sub": "inv1", "iat": now, "exp": now + 300}, self.m.pub.encode()),
            "another merchant's key": self.m.token(key_path=keypair("other")[0]),
            "garbage": "not.a.token",
        }
        for why, token in bad.items():
            r = self.check(self.body(), headers=self.auth(token))
            self.assertError(r, 401)
            self.assertNotIn("data", r.json, why)
        # Missing bearer, missing or wrong access key; the public key is not for this route.
        self.assertError(self.check(self.body(), headers={"X-Access-Key": CLIENT_KEY}), 401)
        self.assertError(self.check(self.body(), headers=self.auth(self.m.token(), None)), 401)
        self.assertError(self.check(self.body(), headers=self.auth(self.m.token(), "wrong")), 401)
        self.assertError(self.check(self.body(), headers=self.auth(self.m.token(), PUBLIC_KEY)), 401)
        # The other merchant's valid token does not open this merchant's path.
        self.assertError(self.check(self.body(), headers=self.other.headers()), 401)

    def test_auth_comes_before_the_body(self):
        r = self.check(raw="not json", headers={"X-Access-Key": CLIENT_KEY})
        self.assertError(r, 401)

    def test_unknown_merchant(self):
        want = {"is_success": False, "status_code": 400, "error": "Merchant not found"}
        r = self.check(self.body(), path="/api/v4/merchants/nobody/inventory/check")
        self.assertStatus(r, 400)
        self.assertEqual(r.json, want)
        r = self.check(self.body(), headers={}, path="/api/v4/merchants/nobody/inventory/check")
        self.assertEqual(r.json, want)

    def test_disabled_merchant_is_not_found(self):
        Merchant(self.server, "inv_off")
        self.assertStatus(self.server.admin("PATCH", "/merchants/inv_off", {"active": False}), 200)
        r = self.check(self.body(), path="/api/v4/merchants/inv_off/inventory/check")
        self.assertEqual(r.json, {"is_success": False, "status_code": 400,
                                  "error": "Merchant not found"})


if __name__ == "__main__":
    unittest.main()
