/*
 * The order service against a throw-away SQLite database, without HTTP:
 * the prescription rule at create and at payment, stock following every
 * transition, and the ledger's invariant (collected − refunds = value)
 * after a partial cancel before payment, a payment of the old amount, a
 * payment captured for a cancelled order and an operator's cancel.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/merchant.h"
#include "core/order_state.h"
#include "service/orders.h"
#include "service/stock_events.h"
#include "store/repo_catalog.h"
#include "store/repo_merchants.h"
#include "store/repo_orders.h"
#include "store/repo_stock.h"
#include "store/store.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "t.h"
#include "t_store.h"

#define UNIT 15700    /* 157.00 */
#define HANDLING 9900 /* 99.00 */

static struct store *db;
static struct app app;

static struct store_conn *conn(void)
{
	return store_thread_conn(db);
}

static void make_merchant(void)
{
	t_merchant(conn(), "svc");
}

static int64_t make_product(const char *sku, int rx)
{
	return t_product(conn(), sku, UNIT, rx, 100);
}

static int64_t reserved_of(const char *sku)
{
	struct product p;
	product_init(&p);
	CHECK_INT(product_load(conn(), "", sku, &p), APO_OK);
	int64_t r = p.reserved;
	product_release(&p);
	return r;
}

static char *render(const struct order *o, void *ctx)
{
	(void)ctx;
	return xstrdup(o->order_id);
}

/* A new pharmacy order of qty units of sku plus a handling charge. */
static struct order *new_order(const char *ref, const char *sku, int64_t pid, int64_t qty, int rx,
			       int online)
{
	struct order *o = order_new();
	ids_order_id(o->order_id);
	ids_hex_id(o->hex_id);
	o->merchant_id = xstrdup("svc");
	o->merchant_order_id = xstrdup(ref);
	o->dialect = xstrdup("pharmacy");
	o->payment_method = xstrdup(online ? "ONLINE" : "COD");
	o->status_id = online ? ST_AWAITING_CONFIRMATION : ST_PLACED;
	o->nlines = 1;
	o->lines[0].pid = pid;
	o->lines[0].sku_id = xstrdup(sku);
	o->lines[0].name = xstrdup(sku);
	o->lines[0].qty = qty;
	o->lines[0].mrp = o->lines[0].offered = o->lines[0].discounted = UNIT;
	o->lines[0].rx_required = rx;
	o->ncharges = 1;
	o->charges[0].type = xstrdup("handling_fee");
	o->charges[0].display_text = xstrdup("Handling");
	o->charges[0].amount = HANDLING;
	o->payable = order_asked_value(o);
	return o;
}

static struct order *create(const char *ref, const char *sku, int64_t pid, int64_t qty, int rx,
			    int online, const char *const *urls, size_t n)
{
	struct orders_create_result res;
	struct order *o = new_order(ref, sku, pid, qty, rx, online);
	CHECK_INT(orders_create(&app, conn(), o, urls, n, 1000, render, NULL, &res), APO_OK);
	return o;
}

/* Checks collected − refunds == value for the stored order; returns refunds. */
static int64_t check_balanced(const char *order_id)
{
	struct order *o = order_new();
	struct order_extras x;
	struct ledger l;
	CHECK_INT(orders_get_full(conn(), ORDERS_BY_ORDER_ID, "svc", order_id, o, &x, &l), APO_OK);
	if (l.collected)
		CHECK_INT(l.collected - l.refund_initiated, l.value);
	int64_t refunds = l.refund_initiated;
	order_extras_release(&x);
	order_free(o);
	return refunds;
}

