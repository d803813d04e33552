/*
 * The PostgreSQL backend: the scale-out store, where any number of apotheca
 * processes share one database. Each thread holds one libpq connection;
 * statements are prepared once per connection (named "s<id>") and then only
 * executed, with every parameter sent as text. Correctness across processes
 * comes from PostgreSQL itself — READ COMMITTED transactions, the row locks
 * and conditional UPDATEs the repositories write, unique indexes — never
 * from a lock in this file, which has no shared mutable state at all.
 *
 * Not for reconnecting by itself: a connection that lost its server reports
 * itself broken and store.c replaces it on the thread's next
 * store_thread_conn(). The check is cheap (one poll(2) with no timeout), so
 * a PostgreSQL restart is noticed before the next request's first query
 * rather than by failing it.
 *
 * Parameter types are fixed when a statement is first prepared on a
 * connection: an integer is declared bigint, text is declared text, and a
 * NULL is left for PostgreSQL to infer from the surrounding SQL.
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_backend.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Type oids from PostgreSQL's catalog (pg_type.dat); stable since forever. */
#define PG_OID_INT8 20
#define PG_OID_TEXT 25

/* How long a statement waits for a row lock before giving up (BUSY). */
#define PG_LOCK_TIMEOUT_MS 10000

/* Seconds a connection attempt may take, unless the URL says otherwise. */
#define PG_CONNECT_TIMEOUT_S "5"

/* TCP keepalive probes on idle connections: first after this many idle
 * seconds, then every interval, the connection declared dead after count
 * unanswered probes. */
#define PG_KEEPALIVE_IDLE_S "5"
#define PG_KEEPALIVE_INTERVAL_S "2"
#define PG_KEEPALIVE_COUNT "3"

/* Data sent but unacknowledged for this long (ms) breaks the connection. */
#define PG_TCP_USER_TIMEOUT_MS "15000"

/* Parameters formatted on the stack; more than this are allocated. */
#define PG_STACK_PARAMS 32

/* Room for an int64 in decimal with its sign and terminator. */
#define PG_INT_TEXT 24

/* Longest statement name: "s" and a statement id. */
#define PG_NAME_MAX 16

/* Connection failures logged at most this often (seconds), so a database
 * outage does not turn every request into a log line. */
#define PG_CONNECT_LOG_EVERY_S 5

/* The key of the advisory lock that serializes migrations ("apot"). */
#define PG_MIGRATION_LOCK_KEY "1634758516"

/* Input left unread on an idle connection is drained at most this often per
 * health check; a closed connection shows up within two reads. */
#define PG_IDLE_READS 4

/* A statement held back by store_exec_later(), its text arguments copied. */
struct pg_later {
	struct store_sql *q;
	struct store_val *args;
	size_t n;
	int guarded; /* store_exec_guarded(): sent wrapped, see guarded_sql() */
	int64_t tag;
	/* store_read_many(): its rows go to read(rows, out) when they come */
	void (*read)(struct store_rows *rows, void *out);
	void *out;
};

/* c->prepared[] bits: the plain statement, and its guarded form. */
#define PG_PREPARED_PLAIN 1
#define PG_PREPARED_GUARDED 2

/* SQLSTATE division_by_zero: how a guarded statement that changed no row fails. */
#define PG_GUARD_REFUSED "22012"

struct store_conn {
	struct store_conn_base base;
	PGconn *pg;
	int dead;	 /* a query failed because the connection is gone */
	int64_t changes; /* rows touched by the last command */
	unsigned char prepared[STORE_MAX_STATEMENTS];
	/*
	 * Round trips saved: store_begin() only notes that a transaction is
	 * wanted, and statements from store_exec_later() wait here; both go
	 * to the server in one pipeline with the next statement or COMMIT.
	 */
	int begin_pending;
	struct pg_later *later;
	size_t nlater, later_cap;
};

struct store_rows {
	const struct store_ops *ops;
	PGresult *res;
	int row; /* the current row; -1 before the first store_next() */
	int nrows;
};

static atomic_llong last_connect_log;

