#!/usr/bin/python3
"""Runs the outside-in suite against one backend and prints a closing
'N passed, N failed' line. For PostgreSQL it starts a throw-away cluster
(scripts/pg-test.sh) and stops it afterwards."""

import argparse
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "apotheca"))
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("-k", "--pattern", default="test_*.py", help="test file glob")
    ap.add_argument("names", nargs="*", help="test names (module.Class.test)")
    args = ap.parse_args()

    os.environ["E2E_BINARY"] = os.path.abspath(args.binary)
    os.environ["E2E_BACKEND"] = args.backend
    cluster = None
    if args.backend == "postgres":
        out = subprocess.run([os.path.join(ROOT, "scripts", "pg-test.sh"), "start"], check=True,
                             capture_output=True, text=True).stdout.split()
        cluster = out[0]
        os.environ["E2E_PG_HOST"] = out[1]
        os.environ["E2E_PG_PORT"] = out[2]
        os.environ["E2E_PG_DATA"] = cluster
    sys.path.insert(0, HERE)
    try:
        loader = unittest.TestLoader()
        if args.names:
            suite = loader.loadTestsFromNames(args.names)
        else:
            suite = loader.discover(HERE, pattern=args.pattern, top_level_dir=HERE)
        result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    finally:
        import harness
        harness.cleanup()
        if cluster:
            subprocess.run([os.path.join(ROOT, "scripts", "pg-test.sh"), "stop", cluster])
    failed = len(result.failures) + len(result.errors)
    print("e2e %s: %d passed, %d failed, %d skipped" % (
        args.backend, result.testsRun - failed - len(result.skipped), failed, len(result.skipped)))
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