static void test_prescription_rule(int64_t rx_pid)
{
	static const char *const url[] = {"https://rx.example.com/1.pdf"};
	struct order *o = create("rx-none", "RX", rx_pid, 1, 1, 0, NULL, 0);
	CHECK_INT(o->status_id, ST_RX_REQUIRED);
	order_free(o);
	o = create("rx-url", "RX", rx_pid, 1, 1, 0, url, 1);
	CHECK_INT(o->status_id, ST_PLACED);
	order_free(o);

	/* ONLINE: the URL sent at create counts at confirm. */
	enum orders_paid_outcome out;
	o = create("rx-online", "RX", rx_pid, 1, 1, 1, url, 1);
	CHECK_INT(o->status_id, ST_AWAITING_CONFIRMATION);
	CHECK_INT(orders_apply_payment(&app, conn(), o, "T-rx", UNIT + HANDLING, &out, NULL),
		  APO_OK);
	CHECK_INT(out, PAID_CONFIRMED);
	CHECK_INT(o->status_id, ST_PLACED);
	order_free(o);
	o = create("rx-online-none", "RX", rx_pid, 1, 1, 1, NULL, 0);
	CHECK_INT(orders_apply_payment(&app, conn(), o, "T-rx2", UNIT + HANDLING, &out, NULL),
		  APO_OK);
	CHECK_INT(o->status_id, ST_RX_REQUIRED);
	/* Adding one moves 100 -> 110; verify moves on to 120. */
	struct order *p = order_new();
	CHECK_INT(orders_add_prescriptions(&app, conn(), "svc", o->order_id, url, 1, p), APO_OK);
	CHECK_INT(p->status_id, ST_RX_REVIEW);
	order_release(p);
	CHECK_INT(orders_verify_prescriptions(&app, conn(), o->order_id, 1, p), APO_OK);
	CHECK_INT(p->status_id, ST_ALLOCATION);
	order_free(p);
	order_free(o);
}

static void test_partial_cancel_then_old_amount(int64_t pid)
{
	struct orders_cancel_units one = {"OTC", 1};
	struct orders_refund refund;
	enum orders_paid_outcome out;
	size_t bad;
	int64_t before = reserved_of("OTC");
	struct order *o = create("pc", "OTC", pid, 2, 0, 1, NULL, 0);
	struct order *c = order_new();
	CHECK_INT(reserved_of("OTC"), before + 2);

	CHECK_INT(orders_cancel(&app, conn(), "svc", o->order_id, &one, 1, "r", c, &bad, &refund),
		  APO_OK);
	CHECK_INT(c->status_id, ST_AWAITING_CONFIRMATION);
	CHECK_INT(c->payable, UNIT + HANDLING); /* what is due dropped */
	CHECK_INT(refund.amount, 0);
	CHECK_INT(reserved_of("OTC"), before + 1);

	/* The customer paid what was asked at create: confirmed, one unit back. */
	CHECK_INT(orders_apply_payment(&app, conn(), c, "T-pc", 2 * UNIT + HANDLING, &out, &refund),
		  APO_OK);
	CHECK_INT(out, PAID_CONFIRMED);
	CHECK_INT(refund.amount, UNIT);
	CHECK_STR(refund.type, "PARTIAL");
	CHECK_STR(refund.transaction_id, "T-pc");
	CHECK_INT(check_balanced(o->order_id), UNIT);
	/* Paid again (a retry): nothing changes. */
	CHECK_INT(orders_apply_payment(&app, conn(), c, "T-pc", 2 * UNIT + HANDLING, &out, &refund),
		  APO_OK);
	CHECK_INT(out, PAID_ALREADY);
	CHECK_INT(refund.amount, 0);
	CHECK_INT(check_balanced(o->order_id), UNIT);

	/* An operator's cancel of the paid order refunds the rest. */
	order_release(c);
	CHECK_INT(orders_operator_move(&app, conn(), o->order_id, ST_CANCELLED, NULL, "op", NULL,
				       NULL, c),
		  APO_OK);
	CHECK_INT(check_balanced(o->order_id), 2 * UNIT + HANDLING);
	CHECK_INT(reserved_of("OTC"), before);
	order_free(c);
	order_free(o);
}

