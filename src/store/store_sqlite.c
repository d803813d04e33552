/*
 * The SQLite backend: one database file in WAL mode, one connection per
 * thread, prepared statements cached per connection. Writers serialize on
 * SQLite's single write lock (BEGIN IMMEDIATE, with a busy timeout), which is
 * what makes every read-check-write transaction here atomic.
 *
 * Within one process, write transactions also queue on a mutex before
 * BEGIN IMMEDIATE. SQLite admits one writer at a time anyway; the mutex only
 * changes how the others wait: they wake the moment the writer commits,
 * where SQLite's busy handler would sleep-poll in steps of milliseconds and
 * leave the database idle in between. Other processes sharing the file
 * still meet the busy timeout.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* How long a writer waits for the write lock before giving up. */
#define SQLITE_BUSY_MS 10000

/* One writer at a time in this process (see the file comment). */
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;

struct store_conn {
	struct store_conn_base base;
	sqlite3 *db;
	int in_tx;
	int holds_writer; /* this connection owns `writer` */
	sqlite3_stmt *stmts[STORE_MAX_STATEMENTS];
};

struct store_rows {
	const struct store_ops *ops;
	sqlite3_stmt *st;
	int pending; /* a row was stepped by exec and not yet handed out */
	int done;
};

static void release_writer(struct store_conn *c)
{
	if (c->holds_writer) {
		c->holds_writer = 0;
		pthread_mutex_unlock(&writer);
	}
}

static enum apo_result map_rc(sqlite3 *db, int rc, const char *what)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return APO_OK;
	case SQLITE_CONSTRAINT:
		return APO_ERR_CONFLICT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warn("sqlite busy", "\"what\":\"%s\"", what);
		return APO_ERR_BUSY;
	default:
		log_error("sqlite error", "\"what\":\"%s\",\"code\":%d,\"error\":\"%s\"", what, rc,
			  sqlite3_errmsg(db));
		return APO_ERR_INTERNAL;
	}
}

static struct store_conn *sq_connect(const char *url)
{
	struct store_conn *c = xcalloc(1, sizeof(*c));
	int rc = sqlite3_open_v2(url, &c->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot open sqlite database", "\"path\":\"%s\",\"error\":\"%s\"", url,
			  c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	c->base.ops = &store_sqlite_ops;
	sqlite3_busy_timeout(c->db, SQLITE_BUSY_MS);
	/* WAL lets readers run beside the writer; FULL makes every commit
	 * durable before we answer the merchant. */
	rc = sqlite3_exec(c->db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			  "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_error("cannot configure sqlite", "\"error\":\"%s\"", sqlite3_errmsg(c->db));
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	return c;
}

static void sq_disconnect(struct store_conn *c)
{
	release_writer(c);
	for (size_t i = 0; i < STORE_MAX_STATEMENTS; i++)
		sqlite3_finalize(c->stmts[i]);
	sqlite3_close(c->db);
	free(c);
}

static int sq_broken(struct store_conn *c)
{
	(void)c;
	return 0;
}

static enum apo_result bind_all(struct store_conn *c, sqlite3_stmt *st,
				const struct store_val *args, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc, idx = (int)i + 1;
		switch (args[i].kind) {
		case STORE_INT:
			rc = sqlite3_bind_int64(st, idx, args[i].i);
			break;
		case STORE_TEXT:
			rc = sqlite3_bind_text(st, idx, args[i].s, -1, SQLITE_TRANSIENT);
			break;
		default:
			rc = sqlite3_bind_null(st, idx);
		}
		if (rc != SQLITE_OK)
			return map_rc(c->db, rc, "bind");
	}
	return APO_OK;
}

static enum apo_result sq_exec(struct store_conn *c, struct store_sql *q,
			       const struct store_val *args, size_t n, struct store_rows **rows)
{
	sqlite3_stmt *st = c->stmts[q->id];
	enum apo_result res;
	int rc;

	if (!st) {
		rc = sqlite3_prepare_v3(c->db, q->sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
		if (rc != SQLITE_OK) {
			log_error("sqlite prepare failed", "\"error\":\"%s\",\"sql\":\"%.80s\"",
				  sqlite3_errmsg(c->db), q->sql);
			return APO_ERR_INTERNAL;
		}
		c->stmts[q->id] = st;
	}
	if ((res = bind_all(c, st, args, n)) != APO_OK)
		goto out_reset;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		res = map_rc(c->db, rc, "step");
		goto out_reset;
	}
	if (rows) {
		struct store_rows *r = xmalloc(sizeof(*r));
		r->ops = &store_sqlite_ops;
		r->st = st;
		r->pending = rc == SQLITE_ROW;
		r->done = rc == SQLITE_DONE;
		*rows = r;
		return APO_OK;
	}
	/* Statements run for effect may still return rows (RETURNING): drain. */
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	res = map_rc(c->db, rc, "step");
out_reset:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return res;
}

static int sq_next(struct store_rows *r)
{
	if (r->pending) {
		r->pending = 0;
		return 1;
	}
	if (r->done)
		return 0;
	int rc = sqlite3_step(r->st);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		map_rc(sqlite3_db_handle(r->st), rc, "next");
	r->done = 1;
	return 0;
}

static int64_t sq_col_int(struct store_rows *r, int col)
{
	return sqlite3_column_int64(r->st, col);
}

static const char *sq_col_text(struct store_rows *r, int col)
{
	return (const char *)sqlite3_column_text(r->st, col);
}

static int sq_col_null(struct store_rows *r, int col)
{
	return sqlite3_column_type(r->st, col) == SQLITE_NULL;
}

static void sq_rows_free(struct store_rows *r)
{
	sqlite3_reset(r->st);
	sqlite3_clear_bindings(r->st);
	free(r);
}

static int64_t sq_changes(struct store_conn *c)
{
	return sqlite3_changes64(c->db);
}

static enum apo_result sq_begin(struct store_conn *c, enum store_tx tx)
{
	if (tx == STORE_TX_WRITE && !c->holds_writer) {
		pthread_mutex_lock(&writer);
		c->holds_writer = 1;
	}
	int rc = sqlite3_exec(c->db, tx == STORE_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN", NULL,
			      NULL, NULL);
	if (rc == SQLITE_OK)
		c->in_tx = 1;
	else
		release_writer(c);
	return map_rc(c->db, rc, "begin");
}

static enum apo_result sq_commit(struct store_conn *c)
{
	int rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		c->in_tx = 0;
		release_writer(c);
	}
	return map_rc(c->db, rc, "commit");
}

static void sq_rollback(struct store_conn *c)
{
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	c->in_tx = 0;
	release_writer(c);
}

static enum apo_result sq_script(struct store_conn *c, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_error("sqlite script failed", "\"error\":\"%s\"", err ? err : "?");
		sqlite3_free(err);
		return APO_ERR_INTERNAL;
	}
	return APO_OK;
}

static enum apo_result sq_migration_lock(struct store_conn *c)
{
	(void)c; /* BEGIN IMMEDIATE already holds the database's write lock */
	return APO_OK;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.connect = sq_connect,
	.disconnect = sq_disconnect,
	.broken = sq_broken,
	.exec = sq_exec,
	.next = sq_next,
	.col_int = sq_col_int,
	.col_text = sq_col_text,
	.col_null = sq_col_null,
	.rows_free = sq_rows_free,
	.changes = sq_changes,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.script = sq_script,
	.migration_lock = sq_migration_lock,
	.id_column = "INTEGER PRIMARY KEY AUTOINCREMENT",
};
