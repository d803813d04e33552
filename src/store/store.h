/*
 * Storage: the one interface between apotheca and its database. Two
 * backends implement it — SQLite (store_sqlite.c, the embedded default) and
 * PostgreSQL (store_pg.c, for several processes sharing one database) —
 * behind struct store_ops. Nothing outside src/store/ includes a database
 * header or knows which backend runs.
 *
 * The model is a small statement API over portable SQL. A statement is a
 * static struct store_sql holding SQL with '?' placeholders (rewritten to
 * $1.. for PostgreSQL) and, where the dialects must differ, a PostgreSQL
 * variant. Each connection prepares a statement on first use and keeps it.
 *
 * Threads: a struct store is shared; a struct store_conn belongs to one
 * thread at a time. store_thread_conn() gives each thread its own.
 *
 * Transactions: store_begin(c, STORE_TX_WRITE) takes SQLite's write lock at
 * once (BEGIN IMMEDIATE) so a read-then-write transaction cannot fail with
 * a lock upgrade; on PostgreSQL it is a READ COMMITTED transaction and the
 * statements carry their own row locks (see each repository's comments).
 */
#ifndef APO_STORE_H
#define APO_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"

struct store;
struct store_conn;
struct store_rows;

enum store_kind { STORE_NULL, STORE_INT, STORE_TEXT };

/* A bound parameter. Text is NUL-terminated and copied by the backend. */
struct store_val {
	enum store_kind kind;
	int64_t i;
	const char *s;
};

#define SV_INT(x) ((struct store_val){.kind = STORE_INT, .i = (int64_t)(x)})
#define SV_TEXT(x) ((struct store_val){.kind = (x) ? STORE_TEXT : STORE_NULL, .s = (x)})
#define SV_NULL ((struct store_val){.kind = STORE_NULL})

/*
 * A statement. Declare as `static struct store_sql q = {.sql = "..."};`;
 * `id` is assigned on first use (0 = not yet) and indexes each
 * connection's prepared-statement cache.
 */
struct store_sql {
	const char *sql;
	const char *pg_sql; /* PostgreSQL variant, or NULL to use sql */
	unsigned id;
};

/* The most distinct statements a program may use. */
#define STORE_MAX_STATEMENTS 512

enum store_tx { STORE_TX_READ, STORE_TX_WRITE };

/*
 * Opens a store for url: "postgres://..." or "postgresql://..." selects
 * PostgreSQL, anything else is a SQLite file path. Does not connect yet.
 * Returns NULL (and logs why) when the backend cannot be set up; the
 * caller closes it with store_close().
 */
struct store *store_open(const char *url);

/* Retry-After (seconds, as text) of answers refused for APO_ERR_STORAGE. */
#define STORE_RETRY_AFTER_S "5"

/* Longest database location printed (longer ones are cut). */
#define STORE_REDACTED_CAP 512

/*
 * Writes url (APOTHECA_DB) into out (cap bytes) fit for logs and stderr:
 * a postgres:// URL's password, and any password= parameter, become "***";
 * a SQLite path is unchanged. Returns out.
 */
char *store_url_redacted(const char *url, char *out, size_t cap);

/* Closes every thread's connection and frees the store. */
void store_close(struct store *s);

/* "sqlite" or "postgres". */
const char *store_backend_name(const struct store *s);

/*
 * The calling thread's connection, connecting (or reconnecting after the
 * database went away) when needed. NULL when the database is unreachable;
 * call again later. After a failed attempt the process waits with
 * exponential backoff (50 ms doubling to 1 s, shared by all threads)
 * before trying again, answering NULL at once meanwhile. The connection
 * belongs to the thread and s: never close or free it.
 */
struct store_conn *store_thread_conn(struct store *s);

/*
 * store_ready() on the calling thread's connection, which it tries to open
 * even while the reconnect backoff waits; a successful connect ends the
 * backoff for every thread. For health checks, whose rate the checker
 * bounds. Returns 1 when ready, else 0 with reason filled in.
 */
int store_probe(struct store *s, char *reason, size_t cap);

/* Applies every pending migration; safe to run from several processes. */
enum apo_result store_migrate(struct store *s);

/* Runs a trivial query: APO_OK when the database answers. */
enum apo_result store_ping(struct store_conn *c);