/* A cancel by SKU of every open unit is a whole cancel; what is payable drops. */
static void test_partial_cancel_of_every_unit(int64_t pid)
{
	struct orders_cancel_units one = {"OTC", 1}, two = {"OTC", 2};
	struct orders_refund refund;
	size_t bad;
	int64_t before = reserved_of("OTC");
	struct order *o = create("pc-all", "OTC", pid, 3, 0, 0, NULL, 0);
	struct order *c = order_new();
	CHECK_INT(orders_cancel(&app, conn(), "svc", o->order_id, &one, 1, "r", c, &bad, &refund),
		  APO_OK);
	CHECK_INT(c->status_id, ST_PLACED);
	CHECK_INT(c->payable, 2 * UNIT + HANDLING); /* COD too */
	CHECK_INT(orders_cancel(&app, conn(), "svc", o->order_id, &two, 1, "r", c, &bad, &refund),
		  APO_OK);
	CHECK_INT(c->status_id, ST_CANCELLED);
	CHECK_STR(c->subtitle, "As per Your Request");
	CHECK_INT(c->payable, HANDLING);
	CHECK_INT(order_due(c), c->payable);
	CHECK_INT(order_value(c), 0);
	CHECK_INT(refund.amount, 0);
	CHECK_INT(reserved_of("OTC"), before);
	order_free(c);
	order_free(o);
}

static void test_mismatch_leaves_the_order(int64_t pid)
{
	enum orders_paid_outcome out;
	struct order *o = create("mm", "OTC", pid, 1, 0, 1, NULL, 0);
	CHECK_INT(orders_apply_payment(&app, conn(), o, "T-mm", 100, &out, NULL), APO_OK);
	CHECK_INT(out, PAID_MISMATCH);
	CHECK_INT(o->status_id, ST_AWAITING_CONFIRMATION);
	CHECK_INT(check_balanced(o->order_id), 0);
	order_free(o);
}

static void test_payment_after_cancel(int64_t pid)
{
	struct orders_refund refund;
	enum orders_paid_outcome out;
	size_t bad;
	int64_t before = reserved_of("OTC");
	struct order *o = create("pac", "OTC", pid, 1, 0, 1, NULL, 0);
	struct order *c = order_new();
	CHECK_INT(orders_cancel(&app, conn(), "svc", o->order_id, NULL, 0, "r", c, &bad, &refund),
		  APO_OK);
	CHECK_INT(c->status_id, ST_CANCELLED);
	CHECK_INT(reserved_of("OTC"), before);
	for (int i = 0; i < 2; i++) {
		CHECK_INT(
		    orders_apply_payment(&app, conn(), c, "T-pac", UNIT + HANDLING, &out, &refund),
		    APO_OK);
		CHECK_INT(out, PAID_ORDER_CANCELLED);
		/* Recorded and refunded in full once per transaction id. */
		CHECK_INT(refund.amount, i == 0 ? UNIT + HANDLING : 0);
		if (i == 0)
			CHECK_STR(refund.type, "FULL");
	}
	CHECK_INT(check_balanced(o->order_id), UNIT + HANDLING);
	/* Another transaction is another capture: refunded too. */
	CHECK_INT(orders_apply_payment(&app, conn(), c, "T-pac2", UNIT + HANDLING, &out, &refund),
		  APO_OK);
	CHECK_INT(out, PAID_ORDER_CANCELLED);
	CHECK_INT(refund.amount, UNIT + HANDLING);
	CHECK_INT(check_balanced(o->order_id), 2 * (UNIT + HANDLING));
	/* A cancelled order cannot be cancelled again. */
	CHECK_INT(orders_cancel(&app, conn(), "svc", o->order_id, NULL, 0, "r", c, &bad, &refund),
		  APO_ERR_STATE);
	order_free(c);
	order_free(o);
}

/*
 * The unique merchant reference is what answers a retry (no lookup before
 * the insert), and a create short of stock leaves no order behind although
 * the order row goes in before the reservation.
 */
