/*
 * Baseline for `make bench`: the naive durable-write rate of this machine
 * with SQLite — one connection, WAL, synchronous=FULL, each transaction one
 * order row and three item rows, committed on its own. apotheca's create
 * order is compared against this number. Not part of the server.
 *
 *   raw_sqlite DBFILE SECONDS   prints "<transactions> <seconds> <per second>"
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define RAW_ITEMS_PER_ORDER 3
#define RAW_MAX_SECONDS 120

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int exec_or_die(sqlite3 *db, const char *sql)
{
	char *err = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "raw_sqlite: %s: %s\n", sql, err ? err : "?");
		sqlite3_free(err);
		exit(1);
	}
	return 0;
}

static void step_reset(sqlite3_stmt *st)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		fprintf(stderr, "raw_sqlite: step failed\n");
		exit(1);
	}
	sqlite3_reset(st);
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *order, *item;
	double start, secs;
	long n = 0, limit;

	if (argc != 3 || (limit = strtol(argv[2], NULL, 10)) <= 0 || limit > RAW_MAX_SECONDS) {
		fprintf(stderr, "usage: raw_sqlite DBFILE SECONDS (1..%d)\n", RAW_MAX_SECONDS);
		return 2;
	}
	if (sqlite3_open(argv[1], &db) != SQLITE_OK)
		return 1;
	exec_or_die(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			"CREATE TABLE IF NOT EXISTS orders(id INTEGER PRIMARY KEY, ref TEXT UNIQUE,"
			" amount INTEGER, status INTEGER, created INTEGER);"
			"CREATE TABLE IF NOT EXISTS items(order_id INTEGER, sku TEXT, qty INTEGER,"
			" price INTEGER)");
	sqlite3_prepare_v2(db, "INSERT INTO orders(ref, amount, status, created) VALUES(?,12900,15,?)",
			   -1, &order, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO items VALUES(?,?,1,3000)", -1, &item, NULL);
	start = now_s();
	while ((secs = now_s() - start) < (double)limit) {
		char ref[32];
		snprintf(ref, sizeof(ref), "raw-%ld-%ld", (long)start, n);
		exec_or_die(db, "BEGIN IMMEDIATE");
		sqlite3_bind_text(order, 1, ref, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(order, 2, (sqlite3_int64)time(NULL));
		step_reset(order);
		sqlite3_int64 id = sqlite3_last_insert_rowid(db);
		for (int i = 0; i < RAW_ITEMS_PER_ORDER; i++) {
			sqlite3_bind_int64(item, 1, id);
			sqlite3_bind_text(item, 2, i == 0 ? "A" : i == 1 ? "B" : "C", -1, SQLITE_STATIC);
			step_reset(item);
		}
		exec_or_die(db, "COMMIT");
		n++;
	}
	sqlite3_finalize(order);
	sqlite3_finalize(item);
	sqlite3_close(db);
	printf("%ld %.2f %.0f\n", n, secs, (double)n / secs);
	return 0;
}
