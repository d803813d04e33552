/*
 * The catalog repository on a scratch SQLite database: upserts tell new
 * from old, stock movements keep 0 <= reserved <= on_hand and leave a
 * ledger, imports are all or nothing, coupons count their uses,
 * threads racing to reserve the last units never sell one twice, and a
 * logistics product's stock changes (only those) queue inventory events.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/ids.h"
#include "service/catalog_import.h"
#include "service/stock_events.h"
#include "store/repo_catalog.h"
#include "store/repo_outbox.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "t.h"
#include "t_store.h"

#define RACERS 8
#define RACE_STOCK 50

static struct store *db;

static void make_product(const char *sku, int64_t stock)
{
	struct product p;
	int created = -1;
	product_init(&p);
	p.merchant_id = xstrdup("");
	p.sku_id = xstrdup(sku);
	p.name = xstrdup("Test product");
	p.mrp = 15700;
	p.price = 15000;
	p.on_hand = stock;
	CHECK_INT(product_upsert(store_thread_conn(db), &p, 1, &created), APO_OK);
	CHECK_INT(created, 1);
	product_release(&p);
}

static int64_t pid_of(const char *sku)
{
	struct product p;
	product_init(&p);
	CHECK_INT(product_load(store_thread_conn(db), "", sku, &p), APO_OK);
	int64_t pid = p.pid;
	product_release(&p);
	return pid;
}

static int64_t ledger_sum(int64_t pid, int reserved)
{
	static struct store_sql q_on_hand = {
	    .sql = "SELECT COALESCE(SUM(delta_on_hand), 0) FROM stock_ledger WHERE pid = ?"};
	static struct store_sql q_reserved = {
	    .sql = "SELECT COALESCE(SUM(delta_reserved), 0) FROM stock_ledger WHERE pid = ?"};
	struct store_val arg = SV_INT(pid);
	int64_t v = -1;
	store_query_int(store_thread_conn(db), reserved ? &q_reserved : &q_on_hand, &arg, 1, &v);
	return v;
}

static void test_upsert_and_load(void)
{
	struct store_conn *c = store_thread_conn(db);
	struct product p;
	int created = -1;
	make_product("u-1", 5);
	product_init(&p);
	CHECK_INT(product_load(c, "", "u-1", &p), APO_OK);
	CHECK_INT(p.on_hand, 5);
	CHECK(ids_is_hex_id(p.hex_id));
	free(p.name);
	p.name = xstrdup("Renamed");
	p.price = 14000;
	CHECK_INT(product_upsert(c, &p, 0, &created), APO_OK);
	CHECK_INT(created, 0);
	struct product again;
	product_init(&again);
	CHECK_INT(product_load_by_hex(c, p.hex_id, &again), APO_OK);
	CHECK_STR(again.name, "Renamed");
	CHECK_INT(again.price, 14000);
	CHECK_INT(again.on_hand, 5);
	product_release(&again);
	product_release(&p);

	CHECK_INT(product_load(c, "merchant-x", "u-1", &p), APO_ERR_NOT_FOUND);
}

static void test_stock_rules(void)
{
	struct store_conn *c = store_thread_conn(db);
	int64_t on_hand = -1, reserved = -1, set;
	make_product("s-1", 10);
	int64_t pid = pid_of("s-1");

	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_reserve(c, pid, 7, "PO00000000000001"), APO_OK);
	CHECK_INT(stock_reserve(c, pid, 4, "PO00000000000002"), APO_ERR_INSUFFICIENT);
	CHECK_INT(store_commit(c), APO_OK);

	/* Not below what is reserved, by delta or by set. */
	CHECK_INT(stock_adjust(c, "", "s-1", -4, NULL, "test", &on_hand, &reserved),
		  APO_ERR_INSUFFICIENT);
	set = 6;
	CHECK_INT(stock_adjust(c, "", "s-1", 0, &set, "test", &on_hand, &reserved),
		  APO_ERR_INSUFFICIENT);
	set = 7;
	CHECK_INT(stock_adjust(c, "", "s-1", 0, &set, "test", &on_hand, &reserved), APO_OK);
	CHECK(on_hand == 7 && reserved == 7);
	CHECK_INT(stock_adjust(c, "", "s-1", 5, NULL, "test", &on_hand, &reserved), APO_OK);
	CHECK(on_hand == 12 && reserved == 7);
	CHECK_INT(stock_adjust(c, "", "s-1", CATALOG_MAX_STOCK, NULL, "test", &on_hand, &reserved),
		  APO_ERR_INVALID);
	CHECK_INT(stock_adjust(c, "", "nope", 1, NULL, "test", &on_hand, &reserved),
		  APO_ERR_NOT_FOUND);

	/* Cancel 2, ship 5: reserved back to 0, on_hand down by what shipped. */
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_release(c, pid, 2, "PO00000000000001", 0), APO_OK);
	CHECK_INT(stock_release(c, pid, 5, "PO00000000000001", 1), APO_OK);
	CHECK_INT(stock_release(c, pid, 1, "PO00000000000001", 0), APO_ERR_CONFLICT);
	CHECK_INT(store_commit(c), APO_OK);
	CHECK_INT(stock_adjust(c, "", "s-1", 0, NULL, "noop", &on_hand, &reserved), APO_OK);
	CHECK(on_hand == 7 && reserved == 0);

	/* The ledger accounts for every unit. */
	CHECK_INT(ledger_sum(pid, 0), 7);
	CHECK_INT(ledger_sum(pid, 1), 0);

	/* product_upsert's stock set obeys the same rule. */
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_reserve(c, pid, 3, "PO00000000000003"), APO_OK);
	CHECK_INT(store_commit(c), APO_OK);
	struct product p;
	int created;
	product_init(&p);
	CHECK_INT(product_load(c, "", "s-1", &p), APO_OK);
	p.on_hand = 2;
	CHECK_INT(product_upsert(c, &p, 1, &created), APO_ERR_INSUFFICIENT);
	p.on_hand = 3;
	CHECK_INT(product_upsert(c, &p, 1, &created), APO_OK);
	product_release(&p);
	CHECK_INT(ledger_sum(pid, 0), 3);
}

