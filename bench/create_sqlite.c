/*
 * Companion of `make bench`'s SQLite create scenario: the statements one
 * apotheca COD create (one of the 100 bench SKUs) writes, run straight
 * from C on the database file the bench server used (its schema, indexes,
 * triggers and foreign keys), several creates per COMMIT as the server's
 * group commit does. apotheca's create against this rate is what the
 * server adds to the database's own work. Not part of the server.
 *
 *   create_sqlite DBFILE SECONDS PER_COMMIT
 *   prints "<creates> <seconds> <per second>"
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CREATE_MAX_SECONDS 120
#define CREATE_MAX_PER_COMMIT 64
#define CREATE_BENCH_SKUS 100

enum { S_ORDER, S_LINE, S_CHARGE, S_HISTORY, S_LEDGER, S_RESERVE, S_COUNT };

static const char *const sql[S_COUNT] = {
    [S_ORDER] =
	"INSERT INTO orders (order_id, hex_id, merchant_id, merchant_order_id, dialect,"
	" request_hash, response, payment_method, status_id, ever_confirmed, mrp_total,"
	" offered_total, discount_total, vas_total, shipping, payable, user_json,"
	" address_json, pincode, eta_from, eta_to, tracking_code, created, updated,"
	" status_changed) VALUES (?1, ?2, 'demo', ?3, 'pharmacy', ?4, ?5, 'COD', 15, 1,"
	" 4000, 3000, 0, 9900, 0, 12900, '{\"email\":\"a@example.com\",\"mobile\":"
	"\"9611002324\",\"first_name\":\"A\",\"last_name\":\"B\",\"address\":{\"pincode\":"
	"\"560103\",\"contact_number\":\"9611002324\",\"name\":\"A B\",\"street1\":\"x\","
	"\"street2\":\"\",\"type\":\"home\"}}', '{\"pincode\":\"560103\",\"contact_number\":"
	"\"9611002324\",\"name\":\"A B\",\"street1\":\"x\",\"street2\":\"\",\"type\":\"home\"}',"
	" '560103', ?6, ?6 + 172800, ?7, ?6, ?6, ?6)",
    [S_LINE] = "INSERT INTO order_lines (oid, pos, pid, sku_id, name, qty, cancelled_qty,"
	       " reserved_qty, mrp, offered, discounted, rx_required, pack_size_label, sku_type)"
	       " SELECT ?1, 0, pid, sku_id, name, 1, 0, 1, 4000, 3000, 3000, 0, 'strip', 'otc'"
	       " FROM products WHERE merchant_id = '' AND sku_id = ?2 RETURNING pid",
    [S_CHARGE] = "INSERT INTO order_charges (oid, pos, type, display_text, amount)"
		 " VALUES (?1, 0, 'handling_fee', 'REDISTRIBUTIONTEST', 9900)",
    [S_HISTORY] = "INSERT INTO order_history (oid, from_status, to_status, actor, note, at)"
		  " VALUES (?1, NULL, 15, 'merchant', NULL, ?2)",
    [S_LEDGER] = "INSERT INTO stock_ledger (pid, delta_on_hand, delta_reserved, reason,"
		 " order_id, at) VALUES (?1, 0, 1, 'reserve', ?2, ?3)",
    [S_RESERVE] = "UPDATE products SET reserved = reserved + 1, last_movement = ?2"
		  " WHERE pid = ?1 AND merchant_id = '' AND on_hand - reserved >= 1",
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(sqlite3 *db, const char *what)
{
	fprintf(stderr, "create_sqlite: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec_or_die(sqlite3 *db, const char *text)
{
	if (sqlite3_exec(db, text, NULL, NULL, NULL) != SQLITE_OK)
		die(db, text);
}

/* Steps st to its end; the first column of its row, if it returned one. */
static sqlite3_int64 run(sqlite3 *db, sqlite3_stmt *st)
{
	sqlite3_int64 got = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		got = sqlite3_column_int64(st, 0);
	if (rc != SQLITE_DONE)
		die(db, sqlite3_sql(st));
	sqlite3_reset(st);
	return got;
}

