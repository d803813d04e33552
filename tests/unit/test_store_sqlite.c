/*
 * The SQLite group commit (src/store/store_sqlite.c): many threads writing
 * at once, some of their transactions failing or rolled back, and a writer
 * of another connection (as the CLI is) sharing the file. Every committed
 * transaction is there afterwards, nothing of a failed one is, and each
 * store_commit() answered what happened to it.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "t.h"
#include "t_store.h"
#include "store/store_backend.h"
#include "base/banned.h"

#define T_THREADS 16
#define T_TX_PER_THREAD 150
#define T_OUTSIDE_ROWS 40

static struct store *db;
static char db_path[T_STORE_PATH_CAP];

static struct store_sql q_create = {
    .sql = "CREATE TABLE gc_rows (k TEXT PRIMARY KEY, thread INTEGER NOT NULL)"};
static struct store_sql q_insert = {.sql = "INSERT INTO gc_rows (k, thread) VALUES (?, ?)"};
static struct store_sql q_count = {.sql = "SELECT count(*) FROM gc_rows WHERE thread = ?"};
static struct store_sql q_count_all = {.sql = "SELECT count(*) FROM gc_rows"};

struct worker {
	int id;
	int committed; /* transactions whose store_commit() said APO_OK */
	int wrong;     /* answers that were not what the transaction called for */
};

/*
 * Transaction i of a worker: most insert two rows and commit; every fifth
 * inserts a row twice (a conflict) and rolls back; every seventh inserts
 * and rolls back of its own accord.
 */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct store_conn *c = store_thread_conn(db);
	char k1[64], k2[64];
	if (!c) {
		w->wrong++;
		return NULL;
	}
	for (int i = 0; i < T_TX_PER_THREAD; i++) {
		snprintf(k1, sizeof(k1), "w%d-%d-a", w->id, i);
		snprintf(k2, sizeof(k2), "w%d-%d-b", w->id, i);
		if (store_begin(c, STORE_TX_WRITE) != APO_OK) {
			w->wrong++;
			continue;
		}
		const char *key1 = k1, *key2 = i % 5 == 0 ? k1 : k2;
		struct store_val a1[] = {SV_TEXT(key1), SV_INT(w->id)};
		struct store_val a2[] = {SV_TEXT(key2), SV_INT(w->id)};
		if (store_exec(c, &q_insert, a1, 2, NULL) != APO_OK) {
			w->wrong++;
			store_rollback(c);
			continue;
		}
		if (i % 7 == 0 && i % 5 != 0) {
			store_rollback(c);
			continue;
		}
		enum apo_result rc = store_exec(c, &q_insert, a2, 2, NULL);
		if (i % 5 == 0) {
			if (rc != APO_ERR_CONFLICT)
				w->wrong++;
			store_rollback(c);
			continue;
		}
		if (rc != APO_OK) {
			w->wrong++;
			store_rollback(c);
			continue;
		}
		if (store_commit(c) == APO_OK)
			w->committed++;
		else
			w->wrong++;
	}
	return NULL;
}

/* Another connection writing the same file meanwhile, as the CLI does. */
static void *outside_main(void *arg)
{
	int *ok = arg;
	sqlite3 *x = NULL;
	if (sqlite3_open(db_path, &x) != SQLITE_OK)
		return NULL;
	sqlite3_busy_timeout(x, 10000);
	sqlite3_exec(x, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
	for (int i = 0; i < T_OUTSIDE_ROWS; i++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "INSERT INTO gc_rows (k, thread) VALUES ('cli-%d', -1)",
			 i);
		if (sqlite3_exec(x, sql, NULL, NULL, NULL) == SQLITE_OK)
			(*ok)++;
	}
	sqlite3_close(x);
	return NULL;
}

static int64_t count_rows(struct store_conn *c, int thread)
{
	int64_t n = -1;
	struct store_val a[] = {SV_INT(thread)};
	CHECK_INT(store_query_int(c, &q_count, a, 1, &n), APO_OK);
	return n;
}

