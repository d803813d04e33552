/*
 * The backend-independent half of storage: choosing a backend, one
 * connection per thread, statement ids and migrations. Not for SQL of any
 * feature: repositories (repo_*.c) hold that.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "store/store_backend.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/counters.h"
#include "base/banned.h"

/* The most threads that may hold a connection at once. */
#define STORE_MAX_CONNS 256

/*
 * After a failed connection attempt the next one waits this long, doubling
 * per failure up to the maximum. The wait is shared by every thread of the
 * process, so a database outage costs it one attempt per interval instead
 * of one per request, and a recovering primary is not met by a storm of
 * connections. The maximum stays short: it is also how long writes may stay
 * refused after the database is back.
 */
#define STORE_RETRY_MIN_MS 50
#define STORE_RETRY_MAX_MS 1000

struct store {
	const struct store_ops *ops;
	char *url;
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns[]; taken only on connect/close */
	struct store_conn *conns[STORE_MAX_CONNS];
	atomic_llong retry_at_ns; /* no connection attempt before this (monotonic) */
	atomic_int retry_ms;	  /* the current backoff; 0 after a success */
};

/* Every rows cursor starts with this, like connections. */
struct store_rows_base {
	const struct store_ops *ops;
};

static atomic_uint next_sql_id = 1;