/* One create, as the server writes it; n numbers its ids. */
static void create(sqlite3 *db, sqlite3_stmt **st, long long n)
{
	char order_id[24], hex_id[32], ref[40], hash[72], answer[128], code[24], sku[16];
	sqlite3_int64 now = (sqlite3_int64)time(NULL);
	snprintf(order_id, sizeof(order_id), "PO8%013lld", n);
	snprintf(hex_id, sizeof(hex_id), "%024llx", n);
	snprintf(ref, sizeof(ref), "raw-create-%lld", n);
	snprintf(hash, sizeof(hash), "%064llx", n);
	snprintf(answer, sizeof(answer), "{\"order_id\":\"%s\",\"merchant_order_id\":\"%s\"}",
		 order_id, ref);
	snprintf(code, sizeof(code), "r%015lld", n);
	snprintf(sku, sizeof(sku), "BENCH%lld", n % CREATE_BENCH_SKUS + 1);

	sqlite3_bind_text(st[S_ORDER], 1, order_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[S_ORDER], 2, hex_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[S_ORDER], 3, ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[S_ORDER], 4, hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st[S_ORDER], 5, answer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st[S_ORDER], 6, now);
	sqlite3_bind_text(st[S_ORDER], 7, code, -1, SQLITE_STATIC);
	run(db, st[S_ORDER]);
	sqlite3_int64 oid = sqlite3_last_insert_rowid(db);

	sqlite3_bind_int64(st[S_LINE], 1, oid);
	sqlite3_bind_text(st[S_LINE], 2, sku, -1, SQLITE_STATIC);
	sqlite3_int64 pid = run(db, st[S_LINE]);
	sqlite3_bind_int64(st[S_CHARGE], 1, oid);
	run(db, st[S_CHARGE]);
	sqlite3_bind_int64(st[S_HISTORY], 1, oid);
	sqlite3_bind_int64(st[S_HISTORY], 2, now);
	run(db, st[S_HISTORY]);
	sqlite3_bind_int64(st[S_LEDGER], 1, pid);
	sqlite3_bind_text(st[S_LEDGER], 2, order_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st[S_LEDGER], 3, now);
	run(db, st[S_LEDGER]);
	sqlite3_bind_int64(st[S_RESERVE], 1, pid);
	sqlite3_bind_int64(st[S_RESERVE], 2, now);
	run(db, st[S_RESERVE]);
	if (sqlite3_changes(db) != 1)
		die(db, "stock reservation changed no row");
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	long limit, per_commit;
	long long n = 0;
	double start, secs;

	if (argc != 4 || (limit = strtol(argv[2], NULL, 10)) <= 0 || limit > CREATE_MAX_SECONDS ||
	    (per_commit = strtol(argv[3], NULL, 10)) <= 0 || per_commit > CREATE_MAX_PER_COMMIT) {
		fprintf(stderr, "usage: create_sqlite DBFILE SECONDS (1..%d) PER_COMMIT (1..%d)\n",
			CREATE_MAX_SECONDS, CREATE_MAX_PER_COMMIT);
		return 2;
	}
	if (sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		die(db, "open");
	sqlite3_busy_timeout(db, 10000);
	exec_or_die(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON");
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v2(db, sql[i], -1, &st[i], NULL) != SQLITE_OK)
			die(db, sql[i]);
	/* Ids above every order already there, so none collides. */
	sqlite3_stmt *top;
	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(oid), 0) FROM orders", -1, &top, NULL) !=
	    SQLITE_OK)
		die(db, "max oid");
	long long base = run(db, top) * 1000;
	sqlite3_finalize(top);

	start = now_s();
	while ((secs = now_s() - start) < (double)limit) {
		exec_or_die(db, "BEGIN IMMEDIATE");
		for (long i = 0; i < per_commit; i++)
			create(db, st, base + n++);
		exec_or_die(db, "COMMIT");
	}
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(st[i]);
	sqlite3_close(db);
	printf("%lld %.2f %.0f\n", n, secs, (double)n / secs);
	return 0;
}