static void test_retry_and_short_stock(int64_t pid)
{
	struct orders_create_result res;
	struct order *first = create("once-1", "DUP", pid, 2, 0, 0, NULL, 0);
	CHECK_INT(reserved_of("DUP"), 2);

	struct order *again = new_order("once-1", "DUP", pid, 2, 0, 0);
	CHECK_INT(orders_create(&app, conn(), again, NULL, 0, 1000, render, NULL, &res),
		  APO_ERR_CONFLICT);
	CHECK(res.existing);
	CHECK_STR(again->order_id, first->order_id);
	CHECK_INT(reserved_of("DUP"), 2);

	struct order *big = new_order("short-1", "DUP", pid, 1000, 0, 0);
	CHECK_INT(orders_create(&app, conn(), big, NULL, 0, 1000, render, NULL, &res),
		  APO_ERR_INSUFFICIENT);
	CHECK_INT((long long)res.short_line, 0);
	CHECK_INT(reserved_of("DUP"), 2);
	struct order *none = order_new();
	CHECK_INT(orders_get(conn(), ORDERS_BY_REF, "svc", "short-1", none), APO_ERR_NOT_FOUND);
	order_free(none);
	order_free(big);
	order_free(again);
	order_free(first);
}

/*
 * A transition locks an order read before without reading it again only
 * while the row's version has not moved: a copy read before another
 * change (here a partial cancel that lowered what is due) is read again
 * under the lock, so the payment is judged against what is due now.
 */
static void test_stale_copy_is_read_again(int64_t pid)
{
	struct orders_refund refund;
	enum orders_paid_outcome out;
	size_t bad;
	struct order *o = create("stale", "OTC", pid, 2, 0, 1, NULL, 0);
	struct order *early = order_new(), *now = order_new();
	CHECK_INT(orders_get(conn(), ORDERS_BY_ORDER_ID, "svc", o->order_id, early), APO_OK);
	CHECK(early->version_known);
	CHECK_INT(early->payable, 2 * UNIT + HANDLING);
	/* Untouched since it was read: the lock keeps it, version and all. */
	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(order_lock(conn(), early), APO_OK);
	CHECK_INT(early->payable, 2 * UNIT + HANDLING);
	store_rollback(conn());

	struct orders_cancel_units one = {"OTC", 1};
	CHECK_INT(orders_cancel(&app, conn(), "svc", o->order_id, &one, 1, "r", now, &bad, &refund),
		  APO_OK);
	CHECK_INT(now->payable, UNIT + HANDLING);
	/* early still says 2 units are due; paying the new amount confirms. */
	CHECK_INT(orders_apply_payment(&app, conn(), early, "T-stale", UNIT + HANDLING, &out, NULL),
		  APO_OK);
	CHECK_INT(out, PAID_CONFIRMED);
	CHECK_INT(early->payable, UNIT + HANDLING);
	CHECK(!early->version_known);
	CHECK_INT(check_balanced(o->order_id), 0);
	order_free(now);
	order_free(early);
	order_free(o);
}

static struct store_sql q_history_count = {
    .sql = "SELECT count(*) FROM order_history h JOIN orders o ON o.oid = h.oid "
	   "WHERE o.order_id = ?"};

static int64_t history_of(const char *order_id)
{
	int64_t n = -1;
	struct store_val v = SV_TEXT(order_id);
	CHECK_INT(store_query_int(conn(), &q_history_count, &v, 1, &n), APO_OK);
	return n;
}

/*
 * order_move() is a compare-and-set: a copy read before another request
 * moved the order loses, as APO_ERR_BUSY and not as the short stock its
 * guarded write reports underneath (order_move_lost()), and its
 * transaction writes nothing. A guard refusal is of its own transaction:
 * the next one starts with none on record.
 */
