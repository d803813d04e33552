/*
 * The read cache on a scratch SQLite database. "Another process" is a
 * second SQLite connection writing behind apotheca's back: it bumps no
 * in-process counter and, unless a test counts its commit by hand as
 * another apotheca process would (<database>-commits), no shared one, so
 * only the version rows and PRAGMA data_version can tell the cache.
 * Checked, syncing with a bound of 0 (ask every time): a repeated read is
 * answered from memory; a change to a price, a flag, a merchant, a coupon
 * or a pincode made by the other connection is seen by the next sync;
 * stock and a coupon's use count never drop the catalog; a load tagged
 * with versions read before a change is not kept; track answers are kept
 * per order version; the snapshot a request reads in ends with it; a
 * quote's stock is held no longer than the bound, and never past this
 * process's own write. With a bound: a counted commit is seen at once, an
 * uncounted one not before the bound; this process's commits are counted
 * for the others, unless they changed no row.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/merchant.h"
#include "store/cache.h"
#include "store/repo_catalog.h"
#include "store/repo_merchants.h"
#include "store/store.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "t.h"
#include "t_store.h"

static struct store *db;
static char db_path[T_STORE_PATH_CAP];
static sqlite3 *other; /* the other process */

/* How long a sync may trust what it holds: 0 asks the database every time. */
#define ASK_EVERY_TIME 0
#define LONG_BOUND_MS 60000

static struct store_conn *conn(void)
{
	return store_thread_conn(db);
}

static void other_exec(const char *sql)
{
	char *err = NULL;
	int rc = sqlite3_exec(other, sql, NULL, NULL, &err);
	if (rc != SQLITE_OK)
		fprintf(stderr, "other: %s: %s\n", sql, err ? err : "?");
	CHECK_INT(rc, SQLITE_OK);
	sqlite3_free(err);
}

static void sync_now(struct cache_ticket *t)
{
	CHECK_INT(cache_sync(db, conn(), ASK_EVERY_TIME, t), APO_OK);
}

static void sync_bounded(struct cache_ticket *t)
{
	CHECK_INT(cache_sync(db, conn(), LONG_BOUND_MS, t), APO_OK);
}

