/*
 * The read cache: what an inventory check and a track read, kept in this
 * process's memory so a repeated read costs no query — merchants (with
 * their charges), the platform catalog's prices and flags, coupons,
 * pincodes, and each order's rendered track answer.
 *
 * Stock and a limited coupon's use count are not versioned: they change
 * with every order. A quote reads them from the database (stock may be
 * answered from a read at most check_ms old when no counted commit came
 * since, see cache_stock()), and an order reserves stock and counts coupon uses in
 * its own transaction as before: nothing here ever sells anything.
 *
 * Invalidation works across processes through version rows (migration
 * 008): a trigger bumps the family's row of cache_versions in the
 * transaction that changes merchants, charges, catalog, coupons or
 * pincodes, and bumps orders.version whenever an order or anything its
 * track answer shows changes. cache_sync() compares the versions it holds
 * with the database's and drops a family whose version moved. It asks the
 * database only when it must (check_ms is APOTHECA_CACHE_CHECK_MS):
 *   - after a commit counted by store_writes_seen() since the last sync:
 *     this process's own writes, and on SQLite every apotheca process's
 *     (the shared <database>-commits count), show at the next request;
 *   - otherwise once check_ms has passed since the last sync, which bounds
 *     what no count covers: another process on PostgreSQL, and on SQLite
 *     a writer that is not apotheca (the sqlite3 shell);
 *   - on SQLite the asking costs no round trip: PRAGMA data_version (no
 *     I/O) tells the connection whether anything was committed since it
 *     last looked, and the versions are read only then. Without the shared
 *     count (it could not be made) SQLite asks on every request.
 *
 * Threads: every function may be called from any thread with that
 * thread's connection. Entries are loaded on first use; a loader tags what
 * it loads with the versions its sync read before it loaded, and an entry
 * whose tag is older than the family's current version is dropped, so
 * data read before a change can never be kept under the version after it.
 */
#ifndef APO_STORE_CACHE_H
#define APO_STORE_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/catalog.h"

struct merchant;
struct store;
struct store_conn;

enum cache_family { CACHE_MERCHANTS, CACHE_CATALOG, CACHE_COUPONS, CACHE_PINCODES, CACHE_NFAMILIES };

/* Most entries a family (or the track answers) holds; past it, it starts over. */
#define CACHE_MAX_ENTRIES 65536
#define CACHE_MAX_TRACK 4096

/* What one request's sync saw: the version of each family its loads may carry. */
struct cache_ticket {
	int64_t v[CACHE_NFAMILIES];
	int64_t check_ms; /* how long what was read may be trusted (0: not at all) */
	int sqlite;
	struct store_conn *conn;     /* the connection the sync used */
	uint64_t gen;		     /* store_writes_seen() when the sync began */
	int64_t now_ms;		     /* when it began (monotonic) */
	struct store_conn *snapshot; /* the read transaction cache_sync_snapshot() left open */
};

/*
 * Brings the cache up to date as far as the bound requires (see the file
 * comment) using c, the calling thread's connection of s, and fills *t for
 * the loads of this request. Returns APO_OK or the storage error that
 * stopped the version read (the cache is unchanged then).
 */
enum apo_result cache_sync(struct store *s, struct store_conn *c, int64_t check_ms,
			   struct cache_ticket *t);

/*
 * cache_sync(), and on SQLite, when it has to ask the database, a read
 * transaction on c opened before it and left open, so the request's reads
 * that follow share one snapshot with the version check: one pair of file
 * locks per request instead of one per statement (the locks were a tenth
 * of an inventory check's time). When what is held is trusted nothing is
 * opened: a request whose reads all hit takes no lock at all.
 * The caller ends it with cache_snapshot_end() before it begins a
 * transaction of its own, writes, or returns. On PostgreSQL nothing is
 * opened: every statement already reads its own snapshot, and a BEGIN
 * would cost a round trip.
 */
enum apo_result cache_sync_snapshot(struct store *s, struct store_conn *c, int64_t check_ms,
				    struct cache_ticket *t);

/* Ends the read transaction cache_sync_snapshot() opened, if any. */
void cache_snapshot_end(struct cache_ticket *t);