static void test_lost_move_is_busy(int64_t pid)
{
	struct order *o = create("cas", "OTC", pid, 1, 0, 0, NULL, 0);
	struct order *a = order_new(), *b = order_new();
	CHECK_INT(orders_get(conn(), ORDERS_BY_ORDER_ID, "svc", o->order_id, a), APO_OK);
	CHECK_INT(orders_get(conn(), ORDERS_BY_ORDER_ID, "svc", o->order_id, b), APO_OK);
	int64_t before = history_of(o->order_id);

	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(order_move(conn(), a, ST_ALLOCATION, 1, NULL, NULL, "test", "first"), APO_OK);
	CHECK_INT(store_commit(conn()), APO_OK);
	CHECK_INT(a->status_id, ST_ALLOCATION);

	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(order_move(conn(), b, ST_CANCELLED, 1, NULL, NULL, "test", "second"),
		  APO_ERR_BUSY);
	CHECK_INT(store_guard_tag(conn()), ORDER_MOVE_GUARD);
	store_rollback(conn());
	CHECK_INT(b->status_id, ST_PLACED);
	CHECK_INT(history_of(o->order_id), before + 1);

	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(store_guard_tag(conn()), STORE_GUARD_NONE);
	CHECK(!order_move_lost(conn(), APO_ERR_INSUFFICIENT));
	store_rollback(conn());

	struct order *now = order_new();
	CHECK_INT(orders_get(conn(), ORDERS_BY_ORDER_ID, "svc", o->order_id, now), APO_OK);
	CHECK_INT(now->status_id, ST_ALLOCATION);
	order_free(now);
	order_free(b);
	order_free(a);
	order_free(o);
}

/*
 * An ONLINE order's payment id derives from its row id, and the row goes
 * in once, with its answer. Every write of the row after its INSERT moves
 * its version, and so does (on SQLite) the first history row: a second
 * write would leave it at 2.
 */
static void test_online_row_written_once(int64_t pid)
{
	struct order *o = create("once-online", "OTC", pid, 1, 0, 1, NULL, 0);
	struct order *got = order_new();
	CHECK_INT(orders_get(conn(), ORDERS_BY_ORDER_ID, "svc", o->order_id, got), APO_OK);
	CHECK(got->oid > 0);
	CHECK_INT(got->payment_id, 1000 + got->oid);
	CHECK_INT(got->payment_id, o->payment_id);
	CHECK_STR(got->response, o->order_id); /* what render() made of it */
	CHECK(got->version <= 1);
	order_free(got);
	order_free(o);
}

/*
 * Row ids taken before the INSERTs (a batch of creates takes all of its
 * own at once): the ids the next orders get, one after another.
 */
static void test_row_ids_taken_at_once(int64_t pid)
{
	struct order *o = create("ids-1", "OTC", pid, 1, 0, 0, NULL, 0);
	int64_t ids[ORDER_MAX_TAKE + 1], one = 0;
	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(order_take_oids(conn(), 3, ids), APO_OK);
	CHECK_INT(ids[0], o->oid + 1);
	CHECK_INT(ids[1], o->oid + 2);
	CHECK_INT(ids[2], o->oid + 3);
	CHECK_INT(order_take_oid(conn(), &one), APO_OK);
	CHECK_INT(one, o->oid + 1);
	CHECK_INT(order_take_oids(conn(), 0, ids), APO_ERR_INVALID);
	CHECK_INT(order_take_oids(conn(), ORDER_MAX_TAKE + 1, ids), APO_ERR_INVALID);
	store_rollback(conn());
	order_free(o);
}

static struct store_sql q_ledger_rows = {
	.sql = "SELECT COUNT(*) FROM stock_ledger WHERE pid = ? AND reason = 'reserve'"};

/*
 * A batch's orders written together (order_insert_many_later()): each
 * table's rows in one statement, and every order reads back as it was
 * given — its row, its lines and charges in their places, its first
 * history entry.
 */