/* Adds n to the database's shared commit count; the count after. */
static uint64_t count_commits(uint64_t n)
{
	char name[T_STORE_PATH_CAP + 16];
	uint64_t after = 0;
	snprintf(name, sizeof(name), "%s-commits", db_path);
	int fd = open(name, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	if (fd < 0)
		return 0;
	_Atomic uint64_t *count =
	    mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	CHECK(count != MAP_FAILED);
	if (count != MAP_FAILED) {
		after = atomic_fetch_add(count, n) + n;
		munmap((void *)count, sizeof(uint64_t));
	}
	return after;
}

static uint64_t misses(void)
{
	struct cache_stats st;
	cache_stats(&st);
	return st.misses;
}

/* Saves a percent coupon (value in hundredths of a percent). */
static void save_coupon(const char *code, int64_t value)
{
	struct coupon cp;
	int created;
	coupon_init(&cp);
	cp.code = xstrdup(code);
	cp.kind = COUPON_PERCENT;
	cp.value = value;
	CHECK_INT(coupon_save(conn(), &cp, &created), APO_OK);
	coupon_release(&cp);
}

static void seed(void)
{
	struct merchant m;

	merchant_init(&m);
	m.id = xstrdup("cm1");
	m.name = xstrdup("cache_merchant");
	CHECK_INT(merchant_save(conn(), &m, 0), APO_OK);
	merchant_release(&m);
	t_product_full(conn(), "C-1", "Cached", NULL, NULL, 20000, 15000, 0, 10);
	save_coupon("CTEN", 1000);
}

static void test_repeated_reads_come_from_memory(void)
{
	struct cache_ticket t;
	struct cache_sku s;
	const char *ids[] = {"C-1"};
	const struct merchant *m = NULL;

	sync_now(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(cache_merchant(conn(), &t, 1, "cache_merchant", &m), APO_OK);
	cache_merchant_put(m);
	uint64_t before = misses();
	sync_now(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.found, 1);
	CHECK_INT(s.price, 15000);
	CHECK_INT(cache_merchant(conn(), &t, 1, "cache_merchant", &m), APO_OK);
	CHECK_STR(m ? m->id : NULL, "cm1");
	cache_merchant_put(m);
	CHECK_INT(misses(), before);
}

static void test_changes_by_another_connection_are_seen(void)
{
	struct cache_ticket t;
	struct cache_sku s;
	struct coupon cp;
	struct pincode_entry pin;
	const char *ids[] = {"C-1"};
	const struct merchant *m = NULL;

	sync_now(&t);
	CHECK_INT(cache_pincode(conn(), &t, "560099", &pin), APO_ERR_NOT_FOUND); /* remembered */
	other_exec("UPDATE products SET price = 12000 WHERE sku_id = 'C-1'");
	other_exec("UPDATE merchants SET active = 0 WHERE id = 'cm1'");
	other_exec("UPDATE coupons SET value = 5000 WHERE code = 'CTEN'");
	other_exec("INSERT INTO pincodes (pincode, serviceable, updated) VALUES ('560099', 1, 0)");
	sync_now(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.price, 12000);
	CHECK_INT(cache_merchant(conn(), &t, 0, "cm1", &m), APO_OK);
	CHECK_INT(m ? m->active : -1, 0);
	cache_merchant_put(m);
	coupon_init(&cp);
	CHECK_INT(cache_coupon(conn(), &t, "CTEN", &cp), APO_OK);
	CHECK_INT(cp.value, 5000);
	coupon_release(&cp);
	CHECK_INT(cache_pincode(conn(), &t, "560099", &pin), APO_OK);
	CHECK_INT(pin.serviceable, 1);

	other_exec("UPDATE products SET active = 0 WHERE sku_id = 'C-1'");
	sync_now(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.active, 0);
	other_exec("DELETE FROM pincodes WHERE pincode = '560099'");
	sync_now(&t);
	CHECK_INT(cache_pincode(conn(), &t, "560099", &pin), APO_ERR_NOT_FOUND);
}

/*
 * What a create copies into its order lines comes from memory as well —
 * row id, name, pack size, type — copied out for the caller to own, and
 * as current as the table after a sync that asks.
 */
static void test_products_for_an_order(void)
{
	struct cache_ticket t;
	struct cache_sku s[2];
	struct product p[2];
	const char *ids[] = {"C-2", "C-NONE"};

	int64_t pid = t_product_full(conn(), "C-2", "Order line", "strip of 15", "otc", 5000, 4500,
				     0, 3);

	for (int round = 0; round < 2; round++) { /* loaded, then from memory */
		uint64_t before = misses();
		sync_now(&t);
		product_init(&p[0]);
		product_init(&p[1]);
		CHECK_INT(cache_products(conn(), &t, ids, 2, s, p), APO_OK);
		CHECK_INT(s[0].found, 1);
		CHECK_INT(s[0].price, 4500);
		CHECK_INT(p[0].pid, pid);
		CHECK_STR(p[0].name, "Order line");
		CHECK_STR(p[0].pack_size_label, "strip of 15");
		CHECK_STR(p[0].sku_type, "otc");
		CHECK_INT(p[0].mrp, 5000);
		CHECK_INT(p[0].price, 4500);
		CHECK_INT(p[0].active, 1);
		CHECK_INT(p[0].rx_required, 0);
		CHECK_INT(s[1].found, 0);
		CHECK(p[1].name == NULL); /* nothing there, nothing filled */
		CHECK_INT(misses() - before, round == 0 ? 2 : 0);
		product_release(&p[0]);
		product_release(&p[1]);
	}

	other_exec("UPDATE products SET name = 'Renamed', rx_required = 1 WHERE sku_id = 'C-2'");
	sync_now(&t);
	product_init(&p[0]);
	CHECK_INT(cache_products(conn(), &t, ids, 1, s, p), APO_OK);
	CHECK_STR(p[0].name, "Renamed");
	CHECK_INT(p[0].rx_required, 1);
	CHECK_INT(s[0].rx_required, 1);
	product_release(&p[0]);
	/* The plain lookup reads the same entry. */
	CHECK_INT(cache_skus(conn(), &t, ids, 1, s), APO_OK);
	CHECK_INT(s[0].rx_required, 1);
	CHECK_INT(s[0].price, 4500);
}

static void test_stock_and_uses_keep_the_cache(void)
{
	struct cache_ticket t;
	struct cache_sku s;
	const char *ids[] = {"C-1"};
	int64_t avail = -2;

	sync_now(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	uint64_t before = misses();
	other_exec("UPDATE products SET reserved = reserved + 3 WHERE sku_id = 'C-1'");
	other_exec("UPDATE coupons SET used_count = used_count + 1 WHERE code = 'CTEN'");
	sync_now(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(misses(), before);
	/* Stock itself is read fresh. */
	CHECK_INT(stock_available_many(conn(), ids, 1, &avail), APO_OK);
	CHECK_INT(avail, 7);
}

static void test_a_load_from_before_a_change_is_not_kept(void)
{
	struct cache_ticket before, after;
	struct cache_sku s;
	const char *ids[] = {"C-1"};

	sync_now(&before);
	other_exec("UPDATE products SET price = 11000, active = 1 WHERE sku_id = 'C-1'");
	sync_now(&after); /* drops the catalog */
	/* A request that synced before the change loads now: not kept. */
	CHECK_INT(cache_skus(conn(), &before, ids, 1, &s), APO_OK);
	uint64_t n = misses();
	CHECK_INT(cache_skus(conn(), &after, ids, 1, &s), APO_OK);
	CHECK_INT(misses(), n + 1);
	CHECK_INT(s.price, 11000);
	CHECK_INT(cache_skus(conn(), &after, ids, 1, &s), APO_OK);
	CHECK_INT(misses(), n + 1); /* kept this time */
}

static void test_own_writes_are_seen_at_once(void)
{
	struct cache_ticket t;
	struct coupon cp;
	int created;

	sync_now(&t);
	coupon_init(&cp);
	CHECK_INT(cache_coupon(conn(), &t, "CTEN", &cp), APO_OK);
	cp.value = 2500;
	CHECK_INT(coupon_save(conn(), &cp, &created), APO_OK);
	coupon_release(&cp);
	sync_now(&t);
	coupon_init(&cp);
	CHECK_INT(cache_coupon(conn(), &t, "CTEN", &cp), APO_OK);
	CHECK_INT(cp.value, 2500);
	coupon_release(&cp);
}

static void test_track_answers_per_version(void)
{
	struct cache_ticket t;
	size_t len = 0;
	char *body;

	sync_now(&t);
	cache_track_put(&t, "cm1", "ref-1", 7, 3, "{\"v\":3}", 7);
	body = cache_track_get(&t, "cm1", "ref-1", 7, 3, &len);
	CHECK_STR(body, "{\"v\":3}");
	CHECK_INT(len, 7);
	free(body);
	CHECK(cache_track_get(&t, "cm1", "ref-1", 7, 4, &len) == NULL);
	CHECK(cache_track_get(&t, "cm1", "ref-1", 8, 3, &len) == NULL);
	CHECK(cache_track_get(&t, "cm2", "ref-1", 7, 3, &len) == NULL);
	/* Asking every time, nothing is trusted without the version. */
	CHECK(cache_track_get(&t, "cm1", "ref-1", -1, -1, &len) == NULL);
	/* An older answer never replaces a newer one. */
	cache_track_put(&t, "cm1", "ref-1", 7, 2, "{\"v\":2}", 7);
	body = cache_track_get(&t, "cm1", "ref-1", 7, 3, &len);
	CHECK_STR(body, "{\"v\":3}");
	free(body);
	/* A merchant change makes every answer of the old version stale. */
	other_exec("UPDATE merchants SET display_name = 'Shop' WHERE id = 'cm1'");
	struct cache_ticket t2;
	sync_now(&t2);
	CHECK(cache_track_get(&t2, "cm1", "ref-1", 7, 3, &len) == NULL);
}

/* The request's reads share the version check's snapshot, and the end
 * lets go of it: a change committed in between shows at the next sync. */
static void test_snapshot_reads_one_moment(void)
{
	struct cache_ticket t;
	struct cache_sku s;
	const char *ids[] = {"C-1"};

	other_exec("UPDATE products SET price = 11000 WHERE sku_id = 'C-1'");
	CHECK_INT(cache_sync_snapshot(db, conn(), ASK_EVERY_TIME, &t), APO_OK);
	CHECK(t.snapshot == conn());
	other_exec("UPDATE products SET price = 10500 WHERE sku_id = 'C-1'");
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.price, 11000); /* as of the versions this ticket holds */
	cache_snapshot_end(&t);
	CHECK(t.snapshot == NULL);
	CHECK_INT(store_begin(conn(), STORE_TX_READ), APO_OK); /* nothing left open */
	CHECK_INT(store_commit(conn()), APO_OK);
	sync_now(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.price, 10500);
}

/* A quote's stock held for the ticket's bound (PostgreSQL's trust window,
 * set here by hand): another connection's sale shows only after it, this
 * process's own write at once. */
static void test_stock_held_within_the_bound(void)
{
	struct cache_ticket t;
	const char *ids[] = {"C-1"};
	int64_t first = -2, avail = -2, on_hand, reserved;

	sync_now(&t);
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &first), APO_OK); /* SQLite: read */
	other_exec("UPDATE products SET reserved = reserved + 1 WHERE sku_id = 'C-1'");
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &avail), APO_OK);
	CHECK_INT(avail, first - 1);

	t.check_ms = 60000;
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &first), APO_OK);
	uint64_t before = misses();
	other_exec("UPDATE products SET reserved = reserved + 2 WHERE sku_id = 'C-1'");
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &avail), APO_OK);
	CHECK_INT(avail, first); /* held */
	CHECK_INT(misses(), before);
	CHECK_INT(stock_adjust(conn(), "", "C-1", 1, NULL, "test", &on_hand, &reserved), APO_OK);
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &avail), APO_OK);
	CHECK_INT(avail, on_hand - reserved); /* own write: read again */
	CHECK_INT(avail, first - 2 + 1);
	t.check_ms = 0;
}