static void log_pg(int warn, const char *msg, const char *sqlstate, const char *error,
		   const char *sql)
{
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "\"sqlstate\":");
	json_quote(&b, sqlstate ? sqlstate : "");
	buf_adds(&b, ",\"error\":");
	json_quote(&b, error ? error : "");
	if (sql) {
		char head[121];
		fmt_into(head, sizeof(head), "%s", sql);
		buf_adds(&b, ",\"sql\":");
		json_quote(&b, head);
	}
	if (warn)
		log_warn(msg, "%s", b.data);
	else
		log_error(msg, "%s", b.data);
	buf_release(&b);
}

/* Server notices and warnings go to the JSON log, not raw to stderr. */
static void notice_to_log(void *arg, const PGresult *res)
{
	(void)arg;
	log_pg(1, "postgres notice", PQresultErrorField(res, PG_DIAG_SQLSTATE),
	       PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), NULL);
}

static int sqlstate_is(const char *state, const char *want)
{
	return state && strcmp(state, want) == 0;
}

/* Connection-level failures: the server went away or the link broke. */
static int connection_lost(PGconn *pg, const char *state)
{
	if (PQstatus(pg) != CONNECTION_OK)
		return 1;
	if (!state)
		return 0;
	/* 08P01 is a protocol violation in what we sent, not a lost link. */
	if (strncmp(state, "08", 2) == 0 && strcmp(state, "08P01") != 0)
		return 1;
	/* admin_shutdown, crash_shutdown, cannot_connect_now */
	if (sqlstate_is(state, "57P01") || sqlstate_is(state, "57P02") ||
	    sqlstate_is(state, "57P03"))
		return 1;
	/* read_only_sql_transaction: this server was a primary and is now a
	 * standby (a failover moved the primary). The link works but leads to
	 * the wrong server; a new connection through the load balancer finds
	 * the new primary. */
	return sqlstate_is(state, "25006");
}

/*
 * Maps a failed result (res may be NULL when libpq could not even make one)
 * to the program's result code, marking the connection broken when the
 * failure was the connection's.
 */
static enum apo_result map_error(struct store_conn *c, const PGresult *res, const char *what,
				 const char *sql)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg)
		msg = PQerrorMessage(c->pg);

	if (connection_lost(c->pg, state)) {
		c->dead = 1;
		log_pg(1, "postgres connection lost", state, msg, NULL);
		store_trouble(APO_ERR_UNAVAILABLE, "database connection lost");
		return APO_ERR_UNAVAILABLE;
	}
	/* insufficient_resources (53: disk full, out of memory, too many
	 * connections), io_error, read_only_sql_transaction */
	if ((state && strncmp(state, "53", 2) == 0) || sqlstate_is(state, "58030") ||
	    sqlstate_is(state, "25006")) {
		log_pg(1, "postgres storage failure", state, msg, NULL);
		store_trouble(APO_ERR_STORAGE,
			      sqlstate_is(state, "53100")   ? "disk full"
			      : sqlstate_is(state, "25006") ? "database is read-only"
			      : sqlstate_is(state, "58030") ? "I/O error"
							    : "database out of resources");
		return APO_ERR_STORAGE;
	}
	if (state && strncmp(state, "23", 2) == 0)
		return APO_ERR_CONFLICT;
	/* serialization_failure, deadlock_detected, lock_not_available,
	 * query_canceled (a statement timeout) */
	if (sqlstate_is(state, "40001") || sqlstate_is(state, "40P01") ||
	    sqlstate_is(state, "55P03") || sqlstate_is(state, "57014")) {
		log_pg(1, "postgres busy", state, msg, NULL);
		return APO_ERR_BUSY;
	}
	log_pg(0, what, state, msg, sql);
	return APO_ERR_INTERNAL;
}

/* Checks a result for success, clears it, and maps a failure. */
static enum apo_result check_clear(struct store_conn *c, PGresult *res, const char *what,
				   const char *sql)
{
	ExecStatusType st = PQresultStatus(res);
	enum apo_result rc = APO_OK;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		rc = map_error(c, res, what, sql);
	PQclear(res);
	return rc;
}

