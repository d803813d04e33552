"""The public tracking page (SPEC §6) in a real browser: headless Chromium
driven by Debian's python3-selenium and chromedriver, emulating a phone
(390 x 844 CSS pixels). It reads the status, timeline, carrier and item
count as a customer sees them, checks that nothing personal is on the page
and that a name with a <script> in it runs nothing, and saves a screenshot
to tests/e2e/artifacts/tracking.png.

The browser comes from `scripts/install-deps.sh browser` (make test runs
it). Without it the tests skip — unless E2E_REQUIRE_BROWSER=1 (set by the
Makefile), where a missing browser is a failure, never a silent skip."""

import os
import shutil
import tempfile
import unittest

from track_support import PERSONAL, TrackBase

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
HERE = os.path.dirname(os.path.abspath(__file__))
ARTIFACTS = os.path.join(HERE, "artifacts")
PHONE = {"width": 390, "height": 844, "pixelRatio": 2}

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
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


class TrackingPageInChromium(TrackBase):
    @classmethod
    def setUpClass(cls):
        cls.driver = None
        cls.profile = None
        super().setUpClass()
        if _missing:
            return
        cls.profile = tempfile.mkdtemp(prefix="apotheca-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--user-data-dir=" + cls.profile):
            opts.add_argument(flag)
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
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

    def open(self, path):
        self.driver.get("http://127.0.0.1:%d%s" % (self.server.port, path))

    def assertNoAlert(self):
        with self.assertRaises(NoAlertPresentException):
            self.driver.switch_to.alert.text

    def test_customer_sees_status_timeline_carrier_and_nothing_personal(self):
        d = self.create("browser-1", {"747985": 2, "9187": 1})
        for s in (120, 130):
            self.move(d["order_id"], s)
        self.move(d["order_id"], 25, delivery_partner_name="Delhivery", carrier_tracking_code="DL1")
        self.move(d["order_id"], 30)
        code = self.track("browser-1")["grouped_orders"][0]["shipment_detail"]["tracking_code"]

        self.open("/t/" + code)
        self.assertNoAlert()
        drv = self.driver
        self.assertEqual(drv.title, "Out for Delivery · Order tracking")
        self.assertEqual(drv.find_element(By.TAG_NAME, "h1").text, "Out for Delivery")
        steps = [li.find_element(By.CLASS_NAME, "t").text for li in drv.find_elements(By.CSS_SELECTOR, "ol li")]
        self.assertEqual(steps, ["Out for Delivery", "Shipped", "Packed", "Processing", "Order Placed"])
        for t in drv.find_elements(By.TAG_NAME, "time"):
            self.assertRegex(t.text, r"^\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC$")
        facts = {dt.text: dd.text for dt, dd in zip(drv.find_elements(By.TAG_NAME, "dt"),
                                                    drv.find_elements(By.TAG_NAME, "dd"))}
        self.assertEqual(facts["Carrier"], "Delhivery")
        self.assertEqual(facts["Carrier tracking number"], "DL1")
        self.assertEqual(facts["Items"], "3")
        self.assertRegex(facts["Estimated delivery"], r"\d{4}$")

        text = drv.find_element(By.TAG_NAME, "body").text
        source = drv.page_source
        for secret in PERSONAL + ["browser-1", d["order_id"]]:
            self.assertNotIn(secret, text)
            self.assertNotIn(secret, source)
        self.assertEqual(drv.find_elements(By.TAG_NAME, "script"), [])

        # Laid out for the phone: the viewport meta is honoured and nothing
        # scrolls sideways.
        self.assertEqual(drv.execute_script("return window.innerWidth"), PHONE["width"])
        self.assertLessEqual(drv.execute_script("return document.documentElement.scrollWidth"),
                             PHONE["width"])
        os.makedirs(ARTIFACTS, exist_ok=True)
        shot = os.path.join(ARTIFACTS, "tracking.png")
        self.assertTrue(drv.save_screenshot(shot))
        self.assertGreater(os.path.getsize(shot), 1000)

    def test_a_script_in_a_shown_value_stays_text(self):
        d = self.create("browser-2", {"747985": 1})
        for s in (120, 130):
            self.move(d["order_id"], s)
        self.move(d["order_id"], 25, delivery_partner_name="<script>alert(1)</script>Ekart",
                  carrier_tracking_code="<img src=x onerror=alert(2)>")
        code = self.track("browser-2")["grouped_orders"][0]["shipment_detail"]["tracking_code"]
        self.open("/t/" + code)
        self.assertNoAlert()
        drv = self.driver
        facts = {dt.text: dd.text for dt, dd in zip(drv.find_elements(By.TAG_NAME, "dt"),
                                                    drv.find_elements(By.TAG_NAME, "dd"))}
        self.assertEqual(facts["Carrier"], "<script>alert(1)</script>Ekart")
        self.assertEqual(facts["Carrier tracking number"], "<img src=x onerror=alert(2)>")
        self.assertEqual(drv.find_elements(By.TAG_NAME, "script"), [])
        self.assertEqual(drv.find_elements(By.TAG_NAME, "img"), [])
        self.assertIn("&lt;script&gt;", drv.page_source)

    def test_unknown_code_is_a_404_page(self):
        self.open("/t/zzzzzzzzzzzzzzzz")
        self.assertNoAlert()
        self.assertEqual(self.driver.find_element(By.TAG_NAME, "h1").text, "Tracking code not found")


if __name__ == "__main__":
    unittest.main()
