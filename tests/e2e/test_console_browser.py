"""The operator console at /admin/ (issue 15) in headless Chromium, as an
operator uses it: sign in with the admin token, read the dashboard, search
orders, open one, move it along SPEC §5, retry a failed delivery, adjust
stock, read merchants' settings, sign out. Also what a browser must not
allow: pages without a session, forms without the session's CSRF token,
cookies a script could read.

With APOTHECA_CONSOLE_SHOTS=DIR set, test_screenshots saves every page at
phone (412 px) and desktop (1280 px) widths into DIR (docs/console/ holds
the ones docs/console.md shows). The browser comes from
`scripts/install-deps.sh browser`; without it the tests skip unless
E2E_REQUIRE_BROWSER=1."""

import http.cookiejar
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import ServerTest, Merchant, ADMIN_TOKEN
from test_deliveries import db_exec, q, now_ms
from test_orders import sku, body, ADDRESS
from test_tracking_browser import CHROMIUM, CHROMEDRIVER, _missing, browser_or_skip

if _missing is None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

SPEC_MOVES = {180: {15, 100, 99}, 15: {100, 110, 120, 95, 99}, 100: {110, 99}, 110: {120, 100, 99},
              120: {130, 20, 99}, 20: {120, 99}, 130: {25}, 25: {30}, 30: {40, 45}, 45: {30, 99},
              40: {140}, 140: {141}, 141: {142}, 95: {99}}


def user(mobile, email, name="Asha"):
    return {"email": email, "mobile": mobile, "first_name": name, "last_name": "K", "address": ADDRESS}


