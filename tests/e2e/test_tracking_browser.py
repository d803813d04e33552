"""The public tracking page (SPEC §6) in a real browser: headless Chromium
driven by Debian's python3-selenium and chromedriver, at a phone's width
(412 CSS pixels, mobile emulation) and a desktop's (1280). For each kind of
order a customer may hold — in progress, out for delivery, delivered,
cancelled and refunded, waiting for a prescription — and for an unknown
code and the lookup form, it reads the page as a customer would: the
headline, the progress view (what happened, what comes next), the ETA, the
carrier's link, the shop's help contact, the refund; checks that nothing
personal or internal is on it, that nothing scrolls sideways, that a
<script> in a shown value runs nothing, and that the form works by itself.

Every page is saved as a full-page screenshot, NAME-phone.png and
NAME-desktop.png, into tests/e2e/artifacts/tracking/ — or into the
directory APOTHECA_SCREENSHOTS names (docs/tracking refreshes the
screenshots docs/api/track.md shows).

The browser comes from `scripts/install-deps.sh browser` (make test runs
it). Without it the tests skip — unless E2E_REQUIRE_BROWSER=1 (set by the
Makefile), where a missing browser is a failure, never a silent skip."""

import os
import re
import shutil
import tempfile
import unittest

from harness import ROOT
from track_support import PERSONAL, TrackBase

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HERE = os.path.dirname(os.path.abspath(__file__))
WIDTHS = {"phone": (412, 915, True), "desktop": (1280, 800, False)}
HELP = {"url": "https://help.sunrise.example/orders", "email": "care@sunrise.example",
        "phone": "+91 80 4000 1234"}
# Words of the status table that must never reach a customer's page.
INTERNAL = ["Awaiting Confirmation", "Processing", "Prescription Required", "Prescription Under Review",
            "Order Placed", "Order Cancelled", "As per Your Request"]

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    _missing = None
except ImportError as e:  # python3-selenium not installed
    _missing = "python3-selenium is not installed (%s)" % e
if _missing is None:
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            _missing = "%s is not installed" % path


def browser_or_skip(test):
    if _missing:
        if os.environ.get("E2E_REQUIRE_BROWSER") == "1":
            test.fail("E2E_REQUIRE_BROWSER=1 but " + _missing + "; run scripts/install-deps.sh browser")
        test.skipTest(_missing + " (scripts/install-deps.sh browser)")


def screenshot_dir():
    d = os.environ.get("APOTHECA_SCREENSHOTS")
    if d:
        return d if os.path.isabs(d) else os.path.join(ROOT, d)
    return os.path.join(HERE, "artifacts", "tracking")


