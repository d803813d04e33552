/*
 * The backend-independent half of storage: choosing a backend, one
 * connection per thread, statement ids and migrations. Not for SQL of any
 * feature: repositories (repo_*.c) hold that.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_backend.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* The most threads that may hold a connection at once. */
#define STORE_MAX_CONNS 256

struct store {
	const struct store_ops *ops;
	char *url;
	pthread_key_t key;
	pthread_mutex_t lock; /* guards conns[]; taken only on connect/close */
	struct store_conn *conns[STORE_MAX_CONNS];
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

struct store_conn *store_thread_conn(struct store *s)
{
	struct store_conn *c = pthread_getspecific(s->key);
	if (c && !s->ops->broken(c))
		return c;
	if (c) {
		forget_conn(s, c);
		s->ops->disconnect(c);
		pthread_setspecific(s->key, NULL);
	}
	c = s->ops->connect(s->url);
	if (!c)
		return NULL;
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

enum apo_result store_exec(struct store_conn *c, struct store_sql *q, const struct store_val *args,
			   size_t n, struct store_rows **rows)
{
	store_sql_id(q);
	return conn_ops(c)->exec(c, q, args, n, rows);
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
	return conn_ops(c)->begin(c, tx);
}

enum apo_result store_commit(struct store_conn *c)
{
	return conn_ops(c)->commit(c);
}

void store_rollback(struct store_conn *c)
{
	conn_ops(c)->rollback(c);
}

enum apo_result store_query_int(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n, int64_t *out)
{
	struct store_rows *rows = NULL;
	enum apo_result rc = store_exec(c, q, args, n, &rows);
	if (rc != APO_OK)
		return rc;
	rc = APO_ERR_NOT_FOUND;
	if (store_next(rows)) {
		*out = store_int(rows, 0);
		rc = APO_OK;
	}
	store_rows_free(rows);
	return rc;
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
	struct store_val args[] = {SV_INT(m->version), SV_TEXT(m->name), SV_INT(time(NULL))};
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

enum apo_result store_migrate(struct store *s)
{
	struct store_conn *c = store_thread_conn(s);
	enum apo_result rc;
	if (!c)
		return APO_ERR_UNAVAILABLE;
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
