/*
 * Allocation of waiting orders (service/allocate.h) against a throw-away
 * SQLite database, without HTTP: first come first served with an order
 * that does not fit passed over and keeping its place, the excluded
 * order, the queue view; then, with the hook registered, a stock rise
 * allocating after its commit, an operator's move to 20 not undone by its
 * own units, and the sweeper serving a waiting order that is not held.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/merchant.h"
#include "core/order_state.h"
#include "service/allocate.h"
#include "service/catalog_import.h"
#include "service/orders.h"
#include "store/repo_catalog.h"
#include "store/repo_merchants.h"
#include "store/repo_orders.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "t.h"
#include "t_store.h"

#define UNIT 10000

static struct store *db;
static struct app app;

static struct store_conn *conn(void)
{
	return store_thread_conn(db);
}

static void make_merchant(void)
{
	t_merchant(conn(), "alc");
}

static int64_t make_product(const char *sku, int64_t on_hand)
{
	return t_product(conn(), sku, UNIT, 0, on_hand);
}

static void counts(const char *sku, int64_t *on_hand, int64_t *reserved)
{
	struct product p;
	product_init(&p);
	CHECK_INT(product_load(conn(), "", sku, &p), APO_OK);
	*on_hand = p.on_hand;
	*reserved = p.reserved;
	product_release(&p);
}

static char *render(const struct order *o, void *ctx)
{
	(void)ctx;
	return xstrdup(o->order_id);
}

/* A COD order of qty units of sku (placed at 15, its stock reserved). */
static struct order *create(const char *ref, const char *sku, int64_t pid, int64_t qty)
{
	struct orders_create_result res;
	struct order *o = order_new();
	ids_order_id(o->order_id);
	ids_hex_id(o->hex_id);
	o->merchant_id = xstrdup("alc");
	o->merchant_order_id = xstrdup(ref);
	o->dialect = xstrdup("pharmacy");
	o->payment_method = xstrdup("COD");
	o->status_id = ST_PLACED;
	o->nlines = 1;
	o->lines[0].pid = pid;
	o->lines[0].sku_id = xstrdup(sku);
	o->lines[0].name = xstrdup(sku);
	o->lines[0].qty = qty;
	o->lines[0].mrp = o->lines[0].offered = o->lines[0].discounted = UNIT;
	o->payable = order_asked_value(o);
	CHECK_INT(orders_create(&app, conn(), o, NULL, 0, 1000, render, NULL, &res), APO_OK);
	return o;
}

static int status_of(const struct order *o)
{
	struct order *x = order_new();
	CHECK_INT(orders_get(conn(), ORDERS_BY_ORDER_ID, NULL, o->order_id, x), APO_OK);
	int st = x->status_id;
	order_free(x);
	return st;
}

/* An operator's walk 15 -> 120 -> 20 (its units given back). */
static void to_waiting_by_hand(const struct order *o)
{
	struct order *x = order_new();
	CHECK_INT(orders_operator_move(&app, conn(), o->order_id, ST_ALLOCATION, NULL, NULL, NULL,
				       NULL, x),
		  APO_OK);
	CHECK_INT(orders_operator_move(&app, conn(), o->order_id, ST_ALLOCATION_FAILED, NULL, NULL,
				       NULL, NULL, x),
		  APO_OK);
	order_free(x);
}

static enum apo_result system_wait_step(struct app *a, struct store_conn *c, struct order *o,
					void *ctx)
{
	(void)ctx;
	enum apo_result rc = orders_move(a, c, o, ST_ALLOCATION, NULL, ACTOR_SYSTEM, "t", NULL);
	if (rc == APO_OK)
		rc = orders_move(a, c, o, ST_ALLOCATION_FAILED, NULL, ACTOR_SYSTEM, "short", NULL);
	return rc;
}