unsigned store_sql_id(struct store_sql *q)
{
	unsigned id = __atomic_load_n(&q->id, __ATOMIC_ACQUIRE);
	if (id)
		return id;
	unsigned fresh = atomic_fetch_add(&next_sql_id, 1);
	if (fresh >= STORE_MAX_STATEMENTS) {
		log_error("too many distinct SQL statements", "\"limit\":%d", STORE_MAX_STATEMENTS);
		abort();
	}
	unsigned expected = 0;
	/* Another thread may have won the race; then its id stands and ours is
	 * simply never used. */
	if (!__atomic_compare_exchange_n(&q->id, &expected, fresh, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return expected;
	return fresh;
}

static int is_pg_url(const char *url)
{
	return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

/* Appends s[0..n) to b with the value of every password= parameter masked. */
static void add_masking_params(struct buf *b, const char *s, size_t n)
{
	static const char key[] = "password=";
	size_t i = 0;
	while (i < n) {
		int at_param = i == 0 || s[i - 1] == '?' || s[i - 1] == '&';
		if (at_param && n - i >= sizeof(key) - 1 &&
		    strncasecmp(s + i, key, sizeof(key) - 1) == 0) {
			buf_adds(b, "password=***");
			i += sizeof(key) - 1;
			while (i < n && s[i] != '&')
				i++;
			continue;
		}
		buf_addch(b, s[i++]);
	}
}

char *store_url_redacted(const char *url, char *out, size_t cap)
{
	struct buf b;
	const char *p = url ? url : "";
	buf_init(&b);
	if (is_pg_url(p)) {
		const char *auth = strstr(p, "://") + 3;
		size_t alen = strcspn(auth, "/?#");
		const char *at = NULL;
		for (const char *q = auth; q < auth + alen; q++)
			if (*q == '@')
				at = q;
		const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			buf_add(&b, p, (size_t)(colon + 1 - p));
			buf_adds(&b, "***");
			p = at;
		}
		add_masking_params(&b, p, strlen(p));
	} else {
		buf_adds(&b, p);
	}
	fmt_into(out, cap, "%s", b.data ? b.data : "");
	buf_release(&b);
	return out;
}

struct store *store_open(const char *url)
{
	struct store *s = xcalloc(1, sizeof(*s));
	s->ops = is_pg_url(url) ? &store_pg_ops : &store_sqlite_ops;
	s->url = xstrdup(url);
	pthread_key_create(&s->key, NULL);
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

const char *store_backend_name(const struct store *s)
{
	return s->ops->name;
}

static void forget_conn(struct store *s, struct store_conn *c)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < STORE_MAX_CONNS; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	pthread_mutex_unlock(&s->lock);
}

static long long monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void backoff_failed(struct store *s)
{
	int ms = atomic_load(&s->retry_ms);
	ms = ms ? ms * 2 : STORE_RETRY_MIN_MS;
	if (ms > STORE_RETRY_MAX_MS)
		ms = STORE_RETRY_MAX_MS;
	atomic_store(&s->retry_ms, ms);
	atomic_store(&s->retry_at_ns, monotonic_ns() + (long long)ms * 1000000LL);
}

static void backoff_reset(struct store *s)
{
	if (atomic_load(&s->retry_ms)) {
		atomic_store(&s->retry_ms, 0);
		atomic_store(&s->retry_at_ns, 0);
	}
}

static struct store_conn *thread_conn(struct store *s, int probe)
{
	struct store_conn *c = pthread_getspecific(s->key);
	if (c && !s->ops->broken(c))
		return c;
	if (c) {
		forget_conn(s, c);
		s->ops->disconnect(c);
		pthread_setspecific(s->key, NULL);
	}
	if (!probe && monotonic_ns() < atomic_load(&s->retry_at_ns))
		return NULL;
	c = s->ops->connect(s->url);
	if (!c) {
		counters_db_connect_failed();
		store_trouble(APO_ERR_UNAVAILABLE, "database unreachable");
		backoff_failed(s);
		return NULL;
	}
	backoff_reset(s);
	pthread_mutex_lock(&s->lock);
	size_t i;
	for (i = 0; i < STORE_MAX_CONNS && s->conns[i]; i++)
		;
	if (i == STORE_MAX_CONNS) {
		pthread_mutex_unlock(&s->lock);
		log_error("too many database connections", "\"limit\":%d", STORE_MAX_CONNS);
		s->ops->disconnect(c);
		return NULL;
	}
	s->conns[i] = c;
	pthread_mutex_unlock(&s->lock);
	pthread_setspecific(s->key, c);
	return c;
}

struct store_conn *store_thread_conn(struct store *s)
{
	return thread_conn(s, 0);
}

int store_probe(struct store *s, char *reason, size_t cap)
{
	return store_ready(thread_conn(s, 1), reason, cap);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < STORE_MAX_CONNS; i++)
		if (s->conns[i])
			s->ops->disconnect(s->conns[i]);
	pthread_key_delete(s->key);
	pthread_mutex_destroy(&s->lock);
	free(s->url);
	free(s);
}

static const struct store_ops *conn_ops(struct store_conn *c)
{
	return ((struct store_conn_base *)c)->ops;
}

/* store_local_writes(): the count, and the calling thread's transaction. */
static atomic_ullong local_writes;
static _Thread_local int tx_open, tx_wrote;

uint64_t store_local_writes(void)
{
	return atomic_load(&local_writes);
}

uint64_t store_writes_seen(struct store_conn *c, int *others)
{
	/* Both only grow, so the sum moves whenever either does. */
	uint64_t local = atomic_load(&local_writes), shared = 0;
	int counted = conn_ops(c)->shared_writes && conn_ops(c)->shared_writes(c, &shared);
	if (others)
		*others = counted;
	return local + shared;
}

static int sql_writes(const char *sql)
{
	while (*sql == ' ' || *sql == '\t' || *sql == '\n')
		sql++;
	return strncasecmp(sql, "SELECT", 6) != 0 && strncasecmp(sql, "PRAGMA", 6) != 0;
}

/* Counts a write statement toward store_local_writes() (at commit in a transaction). */
static void note_write(const struct store_sql *q)
{
	if (!sql_writes(q->sql))
		return;
	if (tx_open)
		tx_wrote = 1;
	else
		atomic_fetch_add(&local_writes, 1);
}

enum apo_result store_exec(struct store_conn *c, struct store_sql *q, const struct store_val *args,
			   size_t n, struct store_rows **rows)
{
	store_sql_id(q);
	enum apo_result rc = conn_ops(c)->exec(c, q, args, n, rows);
	counters_db_error(rc);
	note_write(q);
	return rc;
}

enum apo_result store_exec_later(struct store_conn *c, struct store_sql *q,
				 const struct store_val *args, size_t n)
{
	store_sql_id(q);
	const struct store_ops *ops = conn_ops(c);
	enum apo_result rc =
	    ops->exec_later ? ops->exec_later(c, q, args, n) : ops->exec(c, q, args, n, NULL);
	counters_db_error(rc);
	note_write(q);
	return rc;
}

/* The SQL of q for k rows: its head, then k tuples of placeholders. */
static const char *insert_sql(struct store_insert *q, size_t k)
{
	struct store_sql *s = &q->by_rows[k - 1];
	const char *sql = __atomic_load_n(&s->sql, __ATOMIC_ACQUIRE);
	if (sql)
		return sql;
	struct buf b;
	buf_init(&b);
	buf_adds(&b, q->head);
	buf_adds(&b, " VALUES ");
	for (size_t r = 0; r < k; r++) {
		buf_adds(&b, r ? ", (" : "(");
		for (size_t i = 0; i < q->ncols; i++)
			buf_adds(&b, i ? ", ?" : "?");
		buf_addch(&b, ')');
	}
	char *made = buf_detach(&b, NULL);
	const char *expected = NULL;
	/* Another thread may have made it first: then its text stands. */
	if (!__atomic_compare_exchange_n(&s->sql, &expected, made, 0, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		free(made);
		return expected;
	}
	return made;
}

enum apo_result store_insert_later(struct store_conn *c, struct store_insert *q,
				   const struct store_val *vals, size_t nrows)
{
	enum apo_result rc = APO_OK;
	for (size_t done = 0, k; rc == APO_OK && done < nrows; done += k) {
		k = nrows - done < STORE_INSERT_ROWS ? nrows - done : STORE_INSERT_ROWS;
		insert_sql(q, k);
		rc = store_exec_later(c, &q->by_rows[k - 1], vals + done * q->ncols,
				      k * q->ncols);
	}
	return rc;
}

enum apo_result store_exec_guarded(struct store_conn *c, struct store_sql *q,
				   const struct store_val *args, size_t n, int64_t tag)
{
	store_sql_id(q);
	const struct store_ops *ops = conn_ops(c);
	enum apo_result rc;
	if (ops->exec_guarded) {
		rc = ops->exec_guarded(c, q, args, n, tag);
	} else {
		rc = ops->exec(c, q, args, n, NULL);
		if (rc == APO_OK && ops->changes(c) == 0) {
			((struct store_conn_base *)c)->guard_tag = tag;
			rc = APO_ERR_INSUFFICIENT;
		}
	}
	counters_db_error(rc);
	note_write(q);
	return rc;
}

enum apo_result store_read_many(struct store_conn *c, const struct store_read *reads, size_t k)
{
	const struct store_ops *ops = conn_ops(c);
	struct store_rows *rows = NULL;
	enum apo_result rc = APO_OK;
	if (!k)
		return APO_OK;
	for (size_t i = 0; i < k; i++)
		store_sql_id(reads[i].q);
	/* Held back, all but the last: it carries them (or, one by one). */
	for (size_t i = 0; ops->read_later && i + 1 < k && rc == APO_OK; i++)
		rc = ops->read_later(c, &reads[i]);
	for (size_t i = ops->read_later ? k - 1 : 0; i < k && rc == APO_OK; i++) {
		rc = ops->exec(c, reads[i].q, reads[i].args, reads[i].n, &rows);
		if (rc == APO_OK) {
			reads[i].read(rows, reads[i].out);
			ops->rows_free(rows);
		}
	}
	counters_db_error(rc);
	return rc;
}

void store_read_one(struct store_rows *rows, void *one)
{
	struct store_one *o = one;
	if ((o->found = store_next(rows)))
		o->read(rows, o->out);
}

int store_groups_commits(struct store_conn *c)
{
	return conn_ops(c)->groups_commits;
}

int64_t store_guard_tag(struct store_conn *c)
{
	return ((struct store_conn_base *)c)->guard_tag;
}

int store_next(struct store_rows *r)
{
	return ((struct store_rows_base *)r)->ops->next(r);
}

int64_t store_int(struct store_rows *r, int col)
{
	return ((struct store_rows_base *)r)->ops->col_int(r, col);
}

const char *store_text(struct store_rows *r, int col)
{
	return ((struct store_rows_base *)r)->ops->col_text(r, col);
}

int store_is_null(struct store_rows *r, int col)
{
	return ((struct store_rows_base *)r)->ops->col_null(r, col);
}

void store_rows_free(struct store_rows *r)
{
	if (r)
		((struct store_rows_base *)r)->ops->rows_free(r);
}

int64_t store_changes(struct store_conn *c)
{
	return conn_ops(c)->changes(c);
}

enum apo_result store_begin(struct store_conn *c, enum store_tx tx)
{
	enum apo_result rc = conn_ops(c)->begin(c, tx);
	counters_db_error(rc);
	tx_open = rc == APO_OK;
	tx_wrote = 0;
	/* store_guard_tag() speaks of this transaction only. */
	((struct store_conn_base *)c)->guard_tag = STORE_GUARD_NONE;
	return rc;
}

static store_end_fn end_hook;

void store_on_end(store_end_fn fn)
{
	end_hook = fn;
}

enum apo_result store_commit(struct store_conn *c)
{
	enum apo_result rc = conn_ops(c)->commit(c);
	counters_db_error(rc);
	/* Counted after the commit, so whoever sees the new count also sees
	 * the data; a failed commit is counted too, which costs a recheck. */
	if (tx_wrote)
		atomic_fetch_add(&local_writes, 1);
	tx_open = tx_wrote = 0;
	if (end_hook)
		end_hook(c, rc == APO_OK);
	return rc;
}

void store_rollback(struct store_conn *c)
{
	conn_ops(c)->rollback(c);
	tx_open = tx_wrote = 0;
	if (end_hook)
		end_hook(c, 0);
}

enum apo_result store_query_row(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n,
				void (*read)(struct store_rows *rows, void *out), void *out)
{
	struct store_rows *rows = NULL;
	enum apo_result rc = store_exec(c, q, args, n, &rows);
	if (rc != APO_OK)
		return rc;
	rc = APO_ERR_NOT_FOUND;
	if (store_next(rows)) {
		read(rows, out);
		rc = APO_OK;
	}
	store_rows_free(rows);
	return rc;
}

/* What store_query_ints() reads a row into. */
struct int_cols {
	int64_t *const *out;
	int k;
};

static void read_ints(struct store_rows *rows, void *out)
{
	const struct int_cols *ic = out;
	for (int i = 0; i < ic->k; i++)
		*ic->out[i] = store_int(rows, i);
}

enum apo_result store_query_ints(struct store_conn *c, struct store_sql *q,
				 const struct store_val *args, size_t n, int64_t *const *out, int k)
{
	struct int_cols ic = {out, k};
	return store_query_row(c, q, args, n, read_ints, &ic);
}

enum apo_result store_query_int(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n, int64_t *out)
{
	return store_query_ints(c, q, args, n, &out, 1);
}

enum apo_result store_query_int_column(struct store_conn *c, struct store_sql *q,
				       const struct store_val *args, size_t n, int64_t *out,
				       size_t max, size_t *got)
{
	struct store_rows *rows;
	enum apo_result rc = store_exec(c, q, args, n, &rows);
	*got = 0;
	if (rc != APO_OK)
		return rc;
	while (*got < max && store_next(rows))
		out[(*got)++] = store_int(rows, 0);
	store_rows_free(rows);
	return APO_OK;
}

/*
 * The latest storage failure that was the environment's (store_trouble),
 * process-wide: every connection shares the disk and the server.
 */
static struct {
	pthread_mutex_t lock;
	enum apo_result rc;
	char reason[STORE_REASON_CAP];
} trouble = {PTHREAD_MUTEX_INITIALIZER, APO_OK, ""};

void store_trouble(enum apo_result rc, const char *reason)
{
	pthread_mutex_lock(&trouble.lock);
	trouble.rc = rc;
	fmt_into(trouble.reason, sizeof(trouble.reason), "%s", reason);
	pthread_mutex_unlock(&trouble.lock);
}

static enum apo_result trouble_get(char *reason, size_t cap)
{
	pthread_mutex_lock(&trouble.lock);
	enum apo_result rc = trouble.rc;
	fmt_into(reason, cap, "%s", trouble.reason);
	pthread_mutex_unlock(&trouble.lock);
	return rc;
}

static struct store_sql q_probe = {.sql = "UPDATE store_probe SET at = ? WHERE id = 1"};

/* One small write transaction (migration 004's row): can storage write? */
static enum apo_result probe_write(struct store_conn *c)
{
	struct store_val args[] = {SV_INT(now_epoch())};
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	if ((rc = store_exec(c, &q_probe, args, 1, NULL)) == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

int store_ready(struct store_conn *c, char *reason, size_t cap)
{
	if (!c) {
		fmt_into(reason, cap, "database unreachable");
		return 0;
	}
	if (store_ping(c) != APO_OK) {
		fmt_into(reason, cap, "database does not answer");
		return 0;
	}
	if (trouble_get(reason, cap) == APO_OK)
		return 1;
	if (probe_write(c) != APO_OK) {
		trouble_get(reason, cap);
		return 0;
	}
	store_trouble(APO_OK, "");
	reason[0] = '\0';
	return 1;
}

static struct store_sql q_ping = {.sql = "SELECT 1"};

enum apo_result store_ping(struct store_conn *c)
{
	int64_t one;
	return store_query_int(c, &q_ping, NULL, 0, &one);
}

/*
 * Expands a migration for one backend: "{{ID}}" becomes the backend's id
 * column type; "{{sqlite:TEXT}}" and "{{postgres:TEXT}}" keep TEXT only on
 * that backend (where the two dialects must differ: expression indexes,
 * collations). TEXT may not contain "}}".
 */
static char *expand_migration(const struct store_ops *ops, const char *sql)
{
	struct buf b;
	buf_init(&b);
	for (const char *p = sql; *p;) {
		const char *m = strstr(p, "{{");
		const char *end = m ? strstr(m, "}}") : NULL;
		if (!m || !end) {
			buf_adds(&b, p);
			break;
		}
		buf_add(&b, p, (size_t)(m - p));
		const char *inner = m + 2, *colon = memchr(inner, ':', (size_t)(end - inner));
		if (!colon && end - inner == 2 && strncmp(inner, "ID", 2) == 0)
			buf_adds(&b, ops->id_column);
		else if (colon && strlen(ops->name) == (size_t)(colon - inner) &&
			 strncmp(inner, ops->name, (size_t)(colon - inner)) == 0)
			buf_add(&b, colon + 1, (size_t)(end - colon - 1));
		p = end + 2;
	}
	return buf_detach(&b, NULL);
}

static struct store_sql q_mig_table = {
	.sql = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
	       "name TEXT NOT NULL, applied_at BIGINT NOT NULL)"};
static struct store_sql q_mig_has = {.sql = "SELECT count(*) FROM schema_migrations WHERE version = ?"};
static struct store_sql q_mig_add = {
	.sql = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"};

static enum apo_result apply_one(struct store_conn *c, const struct store_migration *m)
{
	const struct store_ops *ops = conn_ops(c);
	enum apo_result rc;
	int64_t have = 0;
	struct store_val v = SV_INT(m->version);

	if ((rc = store_begin(c, STORE_TX_WRITE)) != APO_OK)
		return rc;
	if ((rc = ops->migration_lock(c)) != APO_OK)
		goto out_rollback;
	if ((rc = store_query_int(c, &q_mig_has, &v, 1, &have)) != APO_OK)
		goto out_rollback;
	if (have) {
		store_rollback(c);
		return APO_OK;
	}
	char *sql = expand_migration(ops, m->sql);
	rc = ops->script(c, sql);
	free(sql);
	if (rc != APO_OK)
		goto out_rollback;
	struct store_val args[] = {SV_INT(m->version), SV_TEXT(m->name), SV_INT(now_epoch())};
	if ((rc = store_exec(c, &q_mig_add, args, 3, NULL)) != APO_OK)
		goto out_rollback;
	if ((rc = store_commit(c)) != APO_OK)
		goto out_rollback;
	log_info("migration applied", "\"version\":%d,\"name\":\"%s\"", m->version, m->name);
	return APO_OK;

out_rollback:
	store_rollback(c);
	log_error("migration failed", "\"version\":%d,\"result\":\"%s\"", m->version,
		  apo_result_name(rc));
	return rc;
}

/* Whether schema_migrations exists, asked of the catalog so a new database logs no error. */
static struct store_sql q_mig_exists = {
    .sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    .pg_sql = "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN 0 ELSE 1 END"};
static struct store_sql q_mig_versions = {.sql = "SELECT version FROM schema_migrations"};

/*
 * 1 when every migration this build knows is on record: two reads, no
 * lock and no transaction, where checking them one by one under the lock
 * costs each process that starts three round trips per migration. Applied
 * migrations are never taken back, so what this finds cannot go stale.
 */
static int migrations_all_applied(struct store_conn *c)
{
	int64_t exists = 0;
	struct store_rows *rows;
	if (store_query_int(c, &q_mig_exists, NULL, 0, &exists) != APO_OK || !exists)
		return 0;
	if (store_exec(c, &q_mig_versions, NULL, 0, &rows) != APO_OK)
		return 0;
	/* Versions are the record's key and ours are distinct: counting the
	 * rows that are ours counts the migrations on record. */
	size_t found = 0;
	while (store_next(rows)) {
		int64_t v = store_int(rows, 0);
		for (size_t i = 0; i < store_nmigrations; i++)
			if (store_migrations[i].version == v)
				found++;
	}
	store_rows_free(rows);
	return found == store_nmigrations;
}

enum apo_result store_migrate(struct store *s)
{
	struct store_conn *c = store_thread_conn(s);
	enum apo_result rc;
	if (!c)
		return APO_ERR_UNAVAILABLE;
	if (migrations_all_applied(c))
		return APO_OK;
	/* Under the migration lock: two processes starting together would
	 * otherwise race even on CREATE TABLE IF NOT EXISTS (PostgreSQL
	 * answers the loser with duplicate_object). */
	if ((rc = store_begin(c, STORE_TX_WRITE)) != APO_OK)
		return rc;
	rc = conn_ops(c)->migration_lock(c);
	if (rc == APO_OK)
		rc = store_exec(c, &q_mig_table, NULL, 0, NULL);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK) {
		store_rollback(c);
		return rc;
	}
	for (size_t i = 0; i < store_nmigrations; i++)
		if ((rc = apply_one(c, &store_migrations[i])) != APO_OK)
			return rc;
	return APO_OK;
}