static void log_connect_failure(PGconn *pg)
{
	long long now = (long long)now_epoch();
	long long last = atomic_load(&last_connect_log);
	if (now - last < PG_CONNECT_LOG_EVERY_S ||
	    !atomic_compare_exchange_strong(&last_connect_log, &last, now))
		return;
	log_pg(1, "cannot connect to postgres", NULL, pg ? PQerrorMessage(pg) : "out of memory",
	       NULL);
}

static struct store_conn *pg_connect(const char *url)
{
	/* Defaults first: values in the URL (expanded from dbname) win. TCP
	 * keepalives and a user timeout make a server that vanished without
	 * closing the connection (a machine lost, a network cut) show up as
	 * a broken connection within PG_TCP_USER_TIMEOUT_MS instead of a
	 * request hanging for the kernel's default of many minutes. */
	const char *keys[] = {
	    "connect_timeout",	"application_name", "keepalives_idle", "keepalives_interval",
	    "keepalives_count", "tcp_user_timeout", "dbname",	       NULL};
	const char *vals[] = {PG_CONNECT_TIMEOUT_S,
			      "apotheca",
			      PG_KEEPALIVE_IDLE_S,
			      PG_KEEPALIVE_INTERVAL_S,
			      PG_KEEPALIVE_COUNT,
			      PG_TCP_USER_TIMEOUT_MS,
			      url,
			      NULL};
	PGconn *pg = PQconnectdbParams(keys, vals, 1);
	if (!pg || PQstatus(pg) != CONNECTION_OK) {
		log_connect_failure(pg);
		PQfinish(pg);
		return NULL;
	}
	PQsetNoticeReceiver(pg, notice_to_log, NULL);

	struct store_conn *c = xcalloc(1, sizeof(*c));
	c->base.ops = &store_pg_ops;
	c->pg = pg;
	/* Statements wait for row locks about as long as SQLite's writers wait
	 * for the database lock, then fail as BUSY instead of hanging. */
	char setup[128];
	fmt_into(setup, sizeof(setup), "SET client_min_messages = warning; SET lock_timeout = %d",
		 PG_LOCK_TIMEOUT_MS);
	if (check_clear(c, PQexec(pg, setup), "postgres session setup failed", setup) != APO_OK) {
		PQfinish(pg);
		free(c);
		return NULL;
	}
	return c;
}

/* Whether something waits to go with the next statement. */
static int pending(const struct store_conn *c)
{
	return c->begin_pending || c->nlater;
}

/* Forgets the held-back statements (sent, or their transaction ended). */
static void later_clear(struct store_conn *c)
{
	for (size_t i = 0; i < c->nlater; i++) {
		struct pg_later *l = &c->later[i];
		for (size_t k = 0; k < l->n; k++)
			if (l->args[k].kind == STORE_TEXT)
				free((char *)l->args[k].s);
		free(l->args);
	}
	c->nlater = 0;
}

static void pg_disconnect(struct store_conn *c)
{
	later_clear(c);
	free(c->later);
	PQfinish(c->pg);
	free(c);
}

/*
 * An idle connection should have nothing to read. If the socket is readable
 * the server either sent something unasked (a notice, or the FATAL message
 * it sends before closing on shutdown) or closed it: read what is there, let
 * libpq handle it, and see whether the connection survived.
 */
static int pg_broken(struct store_conn *c)
{
	if (c->dead || PQstatus(c->pg) != CONNECTION_OK)
		return 1;
	if (PQtransactionStatus(c->pg) != PQTRANS_IDLE || pending(c))
		return 0;
	for (int i = 0; i < PG_IDLE_READS; i++) {
		struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};
		if (p.fd < 0)
			return 1;
		if (poll(&p, 1, 0) <= 0)
			return 0;
		if (!PQconsumeInput(c->pg) || PQstatus(c->pg) != CONNECTION_OK)
			return 1;
		/* Parses what arrived (notices go to notice_to_log). */
		PQisBusy(c->pg);
		PGnotify *n;
		while ((n = PQnotifies(c->pg)))
			PQfreemem(n);
	}
	return PQstatus(c->pg) != CONNECTION_OK;
}

