"""Admin catalog API (SPEC §7): SKUs and their stock, coupons, pincodes, the
all-or-nothing CSV imports, and the CLI's `import` and `demo` commands."""

import os
import stat
import tempfile
import unittest

import harness
from harness import ServerTest, Merchant

SKU_HEADER = "sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock\n"
PIN_HEADER = "pincode,serviceable,eta_min_days,eta_max_days\n"
CSV = {"Content-Type": "text/csv"}


def sku_body(**kw):
    body = {"name": "Dolo 650 Tablet", "mrp": 33, "price": "30.69", "pack_size_label": "strip of 15 tablets",
            "sku_type": "allopathy", "prescription_required": False, "active": True, "stock": 10}
    body.update(kw)
    return body


class AdminSkus(ServerTest):
    def test_put_creates_then_updates(self):
        r = self.server.admin("PUT", "/skus/s-100", sku_body())
        self.assertStatus(r, 201)
        self.assertEqual(r.json["sku_id"], "s-100")
        self.assertEqual(r.json["mrp"], 33)
        self.assertEqual(r.json["price"], 30.69)
        self.assertEqual((r.json["on_hand"], r.json["reserved"], r.json["available"]), (10, 0, 10))
        self.assertRegex(r.json["hex_id"], r"^[0-9a-f]{24}$")
        hex_id = r.json["hex_id"]
        # Without stock the update leaves on_hand alone; the id stays.
        body = sku_body(name="Dolo 650", price=31, prescription_required=True)
        del body["stock"]
        r = self.server.admin("PUT", "/skus/s-100", body)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["name"], "Dolo 650")
        self.assertEqual(r.json["price"], 31)
        self.assertTrue(r.json["prescription_required"])
        self.assertEqual(r.json["on_hand"], 10)
        self.assertEqual(r.json["hex_id"], hex_id)
        r = self.server.admin("PUT", "/skus/s-100", sku_body(stock=4, active=False))
        self.assertStatus(r, 200)
        self.assertEqual(r.json["on_hand"], 4)
        self.assertFalse(r.json["active"])
        r = self.server.admin("GET", "/skus/s-100")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["name"], "Dolo 650 Tablet")
        self.assertEqual(r.json["available"], 4)

    def test_validation(self):
        bad = [sku_body(price=34), sku_body(mrp=-1), sku_body(mrp="10.001"), sku_body(price=1.005),
               sku_body(stock=-1), sku_body(stock=1.5), sku_body(stock=10 ** 9 + 1), sku_body(stock="5"),
               sku_body(name=""), sku_body(name=None), sku_body(active="yes"), sku_body(sku_type=7),
               sku_body(pack_size_label="x" * 129), sku_body(sku_id="other")]
        for body in bad:
            r = self.server.admin("PUT", "/skus/v-1", body)
            self.assertStatus(r, 400, repr(body))
            self.assertEqual(r.json["error"]["code"], "invalid")
        self.assertIn("price must not exceed mrp", self.server.admin("PUT", "/skus/v-1", bad[0]).body)
        self.assertStatus(self.server.admin("PUT", "/skus/bad%20id", sku_body()), 400)
        self.assertStatus(self.server.admin("PUT", "/skus/" + "x" * 65, sku_body()), 400)
        self.assertStatus(self.server.admin("GET", "/skus/v-1"), 404)
        r = self.server.admin("PUT", "/skus/v-1", raw="name=x", headers={"Content-Type": "text/plain"})
        self.assertStatus(r, 415)
        self.assertStatus(self.server.request("PUT", "/admin/v1/skus/v-1", body=sku_body()), 401)
        # Free is a price.
        self.assertStatus(self.server.admin("PUT", "/skus/v-2", sku_body(mrp=0, price=0)), 201)

    def test_stock_delta_set_and_refusals(self):
        self.assertStatus(self.server.admin("PUT", "/skus/st-1", sku_body(stock=10)), 201)
        r = self.server.admin("POST", "/skus/st-1/stock", {"delta": -3, "reason": "damaged"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"sku_id": "st-1", "on_hand": 7, "reserved": 0, "available": 7})
        r = self.server.admin("POST", "/skus/st-1/stock", {"set": 20, "reason": "stocktake"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["on_hand"], 20)
        r = self.server.admin("POST", "/skus/st-1/stock", {"delta": -21})
        self.assertStatus(r, 409)
        self.assertEqual(r.json["error"]["code"], "insufficient_stock")
        self.assertEqual(self.server.admin("GET", "/skus/st-1").json["on_hand"], 20)
        r = self.server.admin("POST", "/skus/st-1/stock", {"delta": -20})
        self.assertStatus(r, 200)
        self.assertEqual(r.json["available"], 0)
        for body in ({"set": -1}, {"delta": 1, "set": 1}, {}, {"delta": "1"}, {"delta": 1.5},
                     {"delta": 10 ** 9 + 1}, {"delta": 1, "reason": ""}, {"delta": 1, "reason": 5}):
            self.assertStatus(self.server.admin("POST", "/skus/st-1/stock", body), 400, repr(body))
        r = self.server.admin("POST", "/skus/st-1/stock", {"set": 10 ** 9})
        self.assertStatus(r, 200)
        self.assertStatus(self.server.admin("POST", "/skus/st-1/stock", {"delta": 1}), 400)
        self.assertStatus(self.server.admin("POST", "/skus/nope/stock", {"delta": 1}), 404)

    def test_csv_import_with_quoted_fields(self):
        text = (SKU_HEADER +
                '747985,"A to Z NS+ Tablet with Lycopene, Multivitamins & Multiminerals",155,141,'
                'strip of 15 tablets,otc,false,50\r\n'
                'q-2,"Syrup ""Extra"" 100ml",129,128,"bottle of 100 ml, Syrup",allopathy,TRUE,\r\n'
                '9187,Allegra 180mg Tablet,275.11,253,strip of 10 tablets,allopathy,0,7\r\n')
        r = self.server.admin("POST", "/skus/import", raw=text, headers=CSV)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"imported": 3, "created": 3, "updated": 0})
        r = self.server.admin("GET", "/skus/747985")
        self.assertEqual(r.json["name"], "A to Z NS+ Tablet with Lycopene, Multivitamins & Multiminerals")
        self.assertEqual((r.json["mrp"], r.json["price"], r.json["on_hand"]), (155, 141, 50))
        r = self.server.admin("GET", "/skus/q-2")
        self.assertEqual(r.json["name"], 'Syrup "Extra" 100ml')
        self.assertEqual(r.json["pack_size_label"], "bottle of 100 ml, Syrup")
        self.assertTrue(r.json["prescription_required"])
        self.assertEqual(r.json["on_hand"], 0)
        self.assertEqual(self.server.admin("GET", "/skus/9187").json["mrp"], 275.11)
        # Again: updates; an empty stock cell keeps the stock.
        text = SKU_HEADER + "747985,A to Z,155,140,strip,otc,false,\n"
        r = self.server.admin("POST", "/skus/import", raw=text, headers={"Content-Type": "text/csv; charset=utf-8"})
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"imported": 1, "created": 0, "updated": 1})
        r = self.server.admin("GET", "/skus/747985")
        self.assertEqual((r.json["name"], r.json["price"], r.json["on_hand"]), ("A to Z", 140, 50))

    def test_csv_bad_line_imports_nothing(self):
        text = (SKU_HEADER +
                "good-1,Good One,10,9,strip,otc,false,5\n"
                "bad-1,Bad One,10,9.999,strip,otc,false,5\n"
                "good-2,Good Two,10,9,strip,otc,false,5\n")
        r = self.server.admin("POST", "/skus/import", raw=text, headers=CSV)
        self.assertStatus(r, 400)
        self.assertIn("line 3", r.json["error"]["message"])
        self.assertIn("price", r.json["error"]["message"])
        for sku in ("good-1", "bad-1", "good-2"):
            self.assertStatus(self.server.admin("GET", "/skus/" + sku), 404, sku)
        for text, line in ((SKU_HEADER + "a,A,1,1,p,t,false,1\nb,B,1,1,p,t,false,1\na,C,1,1,p,t,false,1\n", "line 4"),
                           (SKU_HEADER + 'a,"never closed,1,1,p,t,false,1\n', "line 2"),
                           (SKU_HEADER + "a,A,1,1,p,t,false\n", "line 2"),
                           ("sku_id,name,price\n", "line 1"),
                           ("", "line 1")):
            r = self.server.admin("POST", "/skus/import", raw=text, headers=CSV)
            self.assertStatus(r, 400, text)
            self.assertIn(line, r.json["error"]["message"])
        self.assertStatus(self.server.admin("GET", "/skus/a"), 404)

    def test_csv_needs_text_csv(self):
        text = SKU_HEADER + "ct-1,A,1,1,p,t,false,1\n"
        r = self.server.admin("POST", "/skus/import", raw=text, headers={"Content-Type": "application/json"})
        self.assertStatus(r, 415)
        self.assertEqual(r.json["error"]["code"], "unsupported_media_type")
        self.assertStatus(self.server.admin("POST", "/skus/import", raw=text), 415)
        self.assertStatus(self.server.admin("POST", "/pincodes/import", raw=text,
                                            headers={"Content-Type": "text/plain"}), 415)
        self.assertStatus(self.server.admin("GET", "/skus/ct-1"), 404)
        self.assertStatus(self.server.request("POST", "/admin/v1/skus/import", raw=text, headers=CSV), 401)