static void test_many_writers(void)
{
	struct store_conn *c = store_thread_conn(db);
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(store_exec(c, &q_create, NULL, 0, NULL), APO_OK);

	struct worker w[T_THREADS];
	pthread_t th[T_THREADS], outside;
	int outside_ok = 0;
	CHECK_INT(pthread_create(&outside, NULL, outside_main, &outside_ok), 0);
	for (int i = 0; i < T_THREADS; i++) {
		w[i] = (struct worker){.id = i};
		CHECK_INT(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < T_THREADS; i++)
		pthread_join(th[i], NULL);
	pthread_join(outside, NULL);

	int want_each = 0;
	for (int i = 0; i < T_TX_PER_THREAD; i++)
		if (i % 5 != 0 && i % 7 != 0)
			want_each++;
	int64_t total = 0;
	for (int i = 0; i < T_THREADS; i++) {
		CHECK_INT(w[i].wrong, 0);
		CHECK_INT(w[i].committed, want_each);
		CHECK_INT(count_rows(c, i), 2 * want_each);
		total += 2 * want_each;
	}
	CHECK_INT(outside_ok, T_OUTSIDE_ROWS);
	CHECK_INT(count_rows(c, -1), T_OUTSIDE_ROWS);
	int64_t all = -1;
	CHECK_INT(store_query_int(c, &q_count_all, NULL, 0, &all), APO_OK);
	CHECK_INT(all, total + T_OUTSIDE_ROWS);
}

/* What the group committed is in the file for a connection opened afresh. */
static void test_committed_rows_are_in_the_file(void)
{
	sqlite3 *x = NULL;
	sqlite3_stmt *st = NULL;
	CHECK_INT(sqlite3_open(db_path, &x), SQLITE_OK);
	CHECK_INT(
	    sqlite3_prepare_v2(x, "SELECT count(*) FROM gc_rows WHERE thread >= 0", -1, &st, NULL),
	    SQLITE_OK);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	int want = 0;
	for (int i = 0; i < T_TX_PER_THREAD; i++)
		if (i % 5 != 0 && i % 7 != 0)
			want += 2;
	CHECK_INT(sqlite3_column_int64(st, 0), (int64_t)want * T_THREADS);
	sqlite3_finalize(st);
	sqlite3_close(x);
}

static struct store_sql q_create_many = {
    .sql = "CREATE TABLE many_rows (k TEXT PRIMARY KEY, n INTEGER NOT NULL, note TEXT)"};
static struct store_sql q_many_sum = {.sql = "SELECT count(*), sum(n), count(note) FROM many_rows"};
static struct store_insert q_many = STORE_INSERT("INSERT INTO many_rows (k, n, note)", 3);

static void many_rows_now(struct store_conn *c, int64_t want_rows, int64_t want_sum,
			  int64_t want_notes)
{
	struct store_rows *r = NULL;
	CHECK_INT(store_exec(c, &q_many_sum, NULL, 0, &r), APO_OK);
	CHECK(r && store_next(r));
	if (!r)
		return;
	CHECK_INT(store_int(r, 0), want_rows);
	CHECK_INT(store_int(r, 1), want_sum);
	CHECK_INT(store_int(r, 2), want_notes);
	store_rows_free(r);
}

/*
 * store_insert_later(): rows beyond STORE_INSERT_ROWS go in several
 * statements, each row's values land in its own row, and a row a
 * constraint refuses fails the call and, rolled back, leaves nothing.
 */
static void test_insert_of_many_rows(void)
{
	enum { ROWS = 2 * STORE_INSERT_ROWS + 8 };
	struct store_conn *c = store_thread_conn(db);
	struct store_val v[ROWS * 3];
	char keys[ROWS][16];
	int64_t sum = 0, notes = 0;
	CHECK(c != NULL);
	if (!c)
		return;
	CHECK_INT(store_exec(c, &q_create_many, NULL, 0, NULL), APO_OK);
	for (int i = 0; i < ROWS; i++) {
		snprintf(keys[i], sizeof(keys[i]), "k%d", i);
		v[i * 3] = SV_TEXT(keys[i]);
		v[i * 3 + 1] = SV_INT(i * 7 + 1);
		v[i * 3 + 2] = i % 3 ? SV_TEXT("note") : SV_NULL;
		sum += i * 7 + 1;
		notes += i % 3 != 0;
	}
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(store_insert_later(c, &q_many, v, ROWS), APO_OK);
	CHECK_INT(store_commit(c), APO_OK);
	many_rows_now(c, ROWS, sum, notes);
	/* 40 rows: statements of 16, 16 and 8 rows, no other. */
	for (int k = 1; k <= STORE_INSERT_ROWS; k++)
		CHECK((q_many.by_rows[k - 1].sql != NULL) == (k == 8 || k == STORE_INSERT_ROWS));
	CHECK_STR(q_many.by_rows[7].sql,
		  "INSERT INTO many_rows (k, n, note) VALUES (?, ?, ?), (?, ?, ?), (?, ?, ?), "
		  "(?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)");

	/* 20 new rows but the 18th, whose key is taken. */
	char fresh[20][16];
	for (int i = 0; i < 20; i++) {
		snprintf(fresh[i], sizeof(fresh[i]), "new%d", i);
		v[i * 3] = SV_TEXT(i == 17 ? keys[5] : fresh[i]);
	}
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	enum apo_result rc = store_insert_later(c, &q_many, v, 20);
	if (rc == APO_OK)
		rc = store_commit(c);
	else
		store_rollback(c);
	CHECK_INT(rc, APO_ERR_CONFLICT);
	many_rows_now(c, ROWS, sum, notes);
	CHECK_INT(store_insert_later(c, &q_many, v, 0), APO_OK);
}

static struct store_sql q_mig_count = {.sql = "SELECT count(*) FROM schema_migrations"};
static struct store_sql q_mig_forget = {.sql = "DELETE FROM schema_migrations WHERE version = ?"};
static struct store_sql q_mig_future = {
    .sql = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'later', 0)"};
static struct store_sql q_drop_purge_index = {.sql = "DROP INDEX idempotency_keys_created"};
static struct store_sql q_has_purge_index = {
    .sql = "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
	   "AND name = 'idempotency_keys_created'"};

static int64_t count_of(struct store_conn *c, struct store_sql *q)
{
	int64_t n = -1;
	CHECK_INT(store_query_int(c, q, NULL, 0, &n), APO_OK);
	return n;
}

/*
 * store_migrate() on a database that has every migration answers at once
 * and changes nothing, also when a newer build recorded one this build does
 * not know; when one is missing from the record it runs it again: the
 * purge index (014) dropped and forgotten comes back, and so does its row.
 */
static void test_migrate_checks_the_record(void)
{
	struct store_conn *c = store_thread_conn(db);
	CHECK(c != NULL);
	if (!c)
		return;
	int64_t all = count_of(c, &q_mig_count);
	CHECK_INT(all, (int64_t)store_nmigrations);
	CHECK_INT(store_migrate(db), APO_OK);
	CHECK_INT(count_of(c, &q_mig_count), all);

	CHECK_INT(store_exec(c, &q_mig_future, NULL, 0, NULL), APO_OK);
	CHECK_INT(store_migrate(db), APO_OK);
	CHECK_INT(count_of(c, &q_mig_count), all + 1);

	struct store_val v = SV_INT(14);
	CHECK_INT(store_exec(c, &q_drop_purge_index, NULL, 0, NULL), APO_OK);
	CHECK_INT(store_exec(c, &q_mig_forget, &v, 1, NULL), APO_OK);
	CHECK_INT(count_of(c, &q_has_purge_index), 0);
	CHECK_INT(store_migrate(db), APO_OK);
	CHECK_INT(count_of(c, &q_has_purge_index), 1);
	CHECK_INT(count_of(c, &q_mig_count), all + 1);
}

int main(void)
{
	db = t_store_open("sqlite-group", db_path);
	if (!db)
		T_DONE();
	test_many_writers();
	test_committed_rows_are_in_the_file();
	test_insert_of_many_rows();
	test_migrate_checks_the_record();
	t_store_close(db, db_path);
	T_DONE();
}