static void test_orders_inserted_together(int64_t pid, int64_t other)
{
	struct order *os[3];
	int64_t oids[3];
	for (size_t i = 0; i < 3; i++) {
		char ref[32];
		snprintf(ref, sizeof(ref), "together-%zu", i);
		os[i] = new_order(ref, "OTC", pid, (int64_t)i + 1, 0, i == 1);
	}
	/* The second order has a second line, the third a second charge. */
	struct order_line *l = &os[1]->lines[os[1]->nlines++];
	l->pid = other;
	l->sku_id = xstrdup("MANY");
	l->name = xstrdup("Many");
	l->qty = 4;
	l->mrp = l->offered = l->discounted = UNIT;
	struct order_charge *ch = &os[2]->charges[os[2]->ncharges++];
	ch->type = xstrdup("delivery_fee");
	ch->display_text = xstrdup("Delivery");
	ch->amount = 4900;
	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(order_take_oids(conn(), 3, oids), APO_OK);
	for (size_t i = 0; i < 3; i++)
		os[i]->oid = oids[i];
	CHECK_INT(order_insert_many_later(conn(), os, 3, "merchant"), APO_OK);
	CHECK_INT(store_commit(conn()), APO_OK);
	for (size_t i = 0; i < 3; i++) {
		struct order *got = order_new();
		struct order_extras x;
		struct ledger lg;
		CHECK_INT(orders_get_full(conn(), ORDERS_BY_ORDER_ID, "svc", os[i]->order_id, got,
					  &x, &lg),
			  APO_OK);
		CHECK_INT(got->oid, oids[i]);
		CHECK_STR(got->merchant_order_id, os[i]->merchant_order_id);
		CHECK_STR(got->payment_method, os[i]->payment_method);
		CHECK_INT(got->status_id, os[i]->status_id);
		CHECK_INT(got->nlines, os[i]->nlines);
		CHECK_INT(got->ncharges, os[i]->ncharges);
		for (size_t k = 0; k < got->nlines && k < os[i]->nlines; k++) {
			CHECK_STR(got->lines[k].sku_id, os[i]->lines[k].sku_id);
			CHECK_INT(got->lines[k].qty, os[i]->lines[k].qty);
		}
		for (size_t k = 0; k < got->ncharges && k < os[i]->ncharges; k++)
			CHECK_INT(got->charges[k].amount, os[i]->charges[k].amount);
		CHECK_INT(x.nevents, 1);
		if (x.nevents)
			CHECK_INT(x.events[0].to, os[i]->status_id);
		order_extras_release(&x);
		order_free(got);
		order_free(os[i]);
	}
	/* Without row ids taken first: refused before anything is sent. */
	struct order *o = new_order("together-none", "OTC", pid, 1, 0, 0);
	CHECK_INT(order_insert_many_later(conn(), &o, 1, "merchant"), APO_ERR_INTERNAL);
	order_free(o);
}

/*
 * A batch's lines, by product: a ledger row each, one UPDATE per product of
 * its lines' total; a product short of its total refuses the whole with
 * the tag of its first line.
 */
static void test_reservations_of_many_lines_at_once(int64_t pid, int64_t other)
{
	struct stock_take takes[] = {
	    {pid, 3, "ORDER-A", 1}, {pid, 4, "ORDER-B", 2}, {other, 5, "ORDER-B", 3}};
	int64_t rows = 0;
	struct store_val arg = SV_INT(pid), arg2 = SV_INT(other);
	int64_t before = reserved_of("OTHER");
	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	CHECK_INT(stock_reserve_takes_at_commit(conn(), takes, 3), APO_OK);
	CHECK_INT(store_commit(conn()), APO_OK);
	CHECK_INT(reserved_of("MANY"), 7);
	CHECK_INT(reserved_of("OTHER"), before + 5);
	CHECK_INT(store_query_int(conn(), &q_ledger_rows, &arg, 1, &rows), APO_OK);
	CHECK_INT(rows, 2);
	CHECK_INT(store_query_int(conn(), &q_ledger_rows, &arg2, 1, &rows), APO_OK);
	CHECK_INT(rows, 1);
	/* 110 of the 93 left of MANY: refused as a whole, with its first tag,
	 * though OTHER has enough. */
	struct stock_take big[] = {{pid, 60, "ORDER-C", 9}, {pid, 50, "ORDER-D", 8},
				   {other, 1, "ORDER-D", 7}};
	CHECK_INT(store_begin(conn(), STORE_TX_WRITE), APO_OK);
	enum apo_result rc = stock_reserve_takes_at_commit(conn(), big, 3);
	if (rc == APO_OK)
		rc = store_commit(conn());
	CHECK_INT(rc, APO_ERR_INSUFFICIENT);
	CHECK_INT(store_guard_tag(conn()), 9);
	store_rollback(conn());
	struct stock_take zero[] = {{pid, 2, "ORDER-E", 0}, {pid, 0, "ORDER-F", 0}};
	CHECK_INT(stock_reserve_takes_at_commit(conn(), zero, 2), APO_ERR_INVALID);
	CHECK_INT(stock_reserve_takes_at_commit(conn(), zero, 0), APO_ERR_INVALID);
	CHECK_INT(reserved_of("MANY"), 7);
	CHECK_INT(reserved_of("OTHER"), before + 5);
	CHECK_INT(store_query_int(conn(), &q_ledger_rows, &arg, 1, &rows), APO_OK);
	CHECK_INT(rows, 2);
}