/*
 * The merchant with id key (by_name 0) or name key (by_name 1), loading it
 * through c on a miss. On APO_OK *out is a shared read-only merchant the
 * caller must hand back with cache_merchant_put(); APO_ERR_NOT_FOUND when
 * there is none (remembered too); else the storage error.
 */
enum apo_result cache_merchant(struct store_conn *c, const struct cache_ticket *t, int by_name,
			       const char *key, const struct merchant **out);

/* Gives back a merchant cache_merchant() handed out. */
void cache_merchant_put(const struct merchant *m);

/* What a quote needs of a platform SKU, without its stock. */
struct cache_sku {
	int found; /* the SKU is in the platform catalog */
	int active;
	int rx_required;
	int64_t mrp, price; /* paise per unit */
};

/* Fills out[i] for the platform catalog's sku_ids[0..n), loading misses through c. */
enum apo_result cache_skus(struct store_conn *c, const struct cache_ticket *t,
			   const char *const *sku_ids, size_t n, struct cache_sku *out);

/*
 * cache_skus(), and what an order line copies of each SKU found: its row
 * id, name, pack_size_label and sku_type, with mrp, price, active and
 * rx_required, into products[i] (product_init()ed by the caller, which
 * releases them; left untouched for a SKU that is not there). For a
 * create, whose ticket synced with check_ms 0: as current as reading the
 * products table.
 */
enum apo_result cache_products(struct store_conn *c, const struct cache_ticket *t,
			       const char *const *sku_ids, size_t n, struct cache_sku *out,
			       struct product *products);

/*
 * Available units (on_hand - reserved, -1 for a SKU that is not there) of
 * the platform catalog's sku_ids[0..n) into avail, for a quote. With a
 * ticket whose check_ms is 0, always read from the database. Otherwise
 * the units one read saw are answered for check_ms after it, as long as
 * no commit store_writes_seen() counts came since: a sale made through
 * this process (on SQLite, through any apotheca process) shows in the
 * next quote, one the count misses within the bound. A quote only advises; create order reserves against
 * the database's row, so a stale quote never sells a unit.
 */
enum apo_result cache_stock(struct store_conn *c, const struct cache_ticket *t,
			    const char *const *sku_ids, size_t n, int64_t *avail);

/*
 * The coupon with the (upper-cased) code into *out (coupon_init'ed; the
 * caller releases it). used_count is read from the database when the
 * coupon has a usage limit, so the limit is never judged on a stale count.
 * APO_ERR_NOT_FOUND when there is none.
 */
enum apo_result cache_coupon(struct store_conn *c, const struct cache_ticket *t, const char *code,
			     struct coupon *out);

/* The pincode's entry into *out; APO_ERR_NOT_FOUND when it has none. */
enum apo_result cache_pincode(struct store_conn *c, const struct cache_ticket *t,
			      const char *pincode, struct pincode_entry *out);

/*
 * Track answers, one per order version. The key is the merchant's id and
 * its order reference.
 *
 * cache_track_get() returns a copy (free() it) of the answer's body, its
 * length in *len, when the cached answer is known current: within the
 * ticket's check_ms of its last check with no counted commit since
 * (store_writes_seen()), or, when version >= 0, when the cached answer belongs to order
 * oid at that version and the merchants family has not changed. NULL
 * otherwise.
 */
char *cache_track_get(const struct cache_ticket *t, const char *merchant_id, const char *ref,
		      int64_t oid, int64_t version, size_t *len);

/*
 * Keeps body[0..len) (copied) as the answer of order oid at version, read
 * after that version was. Ignored when the merchants family moved since t.
 */
void cache_track_put(const struct cache_ticket *t, const char *merchant_id, const char *ref,
		     int64_t oid, int64_t version, const char *body, size_t len);

/*
 * The pharmacy order's id and version by its merchant and reference: one
 * indexed read. APO_ERR_NOT_FOUND when there is no such order.
 */
enum apo_result cache_order_version(struct store_conn *c, const char *merchant_id,
				    const char *ref, int64_t *oid, int64_t *version);

/* Drops everything (tests, and a family that outgrew CACHE_MAX_ENTRIES). */
void cache_clear(void);

/* Counters for tests and /metrics: lookups answered from memory, and loads. */
struct cache_stats {
	uint64_t hits, misses, syncs, drops;
};
void cache_stats(struct cache_stats *out);

#endif