/*
 * Rewrites '?' placeholders to $1..$n, leaving quoted literals, quoted
 * identifiers and comments alone. Returns the new text (free() it) and the
 * number of placeholders in *count.
 */
static char *rewrite_placeholders(const char *sql, size_t *count)
{
	struct buf b;
	size_t n = 0;
	buf_init(&b);
	for (const char *p = sql; *p; p++) {
		if (*p == '\'' || *p == '"') {
			const char *end = strchr(p + 1, *p);
			if (!end)
				end = p + strlen(p) - 1;
			buf_add(&b, p, (size_t)(end - p) + 1);
			p = end;
		} else if (p[0] == '-' && p[1] == '-') {
			size_t len = strcspn(p, "\n");
			buf_add(&b, p, len);
			p += len;
			if (!*p)
				break;
			buf_addch(&b, '\n');
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			size_t len = end ? (size_t)(end - p) + 2 : strlen(p);
			buf_add(&b, p, len);
			p += len - 1;
		} else if (*p == '?') {
			buf_addf(&b, "$%zu", ++n);
		} else {
			buf_addch(&b, *p);
		}
	}
	*count = n;
	return buf_detach(&b, NULL);
}

static void statement_name(char *name, unsigned id, int guarded)
{
	fmt_into(name, PG_NAME_MAX, "%c%u", guarded ? 'g' : 's', id);
}

/*
 * The guarded form of an UPDATE (store_exec_guarded()): the server divides
 * by the number of rows it changed, so changing none fails the statement
 * (PG_GUARD_REFUSED) and with it the transaction, before a COMMIT sent
 * behind it in the same pipeline can run. Takes and returns malloc'd text.
 */
static char *guarded_sql(char *sql)
{
	struct buf b;
	buf_init(&b);
	buf_addf(&b, "WITH g AS (%s RETURNING 1) SELECT 1 / count(*) FROM g", sql);
	free(sql);
	return buf_detach(&b, NULL);
}

static Oid param_type(const struct store_val *v, Oid if_null)
{
	return v->kind == STORE_INT ? PG_OID_INT8 : v->kind == STORE_TEXT ? PG_OID_TEXT : if_null;
}

static enum apo_result prepare(struct store_conn *c, struct store_sql *q,
			       const struct store_val *args, size_t n, int guarded)
{
	const char *src = q->pg_sql ? q->pg_sql : q->sql;
	char name[PG_NAME_MAX];
	size_t count;
	Oid stack_types[PG_STACK_PARAMS];
	Oid *types = n <= PG_STACK_PARAMS ? stack_types : xmalloc(n * sizeof(*types));
	char *sql = rewrite_placeholders(src, &count);
	if (guarded)
		sql = guarded_sql(sql);
	int idle = PQtransactionStatus(c->pg) == PQTRANS_IDLE;
	PGresult *res;
	enum apo_result rc;

	if (count && count != n) {
		log_pg(0, "statement parameter count mismatch", NULL, "placeholders != arguments",
		       src);
		rc = APO_ERR_INTERNAL;
		goto out_free;
	}
	for (size_t i = 0; i < n; i++)
		types[i] = param_type(&args[i], 0);
	statement_name(name, q->id, guarded);
	res = PQprepare(c->pg, name, sql, (int)n, types);
	/*
	 * A NULL argument leaves its parameter's type to the SQL around it;
	 * alone (as in "? IS NULL") it has none. Outside a transaction the
	 * failed attempt did no harm, so try again with those typed as text.
	 */
	if (idle && sqlstate_is(PQresultErrorField(res, PG_DIAG_SQLSTATE), "42P18")) {
		PQclear(res);
		for (size_t i = 0; i < n; i++)
			types[i] = param_type(&args[i], PG_OID_TEXT);
		res = PQprepare(c->pg, name, sql, (int)n, types);
	}
	rc = check_clear(c, res, "postgres prepare failed", sql);
	if (rc == APO_OK)
		c->prepared[q->id] |= guarded ? PG_PREPARED_GUARDED : PG_PREPARED_PLAIN;
out_free:
	free(sql);
	if (types != stack_types)
		free(types);
	return rc;
}

