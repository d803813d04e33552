/*
 * The SQLite backend: one database file in WAL mode, one reading connection
 * per thread, and group commit for writers; every write is on disk before
 * its writer hears it is committed.
 *
 * SQLite admits one writer at a time, and a durable commit waits for the
 * disk. So all write transactions of this process run, one after another,
 * on a single shared writer connection (struct group), each inside a
 * SAVEPOINT of an outer transaction that stays open while more writers are
 * queued. When a writer's savepoint is released and nobody is queued behind
 * it (or the group is full), it COMMITs the whole group: one disk sync makes
 * every member durable, and each member's store_commit() returns only after
 * that. A member whose work fails rolls back to its own savepoint without
 * touching the others. Isolation is unchanged: members run strictly one at a
 * time, and nothing outside the writer connection sees their changes before
 * the group commits.
 *
 * The disk sync runs after the writer connection is free again, so the next
 * group's members run their transactions while the previous group's sync is
 * under way. The writer connection commits with synchronous=NORMAL (in WAL
 * mode a COMMIT then appends the group's pages to the WAL and returns), and
 * the committing member then syncs the WAL file itself (fdatasync), sharing
 * one sync with any group that committed in the meantime; only then are the
 * group's members told their transactions are committed. The WAL is written
 * in order, so a sync makes durable every commit before it too. A reader may
 * see a group's rows between its COMMIT and the end of its sync (about a
 * millisecond), before they are durable; a crash of the process alone
 * loses nothing written, only a crash of the machine in that window does,
 * and the writers were not answered yet. When the database is not in WAL mode (a file system without
 * shared memory, an in-memory database), commits sync inside COMMIT as
 * before (synchronous=FULL).
 *
 * Statements outside an explicit transaction run on the thread's own
 * connection when they only read, and as a one-statement write transaction
 * through the group when they write. Other processes sharing the file (the
 * CLI) meet SQLite's busy timeout as usual and sync their own commits the
 * same way; whichever process checkpoints syncs the WAL first, so a
 * checkpoint never outruns a commit that was not synced yet.
 *
 * Every apotheca process on the file counts its commits in a small file
 * beside it, <database>-commits (one 64-bit counter, mapped shared and
 * added to after each group COMMIT that changed a row): another process's read
 * cache then learns with a memory read, without SQLite's read lock, that
 * nothing was committed since it last looked (store_writes_seen()). The
 * counter is made the way SQLite makes its -shm file: written once
 * before it is mapped, so a full disk cannot fault the mapping later, and
 * given the database file's mode and owner. Writers other than apotheca
 * (the sqlite3 shell) do not count; the cache bounds what they can hide.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_backend.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* How long a connection waits for another process's write lock. */
#define SQLITE_BUSY_MS 10000
/* The most write transactions one group COMMIT makes durable. */
#define SQLITE_GROUP_MAX 64

/*
 * A member of the open group that released its savepoint and waits to hear
 * whether the group's commit is durable (on its own stack: only it is woken).
 */
struct waiter {
	sem_t done;	    /* posted once rc is set */
	enum apo_result rc; /* the commit's outcome for it */
	struct waiter *next;
};

/* The group's own statements on the writer connection. */
enum group_stmt { G_BEGIN, G_SAVEPOINT, G_RELEASE, G_ROLLBACK_TO, G_COMMIT, G_NSTMT };

static const char *const group_sql[G_NSTMT] = {
    [G_BEGIN] = "BEGIN IMMEDIATE",  [G_SAVEPOINT] = "SAVEPOINT member",
    [G_RELEASE] = "RELEASE member", [G_ROLLBACK_TO] = "ROLLBACK TO member",
    [G_COMMIT] = "COMMIT",
};