/* stock_reserve_at_commit(): the same rule, a refusal tagged, nothing kept of it. */
static void test_reserve_at_commit(void)
{
	struct store_conn *c = store_thread_conn(db);
	int64_t on_hand = -1, reserved = -1;
	make_product("s-2", 5);
	int64_t pid = pid_of("s-2");

	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_reserve_at_commit(c, pid, 3, "PO00000000000011", 7), APO_OK);
	enum apo_result rc = stock_reserve_at_commit(c, pid, 3, "PO00000000000012", 9);
	if (rc == APO_OK) /* a backend that holds it back refuses at the commit */
		rc = store_commit(c);
	CHECK_INT(rc, APO_ERR_INSUFFICIENT);
	CHECK_INT(store_guard_tag(c), 9);
	store_rollback(c);
	CHECK_INT(ledger_sum(pid, 1), 0);

	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_reserve_at_commit(c, pid, 5, "PO00000000000013", 1), APO_OK);
	CHECK_INT(store_commit(c), APO_OK);
	CHECK_INT(stock_adjust(c, "", "s-2", 0, NULL, "noop", &on_hand, &reserved), APO_OK);
	CHECK(on_hand == 5 && reserved == 5);
	CHECK_INT(ledger_sum(pid, 1), 5);
	CHECK_INT(stock_reserve_at_commit(c, pid, 0, "PO00000000000014", 1), APO_ERR_INVALID);
}

