"""README.md works as pasted: every ```sh block, in order, run by bash as
written against a server started the way `make run` starts it
(scripts/run-demo.sh: demo data, then `apotheca serve --sandbox`).

The one change made to the text is the port: the blocks say 8080, the test
serves on a free port and rewrites "127.0.0.1:8080" to it. Each block runs
with `set -euo pipefail`, and the README's curl lines use --fail-with-body,
so any 4xx/5xx answer or failing command fails the test."""

import os
import re
import signal
import subprocess
import time
import unittest

from harness import BACKEND, BINARY, ROOT, free_port, new_database, request, scratch_dir

README = os.path.join(ROOT, "README.md")
SCRIPT_TIMEOUT_S = 180


def shell_blocks(text):
    return re.findall(r"^```sh\n(.*?)^```", text, flags=re.S | re.M)


class Readme(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = scratch_dir("readme-")
        # The checkout as run-demo.sh and the README see it: build/, scripts/.
        os.symlink(os.path.dirname(os.path.abspath(BINARY)), os.path.join(cls.dir, "build"))
        os.symlink(os.path.join(ROOT, "scripts"), os.path.join(cls.dir, "scripts"))
        cls.port = free_port()
        cls.env = {k: v for k, v in os.environ.items() if not k.startswith("APOTHECA_")}
        cls.env.update({"APOTHECA_LISTEN": "127.0.0.1:%d" % cls.port, "B": "build",
                        "APOTHECA_DB": new_database() if BACKEND == "postgres"
                        else os.path.join(cls.dir, "apotheca.db")})
        cls.log = open(os.path.join(cls.dir, "server.log"), "wb")
        cls.proc = subprocess.Popen([os.path.join(cls.dir, "scripts", "run-demo.sh")], cwd=cls.dir,
                                    env=cls.env, stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if cls.proc.poll() is not None:
                raise RuntimeError("run-demo.sh exited: " + cls.log_text())
            try:
                if request(cls.port, "GET", "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("server did not start: " + cls.log_text())

    @classmethod
    def tearDownClass(cls):
        if cls.proc.poll() is None:
            cls.proc.send_signal(signal.SIGTERM)
            try:
                cls.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
        cls.log.close()

    @classmethod
    def log_text(cls):
        with open(os.path.join(cls.dir, "server.log"), "rb") as f:
            return f.read()[-4000:].decode("utf-8", "replace")

    def test_every_shell_block_works_as_pasted(self):
        with open(README) as f:
            blocks = shell_blocks(f.read())
        self.assertGreaterEqual(len(blocks), 8)
        script = "set -euo pipefail\n" + "\n".join(blocks)
        script = script.replace("127.0.0.1:8080", "127.0.0.1:%d" % self.port)
        out = subprocess.run(["bash", "-c", script], cwd=self.dir, env=self.env, capture_output=True,
                             text=True, timeout=SCRIPT_TIMEOUT_S)
        self.assertEqual(out.returncode, 0, "README failed:\n%s\n%s\nserver:\n%s" % (
            out.stdout[-3000:], out.stderr[-3000:], self.log_text()))
        text = out.stdout
        self.assertIn("632.8", text)                              # the seed price
        self.assertRegex(text, r"COD order PO\d{14}")
        self.assertIn('"refund_id"', text)                        # partial cancel refunded
        self.assertRegex(text, r'"state": "done"')                # ... and the sandbox said SUCCESS
        self.assertIn('"signature_valid": true', text)            # signed webhooks arrived
        self.assertNotIn('"signature_valid": false', text)
        self.assertRegex(text, r"<h1>[^<]+</h1>")                 # the tracking page
        self.assertIn('"tracking_code"', text)                    # logistics confirm
        self.assertRegex(text, r"(?m)^40$")                       # delivered


if __name__ == "__main__":
    unittest.main()