class TrackingPageInChromium(TrackBase):
    @classmethod
    def setUpClass(cls):
        cls.driver = None
        cls.profile = None
        super().setUpClass()
        r = cls.server.admin("PATCH", "/merchants/trk", {"display_name": "Sunrise Pharmacy", "help": HELP})
        assert r.status == 200, r
        if _missing:
            return
        cls.profile = tempfile.mkdtemp(prefix="apotheca-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + cls.profile):
            opts.add_argument(flag)
        try:
            cls.driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
            cls.driver.set_page_load_timeout(30)
        except Exception:
            cls.tearDownClass()  # unittest does not when setUpClass fails
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

    # ---- the browser ----

    def emulate(self, width, height, mobile):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})

    def open(self, path, kind="phone"):
        width, height, mobile = WIDTHS[kind]
        self.emulate(width, height, mobile)
        self.driver.get("http://127.0.0.1:%d%s" % (self.server.port, path))
        self.assertNoAlert()
        # Laid out for the width: the viewport is honoured, nothing scrolls sideways.
        self.assertEqual(self.driver.execute_script("return window.innerWidth"), width)
        self.assertLessEqual(self.driver.execute_script("return document.documentElement.scrollWidth"), width)

    def shoot(self, path, name):
        """Both widths, full page, into screenshot_dir()."""
        os.makedirs(screenshot_dir(), exist_ok=True)
        for kind, (width, height, mobile) in WIDTHS.items():
            self.open(path, kind)
            full = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.emulate(width, max(height if mobile else 600, full), mobile)
            shot = os.path.join(screenshot_dir(), "%s-%s.png" % (name, kind))
            self.assertTrue(self.driver.save_screenshot(shot))
            self.assertGreater(os.path.getsize(shot), 1000)
        self.open(path)  # back to the phone for the assertions

    def assertNoAlert(self):
        with self.assertRaises(NoAlertPresentException):
            self.driver.switch_to.alert.text

    # ---- reading the page as a customer ----

    def text(self, css):
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def one(self, css):
        found = self.text(css)
        self.assertEqual(len(found), 1, "%s: %r" % (css, found))
        return found[0]

    def steps(self, css="ol.steps"):
        ol = self.driver.find_elements(By.CSS_SELECTOR, css)
        if not ol:
            return []
        return [(li.find_element(By.CLASS_NAME, "sl").text.split("\n")[0], li.get_attribute("class"))
                for li in ol[0].find_elements(By.TAG_NAME, "li")]

    def facts(self):
        d = self.driver
        return {dt.text: dd for dt, dd in zip(d.find_elements(By.TAG_NAME, "dt"), d.find_elements(By.TAG_NAME, "dd"))}

    def assertCustomerSafe(self, secrets=()):
        src = self.driver.page_source
        body = self.driver.find_element(By.TAG_NAME, "body").text
        for secret in PERSONAL + INTERNAL + list(secrets):
            self.assertNotIn(secret, body)
            self.assertNotIn(secret, src)
        self.assertEqual(self.driver.find_elements(By.TAG_NAME, "script"), [])
        for t in self.text("time"):
            if t:
                self.assertRegex(t, r"(IST| \d{4}|^\d{1,2} [A-Z][a-z]{2})$")
        self.assertIn("Times are in India Standard Time (IST, UTC+05:30).", body)

    def assertHelp(self):
        links = {a.text: a.get_attribute("href") for a in self.driver.find_elements(By.CSS_SELECTOR, ".contact a")}
        self.assertEqual(links, {"+91 80 4000 1234": "tel:+918040001234",
                                 "care@sunrise.example": "mailto:care@sunrise.example",
                                 "Help centre": HELP["url"]})
        self.assertEqual(self.one(".shop"), "Sunrise Pharmacy")

    # ---- orders ----

    def shipped(self, ref, partner, carrier_code, extra=()):
        d = self.create(ref, {"747985": 2, "9187": 1})
        for s in (120, 130):
            self.move(d["order_id"], s)
        self.move(d["order_id"], 25, delivery_partner_name=partner, carrier_tracking_code=carrier_code)
        for s in extra:
            self.move(d["order_id"], s)
        return d, self.code_of(ref)

    def code_of(self, ref):
        return self.track(ref)["grouped_orders"][0]["shipment_detail"]["tracking_code"]

    def test_in_progress(self):
        d, code = self.shipped("br-progress", "Blue Dart", "BD-77")
        self.shoot("/t/" + code, "in-progress")
        self.assertEqual(self.driver.title, "Shipped · Order tracking")
        self.assertEqual(self.one("h1"), "Shipped")
        self.assertEqual(self.one(".detail"), "Your parcel is on its way.")
        self.assertEqual(self.steps(), [("Order placed", "done"), ("Packed", "done"), ("Shipped", "current"),
                                        ("Out for delivery", "todo"), ("Delivered", "todo")])
        self.assertRegex(self.one(".eta"), r"^Estimated delivery\n.*\d{1,2} [A-Z][a-z]{2}$")
        facts = self.facts()
        link = facts["Carrier tracking number"].find_element(By.TAG_NAME, "a")
        self.assertEqual((link.text, link.get_attribute("href")),
                         ("BD-77", "https://www.bluedart.com/web/guest/trackdartresultthirdparty?trackFor=0&trackNo=BD-77"))
        self.assertEqual(facts["Items"].text, "3")
        self.assertHelp()
        self.assertCustomerSafe(["br-progress", d["order_id"], "275.11", "\u20b9"])

    def test_out_for_delivery(self):
        d, code = self.shipped("br-ofd", "Delhivery", "DL1", extra=(30,))
        self.shoot("/t/" + code, "out-for-delivery")
        self.assertEqual(self.one("h1"), "Out for delivery")
        self.assertEqual(self.one(".eta strong"), "Today")
        self.assertEqual([s for _, s in self.steps()], ["done", "done", "done", "current", "todo"])
        history = [li.find_element(By.CLASS_NAME, "t").text for li in
                   self.driver.find_elements(By.CSS_SELECTOR, "ol.history li")]
        self.assertEqual(history, ["Out for delivery", "Shipped", "Packed", "Preparing your order", "Order placed"])
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, "ol.history li")[0].get_attribute("class"), "now")
        link = self.facts()["Carrier tracking number"].find_element(By.TAG_NAME, "a")
        self.assertEqual(link.get_attribute("href"), "https://www.delhivery.com/track/package/DL1")
        self.assertCustomerSafe(["br-ofd", d["order_id"]])

    def test_delivered(self):
        d, code = self.shipped("br-delivered", "Ecom Express", "EC123", extra=(30, 40))
        self.shoot("/t/" + code, "delivered")
        self.assertEqual(self.one("h1"), "Delivered")
        self.assertRegex(self.one(".eta"), r"^Delivered on\n\d{1,2} [A-Z][a-z]{2} \d{4}, \d{1,2}:\d\d [AP]M IST$")
        self.assertEqual([s for _, s in self.steps()], ["done"] * 5)
        self.assertNotIn("Estimated delivery", self.driver.page_source)
        self.assertCustomerSafe(["br-delivered", d["order_id"]])

    def test_cancelled_and_refunded(self):
        skus = {"747985": 2, "9187": 1}
        d = self.create("br-refund", skus, method="ONLINE")
        payable = self.quote(skus)
        self.pay.set_transaction("br-refund", status="SUCCESS", amount=payable, transaction_id="TX-BR")
        r = self.server.request("PUT", "/api/v4/merchants/trk/orders/%s/confirm" % d["order_id"],
                                body={"order_id": d["order_id"], "merchant_order_id": "br-refund"},
                                headers=self.m.headers())
        self.assertStatus(r, 200)
        r = self.server.request("POST", "/api/v4/trk/order/cancel",
                                body={"order_id": d["order_id"], "reason": "customer changed mind", "agent_id": "a"},
                                headers=self.m.headers())
        self.assertStatus(r, 200)
        code = self.code_of("br-refund")

        def refunded():
            j = self.server.request("GET", "/t/%s.json" % code).json
            return j if j["refund"] and j["refund"]["state"] == "done" else None
        self.assertIsNotNone(self.wait_for(refunded), "the refund was not confirmed")
        self.shoot("/t/" + code, "cancelled-refunded")
        self.assertEqual(self.one("h1"), "Order cancelled")
        self.assertEqual(self.one(".hero > .pill"), "CANCELLED")  # shown upper-case by the stylesheet
        self.assertEqual(self.one(".detail"), "The order was cancelled at your request.")
        self.assertEqual(self.one(".amount"), "\u20b9%.2f" % payable)
        self.assertEqual(self.one(".money.ok .pill"), "REFUNDED")
        # No progress, nothing marked current under the red headline, no internal step.
        self.assertEqual(self.steps(), [])
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, ".current, .now, [aria-current]"), [])
        history = self.driver.find_elements(By.CSS_SELECTOR, "ol.history li")
        self.assertEqual([(li.find_element(By.CLASS_NAME, "t").text, li.get_attribute("class")) for li in history],
                         [("Order cancelled", "stop"), ("Order placed", "")])
        self.assertCustomerSafe(["br-refund", d["order_id"], "TX-BR", "changed mind", "Waiting for payment"])

    def test_awaiting_prescription(self):
        d = self.create("br-rx", {"RX42": 1, "747985": 1})
        code = self.code_of("br-rx")
        self.shoot("/t/" + code, "prescription-needed")
        self.assertEqual(self.one("h1"), "Prescription needed")
        self.assertEqual(self.one(".hero > .pill"), "ACTION NEEDED")
        self.assertIn("Please send a valid prescription to Sunrise Pharmacy", self.one(".detail"))
        self.assertEqual([s for _, s in self.steps()], ["current", "todo", "todo", "todo", "todo"])
        self.assertHelp()
        self.assertCustomerSafe(["br-rx", d["order_id"]])

    def test_unknown_code_and_the_form(self):
        _, code = self.shipped("br-form", "Xpressbees", "XB1", extra=(30,))
        self.shoot("/t/zzzzzzzzzzzzzzzz", "unknown-code")
        self.assertEqual(self.one("h1"), "Tracking code not found")
        box = self.driver.find_element(By.ID, "code")
        self.assertEqual(box.get_attribute("value"), "zzzzzzzzzzzzzzzz")
        # The form needs no script: type the code (here the whole link), press Track.
        box.clear()
        box.send_keys("http://127.0.0.1:%d/t/%s" % (self.server.port, code))
        self.driver.find_element(By.CSS_SELECTOR, "form.find button").click()
        self.assertArrives(code)

        self.shoot("/t/", "lookup-form")
        self.assertEqual(self.one("h1"), "Track your order")
        self.driver.find_element(By.ID, "code").send_keys(code)
        self.driver.find_element(By.CSS_SELECTOR, "form.find button").click()
        self.assertArrives(code)

    def assertArrives(self, code):
        """The form's answer (a redirect to the code's page) has loaded."""
        WebDriverWait(self.driver, 15).until(lambda d: d.current_url.endswith("/t/" + code))
        WebDriverWait(self.driver, 15).until(
            lambda d: [e.text for e in d.find_elements(By.TAG_NAME, "h1")] == ["Out for delivery"])

    def test_a_script_in_a_shown_value_stays_text(self):
        _, code = self.shipped("br-xss", "<script>alert(1)</script>Ekart", "<img src=x onerror=alert(2)>")
        self.open("/t/" + code)
        facts = self.facts()
        self.assertEqual(facts["Carrier"].text, "<script>alert(1)</script>Ekart")
        self.assertEqual(facts["Carrier tracking number"].text, "<img src=x onerror=alert(2)>")
        self.assertEqual(self.driver.find_elements(By.TAG_NAME, "script"), [])
        self.assertEqual(self.driver.find_elements(By.TAG_NAME, "img"), [])
        self.assertIn("&lt;script&gt;", self.driver.page_source)
        self.assertTrue(re.search(r"<h1>Shipped</h1>", self.driver.page_source))


if __name__ == "__main__":
    unittest.main()