/* The system's walk 15 -> 120 -> 20 (as a logistics confirm that was short). */
static void to_waiting_by_system(const struct order *o)
{
	struct order *x = order_new();
	CHECK_INT(orders_with_locked(&app, conn(), ORDERS_BY_ORDER_ID, NULL, o->order_id, x,
				     system_wait_step, NULL),
		  APO_OK);
	order_free(x);
}

static void adjust(const char *sku, int64_t delta, const int64_t *set)
{
	int64_t on_hand, reserved;
	CHECK_INT(stock_adjust(conn(), "", sku, delta, set, "t", &on_hand, &reserved), APO_OK);
}

struct seen {
	char ids[8][ORDER_ID_LEN + 1];
	int held[8], fits[8];
	size_t n;
};

static void see(const struct allocate_entry *e, void *ctx)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		fmt_into(s->ids[s->n], sizeof(s->ids[0]), "%s", e->o->order_id);
		s->held[s->n] = e->hold;
		s->fits[s->n] = e->fits;
		CHECK_INT((int64_t)e->position, (int64_t)s->n + 1);
	}
	s->n++;
}

/* No hook: passes run only when called. */
static void test_first_come_first_served(void)
{
	int64_t pid = make_product("F", 8), on_hand, reserved;
	size_t n = 0;
	struct order *a = create("f-a", "F", pid, 2), *b = create("f-b", "F", pid, 5),
		     *c = create("f-c", "F", pid, 1);
	to_waiting_by_hand(a);
	to_waiting_by_hand(b);
	to_waiting_by_hand(c);
	counts("F", &on_hand, &reserved);
	CHECK_INT(reserved, 0);
	int64_t three = 3;
	adjust("F", 0, &three);

	struct seen s = {0};
	int more = 0;
	CHECK_INT(allocate_queue(conn(), pid, 0, 8, see, &s, &more), APO_OK);
	CHECK_INT((int64_t)s.n, 3);
	CHECK_STR(s.ids[0], a->order_id);
	CHECK_STR(s.ids[1], b->order_id);
	CHECK_STR(s.ids[2], c->order_id);
	CHECK_INT(s.held[0], 1);
	CHECK_INT(s.fits[0], 1);
	CHECK_INT(s.fits[1], 0);
	CHECK_INT(more, 0);

	/* 3 units: a (2) served, b (5) passed over, c (1) served. */
	CHECK_INT(allocate_products(&app, conn(), &pid, 1, NULL, &n), APO_OK);
	CHECK_INT((int64_t)n, 2);
	CHECK_INT(status_of(a), ST_ALLOCATION);
	CHECK_INT(status_of(b), ST_ALLOCATION_FAILED);
	CHECK_INT(status_of(c), ST_ALLOCATION);
	counts("F", &on_hand, &reserved);
	CHECK_INT(reserved, 3);

	/* 2 more: still short for b. 3 more: b. */
	adjust("F", 2, NULL);
	CHECK_INT(allocate_products(&app, conn(), &pid, 1, NULL, &n), APO_OK);
	CHECK_INT((int64_t)n, 0);
	adjust("F", 3, NULL);
	CHECK_INT(allocate_products(&app, conn(), &pid, 1, b->order_id, &n), APO_OK);
	CHECK_INT((int64_t)n, 0); /* excluded */
	CHECK_INT(allocate_products(&app, conn(), &pid, 1, NULL, &n), APO_OK);
	CHECK_INT((int64_t)n, 1);
	CHECK_INT(status_of(b), ST_ALLOCATION);
	counts("F", &on_hand, &reserved);
	CHECK_INT(on_hand, 8);
	CHECK_INT(reserved, 8);

	struct order *x = order_new();
	struct order_extras ex;
	struct ledger l;
	CHECK_INT(orders_get_full(conn(), ORDERS_BY_ORDER_ID, NULL, b->order_id, x, &ex, &l),
		  APO_OK);
	CHECK_INT(ex.events[ex.nevents - 1].from, ST_ALLOCATION_FAILED);
	CHECK_STR(ex.events[ex.nevents - 1].actor, ACTOR_SYSTEM);
	CHECK_STR(ex.events[ex.nevents - 1].note, ALLOCATE_NOTE);
	CHECK_INT(x->lines[0].reserved_qty, 5);
	order_extras_release(&ex);
	order_free(x);
	order_free(a);
	order_free(b);
	order_free(c);
}