static int64_t parse_count(const char *s)
{
	int64_t v;
	return s && *s && strnum_i64z(s, 0, INT64_MAX, &v) == 0 ? v : 0;
}

static enum apo_result pg_exec(struct store_conn *c, struct store_sql *q,
			       const struct store_val *args, size_t n, struct store_rows **rows);

/* Each argument as text (ints[i] holds an integer's digits), NULL for NULL. */
static void param_texts(const struct store_val *args, size_t n, char (*ints)[PG_INT_TEXT],
			const char **vals)
{
	for (size_t i = 0; i < n; i++) {
		switch (args[i].kind) {
		case STORE_INT:
			fmt_into(ints[i], PG_INT_TEXT, "%lld", (long long)args[i].i);
			vals[i] = ints[i];
			break;
		case STORE_TEXT:
			vals[i] = args[i].s;
			break;
		default:
			vals[i] = NULL;
		}
	}
}

/* Queues q in the pipeline (libpq copies the arguments at once). */
static int send_prepared(struct store_conn *c, struct store_sql *q, const struct store_val *args,
			 size_t n, int guarded)
{
	char name[PG_NAME_MAX];
	char(*ints)[PG_INT_TEXT] = n ? xmalloc(n * sizeof(*ints)) : NULL;
	const char **vals = n ? xmalloc(n * sizeof(*vals)) : NULL;
	param_texts(args, n, ints, vals);
	statement_name(name, q->id, guarded);
	int ok = PQsendQueryPrepared(c->pg, name, (int)n, vals, NULL, NULL, 0);
	free(ints);
	free(vals);
	return ok;
}