static void test_import_all_or_nothing(void)
{
	struct store_conn *c = store_thread_conn(db);
	size_t n, created;
	char err[320];
	const char *bad_csv =
	    "sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock\n"
	    "i-1,One,10,9,p,t,false,5\n"
	    "s-1,Reserved below,10,9,p,t,false,1\n";
	/* s-1 has 3 reserved: stock 1 fails line 3, and i-1 must not stay. */
	CHECK_INT(
	    catalog_import_skus_csv(c, bad_csv, strlen(bad_csv), &n, &created, err, sizeof(err)),
	    APO_ERR_INSUFFICIENT);
	CHECK(strncmp(err, "line 3: ", 8) == 0);
	CHECK(strstr(err, "stock 1 is below the units reserved") != NULL);
	/* Storage itself says only which row failed; the words are the service's. */
	struct sku_row *rows;
	size_t nrows, bad = 0;
	CHECK_INT(catalog_csv_skus(bad_csv, strlen(bad_csv), &rows, &nrows, err, sizeof(err)), 0);
	CHECK_INT(product_import(c, rows, nrows, &created, &bad), APO_ERR_INSUFFICIENT);
	CHECK(bad == 1 && created == 0);
	catalog_sku_rows_free(rows, nrows);
	struct product p;
	product_init(&p);
	CHECK_INT(product_load(c, "", "i-1", &p), APO_ERR_NOT_FOUND);
	const char *good =
	    "sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock\n"
	    "i-1,One,10,9,p,t,false,5\n"
	    "s-1,Still reserved,10,9,p,t,false,\n";
	CHECK_INT(catalog_import_skus_csv(c, good, strlen(good), &n, &created, err, sizeof(err)),
		  APO_OK);
	CHECK(n == 2 && created == 1);
	CHECK_INT(product_load(c, "", "s-1", &p), APO_OK);
	CHECK_STR(p.name, "Still reserved");
	CHECK_INT(p.on_hand, 3);
	product_release(&p);
}

static void test_coupons_and_pincodes(void)
{
	struct store_conn *c = store_thread_conn(db);
	struct coupon cp, got;
	int created = -1;
	coupon_init(&cp);
	cp.code = xstrdup("Once");
	cp.kind = COUPON_FLAT;
	cp.value = 5000;
	cp.usage_limit = 1;
	CHECK_INT(coupon_save(c, &cp, &created), APO_OK);
	CHECK_INT(created, 1);
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(coupon_use(c, "once"), APO_OK);
	CHECK_INT(coupon_use(c, "ONCE"), APO_ERR_CONFLICT);
	CHECK_INT(coupon_use(c, "never"), APO_ERR_NOT_FOUND);
	CHECK_INT(store_commit(c), APO_OK);
	/* Saving again keeps the count of uses. */
	cp.usage_limit = 5;
	CHECK_INT(coupon_save(c, &cp, &created), APO_OK);
	CHECK_INT(created, 0);
	coupon_init(&got);
	CHECK_INT(coupon_load(c, "ONCE", &got), APO_OK);
	CHECK_STR(got.code, "ONCE");
	CHECK(got.kind == COUPON_FLAT && got.value == 5000 && got.used_count == 1 &&
	      got.usage_limit == 5 && got.max_discount == CATALOG_NONE && !got.merchant_id);
	coupon_release(&got);
	coupon_release(&cp);

	struct pincode_entry pe = {"560103", 1, 2, CATALOG_NONE}, out;
	CHECK_INT(pincode_save(c, &pe, &created), APO_OK);
	CHECK_INT(created, 1);
	CHECK_INT(pincode_load(c, "560103", &out), APO_OK);
	CHECK(out.serviceable == 1 && out.eta_min_days == 2 && out.eta_max_days == CATALOG_NONE);
	CHECK_INT(pincode_load(c, "110001", &out), APO_ERR_NOT_FOUND);
}

static int64_t race_pid;

static void *racer(void *arg)
{
	int *won = arg;
	struct store_conn *c = store_thread_conn(db);
	for (;;) {
		if (store_begin(c, STORE_TX_WRITE) != APO_OK)
			continue;
		enum apo_result rc = stock_reserve(c, race_pid, 1, "PO00000000000009");
		if (rc != APO_OK) {
			store_rollback(c);
			return NULL;
		}
		if (store_commit(c) == APO_OK)
			(*won)++;
		else
			store_rollback(c);
	}
}

static void test_race(void)
{
	pthread_t th[RACERS];
	int won[RACERS] = {0}, total = 0;
	int64_t on_hand, reserved;
	make_product("race", RACE_STOCK);
	race_pid = pid_of("race");
	for (int i = 0; i < RACERS; i++)
		pthread_create(&th[i], NULL, racer, &won[i]);
	for (int i = 0; i < RACERS; i++) {
		pthread_join(th[i], NULL);
		total += won[i];
	}
	CHECK_INT(total, RACE_STOCK);
	CHECK_INT(
	    stock_adjust(store_thread_conn(db), "", "race", 0, NULL, "noop", &on_hand, &reserved),
	    APO_OK);
	CHECK(on_hand == RACE_STOCK && reserved == RACE_STOCK);
	CHECK_INT(ledger_sum(race_pid, 1), RACE_STOCK);
}