/*
 * Within a bound: what the other connection commits unannounced is not
 * seen (the bound, a minute, never passes here), neither in the catalog
 * nor in a quote's stock nor in a track answer; once the commit is
 * counted, as another apotheca process counts its own, the next sync sees
 * all of it, without a snapshot when nothing was counted since.
 */
static void test_counted_commits_are_seen_within_the_bound(void)
{
	struct cache_ticket t;
	struct cache_sku s;
	const char *ids[] = {"C-1"};
	int64_t held = -2, avail = -2;
	size_t len = 0;
	char *body;

	other_exec("UPDATE products SET price = 14000, active = 1 WHERE sku_id = 'C-1'");
	count_commits(1);
	sync_bounded(&t);
	CHECK_INT(t.check_ms, LONG_BOUND_MS); /* the count is there to trust */
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.price, 14000);
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &held), APO_OK);
	cache_track_put(&t, "cm1", "ref-b", 9, 1, "{\"b\":1}", 7);

	other_exec("UPDATE products SET price = 13000, reserved = reserved + 1 WHERE sku_id = 'C-1'");
	uint64_t before = misses();
	CHECK_INT(cache_sync_snapshot(db, conn(), LONG_BOUND_MS, &t), APO_OK);
	CHECK(t.snapshot == NULL); /* trusted: no read transaction */
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.price, 14000);
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &avail), APO_OK);
	CHECK_INT(avail, held);
	body = cache_track_get(&t, "cm1", "ref-b", -1, -1, &len); /* trusted without its version */
	CHECK_STR(body, "{\"b\":1}");
	free(body);
	CHECK_INT(misses(), before);
	cache_snapshot_end(&t);

	count_commits(1);
	sync_bounded(&t);
	CHECK_INT(cache_skus(conn(), &t, ids, 1, &s), APO_OK);
	CHECK_INT(s.price, 13000);
	CHECK_INT(cache_stock(conn(), &t, ids, 1, &avail), APO_OK);
	CHECK_INT(avail, held - 1);
	CHECK(cache_track_get(&t, "cm1", "ref-b", -1, -1, &len) == NULL);
}