#define STORE_REASON_CAP 96

/*
 * Readiness: 1 when c (NULL: could not connect) answers and can write;
 * else 0 with the reason in reason (cap bytes). After a storage failure
 * (APO_ERR_STORAGE or APO_ERR_UNAVAILABLE) it tries a small write each
 * time it is asked, and is ready again as soon as one succeeds.
 */
int store_ready(struct store_conn *c, char *reason, size_t cap);

/*
 * Runs q with n parameters. When rows is not NULL, *rows receives a cursor
 * to read with store_next() and must be released with store_rows_free()
 * before q runs again on this connection. Returns APO_ERR_CONFLICT for a
 * unique or check constraint violation, APO_ERR_BUSY when a lock could not
 * be had in time, APO_ERR_UNAVAILABLE when the connection is lost.
 */
enum apo_result store_exec(struct store_conn *c, struct store_sql *q, const struct store_val *args,
			   size_t n, struct store_rows **rows);

/*
 * Runs q (no rows) as part of the open transaction, some time before its
 * next statement or its COMMIT: for writes whose outcome the caller does
 * not need to decide anything (ledger, history and line rows). PostgreSQL
 * holds it back and sends it with the next statement in one round trip
 * (libpq pipeline mode); SQLite runs it at once. A failure surfaces from
 * that next statement or from store_commit(), and the transaction is then
 * rolled back as usual; store_changes() never counts it. Outside a
 * transaction it runs at once, like store_exec(). Text is copied.
 */
enum apo_result store_exec_later(struct store_conn *c, struct store_sql *q,
				 const struct store_val *args, size_t n);

/*
 * An INSERT of many rows at once. Declare as
 * `static struct store_insert q = STORE_INSERT("INSERT INTO t (a, b)", 2);`.
 * store_insert_later() sends the rows as store_exec_later() does, up to
 * STORE_INSERT_ROWS in one statement (VALUES with a tuple per row): the
 * database plans and executes one statement for them, not one per row.
 * Each row count is a statement of its own, made on first use.
 */
#define STORE_INSERT_ROWS 16

struct store_insert {
	const char *head; /* "INSERT INTO table (columns)" */
	size_t ncols;
	struct store_sql by_rows[STORE_INSERT_ROWS]; /* [k - 1]: k rows */
};

#define STORE_INSERT(head_, ncols_) {.head = (head_), .ncols = (ncols_)}

/* nrows rows of q->ncols values each, row after row in vals. Text is copied. */
enum apo_result store_insert_later(struct store_conn *c, struct store_insert *q,
				   const struct store_val *vals, size_t nrows);

/*
 * store_exec_later() for a conditional write the transaction stands on:
 * q is an UPDATE (no RETURNING) whose WHERE clause carries a rule, and
 * when it changes no row the transaction fails with APO_ERR_INSUFFICIENT
 * and store_guard_tag(c) answers tag. PostgreSQL holds it back like
 * store_exec_later() and the server itself refuses it (the statement is
 * sent wrapped so that changing no row is an error), so a write that
 * depends on it can travel in the same round trip as the COMMIT: a row
 * it locks is held only while the server commits. SQLite runs it at once
 * and answers APO_ERR_INSUFFICIENT itself. A given q is used only this
 * way. Text is copied.
 */
enum apo_result store_exec_guarded(struct store_conn *c, struct store_sql *q,
				   const struct store_val *args, size_t n, int64_t tag);

/*
 * The tag of the store_exec_guarded() write whose refusal c reported last
 * in its current (or last) transaction; STORE_GUARD_NONE when none was.
 */
#define STORE_GUARD_NONE (-1)
int64_t store_guard_tag(struct store_conn *c);

/* Advances the cursor: 1 on a row, 0 at the end (or on error, logged). */
int store_next(struct store_rows *r);

/* Column accessors of the current row (0-based). */
int64_t store_int(struct store_rows *r, int col);
const char *store_text(struct store_rows *r, int col); /* NULL for SQL NULL */
int store_is_null(struct store_rows *r, int col);

void store_rows_free(struct store_rows *r);

/* Rows changed by the last INSERT/UPDATE/DELETE on c. */
int64_t store_changes(struct store_conn *c);