static void page_collect(const struct product *p, void *ctx)
{
	struct buf *b = ctx;
	buf_addf(b, "%s,", p->sku_id);
}

/* A merchant's catalog: ensure makes a product once, pages go in pid order. */
static void test_merchant_catalog(void)
{
	struct store_conn *c = store_thread_conn(db);
	struct product p;
	struct buf b;
	int64_t pid1 = 0, pid2 = 0, total = -1;
	int created = -1;

	product_init(&p);
	p.merchant_id = xstrdup("lm1");
	p.name = xstrdup("Auto");
	for (int i = 0; i < 3; i++) {
		char sku[8];
		snprintf(sku, sizeof(sku), "L%d", i);
		free(p.sku_id);
		p.sku_id = xstrdup(sku);
		CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
		CHECK_INT(product_ensure(c, &p, &pid1, &created), APO_OK);
		CHECK_INT(created, 1);
		CHECK_INT(product_ensure(c, &p, &pid2, &created), APO_OK);
		CHECK_INT(created, 0);
		CHECK(pid1 > 0 && pid1 == pid2);
		CHECK_INT(store_commit(c), APO_OK);
	}
	product_release(&p);

	buf_init(&b);
	CHECK_INT(product_page(c, "lm1", 1, 5, page_collect, &b, &total), APO_OK);
	CHECK_INT(total, 3);
	CHECK_STR(b.data, "L1,L2,");
	buf_reset(&b);
	CHECK_INT(product_page(c, "lm1", 3, 5, page_collect, &b, &total), APO_OK);
	CHECK_STR(b.data, "");
	CHECK_INT(product_page(c, "nobody", 0, 5, page_collect, &b, &total), APO_OK);
	CHECK_INT(total, 0);
	buf_release(&b);
}

/* Webhook rows in the outbox, newest first (free with outbox_rows_free). */
static size_t outbox_rows(struct outbox_row **rows)
{
	size_t n = 0;
	CHECK_INT(outbox_list(store_thread_conn(db), NULL, OUTBOX_LIST_MAX, rows, &n), APO_OK);
	return n;
}

static int64_t inv(json_t *ev, const char *field)
{
	return json_integer_value(
	    json_object_get(json_object_get(json_object_get(ev, "payload"), "inventory"), field));
}

/*
 * Checks the newest outbox row is the next inventory event of LP-1 with
 * these counters; returns its id.
 */
static int64_t check_event(const char *hex, int64_t in_stock, int64_t reserved, size_t want_rows)
{
	struct outbox_row *rows;
	json_error_t e;
	int64_t id = 0;
	size_t n = outbox_rows(&rows);
	CHECK_INT(n, want_rows);
	if (n == 0)
		return 0;
	id = rows[0].id;
	CHECK_STR(rows[0].kind, OUTBOX_WEBHOOK);
	CHECK_STR(rows[0].merchant_id, "lw1");
	CHECK_STR(rows[0].order_key, "product:lw1:LP-1");
	CHECK_STR(rows[0].event_type, OUTBOX_EV_INVENTORY_CHANGE);
	CHECK_STR(rows[0].state, OUTBOX_PENDING);
	json_t *ev = json_loads(rows[0].payload, 0, &e);
	CHECK(ev != NULL);
	CHECK(ids_is_hex_id(json_string_value(json_object_get(ev, "event_id"))));
	CHECK_STR(json_string_value(json_object_get(ev, "event_type")), "product.inventory.change");
	CHECK(strlen(json_string_value(json_object_get(ev, "ts"))) == 20);
	json_t *pl = json_object_get(ev, "payload");
	CHECK_STR(json_string_value(json_object_get(pl, "merchants_id")), "LP-1");
	CHECK_STR(json_string_value(json_object_get(pl, "id")), hex);
	/* The logistics API's product object beside the flat members. */
	json_t *prod = json_object_get(pl, "product");
	CHECK_STR(json_string_value(json_object_get(prod, "id")), hex);
	CHECK_STR(json_string_value(json_object_get(prod, "merchants_id")), "LP-1");
	CHECK_STR(json_string_value(json_object_get(prod, "name")), "Logistics product");
	CHECK_STR(json_string_value(json_object_get(prod, "gtin")), "4006381333931");
	CHECK_INT((long long)json_object_size(prod), 4);
	CHECK_INT(inv(ev, "in_stock"), in_stock);
	CHECK_INT(inv(ev, "reserved"), reserved);
	CHECK_INT(inv(ev, "available"), in_stock - reserved);
	CHECK_INT(inv(ev, "inbound"), 7);
	CHECK_INT(inv(ev, "on_hold"), 2);
	const char *moved =
	    json_string_value(json_object_get(json_object_get(pl, "inventory"), "last_movement"));
	CHECK(moved && strlen(moved) == 20 && moved[10] == 'T' && moved[19] == 'Z');
	json_decref(ev);
	outbox_rows_free(rows, n);
	return id;
}

