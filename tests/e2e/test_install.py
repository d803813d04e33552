"""`make install PREFIX=...` lays out a service: the binary, a systemd unit
that runs it from PREFIX (checked by systemd-analyze when present), the
example environment file and the docs."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from harness import BINARY, ROOT


class Install(unittest.TestCase):
    def test_make_install_into_a_prefix(self):
        top = tempfile.mkdtemp(prefix="apotheca-install-")
        self.addCleanup(shutil.rmtree, top, ignore_errors=True)
        prefix = os.path.join(top, "usr", "local")
        build = os.path.relpath(os.path.dirname(os.path.abspath(BINARY)), ROOT)
        # -o: install the binary under test as it is, without rebuilding it.
        out = subprocess.run(["make", "-s", "-o", os.path.join(build, "apotheca"), "install",
                              "PREFIX=" + prefix, "B=" + build], cwd=ROOT, capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
        binary = os.path.join(prefix, "bin", "apotheca")
        unit = os.path.join(prefix, "lib", "systemd", "system", "apotheca.service")
        doc = os.path.join(prefix, "share", "doc", "apotheca")
        for f in (binary, unit, os.path.join(doc, "apotheca.env.example"), os.path.join(doc, "README.md"),
                  os.path.join(doc, "openapi.json")):
            self.assertTrue(os.path.isfile(f), f)
        self.assertTrue(os.access(binary, os.X_OK))
        v = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(v.returncode, 0)
        self.assertTrue(v.stdout.startswith("apotheca "))
        text = open(unit).read()
        self.assertIn("ExecStart=%s serve" % binary, text)
        self.assertIn("EnvironmentFile=/etc/apotheca/apotheca.env", text)
        self.assertNotIn("@", re.sub(r"(?m)^#.*$", "", text))
        # Every variable the example sets or mentions is one serve reads.
        env = open(os.path.join(doc, "apotheca.env.example")).read()
        serve_help = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout
        for name in set(re.findall(r"APOTHECA_[A-Z_]+", env)):
            self.assertIn(name, serve_help)
        analyze = shutil.which("systemd-analyze")
        if analyze:
            r = subprocess.run([analyze, "verify", unit], capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