class AdminCoupons(ServerTest):
    def test_percent_coupon_put_get(self):
        r = self.server.admin("PUT", "/coupons/seed66", {"kind": "percent", "value": 66})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["code"], "SEED66")
        self.assertEqual(r.json["value"], 66)
        self.assertIsNone(r.json["max_discount"])
        self.assertEqual(r.json["used_count"], 0)
        r = self.server.admin("PUT", "/coupons/SEED66", {
            "kind": "percent", "value": 12.5, "max_discount": "100.50", "min_cart_value": 500,
            "valid_from": 1700000000, "valid_to": 1900000000, "usage_limit": 3})
        self.assertStatus(r, 200)
        self.assertEqual((r.json["value"], r.json["max_discount"], r.json["min_cart_value"]), (12.5, 100.5, 500))
        self.assertEqual((r.json["valid_from"], r.json["valid_to"], r.json["usage_limit"]),
                         (1700000000, 1900000000, 3))
        r = self.server.admin("GET", "/coupons/Seed66")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["value"], 12.5)
        self.assertStatus(self.server.admin("GET", "/coupons/NOPE"), 404)

    def test_flat_coupon_and_merchant_scope(self):
        Merchant(self.server, "cm1")
        r = self.server.admin("PUT", "/coupons/FLAT50", {"kind": "flat", "value": "50.00", "merchant_id": "cm1"})
        self.assertStatus(r, 201)
        self.assertEqual((r.json["kind"], r.json["value"], r.json["merchant_id"]), ("flat", 50, "cm1"))

    def test_validation(self):
        for body in ({"kind": "percent", "value": 100.01}, {"kind": "percent", "value": 12.345},
                     {"kind": "percent", "value": 0}, {"kind": "percent"}, {"value": 10},
                     {"kind": "bogus", "value": 10}, {"kind": "flat", "value": -5},
                     {"kind": "percent", "value": 10, "valid_from": 20, "valid_to": 10},
                     {"kind": "percent", "value": 10, "valid_from": "soon"},
                     {"kind": "percent", "value": 10, "usage_limit": -1},
                     {"kind": "percent", "value": 10, "max_discount": "1.234"},
                     {"kind": "percent", "value": 10, "merchant_id": "no-such-merchant"},
                     {"kind": "percent", "value": 10, "code": "OTHER"}):
            r = self.server.admin("PUT", "/coupons/BAD1", body)
            self.assertStatus(r, 400, repr(body))
        self.assertStatus(self.server.admin("GET", "/coupons/BAD1"), 404)
        self.assertStatus(self.server.admin("PUT", "/coupons/bad%20code", {"kind": "flat", "value": 1}), 400)


