/*
 * The SQLite backend: one database file in WAL mode with synchronous=FULL,
 * one reading connection per thread, and group commit for writers.
 *
 * SQLite admits one writer at a time, and with synchronous=FULL every COMMIT
 * waits for the disk. So all write transactions of this process run, one
 * after another, on a single shared writer connection (struct group), each
 * inside a SAVEPOINT of an outer transaction that stays open while more
 * writers are queued. When a writer's savepoint is released and nobody is
 * queued behind it (or the group is full), it COMMITs the whole group: one
 * fsync makes every member durable, and each member's store_commit()
 * returns only after that. A member whose work fails rolls back to its own
 * savepoint without touching the others. Isolation is unchanged: members
 * run strictly one at a time, and nothing outside the writer connection sees
 * their changes before the group commits.
 *
 * Statements outside an explicit transaction run on the thread's own
 * connection when they only read, and as a one-statement write transaction
 * through the group when they write. Other processes sharing the file (the
 * CLI) meet SQLite's busy timeout as usual.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_backend.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* How long a connection waits for another process's write lock. */
#define SQLITE_BUSY_MS 10000
/* The most write transactions one group COMMIT makes durable. */
#define SQLITE_GROUP_MAX 64

/* The shared writer of one database file (see the file comment). */
struct group {
	char *path;
	int refs; /* connections using it; under groups_lock */
	sqlite3 *db;
	sqlite3_stmt *stmts[STORE_MAX_STATEMENTS];
	pthread_mutex_t lock;  /* held by the member running its transaction */
	pthread_cond_t settled_cv;
	int queued;	       /* writers waiting for lock; atomic */
	int open;	       /* the outer transaction is open */
	int members;	       /* released savepoints in the open outer transaction */
	uint64_t released;     /* sequence number of the last released member */
	uint64_t settled;      /* members up to this one are committed or failed */
	/* Members whose group COMMIT failed, and why. */
	uint64_t failed_from, failed_to;
	enum apo_result failed_rc;
	struct group *next;
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct group *groups;

struct store_conn {
	struct store_conn_base base;
	sqlite3 *db;	   /* this thread's own connection (reads) */
	struct group *g;
	int writing;	   /* inside a write transaction on g->db (holds g->lock) */
	int in_read_tx;	   /* inside a read transaction on db */
	int64_t changes;   /* rows changed by the last statement */
	sqlite3_stmt *stmts[STORE_MAX_STATEMENTS];
};

struct store_rows {
	const struct store_ops *ops;
	sqlite3_stmt *st;
	int pending; /* a row was stepped by exec and not yet handed out */
	int done;
};

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
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN: {
		/* The environment's fault, not ours: 503 and not-ready until it passes. */
		const char *why = (rc & 0xff) == SQLITE_FULL	   ? "disk full"
				  : (rc & 0xff) == SQLITE_READONLY ? "database is read-only"
				  : (rc & 0xff) == SQLITE_IOERR	   ? "I/O error"
								   : "cannot open the database file";
		log_text(LOG_WARN, "sqlite storage failure", "what", what, "error",
			 sqlite3_errmsg(db));
		store_trouble(APO_ERR_STORAGE, why);
		return APO_ERR_STORAGE;
	}
	default:
		log_text(LOG_ERROR, "sqlite error", "what", what, "error", sqlite3_errmsg(db));
		return APO_ERR_INTERNAL;
	}
}