static void test_inventory_events(void)
{
	struct store_conn *c = store_thread_conn(db);
	struct outbox_row *rows;
	struct product p;
	int64_t on_hand, reserved, set = 15;
	int created;

	/* Everything so far moved the platform catalog: no event at all. */
	size_t n = outbox_rows(&rows);
	CHECK_INT(n, 0);
	outbox_rows_free(rows, n);

	product_init(&p);
	p.merchant_id = xstrdup("lw1");
	p.sku_id = xstrdup("LP-1");
	p.name = xstrdup("Logistics product");
	p.gtin = xstrdup("4006381333931");
	p.inbound = 7;
	p.on_hold = 2;
	CHECK_INT(product_upsert(c, &p, 0, &created), APO_OK);
	CHECK_INT(outbox_rows(&rows), 0); /* no stock given: no change */
	outbox_rows_free(rows, 0);
	p.on_hand = 10;
	CHECK_INT(product_upsert(c, &p, 1, &created), APO_OK);
	product_release(&p);
	product_init(&p);
	CHECK_INT(product_load(c, "lw1", "LP-1", &p), APO_OK);
	int64_t pid = p.pid;

	int64_t e1 = check_event(p.hex_id, 10, 0, 1);
	CHECK_INT(stock_adjust(c, "lw1", "LP-1", 5, NULL, "receive", &on_hand, &reserved), APO_OK);
	int64_t e2 = check_event(p.hex_id, 15, 0, 2);
	CHECK(e2 > e1);
	/* No change, no event: a zero delta, the same absolute value, a refusal. */
	CHECK_INT(stock_adjust(c, "lw1", "LP-1", 0, NULL, "noop", &on_hand, &reserved), APO_OK);
	CHECK_INT(stock_adjust(c, "lw1", "LP-1", 0, &set, "same", &on_hand, &reserved), APO_OK);
	CHECK_INT(stock_adjust(c, "lw1", "LP-1", -16, NULL, "too many", &on_hand, &reserved),
		  APO_ERR_INSUFFICIENT);
	check_event(p.hex_id, 15, 0, 2);

	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_reserve(c, pid, 3, "PO00000000000009"), APO_OK);
	CHECK_INT(stock_reserve(c, pid, 13, "PO00000000000009"), APO_ERR_INSUFFICIENT);
	CHECK_INT(store_commit(c), APO_OK);
	check_event(p.hex_id, 15, 3, 3);
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_release(c, pid, 1, "PO00000000000009", 0), APO_OK);
	CHECK_INT(store_commit(c), APO_OK);
	check_event(p.hex_id, 15, 2, 4);
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_release(c, pid, 2, "PO00000000000009", 1), APO_OK);
	CHECK_INT(store_commit(c), APO_OK);
	check_event(p.hex_id, 13, 0, 5);

	/* The event belongs to the change's transaction: rolled back with it. */
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_reserve(c, pid, 1, "PO00000000000010"), APO_OK);
	store_rollback(c);
	check_event(p.hex_id, 13, 0, 5);
	product_release(&p);
}

int main(void)
{
	char path[T_STORE_PATH_CAP];
	log_set_level(LOG_ERROR);
	/* As the server does at start: stock changes become inventory events. */
	stock_events_init();
	db = t_store_open("repo", path);
	if (!db)
		return 1;
	test_upsert_and_load();
	test_stock_rules();
	test_reserve_at_commit();
	test_import_all_or_nothing();
	test_coupons_and_pincodes();
	test_race();
	test_merchant_catalog();
	test_inventory_events();
	t_store_close(db, path);
	T_DONE();
}
