#!/usr/bin/env python3
"""Order search at scale: fills a scratch database with N orders (default a
million) in one INSERT ... SELECT, starts the server on it, and times the
admin search (GET /admin/v1/orders) for each kind of filter and the CSV
export, as an operator would hit them. Prints a Markdown table.

    scripts/search-bench.py [--binary build/apotheca] [--orders 1000000]
                            [--backend sqlite|postgres] [--runs 15]

PostgreSQL runs on a throw-away cluster from scripts/pg-test.sh. Nothing
here is a test: it reports numbers (docs/BENCHMARKS.md)."""

import argparse
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKEN = "bench-admin-token"
MERCHANTS = 10

SQLITE_FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n})
INSERT INTO orders (order_id, hex_id, merchant_id, merchant_order_id, dialect, payment_method,
                    status_id, payable, flagged, user_json, created, updated, status_changed)
SELECT printf('PO%014d', i), printf('%024x', i), 'm' || (i % {m}), 'REF-' || i, 'pharmacy',
       CASE WHEN i % 3 = 0 THEN 'ONLINE' ELSE 'COD' END,
       CASE i % 7 WHEN 0 THEN 99 WHEN 1 THEN 40 WHEN 2 THEN 120 ELSE 15 END,
       10000 + i % 5000, CASE WHEN i % 997 = 0 THEN 'amount mismatch' END,
       json_object('mobile', printf('9%09d', (i * 7919) % 1000000000),
                   'email', 'User' || i || '@example.com', 'first_name', 'A'),
       {now} - ({n} - i) * 3, {now} - ({n} - i) * 3, {now} - ({n} - i) * 3
FROM n
"""

PG_FILL = """
INSERT INTO orders (order_id, hex_id, merchant_id, merchant_order_id, dialect, payment_method,
                    status_id, payable, flagged, user_json, created, updated, status_changed)
SELECT 'PO' || lpad(i::text, 14, '0'), lpad(to_hex(i), 24, '0'), 'm' || (i % {m}), 'REF-' || i,
       'pharmacy', CASE WHEN i % 3 = 0 THEN 'ONLINE' ELSE 'COD' END,
       CASE i % 7 WHEN 0 THEN 99 WHEN 1 THEN 40 WHEN 2 THEN 120 ELSE 15 END,
       10000 + i % 5000, CASE WHEN i % 997 = 0 THEN 'amount mismatch' END,
       json_build_object('mobile', '9' || lpad(((i::bigint * 7919) % 1000000000)::text, 9, '0'),
                         'email', 'User' || i || '@example.com', 'first_name', 'A')::text,
       {now} - ({n} - i) * 3, {now} - ({n} - i) * 3, {now} - ({n} - i) * 3
FROM generate_series(1, {n}) AS i;
ANALYZE orders;
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 headers={"Authorization": "Bearer " + TOKEN})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=600) as r:
        body = r.read()
        status = r.status
    return (time.perf_counter() - t) * 1000, status, body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "apotheca"))
    ap.add_argument("--orders", type=int, default=1000000)
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    n, now = args.orders, int(time.time())
    work = tempfile.mkdtemp(prefix="apotheca-search-bench-")
    cluster = None
    server = None
    try:
        if args.backend == "sqlite":
            db = os.path.join(work, "bench.db")
        else:
            out = subprocess.run([os.path.join(ROOT, "scripts", "pg-test.sh"), "start"], check=True,
                                 capture_output=True, text=True).stdout.split()
            cluster, sock, pgport = out[0], out[1], out[2]
            psql = ["psql", "-X", "-q", "-h", sock, "-p", pgport, "-U", "postgres"]
            subprocess.run(psql + ["-c", "CREATE DATABASE bench"], check=True)
            db = "postgresql://postgres@/bench?host=%s&port=%s" % (urllib.parse.quote(sock, safe=""), pgport)
        env = dict(os.environ, APOTHECA_DB=db, APOTHECA_ADMIN_TOKEN=TOKEN)
        subprocess.run([args.binary, "migrate"], env=env, check=True, capture_output=True)
        merchants = ";".join("INSERT INTO merchants (id, name, created, updated) VALUES ('m%d', 'shop%d', 0, 0)"
                             % (i, i) for i in range(MERCHANTS))
        t = time.perf_counter()
        if args.backend == "sqlite":
            con = sqlite3.connect(db)
            con.executescript(merchants + ";")
            con.execute(SQLITE_FILL.format(n=n, m=MERCHANTS, now=now))
            con.commit()
            con.execute("ANALYZE")
            con.close()
        else:
            subprocess.run(psql + ["-d", "bench", "-c", merchants + ";" + PG_FILL.format(n=n, m=MERCHANTS, now=now)],
                           check=True)
        fill_s = time.perf_counter() - t
        port = free_port()
        env["APOTHECA_LISTEN"] = "127.0.0.1:%d" % port
        server = subprocess.Popen([args.binary, "serve"], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                get(port, "/admin/v1/orders?limit=1")
                break
            except OSError:
                time.sleep(0.05)
        mid = n // 2
        mobile = "9%09d" % ((mid * 7919) % 1000000000)
        cases = [
            ("q = an order id", "?q=PO%014d" % mid),
            ("q = a merchant reference", "?q=REF-%d" % mid),
            ("q = a phone number", "?q=" + mobile),
            ("q = an email, other case", "?q=user%d%%40EXAMPLE.com" % mid),
            ("q = an email prefix (11 matches)", "?q=user%d" % (mid // 10)),
            ("q = a phone prefix (1 in 10,000 orders)", "?q=" + mobile[:5]),
            ("q = a phone prefix (1 in 100 orders)", "?q=" + mobile[:3]),
            ("q = a phone prefix (1 in 10 orders)", "?q=" + mobile[:2]),
            ("merchant_id + status_id", "?merchant_id=m3&status_id=99"),
            ("flagged=true", "?flagged=true"),
            ("created in the last hour", "?created_from=%d" % (now - 3600)),
            ("created in a day a month ago", "?created_from=%d&created_to=%d" % (now - 30 * 86400, now - 29 * 86400)),
            ("no filter, first page", ""),
            ("no filter, page 100 (cursor)", None),
        ]
        print("%s, %d orders (filled in %.0f s); median of %d runs, limit=50\n"
              % (args.backend, n, fill_s, args.runs))
        print("| search | median ms | max ms | rows |")
        print("|---|---|---|---|")
        for name, query in cases:
            if query is None:
                import json
                cursor = None
                for _ in range(99):
                    _, _, body = get(port, "/admin/v1/orders" + ("?cursor=" + cursor if cursor else ""))
                    cursor = json.loads(body)["next_cursor"]
                query = "?cursor=" + cursor
            times, rows = [], 0
            for _ in range(args.runs):
                ms, status, body = get(port, "/admin/v1/orders" + query)
                assert status == 200, (query, status)
                times.append(ms)
                rows = body.count(b'"order_id"')
            print("| %s | %.1f | %.1f | %d |" % (name, statistics.median(times), max(times), rows))
        for name, query in (("CSV, merchant_id=m3", "?merchant_id=m3"),):
            ms, status, body = get(port, "/admin/v1/orders.csv" + query)
            lines = body.count(b"\r\n") - 1
            print("\n%s: %d rows, %.1f MB in %.1f s (%.0f rows/s)"
                  % (name, lines, len(body) / 1e6, ms / 1000, lines / (ms / 1000)))
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        if cluster:
            subprocess.run([os.path.join(ROOT, "scripts", "pg-test.sh"), "stop", cluster], check=False)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