static int send_command(struct store_conn *c, const char *sql)
{
	return PQsendQueryParams(c->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
}

/* The pipeline could not be used as libpq promises: give the link up. */
static enum apo_result pipeline_broken(struct store_conn *c)
{
	log_pg(1, "postgres pipeline failed", NULL, PQerrorMessage(c->pg), NULL);
	c->dead = 1;
	store_trouble(APO_ERR_UNAVAILABLE, "database connection lost");
	return APO_ERR_UNAVAILABLE;
}

static int is_prepared(const struct store_conn *c, const struct store_sql *q, int guarded)
{
	return (c->prepared[q->id] & (guarded ? PG_PREPARED_GUARDED : PG_PREPARED_PLAIN)) != 0;
}

/*
 * The failure of the statement at index k of the pipeline (BEGIN first
 * when it was sent): a guarded statement that changed no row is a refusal
 * (APO_ERR_INSUFFICIENT, its tag noted), anything else as map_error().
 */
static enum apo_result pipeline_error(struct store_conn *c, const PGresult *res, size_t k,
				      int began, const char *sql)
{
	size_t li = k - (size_t)began;
	if (k >= (size_t)began && li < c->nlater && c->later[li].guarded &&
	    sqlstate_is(PQresultErrorField(res, PG_DIAG_SQLSTATE), PG_GUARD_REFUSED)) {
		c->base.guard_tag = c->later[li].tag;
		return APO_ERR_INSUFFICIENT;
	}
	return map_error(c, res, "postgres statement failed", sql);
}


/* Hands the result of pipeline statement k to its store_read_many() reader, if it has one. */
static void later_rows(struct store_conn *c, PGresult *res, size_t k, int began,
		       enum apo_result rc)
{
	size_t li = k - (size_t)began;
	if (rc != APO_OK || k < (size_t)began || li >= c->nlater || !c->later[li].read)
		return;
	struct store_rows r = {.ops = &store_pg_ops, .res = res, .row = -1, .nrows = PQntuples(res)};
	c->later[li].read(&r, c->later[li].out);
}

/*
 * One round trip for what is pending: the BEGIN store_begin() noted, the
 * statements store_exec_later() held back, then q with args — or COMMIT
 * when q is NULL — sent as one pipeline and answered together. Statements
 * new to this connection are prepared first (once per connection). Returns
 * the first failure (the server skips what follows it up to the sync; the
 * transaction is then failed, and the caller rolls back); on success *last
 * receives q's (or COMMIT's) result.
 */
static enum apo_result pipeline(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n, PGresult **last)
{
	enum apo_result rc = APO_OK;
	size_t sent = 0, got = 0;
	int began = c->begin_pending;
	int ok;

	*last = NULL;
	c->begin_pending = 0;
	for (size_t i = 0; i < c->nlater && rc == APO_OK; i++) {
		struct pg_later *l = &c->later[i];
		if (!is_prepared(c, l->q, l->guarded))
			rc = prepare(c, l->q, l->args, l->n, l->guarded);
	}
	if (rc == APO_OK && q && !is_prepared(c, q, 0))
		rc = prepare(c, q, args, n, 0);
	if (rc != APO_OK)
		goto out;
	ok = PQenterPipelineMode(c->pg);
	if (ok && began) {
		ok = send_command(c, "BEGIN");
		sent++;
	}
	for (size_t i = 0; ok && i < c->nlater; i++, sent++)
		ok = send_prepared(c, c->later[i].q, c->later[i].args, c->later[i].n,
				   c->later[i].guarded);
	if (ok) {
		ok = q ? send_prepared(c, q, args, n, 0) : send_command(c, "COMMIT");
		sent++;
	}
	ok = ok && PQpipelineSync(c->pg);
	if (!ok) {
		rc = pipeline_broken(c);
		goto out;
	}

	/* Each statement answers one result and a NULL; the sync ends it all. */
	for (int nulls = 0;;) {
		PGresult *res = PQgetResult(c->pg);
		if (!res) {
			/* One NULL ends each statement's answer; two in a row
			 * mean libpq has nothing more to give. */
			if (++nulls > 1) {
				rc = pipeline_broken(c);
				goto out;
			}
			continue;
		}
		nulls = 0;
		ExecStatusType st = PQresultStatus(res);
		if (st == PGRES_PIPELINE_SYNC) {
			PQclear(res);
			break;
		}
		got++;
		if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
			if (got == sent && rc == APO_OK)
				*last = res;
			else {
				later_rows(c, res, got - 1, began, rc);
				PQclear(res);
			}
			continue;
		}
		/* The first failure is the one to report; what follows it was skipped. */
		const char *sql = q && got == sent ? (q->pg_sql ? q->pg_sql : q->sql) : NULL;
		if (rc == APO_OK && st == PGRES_PIPELINE_ABORTED)
			rc = APO_ERR_INTERNAL;
		else if (rc == APO_OK)
			rc = pipeline_error(c, res, got - 1, began, sql);
		PQclear(res);
	}
	if (!PQexitPipelineMode(c->pg))
		rc = pipeline_broken(c);
	else if (rc == APO_OK && got != sent)
		rc = pipeline_broken(c);
out:
	later_clear(c);
	if (rc != APO_OK) {
		PQclear(*last);
		*last = NULL;
	}
	return rc;
}

static enum apo_result flush_pending(struct store_conn *c);

/* Holds q back for the next round trip (guarded: store_exec_guarded()). */
static enum apo_result queue_later(struct store_conn *c, struct store_sql *q,
				   const struct store_val *args, size_t n, int guarded, int64_t tag)
{
	if (c->nlater == c->later_cap) {
		c->later_cap = c->later_cap ? c->later_cap * 2 : 16;
		c->later = xrealloc(c->later, c->later_cap * sizeof(*c->later));
	}
	struct pg_later *l = &c->later[c->nlater++];
	l->q = q;
	l->n = n;
	l->guarded = guarded;
	l->tag = tag;
	l->read = NULL;
	l->out = NULL;
	l->args = n ? xmalloc(n * sizeof(*l->args)) : NULL;
	for (size_t i = 0; i < n; i++) {
		l->args[i] = args[i];
		if (args[i].kind == STORE_TEXT)
			l->args[i].s = xstrdup(args[i].s);
	}
	return APO_OK;
}

/* Whether statements held back now go with a later one (a transaction is open). */
static int in_transaction(struct store_conn *c)
{
	return c->begin_pending || PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
}