class ConsoleInChromium(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.driver = None
        cls.profile = None
        super().setUpClass()
        s = cls.server
        cls.m = Merchant(s, "wellness", name="wellness_store", display_name="Wellness Store",
                         webhook={"signing_secret": "whsec-very-secret"},
                         payment_api={"base_url": "https://pay.example.com", "auth_header": "X-Key",
                                      "auth_value": "pay-secret-value", "aggregator": "EKACARE"},
                         charges=[{"type": "handling_fee", "display_text": "Handling", "amount": 25}])
        cls.m2 = Merchant(s, "citymeds", name="city_meds", key="other", display_name="City Meds")
        s.admin("PUT", "/pincodes/560103", {"serviceable": True, "eta_min_days": 2, "eta_max_days": 4})
        sku(s, "PARA500", price=30, mrp=35, stock=120)
        sku(s, "AMOX250", price=85, mrp=99, stock=40, rx=True)
        sku(s, "ORS200", price=20, mrp=22, stock=8)
        cls.orders = {}
        people = [("WS-1001", "9811100001", "asha@example.com", {"PARA500": 2}, 85, cls.m, "COD"),
                  ("WS-1002", "9811100002", "bala@example.com", {"ORS200": 3}, 85, cls.m, "COD"),
                  ("WS-1003", "9811100003", "chitra@example.com", {"PARA500": 1, "ORS200": 1}, 75, cls.m, "COD"),
                  ("WS-1004", "9811100004", "dev@example.com", {"PARA500": 1}, 55, cls.m, "ONLINE"),
                  ("CM-77", "7000000005", "esha@example.org", {"AMOX250": 1}, 85, cls.m2, "COD")]
        for ref, mobile, email, skus, payable, m, method in people:
            b = body(ref, skus, payable, method=method, user=user(mobile, email))
            if "AMOX250" in skus:
                b["prescriptions"] = ["https://rx.example.com/p/77.jpg"]
            r = s.request("POST", "/api/v4/merchants/%s/orders" % m.id, body=b, headers=m.headers())
            assert r.status == 200, r
            cls.orders[ref] = r.json["data"]["order_id"]
        # a delivered order and a cancelled one, for the dashboard
        for st in (120, 130, 25, 30, 40):
            assert s.admin("POST", "/orders/%s/status" % cls.orders["WS-1002"], {"status_id": st}).status == 200
        assert s.admin("POST", "/orders/%s/status" % cls.orders["WS-1003"], {"status_id": 99}).status == 200
        # a webhook parked as failed after 24 h of errors
        cls.failed_id = int(db_exec(s, (
            "INSERT INTO outbox (kind, merchant_id, order_key, event_type, payload, state, attempts, "
            "next_at, lease_until, first_at, last_error) VALUES ('webhook', 'citymeds', %s, 'order.status', "
            "'{}', 'failed', 31, %d, 0, %d, %s) RETURNING id"
            % (q(cls.orders["CM-77"]), now_ms(), now_ms() - 25 * 3600 * 1000,
               q("HTTP 503 from https://hooks.citymeds.example/apotheca")))))
        if _missing:
            return
        cls.profile = tempfile.mkdtemp(prefix="apotheca-console-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + cls.profile):
            opts.add_argument(flag)
        try:
            cls.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
            cls.driver.set_page_load_timeout(30)
            cls.driver.set_window_size(1280, 900)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.driver:
            cls.driver.quit()
        if cls.profile:
            shutil.rmtree(cls.profile, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        browser_or_skip(self)
        self.driver.delete_all_cookies()

    # helpers ---------------------------------------------------------------

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.server.port, path)

    def open(self, path):
        self.driver.get(self.url(path))

    def path(self):
        return urllib.parse.urlparse(self.driver.current_url).path

    def wait_path(self, path):
        WebDriverWait(self.driver, 10).until(lambda d: self.path() == path)

    def submit(self, form):
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def sign_in(self, token=ADMIN_TOKEN, start="/admin/"):
        self.open(start)
        self.wait_path("/admin/sign-in")
        field = self.driver.find_element(By.NAME, "token")
        self.assertEqual(field.get_attribute("type"), "password")
        field.send_keys(token)
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form[action='/admin/sign-in']"))

    def flash(self):
        return self.driver.find_element(By.CLASS_NAME, "flash").text

    def table_rows(self):
        return self.driver.find_elements(By.CSS_SELECTOR, "table tbody tr")

    # tests -----------------------------------------------------------------

    def test_every_page_needs_a_session(self):
        for path in ("/admin/", "/admin/orders", "/admin/orders/" + self.orders["WS-1001"],
                     "/admin/deliveries", "/admin/stock", "/admin/stock/PARA500", "/admin/merchants"):
            self.open(path)
            self.wait_path("/admin/sign-in")
        self.sign_in(token="not-the-token")
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "alert"))
        self.assertIn("not the admin token", self.driver.find_element(By.CLASS_NAME, "alert").text)
        self.assertEqual(self.driver.get_cookie("apotheca_session"), None)

    def test_sign_in_returns_to_the_page_asked_for_and_the_cookie_is_strict(self):
        self.sign_in(start="/admin/stock")
        self.wait_path("/admin/stock")
        c = self.driver.get_cookie("apotheca_session")
        self.assertTrue(c["httpOnly"])
        self.assertEqual(c["sameSite"], "Strict")
        self.assertGreater(c["expiry"], time.time() + 3600)
        self.assertLess(c["expiry"], time.time() + 24 * 3600)
        self.assertIsNone(self.driver.execute_script("return document.cookie.match(/apotheca_session/)"))

    def test_operator_searches_moves_retries_adjusts_and_signs_out(self):
        drv = self.driver
        self.sign_in()
        self.wait_path("/admin/")
        # dashboard: four inline-SVG charts, no script anywhere
        self.assertEqual(len(drv.find_elements(By.CSS_SELECTOR, "svg.chart")), 4)
        self.assertEqual(drv.find_elements(By.TAG_NAME, "script"), [])
        bars = [t.get_attribute("textContent") for t in drv.find_elements(By.CSS_SELECTOR, "svg.chart rect title")]
        self.assertTrue(any("Delivered" in t for t in bars), bars)
        self.assertTrue(any("Cancelled" in t for t in bars), bars)

        # search by phone prefix, then by email
        drv.find_element(By.LINK_TEXT, "Orders").click()
        self.wait_path("/admin/orders")
        drv.find_element(By.NAME, "q").send_keys("98111000")
        self.submit(drv.find_element(By.CSS_SELECTOR, "form.filters"))
        WebDriverWait(drv, 10).until(lambda d: "q=98111000" in d.current_url)
        found = {r.find_element(By.CSS_SELECTOR, "td a").text for r in self.table_rows()}
        self.assertEqual(found, {self.orders[k] for k in ("WS-1001", "WS-1002", "WS-1003", "WS-1004")})
        self.open("/admin/orders?q=ASHA%40example")
        self.assertEqual([r.find_element(By.CSS_SELECTOR, "td a").text for r in self.table_rows()],
                         [self.orders["WS-1001"]])
        csv_link = drv.find_element(By.PARTIAL_LINK_TEXT, "CSV").get_attribute("href")
        self.assertIn("/admin/orders.csv?q=ASHA%40example", csv_link)

        # open the order; the select offers exactly SPEC §5's moves from 15
        drv.find_element(By.LINK_TEXT, self.orders["WS-1001"]).click()
        self.wait_path("/admin/orders/" + self.orders["WS-1001"])
        select = Select(drv.find_element(By.NAME, "status_id"))
        offered = {int(o.get_attribute("value")) for o in select.options}
        self.assertEqual(offered, SPEC_MOVES[15])
        money = {dt.text: dd.text for dt, dd in zip(drv.find_elements(By.CSS_SELECTOR, "dl.kv dt"),
                                                    drv.find_elements(By.CSS_SELECTOR, "dl.kv dd"))}
        self.assertEqual(money["Payable"], "₹85.00")
        self.assertEqual(money["Collected"], "₹0.00")
        self.assertTrue(money["Due"].startswith("₹85.00"))
        select.select_by_value("120")
        drv.find_element(By.NAME, "note").send_keys("picked at the counter")
        self.submit(drv.find_element(By.CSS_SELECTOR, "form[action$='/status']"))
        WebDriverWait(drv, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "flash"))
        self.assertEqual(self.flash(), "Status changed.")
        self.assertIn("picked at the counter", drv.find_element(By.CSS_SELECTOR, "ol.timeline").text)
        self.assertEqual(self.server.admin("GET", "/orders/" + self.orders["WS-1001"]).json["status_id"], 120)
        offered = {int(o.get_attribute("value"))
                   for o in Select(drv.find_element(By.NAME, "status_id")).options}
        self.assertEqual(offered, SPEC_MOVES[120])
        # reload: the flash is shown once
        drv.refresh()
        self.assertEqual(drv.find_elements(By.CLASS_NAME, "flash"), [])

        # retry the failed delivery
        drv.find_element(By.LINK_TEXT, "Deliveries").click()
        self.wait_path("/admin/deliveries")
        row = drv.find_element(By.ID, "delivery-%d" % self.failed_id)
        self.assertIn("HTTP 503 from https://hooks.citymeds.example/apotheca", row.text)
        self.submit(row.find_element(By.TAG_NAME, "form"))
        WebDriverWait(drv, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "flash"))
        self.assertEqual(self.flash(), "Delivery queued again.")
        self.assertEqual(drv.find_elements(By.ID, "delivery-%d" % self.failed_id), [])
        d = self.server.admin("GET", "/deliveries?order_id=" + self.orders["CM-77"]).json["deliveries"]
        self.assertIn(d[0]["state"], ("pending", "done"))

        # adjust stock with a reason; the ledger shows it
        drv.find_element(By.LINK_TEXT, "Stock").click()
        self.wait_path("/admin/stock")
        drv.find_element(By.LINK_TEXT, "ORS200").click()
        self.wait_path("/admin/stock/ORS200")
        before = self.server.admin("GET", "/skus/ORS200").json["on_hand"]
        drv.find_element(By.NAME, "count").send_keys("-2")
        drv.find_element(By.NAME, "reason").send_keys("damaged in transit")
        self.submit(drv.find_element(By.CSS_SELECTOR, "form[action='/admin/stock/ORS200']"))
        WebDriverWait(drv, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "flash"))
        self.assertEqual(self.flash(), "Stock adjusted.")
        self.assertEqual(self.server.admin("GET", "/skus/ORS200").json["on_hand"], before - 2)
        first = self.table_rows()[0].text
        self.assertIn("damaged in transit", first)
        self.assertIn("-2", first)
        self.assertIn("operator", first)
        # a change that would go below the reserved units is refused, shown, and changes nothing
        drv.find_element(By.NAME, "count").send_keys("-100")
        drv.find_element(By.NAME, "reason").send_keys("typo")
        self.submit(drv.find_element(By.CSS_SELECTOR, "form[action='/admin/stock/ORS200']"))
        WebDriverWait(drv, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "alert"))
        self.assertEqual(self.server.admin("GET", "/skus/ORS200").json["on_hand"], before - 2)

        # merchants: settings, never a secret
        drv.find_element(By.LINK_TEXT, "Merchants").click()
        self.wait_path("/admin/merchants")
        text = drv.find_element(By.TAG_NAME, "body").text
        self.assertIn("Wellness Store", text)
        self.assertIn("https://pay.example.com", text)
        for secret in ("whsec-very-secret", "pay-secret-value", "logistics-secret-1"):
            self.assertNotIn(secret, drv.page_source)

        # sign out: the session is gone server-side too
        cookie = drv.get_cookie("apotheca_session")["value"]
        drv.find_element(By.CSS_SELECTOR, "form[action='/admin/sign-out'] button").click()
        self.wait_path("/admin/sign-in")
        self.assertIn("Signed out", drv.find_element(By.CLASS_NAME, "flash").text)
        r = self.server.request("GET", "/admin/", headers={"Cookie": "apotheca_session=" + cookie})
        self.assertStatus(r, 303)
        self.assertTrue(r.header("Location").startswith("/admin/sign-in"))

    def test_forms_without_the_sessions_csrf_token_change_nothing(self):
        self.sign_in()
        self.wait_path("/admin/")
        cookie = "apotheca_session=" + self.driver.get_cookie("apotheca_session")["value"]
        oid = self.orders["WS-1004"]
        for token in ("", "0" * 64):
            r = self.server.request("POST", "/admin/orders/%s/cancel" % oid,
                                    raw=("csrf=" + token).encode(),
                                    headers={"Cookie": cookie,
                                             "Content-Type": "application/x-www-form-urlencoded"})
            self.assertStatus(r, 403)
        self.assertEqual(self.server.admin("GET", "/orders/" + oid).json["status_id"], 180)
        # with it, the same request cancels
        self.open("/admin/orders/" + oid)
        self.submit(self.driver.find_element(By.CSS_SELECTOR, "form[action$='/cancel']"))
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "flash"))
        self.assertEqual(self.flash(), "Order cancelled.")
        self.assertEqual(self.server.admin("GET", "/orders/" + oid).json["status_id"], 99)

    def test_prescription_review_and_the_csv_of_a_search(self):
        oid = self.orders["CM-77"]
        self.assertStatus(self.server.admin("POST", "/orders/%s/status" % oid, {"status_id": 110}), 200)
        self.sign_in(start="/admin/orders/" + oid)
        self.wait_path("/admin/orders/" + oid)
        self.assertIn("https://rx.example.com/p/77.jpg", self.driver.find_element(By.TAG_NAME, "body").text)
        self.driver.find_element(By.CSS_SELECTOR, "button[name=approved][value=true]").click()
        WebDriverWait(self.driver, 10).until(lambda d: d.find_elements(By.CLASS_NAME, "flash"))
        self.assertEqual(self.flash(), "Prescription review recorded.")
        o = self.server.admin("GET", "/orders/" + oid).json
        self.assertEqual(o["status_id"], 120)
        self.assertEqual(o["prescriptions"][0]["status"], "Completed")
        # the CSV link answers the session's search as CSV (no bearer token needed)
        cookie = "apotheca_session=" + self.driver.get_cookie("apotheca_session")["value"]
        r = self.server.request("GET", "/admin/orders.csv?q=CM-77", headers={"Cookie": cookie})
        self.assertStatus(r, 200)
        self.assertTrue(r.header("Content-Type").startswith("text/csv"))
        lines = r.body.strip().split("\r\n")
        self.assertEqual(len(lines), 2)
        self.assertTrue(lines[1].startswith(oid + ","))
        self.assertStatus(self.server.request("GET", "/admin/orders.csv?q=CM-77"), 303)

    def test_phone_layout_does_not_scroll_sideways(self):
        self.sign_in()
        self.wait_path("/admin/")
        self.driver.set_window_size(412, 900)
        try:
            for path in ("/admin/", "/admin/orders", "/admin/orders/" + self.orders["CM-77"],
                         "/admin/deliveries", "/admin/stock/PARA500", "/admin/merchants"):
                self.open(path)
                width = self.driver.execute_script("return window.innerWidth")
                self.assertLessEqual(self.driver.execute_script(
                    "return document.documentElement.scrollWidth"), width, path)
        finally:
            self.driver.set_window_size(1280, 900)

    def seed_history(self):
        """Orders spread over the last two days and parked deliveries (for
        pictures worth looking at)."""
        s = self.server
        for n, err in enumerate(("HTTP 503 from https://hooks.citymeds.example/apotheca",
                                 "connect timeout after 5000 ms (hooks.citymeds.example:443)")):
            db_exec(s, "INSERT INTO outbox (kind, merchant_id, order_key, event_type, payload, state, "
                       "attempts, next_at, lease_until, first_at, last_error) VALUES ('webhook', 'citymeds', "
                       "%s, 'order.status', '{}', 'failed', %d, %d, 0, %d, %s)"
                       % (q(self.orders["CM-77"]), 30 + n, now_ms(), now_ms() - (25 + n) * 3600 * 1000, q(err)))
        now = int(time.time())
        for i in range(48):
            ref = "WS-2%03d" % i
            online = i % 5 == 4
            b = body(ref, {"PARA500": 1 + i % 3}, 30 * (1 + i % 3) + 25, method="ONLINE" if online else "COD",
                     user=user("98222%05d" % i, "buyer%d@example.com" % i))
            r = s.request("POST", "/api/v4/merchants/%s/orders" % self.m.id, body=b, headers=self.m.headers())
            assert r.status == 200, r
            oid = r.json["data"]["order_id"]
            if not online:
                moves = [(120, 130, 25, 30, 40), (99,), (120,), (120, 130), ()][i % 5]
                for st in moves:
                    assert s.admin("POST", "/orders/%s/status" % oid, {"status_id": st}).status == 200
            # 36 over the last two days, 12 over the twelve days before
            # (older first, so that the newest-first list reads down in time)
            j = 47 - i
            back = (j * 4700) % (47 * 3600) if j < 36 else 86400 * (j - 34) + 3600 * (j % 9)
            db_exec(s, "UPDATE orders SET created = %d WHERE order_id = %s" % (now - back, q(oid)))

    def test_screenshots(self):
        out = os.environ.get("APOTHECA_CONSOLE_SHOTS")
        if not out:
            self.skipTest("APOTHECA_CONSOLE_SHOTS is not set")
        os.makedirs(out, exist_ok=True)
        self.seed_history()
        pages = [("signin", "/admin/sign-in"), ("dashboard", "/admin/"), ("orders", "/admin/orders"),
                 ("order", "/admin/orders/" + self.orders["WS-1002"]), ("deliveries", "/admin/deliveries"),
                 ("stock", "/admin/stock"), ("sku", "/admin/stock/PARA500"), ("merchants", "/admin/merchants")]
        for width, label in ((412, "phone"), (1280, "desktop")):
            for name, path in pages:
                if name == "signin":
                    self.driver.delete_all_cookies()
                    self.driver.set_window_size(width, 900)
                    self.open(path)
                else:
                    if not self.driver.get_cookie("apotheca_session"):
                        self.sign_in()
                        self.wait_path("/admin/")
                    self.open(path)
                self.driver.set_window_size(width, 900)
                height = self.driver.execute_script("return document.documentElement.scrollHeight")
                self.driver.set_window_size(width, min(max(height, 600), 1800))
                self.assertTrue(self.driver.save_screenshot(os.path.join(out, "%s-%s.png" % (name, label))))
