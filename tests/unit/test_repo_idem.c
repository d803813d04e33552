/*
 * Idempotency keys in storage (src/store/repo_idem.c): the sweeper's purge
 * forgets exactly the answered keys older than its bound, and finds them
 * by index — with thousands of keys on record it steps over no row of a
 * full table scan (SQLite's own count, store_sqlite_fullscan_steps()).
 */
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "t_store.h"
#include "store/repo_idem.h"
#include "base/banned.h"

#define T_KEYS 3000
#define T_NOW 1800000000
#define T_DAY 86400

static struct store_sql q_count = {.sql = "SELECT count(*) FROM idempotency_keys"};
static struct store_sql q_count_state = {
    .sql = "SELECT count(*) FROM idempotency_keys WHERE state = ? AND created < ?"};

static int64_t count(struct store_conn *c, struct store_sql *q, const struct store_val *args,
		     size_t n)
{
	int64_t v = -1;
	CHECK_INT(store_query_int(c, q, args, n, &v), APO_OK);
	return v;
}

/* Key i: a third answered two days ago and more, a third answered today, a third still running from long ago. */
static void add_keys(struct store_conn *c)
{
	struct idem_found found;
	char key[32];
	int bad = 0;
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	for (int i = 0; i < T_KEYS; i++) {
		struct idem_key k = {"m1", "POST", "/orders", key};
		int64_t created = i % 3 == 1 ? T_NOW - 3600 : T_NOW - 3 * T_DAY - i;
		snprintf(key, sizeof(key), "key-%d", i);
		memset(&found, 0, sizeof(found));
		if (idem_claim(c, &k, "hash", created, 60, &found) != APO_OK)
			bad++;
		if (i % 3 != 2 && idem_store(c, &k, 200, "{}") != APO_OK)
			bad++;
	}
	CHECK_INT(store_commit(c), APO_OK);
	CHECK_INT(bad, 0);
}

static void test_purge_forgets_old_answers_by_index(struct store_conn *c)
{
	struct store_val old_done[] = {SV_TEXT("done"), SV_INT(T_NOW - 2 * T_DAY)};
	struct store_val old_running[] = {SV_TEXT("running"), SV_INT(T_NOW - 2 * T_DAY)};
	add_keys(c);
	CHECK_INT(count(c, &q_count, NULL, 0), T_KEYS);
	CHECK_INT(count(c, &q_count_state, old_done, 2), T_KEYS / 3);
	uint64_t before = store_sqlite_fullscan_steps();
	CHECK_INT(idem_purge(c, T_NOW - 2 * T_DAY), APO_OK);
	CHECK_INT((int64_t)(store_sqlite_fullscan_steps() - before), 0);
	CHECK_INT(count(c, &q_count_state, old_done, 2), 0);
	/* Today's answers and the old keys never answered stay. */
	CHECK_INT(count(c, &q_count, NULL, 0), 2 * T_KEYS / 3);
	CHECK_INT(count(c, &q_count_state, old_running, 2), T_KEYS / 3);
}

/* The count sees a full scan, so the check above could fail. */
static void test_full_scans_are_counted(struct store_conn *c)
{
	struct store_sql q_scan = {.sql = "SELECT count(*) FROM idempotency_keys WHERE body = '{}'"};
	uint64_t before = store_sqlite_fullscan_steps();
	CHECK_INT(count(c, &q_scan, NULL, 0), T_KEYS / 3);
	CHECK(store_sqlite_fullscan_steps() - before >= (uint64_t)T_KEYS / 2);
}

int main(void)
{
	char path[T_STORE_PATH_CAP];
	struct store *s = t_store_open("idem", path);
	struct store_conn *c = s ? store_thread_conn(s) : NULL;
	CHECK(c != NULL);
	if (c) {
		test_purge_forgets_old_answers_by_index(c);
		test_full_scans_are_counted(c);
	}
	t_store_close(s, path);
	T_DONE();
}