static enum apo_result pg_exec_later(struct store_conn *c, struct store_sql *q,
				     const struct store_val *args, size_t n)
{
	if (c->dead)
		return APO_ERR_UNAVAILABLE;
	if (!in_transaction(c))
		return pg_exec(c, q, args, n, NULL);
	return queue_later(c, q, args, n, 0, 0);
}

static enum apo_result pg_exec_guarded(struct store_conn *c, struct store_sql *q,
				       const struct store_val *args, size_t n, int64_t tag)
{
	if (c->dead)
		return APO_ERR_UNAVAILABLE;
	queue_later(c, q, args, n, 1, tag);
	/* Outside a transaction it runs at once, on its own. */
	return in_transaction(c) ? APO_OK : flush_pending(c);
}

static enum apo_result pg_read_later(struct store_conn *c, const struct store_read *r)
{
	if (c->dead)
		return APO_ERR_UNAVAILABLE;
	/* Queued even outside a transaction: store_read_many() sends the
	 * next read at once, and that carries this one. */
	queue_later(c, r->q, r->args, r->n, 0, 0);
	c->later[c->nlater - 1].read = r->read;
	c->later[c->nlater - 1].out = r->out;
	return APO_OK;
}

static enum apo_result pg_exec(struct store_conn *c, struct store_sql *q,
			       const struct store_val *args, size_t n, struct store_rows **rows)
{
	char stack_ints[PG_STACK_PARAMS][PG_INT_TEXT];
	const char *stack_vals[PG_STACK_PARAMS];
	char(*ints)[PG_INT_TEXT] = stack_ints;
	const char **vals = stack_vals;
	char name[PG_NAME_MAX];
	enum apo_result rc;

	PGresult *res;
	if (rows)
		*rows = NULL;
	if (c->dead)
		return APO_ERR_UNAVAILABLE;
	if (pending(c)) {
		if ((rc = pipeline(c, q, args, n, &res)) != APO_OK)
			return rc;
		goto answered;
	}
	if (!is_prepared(c, q, 0) && (rc = prepare(c, q, args, n, 0)) != APO_OK)
		return rc;
	if (n > PG_STACK_PARAMS) {
		ints = xmalloc(n * sizeof(*ints));
		vals = xmalloc(n * sizeof(*vals));
	}
	param_texts(args, n, ints, vals);
	statement_name(name, q->id, 0);
	res = PQexecPrepared(c->pg, name, (int)n, vals, NULL, NULL, 0);
	if (ints != stack_ints) {
		free(ints);
		free(vals);
	}

	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = map_error(c, res, "postgres statement failed", q->pg_sql ? q->pg_sql : q->sql);
		PQclear(res);
		return rc;
	}
answered:
	c->changes = parse_count(PQcmdTuples(res));
	if (!rows) {
		PQclear(res);
		return APO_OK;
	}
	struct store_rows *r = xmalloc(sizeof(*r));
	r->ops = &store_pg_ops;
	r->res = res;
	r->row = -1;
	r->nrows = PQntuples(res);
	*rows = r;
	return APO_OK;
}

static int pg_next(struct store_rows *r)
{
	if (r->row + 1 >= r->nrows) {
		r->row = r->nrows;
		return 0;
	}
	r->row++;
	return 1;
}

static int row_ok(const struct store_rows *r, int col)
{
	return r->row >= 0 && r->row < r->nrows && col >= 0 && col < PQnfields(r->res);
}

static int pg_col_null(struct store_rows *r, int col)
{
	return !row_ok(r, col) || PQgetisnull(r->res, r->row, col);
}

static int64_t pg_col_int(struct store_rows *r, int col)
{
	int64_t v;
	if (pg_col_null(r, col))
		return 0;
	const char *s = PQgetvalue(r->res, r->row, col);
	size_t len = (size_t)PQgetlength(r->res, r->row, col);
	if (strnum_i64(s, len, INT64_MIN, INT64_MAX, &v) == 0)
		return v;
	/* A boolean expression (EXISTS, a comparison) reads as 0/1. */
	if (len == 1 && (s[0] == 't' || s[0] == 'f'))
		return s[0] == 't';
	log_pg(1, "postgres column is not an integer", NULL, s, PQfname(r->res, col));
	return 0;
}

