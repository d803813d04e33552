"""The admin API operators reach for (issue 15): order search and its
filters, the CSV export, the stock ledger, the lists and their one cursor
style, epoch seconds and WWW-Authenticate."""

import csv
import io
import time

from harness import ServerTest, Merchant, ADMIN_TOKEN
from test_orders import sku, body, ADDRESS
from test_logistics import API, order_body


def user(mobile, email):
    return {"email": email, "mobile": mobile, "first_name": "A", "last_name": "B", "address": ADDRESS}


class AdminSearch(ServerTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s = cls.server
        cls.m = Merchant(s, "shop", webhook={"signing_secret": "whsec"})
        cls.m2 = Merchant(s, "other", key="other")
        s.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})
        s.admin("PUT", "/pincodes/110001", {"serviceable": False})
        s.admin("PUT", "/coupons/SAVE10", {"kind": "percent", "value": 10})
        s.admin("PUT", "/coupons/FLAT50", {"kind": "flat", "value": 50})
        for sku_id in ("A1", "B2", "C3"):
            sku(s, sku_id, price=100, mrp=120, stock=50)
        cls.before = int(time.time())
        cls.orders = {}
        people = [("REF-ALPHA-1", "9811100001", "Asha@Example.com", cls.m),
                  ("REF-ALPHA-2", "9811100002", "bala@example.com", cls.m),
                  ("REF-BETA-1", "7000000003", "chitra@example.org", cls.m),
                  ("REF-OTHER", "9811100004", "dev@example.net", cls.m2)]
        for ref, mobile, email, m in people:
            b = body(ref, {"A1": 1}, 100, user=user(mobile, email))
            r = s.request("POST", "/api/v4/merchants/%s/orders" % m.id, body=b, headers=m.headers())
            assert r.status == 200, r
            cls.orders[ref] = r.json["data"]["order_id"]
        # a logistics order: its customer's phoneNumber and email are searched too
        r = s.request("POST", API + "/products/", body={"merchants_id": "LP1", "name": "Box"},
                      headers=cls.m.basic())
        assert r.status in (200, 201), r
        r = s.request("POST", API + "/orders/_create", body=order_body([{"merchants_id": "LP1", "qty": 1}], ref="LOG-7"),
                      headers=cls.m.basic())
        assert r.status == 201, r
        cls.logistics_id = s.admin("GET", "/orders/" + r.json["order_id"]).json["order_id"]  # PO… of the hex id

    def search(self, query, status=200):
        r = self.server.admin("GET", "/orders" + query)
        self.assertStatus(r, status, query)
        return r.json

    def refs(self, query):
        return sorted(o["merchant_order_id"] for o in self.search(query)["orders"] if o["dialect"] == "pharmacy")

    def test_logistics_customers_are_found_by_phone_and_email(self):
        for q in ("%2B91980", "%2B919800000000", "ASHA%40example.com"):
            found = [o for o in self.search("?q=" + q)["orders"] if o["dialect"] == "logistics"]
            self.assertEqual(len(found), 1, q)
            self.assertEqual(found[0]["phone"], "+919800000000")
        rows = list(csv.reader(io.StringIO(self.server.admin("GET", "/orders.csv?q=%2B9198").body)))
        self.assertEqual(len(rows), 2)
        # a phone number is left as it is; only a would-be formula is neutralised
        self.assertEqual(dict(zip(rows[0], rows[1]))["phone"], "+919800000000")

    def test_q_matches_each_key_exactly_or_by_prefix(self):
        oid = self.orders["REF-BETA-1"]
        self.assertEqual(self.refs("?q=" + oid), ["REF-BETA-1"])
        self.assertEqual(self.refs("?q=REF-ALPHA"), ["REF-ALPHA-1", "REF-ALPHA-2"])
        self.assertEqual(self.refs("?q=REF-ALPHA-2"), ["REF-ALPHA-2"])
        self.assertEqual(self.refs("?q=98111"), ["REF-ALPHA-1", "REF-ALPHA-2", "REF-OTHER"])
        self.assertEqual(self.refs("?q=7000000003"), ["REF-BETA-1"])
        # email is matched whatever its case
        self.assertEqual(self.refs("?q=asha%40EXAMPLE.com"), ["REF-ALPHA-1"])
        self.assertEqual(self.refs("?q=chitra"), ["REF-BETA-1"])
        self.assertEqual(self.refs("?q=nobody"), [])
        o = self.search("?q=REF-BETA-1")["orders"][0]
        self.assertEqual(o["phone"], "7000000003")
        self.assertEqual(o["email"], "chitra@example.org")

    def test_filters_combine(self):
        self.assertEqual(self.refs("?merchant_id=other"), ["REF-OTHER"])
        self.assertEqual(self.refs("?q=98111&merchant_id=shop"), ["REF-ALPHA-1", "REF-ALPHA-2"])
        self.assertEqual(len(self.refs("?status_id=15")), 4)
        self.assertEqual(self.search("?status_id=180")["orders"][0]["order_id"], self.logistics_id)
        self.assertEqual(self.refs("?status_id=99"), [])
        self.assertEqual(len(self.refs("?flagged=false")), 4)
        self.assertEqual(self.refs("?flagged=true"), [])
        self.assertEqual(len(self.refs("?created_from=%d" % self.before)), 4)
        self.assertEqual(self.refs("?created_to=%d" % (self.before - 1)), [])
        self.assertEqual(self.refs("?created_from=%d" % (int(time.time()) + 3600)), [])

    def test_unknown_and_bad_parameters_are_400_naming_them(self):
        r = self.server.admin("GET", "/orders?q=REF&sort=desc")
        self.assertStatus(r, 400)
        self.assertIn("sort", r.json["error"]["message"])
        for q in ("?status_id=abc", "?flagged=maybe", "?created_from=-5", "?limit=0", "?limit=501",
                  "?cursor=zz", "?merchant_id=bad%20id", "?q=%01"):
            self.search(q, 400)
        r = self.server.admin("GET", "/orders.csv?nope=1")
        self.assertStatus(r, 400)
        self.assertIn("nope", r.json["error"]["message"])

    def test_cursor_pages_visit_every_order_once(self):
        # with and without a created_to bound (it and the cursor make one range)
        for extra in ("", "&created_to=%d" % (int(time.time()) + 60), "&merchant_id=shop&flagged=false"):
            seen, cursor = [], None
            for _ in range(10):
                page = self.search("?limit=1" + extra + ("&cursor=" + cursor if cursor else ""))
                seen += [o["order_id"] for o in page["orders"]]
                cursor = page["next_cursor"]
                if not cursor:
                    break
            want = [v for k, v in self.orders.items() if "merchant_id" not in extra or k != "REF-OTHER"]
            want.append(self.logistics_id)
            self.assertEqual(sorted(seen), sorted(want), extra)
            self.assertEqual(len(seen), len(set(seen)))
        # exactly a page's worth: no next page; one more: a next page
        self.assertIsNone(self.search("?limit=5")["next_cursor"])
        self.assertIsNotNone(self.search("?limit=4")["next_cursor"])

    def test_csv_export_has_a_header_and_the_filtered_rows(self):
        r = self.server.admin("GET", "/orders.csv?q=REF-ALPHA")
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        text = r.body
        self.assertIn("\r\n", text)
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[0][:4], ["order_id", "id", "merchant_id", "merchant_order_id"])
        self.assertEqual(sorted(row[3] for row in rows[1:]), ["REF-ALPHA-1", "REF-ALPHA-2"])
        header = rows[0]
        first = dict(zip(header, rows[1]))
        self.assertEqual(first["payable"], "100.00")
        self.assertEqual(first["status_id"], "15")
        all_rows = list(csv.reader(io.StringIO(self.server.admin("GET", "/orders.csv").body)))
        self.assertEqual(len(all_rows), 1 + len(self.orders) + 1)

    def test_ledger_shows_order_and_operator_movements(self):
        r = self.server.admin("POST", "/skus/B2/stock", {"delta": -3, "reason": "damaged in transit"})
        self.assertStatus(r, 200)
        r = self.server.admin("GET", "/skus/A1/ledger")
        self.assertStatus(r, 200)
        reserves = [l for l in r.json["ledger"] if l["reason"] == "reserve"]
        self.assertEqual(len(reserves), 4)
        self.assertEqual(reserves[0]["actor"], "order")
        self.assertIn(reserves[0]["order_id"], self.orders.values())
        self.assertEqual(reserves[0]["reserved_delta"], 1)
        b2 = self.server.admin("GET", "/skus/B2/ledger?limit=1").json
        self.assertEqual(b2["ledger"][0]["reason"], "damaged in transit")
        self.assertEqual(b2["ledger"][0]["delta"], -3)
        self.assertEqual(b2["ledger"][0]["actor"], "operator")
        self.assertLess(abs(b2["ledger"][0]["at"] - time.time()), 120)
        self.assertIsNotNone(b2["next_cursor"])
        rest = self.server.admin("GET", "/skus/B2/ledger?limit=1&cursor=" + b2["next_cursor"]).json
        self.assertNotEqual(rest["ledger"][0]["id"], b2["ledger"][0]["id"])
        self.assertStatus(self.server.admin("GET", "/skus/NOPE/ledger"), 404)

    def collect(self, path, key):
        seen, cursor = [], None
        for _ in range(20):
            r = self.server.admin("GET", path + "?limit=1" + ("&cursor=" + cursor if cursor else ""))
            self.assertStatus(r, 200, path)
            seen += r.json[key]
            cursor = r.json["next_cursor"]
            if not cursor:
                return seen
        self.fail("paging did not end")

    def test_lists_page_with_one_cursor_style(self):
        merchants = self.collect("/merchants", "merchants")
        self.assertEqual([m["id"] for m in merchants], ["other", "shop"])
        shop = merchants[1]
        self.assertNotIn("logistics_secret", shop)
        self.assertTrue(shop["has_logistics_secret"])
        self.assertNotIn("signing_secret", shop["webhook"])
        self.assertEqual([s["sku_id"] for s in self.collect("/skus", "skus")], ["A1", "B2", "C3"])
        self.assertEqual([c["code"] for c in self.collect("/coupons", "coupons")], ["FLAT50", "SAVE10"])
        self.assertEqual([p["pincode"] for p in self.collect("/pincodes", "pincodes")],
                         ["110001", "560103"])
        r = self.server.admin("GET", "/deliveries?limit=1")
        self.assertStatus(r, 200)
        self.assertIn("next_cursor", r.json)
        r = self.server.admin("GET", "/skus?sort=name")
        self.assertStatus(r, 400)
        self.assertIn("sort", r.json["error"]["message"])

    def test_admin_times_are_epoch_seconds(self):
        now = time.time()
        o = self.search("?limit=1")["orders"][0]
        self.assertLess(abs(o["created"] - now), 600)
        for d in self.server.admin("GET", "/deliveries").json["deliveries"]:
            self.assertLess(abs(d["first_at"] - now), 600)
            self.assertLess(abs(d["next_at"] - now), 90000)

    def test_401_says_bearer(self):
        r = self.server.request("GET", "/admin/v1/orders")
        self.assertStatus(r, 401)
        self.assertTrue(r.header("WWW-Authenticate").startswith("Bearer"))
        r = self.server.request("GET", "/admin/v1/orders", headers={"Authorization": "Bearer wrong"})
        self.assertStatus(r, 401)
        self.assertTrue(r.header("WWW-Authenticate").startswith("Bearer"))
        self.assertNotEqual(ADMIN_TOKEN, "wrong")