/* The shared writer of one database file (see the file comment). */
struct group {
	char *path;
	int refs; /* connections using it; under groups_lock */
	sqlite3 *db;
	sqlite3_stmt *stmts[STORE_MAX_STATEMENTS];
	sqlite3_stmt *gstmts[G_NSTMT];
	pthread_mutex_t lock;	/* held by the member running its transaction */
	int queued;		/* writers waiting for lock; atomic */
	int open;		/* the outer transaction is open */
	int members;		/* released savepoints in the open outer transaction */
	struct waiter *pending; /* their waiters */
	int deferred;		/* its COMMIT waits for the sync under way */
	uint64_t opened;	/* outer transactions begun: which one is open */
	uint64_t commits;	/* group COMMITs done; written under lock, atomic */
	/* Durability of the COMMITs (see the file comment). */
	pthread_mutex_t sync_lock;
	pthread_cond_t sync_cv;
	int wal;	 /* 1: WAL mode, commits are synced by group_sync */
	char *wal_path;	 /* the WAL file */
	int wal_fd;	 /* open on wal_path, -1 until the first sync; the syncing thread's */
	int syncing;	 /* a member is syncing now; written under sync_lock, atomic */
	int sync_failed; /* a sync failed: nothing later is durable; under sync_lock */
	uint64_t synced; /* COMMITs up to this one are on disk; under sync_lock */
	_Atomic uint64_t *shared; /* the <database>-commits counter; NULL when unavailable */
	int64_t counted;	  /* sqlite3_total_changes64(db) at the last count; under lock */
	struct group *next;
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct group *groups;

/*
 * A read transaction's statements. Kept prepared: through sqlite3_exec
 * they were parsed on every request that reads in a snapshot (the parser
 * was ~7% of an inventory check).
 */
enum read_stmt { R_BEGIN, R_COMMIT, R_ROLLBACK, READ_NSTMTS };
static const char *const read_sql[READ_NSTMTS] = {"BEGIN", "COMMIT", "ROLLBACK"};

struct store_conn {
	struct store_conn_base base;
	sqlite3 *db;	   /* this thread's own connection (reads) */
	struct group *g;
	int writing;	   /* inside a write transaction on g->db (holds g->lock) */
	int in_read_tx;	   /* inside a read transaction on db */
	int64_t changes;   /* rows changed by the last statement */
	sqlite3_stmt *stmts[STORE_MAX_STATEMENTS];
	sqlite3_stmt *rstmts[READ_NSTMTS]; /* read transactions' own, prepared on first use */
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
	int rc = sqlite3_open_v2(
	    path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
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
		log_text(LOG_ERROR, "cannot configure sqlite", "error", sqlite3_errmsg(db), NULL,
			 NULL);
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/*
 * Maps the commit counter beside the database file (see the file comment);
 * NULL, logged, when it cannot: this process's cache then checks the
 * database on every read, and other processes learn of its commits only
 * when their checks fall due.
 */
static _Atomic uint64_t *shared_counter(const char *file)
{
	struct stat db, st;
	static const char suffix[] = "-commits";
	size_t len = strlen(file);
	char *path = xmalloc(len + sizeof(suffix));
	void *map = MAP_FAILED;
	int fd = -1;

	memcpy(path, file, len);
	memcpy(path + len, suffix, sizeof(suffix));
	if (stat(file, &db) != 0 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, db.st_mode & 0666)) < 0 ||
	    fstat(fd, &st) != 0)
		goto out;
	if (geteuid() == 0 && (st.st_uid != db.st_uid || st.st_gid != db.st_gid) &&
	    fchown(fd, db.st_uid, db.st_gid) != 0)
		goto out;
	if (st.st_size < (off_t)sizeof(uint64_t)) {
		uint64_t zero = 0;
		if (pwrite(fd, &zero, sizeof(zero), 0) != (ssize_t)sizeof(zero))
			goto out;
	}
	map = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
out:
	if (map == MAP_FAILED)
		log_text(LOG_WARN, "no shared commit counter: the read cache checks every read",
			 "path", path, "error", strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return map == MAP_FAILED ? NULL : map;
}

/* Counts a commit, for every process's store_writes_seen(). */
static void shared_bump(struct group *g)
{
	if (g->shared)
		atomic_fetch_add_explicit(g->shared, 1, memory_order_release);
}

/*
 * Holding g->lock, after a group COMMIT: counts it when it changed a row.
 * (The sweeper's tasks commit every second, mostly having deleted nothing;
 * counting those would make every process ask its database as often.)
 */
static void count_group_commit(struct group *g)
{
	int64_t total = sqlite3_total_changes64(g->db);
	if (total != g->counted) {
		g->counted = total;
		shared_bump(g);
	}
}

/*
 * Readies a new group's writer connection: its own statements, and in WAL
 * mode synchronous=NORMAL with the WAL's name, for group_sync(). 0 or -1.
 */
static int group_setup(struct group *g)
{
	sqlite3_stmt *st = NULL;
	int wal = 0;
	for (int i = 0; i < G_NSTMT; i++)
		if (sqlite3_prepare_v3(g->db, group_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &g->gstmts[i], NULL) != SQLITE_OK)
			return -1;
	if (sqlite3_prepare_v2(g->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		wal = mode && strcmp(mode, "wal") == 0;
	}
	sqlite3_finalize(st);
	const char *file = sqlite3_db_filename(g->db, "main");
	const char *wal_file = file && *file ? sqlite3_filename_wal(file) : NULL;
	g->wal_fd = -1;
	if (wal && wal_file && *wal_file &&
	    sqlite3_exec(g->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) == SQLITE_OK) {
		g->wal = 1;
		g->wal_path = xstrdup(wal_file);
	}
	if (file && *file)
		g->shared = shared_counter(file);
	return 0;
}

static void group_free(struct group *g)
{
	for (size_t i = 0; i < STORE_MAX_STATEMENTS; i++)
		sqlite3_finalize(g->stmts[i]);
	for (int i = 0; i < G_NSTMT; i++)
		sqlite3_finalize(g->gstmts[i]);
	sqlite3_close(g->db);
	if (g->wal_fd >= 0)
		close(g->wal_fd);
	if (g->shared)
		munmap((void *)g->shared, sizeof(uint64_t));
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->sync_lock);
	pthread_cond_destroy(&g->sync_cv);
	free(g->wal_path);
	free(g->path);
	free(g);
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
			g->wal_fd = -1;
			pthread_mutex_init(&g->lock, NULL);
			pthread_mutex_init(&g->sync_lock, NULL);
			pthread_cond_init(&g->sync_cv, NULL);
			if (group_setup(g) != 0) {
				log_text(LOG_ERROR, "cannot prepare the sqlite writer", "error",
					 sqlite3_errmsg(db), NULL, NULL);
				group_free(g);
				g = NULL;
			} else {
				g->next = groups;
				groups = g;
			}
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
		group_free(g);
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
	for (size_t i = 0; i < READ_NSTMTS; i++)
		sqlite3_finalize(c->rstmts[i]);
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

/*
 * Binds args to st. With borrow, SQLite uses the caller's text in place:
 * only for a statement stepped to its end and reset before the caller
 * gets control back. Rows handed to the caller keep the statement live
 * after args may be gone, so their text is copied.
 */
static enum apo_result bind_all(sqlite3 *db, sqlite3_stmt *st, const struct store_val *args,
				size_t n, int borrow)
{
	for (size_t i = 0; i < n; i++) {
		int rc, idx = (int)i + 1;
		switch (args[i].kind) {
		case STORE_INT:
			rc = sqlite3_bind_int64(st, idx, args[i].i);
			break;
		case STORE_TEXT:
			rc = sqlite3_bind_text(st, idx, args[i].s, -1,
					       borrow ? SQLITE_STATIC : SQLITE_TRANSIENT);
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

/* Rows stepped over by full table scans, every statement of this process. */
static _Atomic uint64_t fullscan_steps;

uint64_t store_sqlite_fullscan_steps(void)
{
	return atomic_load(&fullscan_steps);
}

/* Before st is reset: adds its full-scan steps to the count, and zeroes them. */
static void count_fullscan(sqlite3_stmt *st)
{
	int n = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
	if (n > 0)
		atomic_fetch_add(&fullscan_steps, (uint64_t)n);
}

static enum apo_result run(struct store_conn *c, sqlite3_stmt *st, const struct store_val *args,
			   size_t n, struct store_rows **rows)
{
	sqlite3 *db = cur_db(c);
	enum apo_result res;
	int rc;

	if ((res = bind_all(db, st, args, n, rows == NULL)) != APO_OK)
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
	count_fullscan(st);
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
		log_text(LOG_ERROR,
			 "sqlite: a writing statement that returns rows needs a transaction", "sql",
			 q->sql, NULL, NULL);
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
	count_fullscan(r->st);
	sqlite3_reset(r->st);
	sqlite3_clear_bindings(r->st);
	free(r);
}

static int64_t sq_changes(struct store_conn *c)
{
	return c->changes;
}

/* Runs one of the thread's read-transaction statements; SQLite's result code. */
static int rstep(struct store_conn *c, enum read_stmt which)
{
	sqlite3_stmt **st = &c->rstmts[which];
	int rc = SQLITE_OK;
	if (!*st)
		rc = sqlite3_prepare_v3(c->db, read_sql[which], -1, SQLITE_PREPARE_PERSISTENT, st,
					NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(*st);
	sqlite3_reset(*st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int gexec(struct group *g, const char *sql)
{
	return sqlite3_exec(g->db, sql, NULL, NULL, NULL);
}

/* Runs one of the group's own prepared statements; SQLite's result code. */
static int gstep(struct group *g, enum group_stmt which)
{
	sqlite3_stmt *st = g->gstmts[which];
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Syncs the directory holding path (a WAL just created is durable only with its entry). */
static int dir_sync(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir =
	    slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/*
 * Makes everything the writer connection has appended to the WAL durable.
 * Called by one thread at a time (group.syncing). 0, or -1 with errno.
 */
static int wal_sync(struct group *g)
{
	struct stat st;
	/* The WAL outlives every commit while a connection of ours is open; should
	 * it ever be removed and made anew, sync the new one. */
	if (g->wal_fd >= 0 && (fstat(g->wal_fd, &st) != 0 || st.st_nlink == 0)) {
		close(g->wal_fd);
		g->wal_fd = -1;
	}
	if (g->wal_fd < 0) {
		int fd = open(g->wal_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		if (dir_sync(g->wal_path) != 0) {
			int err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		g->wal_fd = fd;
	}
	return fdatasync(g->wal_fd);
}

/*
 * Waits until the group COMMITs up to number n are on disk, syncing the WAL
 * itself when no other thread is (one sync covers every COMMIT before it).
 * APO_OK, or APO_ERR_STORAGE once a sync has failed: after a failed sync the
 * kernel may have dropped the pages, so nothing later is trusted as durable
 * until the server restarts.
 */
static enum apo_result group_sync(struct group *g, uint64_t n)
{
	enum apo_result res = APO_OK;
	if (!g->wal)
		return APO_OK; /* synchronous=FULL: COMMIT synced */
	pthread_mutex_lock(&g->sync_lock);
	while (g->synced < n && !g->sync_failed) {
		if (g->syncing) {
			pthread_cond_wait(&g->sync_cv, &g->sync_lock);
			continue;
		}
		__atomic_store_n(&g->syncing, 1, __ATOMIC_SEQ_CST);
		uint64_t upto = __atomic_load_n(&g->commits, __ATOMIC_ACQUIRE);
		pthread_mutex_unlock(&g->sync_lock);
		int rc = wal_sync(g);
		int err = errno;
		pthread_mutex_lock(&g->sync_lock);
		__atomic_store_n(&g->syncing, 0, __ATOMIC_SEQ_CST);
		if (rc == 0) {
			if (upto > g->synced)
				g->synced = upto;
		} else {
			g->sync_failed = 1;
			log_text(LOG_ERROR, "sqlite WAL sync failed", "path", g->wal_path, "error",
				 strerror(err));
		}
		pthread_cond_broadcast(&g->sync_cv);
	}
	if (g->synced < n)
		res = APO_ERR_STORAGE;
	pthread_mutex_unlock(&g->sync_lock);
	if (res != APO_OK)
		store_trouble(APO_ERR_STORAGE, "I/O error");
	return res;
}

static enum apo_result sq_begin(struct store_conn *c, enum store_tx tx)
{
	struct group *g = c->g;
	int rc;

	if (tx == STORE_TX_READ) {
		rc = rstep(c, R_BEGIN);
		c->in_read_tx = rc == SQLITE_OK;
		return map_rc(c->db, rc, "begin");
	}
	__atomic_add_fetch(&g->queued, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&g->lock);
	__atomic_sub_fetch(&g->queued, 1, __ATOMIC_SEQ_CST);
	if (!g->open) {
		if ((rc = gstep(g, G_BEGIN)) != SQLITE_OK) {
			pthread_mutex_unlock(&g->lock);
			return map_rc(g->db, rc, "begin");
		}
		g->open = 1;
		g->opened++;
	}
	if ((rc = gstep(g, G_SAVEPOINT)) != SQLITE_OK) {
		enum apo_result res = map_rc(g->db, rc, "savepoint");
		c->writing = 1;
		sq_rollback(c);
		return res;
	}
	c->writing = 1;
	return APO_OK;
}

/* Tells each waiter of list the outcome of its group's commit. */
static void wake(struct waiter *list, enum apo_result res)
{
	while (list) {
		struct waiter *next = list->next; /* list may be gone once posted */
		list->rc = res;
		sem_post(&list->done);
		list = next;
	}
}

/*
 * COMMITs the open group (holding g->lock, which it releases), syncs, and
 * tells its members. The outcome for them.
 */
static enum apo_result commit_group(struct group *g)
{
	enum apo_result res = APO_OK;
	struct waiter *list = g->pending;
	g->pending = NULL;
	g->deferred = 0;
	int rc = gstep(g, G_COMMIT);
	if (rc != SQLITE_OK) {
		res = map_rc(g->db, rc, "commit");
		gexec(g, "ROLLBACK");
	} else if (list) {
		__atomic_add_fetch(&g->commits, 1, __ATOMIC_RELEASE);
		count_group_commit(g);
	}
	uint64_t n = g->commits;
	g->open = 0;
	g->members = 0;
	pthread_mutex_unlock(&g->lock);
	if (res == APO_OK)
		res = group_sync(g, n);
	wake(list, res);
	return res;
}

/* Waits until no sync of g is under way. */
static void sync_idle(struct group *g)
{
	pthread_mutex_lock(&g->sync_lock);
	while (g->syncing)
		pthread_cond_wait(&g->sync_cv, &g->sync_lock);
	pthread_mutex_unlock(&g->sync_lock);
}

/*
 * Ends the current member (holding g->lock). When nobody is queued behind
 * it, or the group is full, the group COMMITs; otherwise a later member
 * will, and this one waits to be told. Returns with g->lock released, once
 * the member's commit is durable (or failed). w is the member's waiter, or
 * NULL for a member that rolled back: that one still waits until the
 * commits before it are durable, so what it answers (a reference already
 * taken, say) never rests on a commit a crash could undo.
 *
 * While the previous group's sync is under way, a COMMIT now could not be
 * synced before that sync ends anyway: the member leaves the group open
 * (deferred) for others to join meanwhile, waits for the sync to end, and
 * then commits it, unless another member has done so first.
 */
static enum apo_result settle(struct store_conn *c, struct waiter *w)
{
	struct group *g = c->g;
	int commit =
	    g->members >= SQLITE_GROUP_MAX || __atomic_load_n(&g->queued, __ATOMIC_SEQ_CST) == 0;

	c->writing = 0;
	if (commit && g->members > 0 && g->members < SQLITE_GROUP_MAX &&
	    __atomic_load_n(&g->syncing, __ATOMIC_SEQ_CST)) {
		uint64_t mine = g->opened;
		g->deferred = 1;
		pthread_mutex_unlock(&g->lock);
		sync_idle(g);
		pthread_mutex_lock(&g->lock);
		/* Only its own group: once another member committed that, this
		 * one's waiter may be told at any moment and must be waited for. */
		commit = g->open && g->deferred && g->opened == mine;
	}
	if (commit) {
		enum apo_result res = commit_group(g);
		return w ? res : APO_OK;
	}
	uint64_t seen = g->commits;
	pthread_mutex_unlock(&g->lock);
	if (!w) {
		(void)group_sync(g, seen);
		return APO_OK;
	}
	while (sem_wait(&w->done) != 0)
		; /* EINTR */
	return w->rc;
}

static enum apo_result sq_commit(struct store_conn *c)
{
	struct group *g = c->g;
	if (c->in_read_tx) {
		c->in_read_tx = 0;
		return map_rc(c->db, rstep(c, R_COMMIT), "commit");
	}
	if (!c->writing)
		return APO_OK;
	int rc = gstep(g, G_RELEASE);
	if (rc != SQLITE_OK) {
		enum apo_result res = map_rc(g->db, rc, "release");
		sq_rollback(c);
		return res;
	}
	struct waiter w = {.rc = APO_OK};
	sem_init(&w.done, 0, 0);
	w.next = g->pending;
	g->pending = &w;
	g->members++;
	enum apo_result res = settle(c, &w);
	sem_destroy(&w.done);
	return res;
}

static void sq_rollback(struct store_conn *c)
{
	if (c->in_read_tx) {
		rstep(c, R_ROLLBACK);
		c->in_read_tx = 0;
	}
	if (!c->writing)
		return;
	if (gstep(c->g, G_ROLLBACK_TO) == SQLITE_OK)
		gstep(c->g, G_RELEASE);
	settle(c, NULL);
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
	if (!c->writing && !c->in_read_tx)
		shared_bump(c->g); /* it may have written, outside any group */
	return APO_OK;
}

static int sq_shared_writes(struct store_conn *c, uint64_t *n)
{
	if (!c->g->shared)
		return 0;
	*n = atomic_load_explicit(c->g->shared, memory_order_acquire);
	return 1;
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
	.shared_writes = sq_shared_writes,
	.migration_lock = sq_migration_lock,
	.id_column = "INTEGER PRIMARY KEY AUTOINCREMENT",
	.groups_commits = 1,
};