static const char *pg_col_text(struct store_rows *r, int col)
{
	if (pg_col_null(r, col))
		return NULL;
	return PQgetvalue(r->res, r->row, col);
}

static void pg_rows_free(struct store_rows *r)
{
	PQclear(r->res);
	free(r);
}

static int64_t pg_changes(struct store_conn *c)
{
	return c->changes;
}

/* Sends what is pending on its own (before a command outside the pipeline). */
static enum apo_result flush_pending(struct store_conn *c)
{
	PGresult *res;
	static struct store_sql q_nothing = {.sql = "SELECT 1"};
	if (!pending(c))
		return APO_OK;
	store_sql_id(&q_nothing);
	enum apo_result rc = pipeline(c, &q_nothing, NULL, 0, &res);
	PQclear(res);
	return rc;
}

static enum apo_result simple(struct store_conn *c, const char *sql, const char *what)
{
	enum apo_result rc;
	if (c->dead)
		return APO_ERR_UNAVAILABLE;
	if ((rc = flush_pending(c)) != APO_OK)
		return rc;
	return check_clear(c, PQexec(c->pg, sql), what, sql);
}

/* Both kinds are READ COMMITTED: writers take their row locks explicitly. */
/*
 * Both kinds are READ COMMITTED: writers take their row locks explicitly.
 * The BEGIN travels with the transaction's first statement.
 */
static enum apo_result pg_begin(struct store_conn *c, enum store_tx tx)
{
	(void)tx;
	if (c->dead)
		return APO_ERR_UNAVAILABLE;
	if (c->begin_pending || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return simple(c, "BEGIN", "postgres begin failed"); /* as before: a warning */
	c->begin_pending = 1;
	return APO_OK;
}

static enum apo_result pg_commit(struct store_conn *c)
{
	PGresult *res;
	if (c->dead)
		return APO_ERR_UNAVAILABLE;
	if (c->begin_pending && !c->nlater) {
		/* Nothing ran: there is nothing to commit. */
		c->begin_pending = 0;
		return APO_OK;
	}
	if (pending(c)) {
		enum apo_result rc = pipeline(c, NULL, NULL, 0, &res);
		if (rc != APO_OK)
			return rc;
	} else {
		res = PQexec(c->pg, "COMMIT");
	}
	ExecStatusType st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK) {
		enum apo_result rc = map_error(c, res, "postgres commit failed", NULL);
		PQclear(res);
		return rc;
	}
	/* COMMIT of a transaction that already failed answers ROLLBACK. */
	int rolled_back = strcmp(PQcmdStatus(res), "ROLLBACK") == 0;
	PQclear(res);
	if (rolled_back) {
		log_error("postgres commit rolled back a failed transaction", NULL);
		return APO_ERR_INTERNAL;
	}
	return APO_OK;
}

static void pg_rollback(struct store_conn *c)
{
	/* Held back, never sent: the server saw none of it. */
	c->begin_pending = 0;
	later_clear(c);
	PGTransactionStatusType ts = PQtransactionStatus(c->pg);
	if (c->dead || (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR))
		return;
	simple(c, "ROLLBACK", "postgres rollback failed");
}

static enum apo_result pg_script(struct store_conn *c, const char *sql)
{
	return simple(c, sql, "postgres script failed");
}

static enum apo_result pg_migration_lock(struct store_conn *c)
{
	return simple(c, "SELECT pg_advisory_xact_lock(" PG_MIGRATION_LOCK_KEY ")",
		      "postgres migration lock failed");
}

const struct store_ops store_pg_ops = {
    .name = "postgres",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .broken = pg_broken,
    .exec = pg_exec,
    .exec_later = pg_exec_later,
    .exec_guarded = pg_exec_guarded,
    .read_later = pg_read_later,
    .next = pg_next,
    .col_int = pg_col_int,
    .col_text = pg_col_text,
    .col_null = pg_col_null,
    .rows_free = pg_rows_free,
    .changes = pg_changes,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .script = pg_script,
    .migration_lock = pg_migration_lock,
    .id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
};