static sqlite3 *open_db(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		log_text(LOG_ERROR, "cannot open sqlite database", "path", path, "error",
			 db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, SQLITE_BUSY_MS);
	/* WAL lets readers run beside the writer; FULL makes every commit
	 * durable before we answer. */
	rc = sqlite3_exec(db,
			  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
			  "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		log_text(LOG_ERROR, "cannot configure sqlite", "error", sqlite3_errmsg(db), NULL, NULL);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* The group of path, made on first use; NULL when its writer cannot open. */
static struct group *group_get(const char *path)
{
	struct group *g;
	pthread_mutex_lock(&groups_lock);
	for (g = groups; g && strcmp(g->path, path) != 0; g = g->next)
		;
	if (!g) {
		sqlite3 *db = open_db(path);
		if (db) {
			g = xcalloc(1, sizeof(*g));
			g->path = xstrdup(path);
			g->db = db;
			pthread_mutex_init(&g->lock, NULL);
			pthread_cond_init(&g->settled_cv, NULL);
			g->next = groups;
			groups = g;
		}
	}
	if (g)
		g->refs++;
	pthread_mutex_unlock(&groups_lock);
	return g;
}

static void group_put(struct group *g)
{
	pthread_mutex_lock(&groups_lock);
	if (--g->refs == 0) {
		struct group **p;
		for (p = &groups; *p != g; p = &(*p)->next)
			;
		*p = g->next;
		for (size_t i = 0; i < STORE_MAX_STATEMENTS; i++)
			sqlite3_finalize(g->stmts[i]);
		sqlite3_close(g->db);
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->settled_cv);
		free(g->path);
		free(g);
	}
	pthread_mutex_unlock(&groups_lock);
}

/*
 * SQLite's memory statistics take one global mutex on every allocation it
 * makes, which the HTTP workers then queue on; nothing reads them.
 */
static void sq_global_setup(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static struct store_conn *sq_connect(const char *url)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, sq_global_setup);
	struct store_conn *c = xcalloc(1, sizeof(*c));
	c->base.ops = &store_sqlite_ops;
	c->db = open_db(url);
	if (c->db)
		c->g = group_get(url);
	if (!c->db || !c->g) {
		sqlite3_close(c->db);
		free(c);
		return NULL;
	}
	return c;
}

static void sq_rollback(struct store_conn *c);

static void sq_disconnect(struct store_conn *c)
{
	sq_rollback(c);
	for (size_t i = 0; i < STORE_MAX_STATEMENTS; i++)
		sqlite3_finalize(c->stmts[i]);
	sqlite3_close(c->db);
	group_put(c->g);
	free(c);
}

static int sq_broken(struct store_conn *c)
{
	(void)c;
	return 0;
}

/* The connection and statement cache a statement runs on now. */
static sqlite3 *cur_db(struct store_conn *c)
{
	return c->writing ? c->g->db : c->db;
}

static sqlite3_stmt **cur_slot(struct store_conn *c, unsigned id)
{
	return c->writing ? &c->g->stmts[id] : &c->stmts[id];
}

static enum apo_result prepare(struct store_conn *c, struct store_sql *q, sqlite3_stmt **out)
{
	sqlite3_stmt **slot = cur_slot(c, q->id);
	if (!*slot) {
		int rc = sqlite3_prepare_v3(cur_db(c), q->sql, -1, SQLITE_PREPARE_PERSISTENT, slot,
					    NULL);
		if (rc != SQLITE_OK) {
			log_text(LOG_ERROR, "sqlite prepare failed", "error",
				 sqlite3_errmsg(cur_db(c)), "sql", q->sql);
			return APO_ERR_INTERNAL;
		}
	}
	*out = *slot;
	return APO_OK;
}

static enum apo_result bind_all(sqlite3 *db, sqlite3_stmt *st, const struct store_val *args,
				size_t n)
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
			return map_rc(db, rc, "bind");
	}
	return APO_OK;
}

static enum apo_result sq_begin(struct store_conn *c, enum store_tx tx);
static enum apo_result sq_commit(struct store_conn *c);

static enum apo_result run(struct store_conn *c, sqlite3_stmt *st, const struct store_val *args,
			   size_t n, struct store_rows **rows)
{
	sqlite3 *db = cur_db(c);
	enum apo_result res;
	int rc;

	if ((res = bind_all(db, st, args, n)) != APO_OK)
		goto out_reset;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		res = map_rc(db, rc, "step");
		goto out_reset;
	}
	if (rows) {
		struct store_rows *r = xmalloc(sizeof(*r));
		r->ops = &store_sqlite_ops;
		r->st = st;
		r->pending = rc == SQLITE_ROW;
		r->done = rc == SQLITE_DONE;
		*rows = r;
		c->changes = sqlite3_changes64(db);
		return APO_OK;
	}
	/* Statements run for effect may still return rows (RETURNING): drain. */
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	res = map_rc(db, rc, "step");
	c->changes = sqlite3_changes64(db);
out_reset:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return res;
}

static enum apo_result sq_exec(struct store_conn *c, struct store_sql *q,
			       const struct store_val *args, size_t n, struct store_rows **rows)
{
	sqlite3_stmt *st;
	enum apo_result res = prepare(c, q, &st);
	if (res != APO_OK)
		return res;
	if (c->writing || c->in_read_tx || sqlite3_stmt_readonly(st))
		return run(c, st, args, n, rows);
	/* A write outside a transaction: a one-statement group member. */
	if (rows) {
		log_text(LOG_ERROR, "sqlite: a writing statement that returns rows needs a transaction",
			 "sql", q->sql, NULL, NULL);
		return APO_ERR_INTERNAL;
	}
	if ((res = sq_begin(c, STORE_TX_WRITE)) != APO_OK)
		return res;
	if ((res = prepare(c, q, &st)) == APO_OK)
		res = run(c, st, args, n, NULL);
	if (res != APO_OK) {
		sq_rollback(c);
		return res;
	}
	int64_t changed = c->changes;
	res = sq_commit(c);
	c->changes = changed;
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
	return c->changes;
}