/*
 * How many writes this process has committed: bumped after each commit of
 * a transaction that ran a statement other than SELECT or PRAGMA, and after
 * each such statement run outside a transaction. Caches compare it to see
 * this process's own writes at once, before any version check falls due.
 */
uint64_t store_local_writes(void);

/*
 * A count that moves whenever a write is committed by this process
 * (store_local_writes()) or, where the backend counts them (SQLite, see
 * store_sqlite.c), by any apotheca process on the same database. Read it
 * before reading the data it is to vouch for. *others (may be NULL) is set
 * to 1 when other processes' commits are counted, 0 when only this
 * process's are.
 */
uint64_t store_writes_seen(struct store_conn *c, int *others);

/*
 * SQLite: how many rows this process's statements have stepped over in
 * full table scans since it started (SQLITE_STMTSTATUS_FULLSCAN_STEP,
 * summed). Tests read it to show a statement finds its rows by index.
 */
uint64_t store_sqlite_fullscan_steps(void);

/*
 * 1 when the backend itself makes the concurrent write transactions of
 * this process share their commits (SQLite's group commit, see
 * store_sqlite.c), so a caller gains nothing by putting several pieces of
 * work into one transaction of its own; 0 when every transaction commits
 * alone (PostgreSQL).
 */
int store_groups_commits(struct store_conn *c);

enum apo_result store_begin(struct store_conn *c, enum store_tx tx);
enum apo_result store_commit(struct store_conn *c);
/* Rolls back if a transaction is open; always safe to call. */
void store_rollback(struct store_conn *c);

/*
 * Hears the end of every explicit transaction on c, on c's thread, after
 * it ended: committed 1 after a successful store_commit(), 0 after a
 * failed one and after every store_rollback() (also one with nothing
 * open). The hook may run new transactions on c; their ends reach it
 * again. For work that must follow a commit without lengthening the
 * transaction (service/allocate.c). Set once at start (NULL: none).
 */
typedef void (*store_end_fn)(struct store_conn *c, int committed);
void store_on_end(store_end_fn fn);

/*
 * One read of store_read_many(): q with args, whose rows (all of them,
 * positioned before the first) are handed to read(rows, out) once. read
 * copies whatever it keeps.
 */
struct store_read {
	struct store_sql *q;
	const struct store_val *args;
	size_t n;
	void (*read)(struct store_rows *rows, void *out);
	void *out;
};

/*
 * Runs k reads that do not depend on one another: on PostgreSQL in one
 * round trip (one pipeline; outside a transaction they share one implicit
 * transaction, so one snapshot), on SQLite one after the other. Returns
 * the first failure; then reads after it may not have been handed
 * anything.
 */
enum apo_result store_read_many(struct store_conn *c, const struct store_read *reads, size_t k);

/*
 * A store_read_many() entry for a read of at most one row: set
 * store_read.read to store_read_one and .out to a struct store_one whose
 * read(rows, out) copies the row; found tells whether there was one.
 */
struct store_one {
	void (*read)(struct store_rows *rows, void *out);
	void *out;
	int found;
};
void store_read_one(struct store_rows *rows, void *one);

/*
 * Convenience: runs q expecting at most one row and reads its first column
 * as an integer into *out. APO_ERR_NOT_FOUND when there is no row.
 */
enum apo_result store_query_int(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n, int64_t *out);

/*
 * Convenience: runs q and reads the first column of up to max rows as
 * integers into out; *got says how many (0 when it fails).
 */
enum apo_result store_query_int_column(struct store_conn *c, struct store_sql *q,
				       const struct store_val *args, size_t n, int64_t *out,
				       size_t max, size_t *got);

/*
 * Convenience: runs q expecting at most one row and reads its first k
 * columns as integers into *out[0..k). APO_ERR_NOT_FOUND, with nothing
 * written, when there is no row.
 */
enum apo_result store_query_ints(struct store_conn *c, struct store_sql *q,
				 const struct store_val *args, size_t n, int64_t *const *out,
				 int k);

/*
 * Convenience: runs q expecting at most one row and hands it to
 * read(rows, out), which copies whatever it keeps (the row is gone when
 * this returns). APO_ERR_NOT_FOUND, without calling read, when there is
 * no row.
 */
enum apo_result store_query_row(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n,
				void (*read)(struct store_rows *rows, void *out), void *out);

#endif