/*
 * Ids are unique within a process but may be taken by another one
 * (core/ids.h): an order whose order_id or hex_id another order holds is
 * created with new ones, and its stored answer names the id it got.
 */
static void test_taken_ids_drawn_again(int64_t pid)
{
	static const char *const refs[] = {"ids-cod", "ids-online", "ids-hex"};
	struct order *held = create("ids-held", "IDS", pid, 1, 0, 0, NULL, 0);
	for (size_t i = 0; i < 3; i++) {
		struct orders_create_result res;
		struct order *o = new_order(refs[i], "IDS", pid, 1, 0, i == 1);
		if (i < 2)
			memcpy(o->order_id, held->order_id, sizeof(o->order_id));
		else
			memcpy(o->hex_id, held->hex_id, sizeof(o->hex_id));
		CHECK_INT(orders_create(&app, conn(), o, NULL, 0, 1000, render, NULL, &res),
			  APO_OK);
		CHECK(!res.existing);
		CHECK(strcmp(o->order_id, held->order_id) != 0);
		CHECK(strcmp(o->hex_id, held->hex_id) != 0);
		CHECK_STR(o->response, o->order_id);
		struct order *stored = order_new();
		CHECK_INT(orders_get(conn(), ORDERS_BY_ORDER_ID, "svc", o->order_id, stored),
			  APO_OK);
		CHECK_STR(stored->merchant_order_id, refs[i]);
		CHECK_STR(stored->hex_id, o->hex_id);
		CHECK_STR(stored->response, o->order_id);
		order_free(stored);
		order_free(o);
	}
	CHECK_INT(reserved_of("IDS"), 4);
	order_free(held);
}

int main(void)
{
	char path[T_STORE_PATH_CAP];
	log_set_level(LOG_ERROR);
	stock_events_init();
	app.cfg.public_url = xstrdup("http://127.0.0.1:1");
	db = t_store_open("service", path);
	if (!db)
		return 1;
	make_merchant();
	int64_t rx_pid = make_product("RX", 1), pid = make_product("OTC", 0);
	test_prescription_rule(rx_pid);
	test_partial_cancel_then_old_amount(pid);
	test_partial_cancel_of_every_unit(pid);
	test_mismatch_leaves_the_order(pid);
	test_payment_after_cancel(pid);
	test_stale_copy_is_read_again(pid);
	test_lost_move_is_busy(pid);
	test_online_row_written_once(pid);
	test_row_ids_taken_at_once(pid);
	int64_t many = make_product("MANY", 0);
	test_orders_inserted_together(pid, many);
	test_reservations_of_many_lines_at_once(many, make_product("OTHER", 0));
	test_retry_and_short_stock(make_product("DUP", 0));
	test_taken_ids_drawn_again(make_product("IDS", 0));
	free(app.cfg.public_url);
	t_store_close(db, path);
	T_DONE();
}