static int gexec(struct group *g, const char *sql)
{
	return sqlite3_exec(g->db, sql, NULL, NULL, NULL);
}

static enum apo_result sq_begin(struct store_conn *c, enum store_tx tx)
{
	struct group *g = c->g;
	int rc;

	if (tx == STORE_TX_READ) {
		rc = sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL);
		c->in_read_tx = rc == SQLITE_OK;
		return map_rc(c->db, rc, "begin");
	}
	__atomic_add_fetch(&g->queued, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&g->lock);
	__atomic_sub_fetch(&g->queued, 1, __ATOMIC_SEQ_CST);
	if (!g->open) {
		if ((rc = gexec(g, "BEGIN IMMEDIATE")) != SQLITE_OK) {
			pthread_mutex_unlock(&g->lock);
			return map_rc(g->db, rc, "begin");
		}
		g->open = 1;
	}
	if ((rc = gexec(g, "SAVEPOINT member")) != SQLITE_OK) {
		enum apo_result res = map_rc(g->db, rc, "savepoint");
		c->writing = 1;
		sq_rollback(c);
		return res;
	}
	c->writing = 1;
	return APO_OK;
}

/*
 * Ends the current member (holding g->lock). When nobody is queued behind
 * it, or the group is full, COMMITs the group; otherwise leaves that to a
 * later member. Returns with g->lock released. seq is the member's
 * sequence number, or 0 for a member that rolled back.
 */
static enum apo_result settle(struct store_conn *c, uint64_t seq)
{
	struct group *g = c->g;
	enum apo_result res = APO_OK;

	c->writing = 0;
	if (__atomic_load_n(&g->queued, __ATOMIC_SEQ_CST) == 0 || g->members >= SQLITE_GROUP_MAX) {
		int rc = gexec(g, "COMMIT");
		if (rc != SQLITE_OK) {
			res = map_rc(g->db, rc, "commit");
			gexec(g, "ROLLBACK");
			g->failed_from = g->settled + 1;
			g->failed_to = g->released;
			g->failed_rc = res;
		}
		g->open = 0;
		g->members = 0;
		g->settled = g->released;
		pthread_cond_broadcast(&g->settled_cv);
		pthread_mutex_unlock(&g->lock);
		return seq ? res : APO_OK;
	}
	if (seq) {
		while (g->settled < seq)
			pthread_cond_wait(&g->settled_cv, &g->lock);
		if (seq >= g->failed_from && seq <= g->failed_to)
			res = g->failed_rc;
	}
	pthread_mutex_unlock(&g->lock);
	return res;
}

static enum apo_result sq_commit(struct store_conn *c)
{
	struct group *g = c->g;
	if (c->in_read_tx) {
		c->in_read_tx = 0;
		return map_rc(c->db, sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL), "commit");
	}
	if (!c->writing)
		return APO_OK;
	int rc = gexec(g, "RELEASE member");
	if (rc != SQLITE_OK) {
		enum apo_result res = map_rc(g->db, rc, "release");
		sq_rollback(c);
		return res;
	}
	g->members++;
	return settle(c, ++g->released);
}

static void sq_rollback(struct store_conn *c)
{
	if (c->in_read_tx) {
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		c->in_read_tx = 0;
	}
	if (!c->writing)
		return;
	if (gexec(c->g, "ROLLBACK TO member") == SQLITE_OK)
		gexec(c->g, "RELEASE member");
	settle(c, 0);
}

static enum apo_result sq_script(struct store_conn *c, const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(cur_db(c), sql, NULL, NULL, &err);
	if (rc != SQLITE_OK) {
		log_text(LOG_ERROR, "sqlite script failed", "error", err, NULL, NULL);
		sqlite3_free(err);
		return APO_ERR_INTERNAL;
	}
	return APO_OK;
}

static enum apo_result sq_migration_lock(struct store_conn *c)
{
	(void)c; /* the group's outer BEGIN IMMEDIATE holds the database's write lock */
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