class AdminPincodes(ServerTest):
    def test_put_get(self):
        r = self.server.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})
        self.assertStatus(r, 201)
        self.assertEqual(r.json, {"pincode": "560103", "serviceable": True, "eta_min_days": 2, "eta_max_days": 4})
        r = self.server.admin("PUT", "/pincodes/560103", {"serviceable": False})
        self.assertStatus(r, 200)
        r = self.server.admin("GET", "/pincodes/560103")
        self.assertEqual(r.json, {"pincode": "560103", "serviceable": False, "eta_min_days": None,
                                  "eta_max_days": None})
        self.assertStatus(self.server.admin("GET", "/pincodes/400001"), 404)
        for path, body in (("/pincodes/012345", {"serviceable": True}), ("/pincodes/56010", {"serviceable": True}),
                           ("/pincodes/560104", {}), ("/pincodes/560104", {"serviceable": "yes"}),
                           ("/pincodes/560104", {"serviceable": True, "eta_min_days": 5, "eta_max_days": 2}),
                           ("/pincodes/560104", {"serviceable": True, "eta_min_days": -1})):
            self.assertStatus(self.server.admin("PUT", path, body), 400, path + repr(body))

    def test_csv_import(self):
        text = PIN_HEADER + "110001,true,1,2\r\n999999,false,,\r\n"
        r = self.server.admin("POST", "/pincodes/import", raw=text, headers=CSV)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["imported"], 2)
        self.assertEqual(self.server.admin("GET", "/pincodes/110001").json["eta_max_days"], 2)
        self.assertFalse(self.server.admin("GET", "/pincodes/999999").json["serviceable"])
        text = PIN_HEADER + "400001,true,1,2\n400002,maybe,1,2\n"
        r = self.server.admin("POST", "/pincodes/import", raw=text, headers=CSV)
        self.assertStatus(r, 400)
        self.assertIn("line 3", r.json["error"]["message"])
        self.assertStatus(self.server.admin("GET", "/pincodes/400001"), 404)