/* With the hook: rises allocate after they commit. */
static void test_after_commit_and_sweeper(void)
{
	int64_t pid = make_product("H", 2), on_hand, reserved;
	struct order *a = create("h-a", "H", pid, 2);
	/* Its own 2 units come back, but not to it. */
	to_waiting_by_hand(a);
	CHECK_INT(status_of(a), ST_ALLOCATION_FAILED);
	/* Nor from the sweeper: it is held. */
	allocate_task(&app, conn());
	CHECK_INT(status_of(a), ST_ALLOCATION_FAILED);
	/* The next rise does it. */
	adjust("H", 1, NULL);
	CHECK_INT(status_of(a), ST_ALLOCATION);
	counts("H", &on_hand, &reserved);
	CHECK_INT(on_hand, 3);
	CHECK_INT(reserved, 2);

	/* A waiting order that is not held, with its units there: the
	 * sweeper's. */
	struct order *b = create("h-b", "H", pid, 1);
	to_waiting_by_system(b);
	CHECK_INT(status_of(b), ST_ALLOCATION_FAILED);
	allocate_task(&app, conn());
	CHECK_INT(status_of(b), ST_ALLOCATION);

	/* A rolled-back rise allocates nothing. */
	adjust("H", 1, NULL);
	struct order *c = create("h-c", "H", pid, 1);
	to_waiting_by_hand(c);
	int64_t zero_free = 3;
	adjust("H", 0, &zero_free);
	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_release(conn(), pid, 1, b->order_id, 0), APO_OK);
	store_rollback(conn());
	CHECK_INT(status_of(c), ST_ALLOCATION_FAILED);
	counts("H", &on_hand, &reserved);
	CHECK_INT(reserved, 3);
	order_free(a);
	order_free(b);
	order_free(c);
}

/* An import raising more products than a transaction remembers still
 * allocates: the pass serves every waiting order that fits. */
static void test_many_products_at_once(void)
{
	enum { MANY = 300 };
	struct buf csv;
	size_t imported, created;
	char err[256];
	int64_t pid = make_product("OV", 1), zero = 0;
	struct order *a = create("ov-a", "OV", pid, 1);
	to_waiting_by_hand(a);
	adjust("OV", 0, &zero);
	for (int stock = 0; stock < 2; stock++) {
		buf_init(&csv);
		buf_adds(&csv, "sku_id,name,mrp,price,pack_size_label,sku_type,"
			       "prescription_required,stock\n");
		for (int i = 0; i < MANY; i++)
			buf_addf(&csv, "MANY%d,Many,10,10,1,otc,false,%d\n", i, stock);
		buf_addf(&csv, "OV,OV,100,100,1,otc,false,%d\n", stock);
		CHECK_INT(catalog_import_skus_csv(conn(), csv.data, csv.len, &imported, &created,
						  err, sizeof(err)),
			  APO_OK);
		buf_release(&csv);
		CHECK_INT(status_of(a), stock ? ST_ALLOCATION : ST_ALLOCATION_FAILED);
	}
	order_free(a);
}

int main(void)
{
	char path[T_STORE_PATH_CAP];
	log_set_level(LOG_ERROR);
	app.cfg.public_url = xstrdup("http://127.0.0.1:1");
	db = t_store_open("allocate", path);
	if (!db)
		return 1;
	make_merchant();
	test_first_come_first_served();
	allocate_init(&app);
	test_after_commit_and_sweeper();
	test_many_products_at_once();
	free(app.cfg.public_url);
	t_store_close(db, path);
	T_DONE();
}
