/*
 * What a storage backend implements (private to src/store/). store.c owns
 * the shared parts — statement ids, per-thread connections, migrations —
 * and calls these for everything that touches the database.
 */
#ifndef APO_STORE_BACKEND_H
#define APO_STORE_BACKEND_H

#include "store/store.h"

struct store_ops {
	const char *name;
	/* Opens a connection; NULL (logged) on failure. */
	struct store_conn *(*connect)(const char *url);
	void (*disconnect)(struct store_conn *c);
	/* True when the connection is known to be broken. */
	int (*broken)(struct store_conn *c);
	enum apo_result (*exec)(struct store_conn *c, struct store_sql *q,
				const struct store_val *args, size_t n, struct store_rows **rows);
	/* store_exec_later(); NULL: run at once with exec. */
	enum apo_result (*exec_later)(struct store_conn *c, struct store_sql *q,
				      const struct store_val *args, size_t n);
	/* store_exec_guarded(), refusing with APO_ERR_INSUFFICIENT and setting
	 * the connection's guard_tag; NULL: store.c runs it at once with exec
	 * and checks changes. */
	enum apo_result (*exec_guarded)(struct store_conn *c, struct store_sql *q,
					const struct store_val *args, size_t n, int64_t tag);
	/* A read of store_read_many() held back for the next statement, in or
	 * out of a transaction; NULL: store.c runs the reads one by one. */
	enum apo_result (*read_later)(struct store_conn *c, const struct store_read *r);
	int (*next)(struct store_rows *r);
	int64_t (*col_int)(struct store_rows *r, int col);
	const char *(*col_text)(struct store_rows *r, int col);
	int (*col_null)(struct store_rows *r, int col);
	void (*rows_free)(struct store_rows *r);
	int64_t (*changes)(struct store_conn *c);
	enum apo_result (*begin)(struct store_conn *c, enum store_tx tx);
	enum apo_result (*commit)(struct store_conn *c);
	void (*rollback)(struct store_conn *c);
	/* Runs a multi-statement script outside the statement cache. */
	enum apo_result (*script)(struct store_conn *c, const char *sql);
	/* Serializes migrations across processes (inside a transaction). */
	enum apo_result (*migration_lock)(struct store_conn *c);
	/* The commits every process has counted on the database (SQLite's
	 * <database>-commits) into *n: 1, or 0 when not counted (NULL: never). */
	int (*shared_writes)(struct store_conn *c, uint64_t *n);
	/* Text substituted for "{{ID}}" in migrations: an auto id primary key. */
	const char *id_column;
	/* 1: concurrent write transactions of a process share commits already. */
	int groups_commits;
};

/* Every connection starts with this header so store.c can find its ops. */
/*
 * Backends report failures that are the environment's, not a bug (disk
 * full, read-only file, I/O error, database unreachable) here, with a
 * short reason; /readyz reports the latest until a probe write succeeds.
 */
void store_trouble(enum apo_result rc, const char *reason);

struct store_conn_base {
	const struct store_ops *ops;
	int64_t guard_tag; /* store_guard_tag() */
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_pg_ops;

/* Migrations compiled into the binary (generated from migrations/). */
struct store_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_nmigrations;

/* Assigns q its statement id on first use. */
unsigned store_sql_id(struct store_sql *q);

#endif