class CliImportAndDemo(ServerTest):
    def write(self, name, text):
        d = tempfile.mkdtemp(dir=harness._workdir)
        path = os.path.join(d, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_cli_import_skus(self):
        path = self.write("skus.csv", SKU_HEADER + 'cli-1,"Cli, One",10,9,strip,otc,false,3\ncli-2,Two,5,5,,,1,\n')
        out = self.server.cli("import", "skus", path)
        self.assertIn("imported 2 skus", out.stdout)
        r = self.server.admin("GET", "/skus/cli-1")
        self.assertStatus(r, 200)
        self.assertEqual((r.json["name"], r.json["on_hand"]), ("Cli, One", 3))
        bad = self.write("bad.csv", SKU_HEADER + "cli-3,Three,10,9,p,t,false,1\ncli-4,Four,10,x,p,t,false,1\n")
        out = self.server.cli("import", "skus", bad, check=False)
        self.assertEqual(out.returncode, 1)
        self.assertIn("line 3", out.stderr)
        self.assertStatus(self.server.admin("GET", "/skus/cli-3"), 404)
        self.assertEqual(self.server.cli("import", "things", path, check=False).returncode, 2)
        self.assertEqual(self.server.cli("import", "skus", path + ".missing", check=False).returncode, 1)

    def test_cli_import_pincodes_from_stdin(self):
        out = self.server.cli("import", "pincodes", "-", input=PIN_HEADER + "682001,1,3,5\n")
        self.assertIn("imported 1 pincodes", out.stdout)
        self.assertEqual(self.server.admin("GET", "/pincodes/682001").json["eta_min_days"], 3)

    def test_demo_is_idempotent_and_reproduces_the_seed(self):
        d = tempfile.mkdtemp(dir=harness._workdir)
        out = self.server.cli("demo", "--dir", d)
        key = os.path.join(d, "merchant.pem")
        self.assertIn(key, out.stdout)
        self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
        self.assertTrue(os.path.exists(os.path.join(d, "merchant.pub.pem")))
        with open(key) as f:
            pem = f.read()
        # Use up some stock, then run again: same key, demo state restored.
        self.assertStatus(self.server.admin("POST", "/skus/248941/stock", {"delta": -40}), 200)
        self.server.cli("demo", "--dir", d)
        with open(key) as f:
            self.assertEqual(f.read(), pem)
        token = self.server.cli("token", "--merchant", "demo", "--key", key).stdout.strip()
        self.assertEqual(len(token.split(".")), 3)

        m = self.server.admin("GET", "/merchants/demo").json
        self.assertEqual(m["name"], "demo_pharmacy")
        self.assertEqual(m["payment_api"]["aggregator"], "EKACARE")
        self.assertEqual(m["charges"], [{"type": "handling_fee", "display_text": "REDISTRIBUTIONTEST",
                                         "amount": 99, "below": None}])
        s = self.server.admin("GET", "/skus/248941").json
        self.assertEqual((s["mrp"], s["price"], s["available"]), (157, 157, 100))
        s = self.server.admin("GET", "/skus/9187").json
        self.assertEqual((s["name"], s["mrp"], s["price"], s["pack_size_label"], s["sku_type"]),
                         ("Allegra 180mg Tablet", 275.11, 253, "strip of 10 tablets", "allopathy"))
        for sku in ("117004", "139559", "340278", "367281", "528051", "747985", "63412", "324155", "325250"):
            self.assertStatus(self.server.admin("GET", "/skus/" + sku), 200, sku)
        self.assertEqual(self.server.admin("GET", "/coupons/SEED66").json["value"], 66)
        self.assertFalse(self.server.admin("GET", "/pincodes/999999").json["serviceable"])
        self.assertEqual(self.server.admin("GET", "/pincodes/560103").json["eta_max_days"], 4)

        # demo-data/ holds the same catalog as CSV: importing it changes nothing new.
        out = self.server.cli("import", "skus", os.path.join(harness.ROOT, "demo-data", "skus.csv"))
        self.assertIn("imported 11 skus", out.stdout)
        self.assertIn("0 new", out.stdout)
        self.server.cli("import", "pincodes", os.path.join(harness.ROOT, "demo-data", "pincodes.csv"))
        self.assertEqual(self.server.admin("GET", "/skus/747985").json["price"], 141)

        # The inventory check seed, as printed (pincode without ETA data).
        r = self.server.request("POST", "/api/v4/merchants/demo/inventory/check",
                                body={"skus": {"248941": 10}, "pincode": "400001", "coupon_code": "SEED66"},
                                headers={"X-Access-Key": harness.CLIENT_KEY, "Authorization": "Bearer " + token})
        if r.status == 404:
            self.skipTest("no inventory check route in this build")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["data"], {
            "vas_charges": {"details": [{"amount": 99, "type": "handling_fee", "display_text": "REDISTRIBUTIONTEST"}],
                            "total_amount": 99},
            "skus": {"248941": {"offered_price": 157, "price": 157, "quantity": 10, "discounted_price": 53.38}},
            "payable_amount": 632.8, "eta": None})
        self.assertFalse(r.json["partial_complete"])


if __name__ == "__main__":
    unittest.main()