/* What this process commits is counted for the others; a commit that
 * changed no row is not. */
static void test_own_commits_are_counted_for_the_others(void)
{
	static struct store_sql nothing = {
	    .sql = "DELETE FROM coupons WHERE code = 'NO-SUCH-COUPON'"};

	uint64_t before = count_commits(0);
	CHECK_INT(store_exec(conn(), &nothing, NULL, 0, NULL), APO_OK);
	CHECK_INT(store_changes(conn()), 0);
	CHECK(count_commits(0) == before);
	save_coupon("CCOUNT", 500);
	CHECK(count_commits(0) > before);
}

int main(void)
{
	char *path = db_path;
	log_set_level(LOG_ERROR);
	db = t_store_open("cache", path);
	if (!db)
		return 1;
	CHECK_INT(sqlite3_open(path, &other), SQLITE_OK);
	sqlite3_busy_timeout(other, 5000);
	seed();
	test_repeated_reads_come_from_memory();
	test_changes_by_another_connection_are_seen();
	test_products_for_an_order();
	test_stock_and_uses_keep_the_cache();
	test_a_load_from_before_a_change_is_not_kept();
	test_own_writes_are_seen_at_once();
	test_track_answers_per_version();
	test_snapshot_reads_one_moment();
	test_stock_held_within_the_bound();
	test_counted_commits_are_seen_within_the_bound();
	test_own_commits_are_counted_for_the_others();
	cache_clear();
	sqlite3_close(other);
	t_store_close(db, path);
	T_DONE();
}
