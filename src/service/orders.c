/*
 * The order service (see orders.h): transitions with their stock, money,
 * history and event effects, in one transaction each.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "service/orders.h"
#include "app.h"
#include "core/ids.h"
#include "core/ledger.h"
#include "core/money.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "store/repo_catalog.h"
#include "store/repo_orders.h"
#include "store/repo_outbox.h"
#include "store/store.h"
#include "base/batch.h"
#include "base/clock.h"
#include "base/counters.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Attempts of a transaction that lost a race (a deadlock, a lock timeout). */
#define ORDERS_TRIES 3
/* Status of a payment the merchant's payment API reported as captured. */
#define ORDERS_PAYMENT_OK "SUCCESS"
/* State of a refund the payment API confirmed (repo_outbox sets it). */
#define ORDERS_REFUND_DONE "done"
/* Refunds the ledger queues by itself say why. */
#define ORDERS_REASON_EXCESS "payment above the amount due"
#define ORDERS_REASON_CANCELLED "payment captured after the order was cancelled"

/* Orders cancelled per sweep; the rest wait for the next one. */
#define FLOW_EXPIRE_BATCH 100

/*
 * Creates sharing one transaction where the backend commits each
 * transaction alone (see create_batch()): at most this many batches under
 * way at once (each on its leader's connection), and this many creates in
 * one.
 */
#define ORDERS_BATCH_LANES 2
#define ORDERS_BATCH_MAX 16
/*
 * How many times a create is tried with new ids when a unique index
 * refuses the ones it has (core/ids.h: unique within a process, and with
 * overwhelming probability between processes).
 */
#define ORDERS_ID_ATTEMPTS 3

void flow_tracking_url(const struct app *app, const char *code, char *out, size_t cap)
{
	fmt_into(out, cap, "%s/t/%s", app->cfg.public_url, code);
}

static json_t *pharmacy_event(const struct app *app, const struct order *o, const char *event_id)
{
	char url[512];
	json_t *tracking_url = json_null();
	if (o->tracking_code) {
		flow_tracking_url(app, o->tracking_code, url, sizeof(url));
		tracking_url = json_string(url);
	}
	json_t *g = json_pack(
	    "{s:s,s:s,s:{s:i,s:s,s:o},s:b,s:I,s:{s:I,s:I},s:{s:o,s:o,s:o}}", "order_id",
	    o->order_id, "merchant_order_id", o->merchant_order_id, "order_status", "status_id",
	    o->status_id, "title", order_status_title(o->status_id), "subtitle",
	    jx_str_or_null(o->subtitle), "status_changed", 1, "updated", (json_int_t)o->updated,
	    "eta", "eta_from", (json_int_t)o->eta_from, "eta_to", (json_int_t)o->eta_to,
	    "shipment_detail", "delivery_partner_name", jx_str_or_null(o->delivery_partner),
	    "tracking_code", jx_str_or_null(o->tracking_code), "tracking_url", tracking_url);
	return json_pack("{s:s,s:[o]}", "event_id", event_id, "grouped_orders", g);
}

/* A logistics order's move is order.shipped when it ships, else order.info.change. */
static const char *logistics_event_type(const struct order *o)
{
	return o->status_id == ST_SHIPPED ? OUTBOX_EV_ORDER_SHIPPED : OUTBOX_EV_ORDER_INFO_CHANGE;
}

/*
 * The order's merchants_order as the merchant sent it: its object with
 * "id" the reference apotheca keeps, or {"id"} when it sent a string (or
 * nothing, the reference then being the order's own id).
 */
static json_t *merchants_order_json(const struct order *o)
{
	json_t *doc = o->extra_json ? json_loads(o->extra_json, 0, NULL) : NULL;
	json_t *sent = json_object_get(doc, "merchants_order");
	json_t *mo = json_is_object(sent) ? json_deep_copy(sent) : json_object();
	json_decref(doc);
	json_object_set_new(mo, "id", json_string(o->merchant_order_id));
	return mo;
}

/*
 * A logistics order event: the logistics API's documented members first
 * (order {id, merchants_order, status, tracking_code, tracking_url}, and
 * shipment {id, carrier_tracking_code} once the courier has it), apotheca's
 * own facts beside them in order, then the flat members earlier releases
 * sent, kept for receivers written against them (docs/api/webhooks.md).
 */
static json_t *logistics_event(const struct app *app, const struct order *o, const char *event_id,
			       int from)
{
	char url[512], ts[32];
	json_t *tracking_url = json_null();
	const char *status = order_status_logistics(o->status_id, o->ever_confirmed);
	if (o->tracking_code) {
		flow_tracking_url(app, o->tracking_code, url, sizeof(url));
		tracking_url = json_string(url);
	}
	iso8601_utc(o->updated, ts);
	json_t *order =
	    json_pack("{s:s,s:o,s:s,s:o,s:o,s:s,s:i,s:i,s:o,s:s}", "id", o->hex_id,
		      "merchants_order", merchants_order_json(o), "status", status, "tracking_code",
		      jx_str_or_null(o->tracking_code), "tracking_url", tracking_url, "reference",
		      o->order_id, "status_id", o->status_id, "previous_status_id", from,
		      "delivery_partner_name", jx_str_or_null(o->delivery_partner), "updated", ts);
	json_t *payload = json_pack("{s:o}", "order", order);
	/* One parcel per order: the shipment is known by the order's id. */
	if (strcmp(status, "processed") == 0)
		json_object_set_new(
		    payload, "shipment",
		    json_pack("{s:s,s:o,s:o}", "id", o->hex_id, "carrier_tracking_code",
			      jx_str_or_null(o->carrier_tracking_code), "delivery_partner_name",
			      jx_str_or_null(o->delivery_partner)));
	json_t *flat =
	    json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:O,s:O,s:o,s:o,s:s}", "order_id", o->hex_id,
		      "merchants_order", o->merchant_order_id, "reference", o->order_id, "status",
		      status, "status_id", o->status_id, "previous_status_id", from,
		      "tracking_code", json_object_get(order, "tracking_code"), "tracking_url",
		      json_object_get(order, "tracking_url"), "delivery_partner_name",
		      jx_str_or_null(o->delivery_partner), "carrier_tracking_code",
		      jx_str_or_null(o->carrier_tracking_code), "updated", ts);
	json_object_update(payload, flat);
	json_decref(flat);
	return json_pack("{s:s,s:s,s:s,s:o}", "event_id", event_id, "event_type",
			 logistics_event_type(o), "ts", ts, "payload", payload);
}

/* Queues the webhook event announcing o's move from `from`. */
static enum apo_result announce(const struct app *app, struct store_conn *c, const struct order *o,
				int from)
{
	char event_id[HEX_ID_LEN + 1];
	ids_hex_id(event_id);
	int logistics = o->dialect && strcmp(o->dialect, "logistics") == 0;
	json_t *ev =
	    logistics ? logistics_event(app, o, event_id, from) : pharmacy_event(app, o, event_id);
	char *text = jx_dumps(ev, 15, NULL);
	json_decref(ev);
	enum apo_result rc =
	    outbox_add(c, OUTBOX_WEBHOOK, o->merchant_id, o->order_id,
		       logistics ? logistics_event_type(o) : OUTBOX_EV_ORDER_STATUS, text);
	free(text);
	return rc;
}

/* The stock effect core names for a move from -> to. */
static enum apo_result apply_stock_effect(struct store_conn *c, struct order *o, int from, int to)
{
	switch (order_move_stock_effect(from, to)) {
	case STOCK_RELEASE:
		return order_release_lines(c, o, 0);
	case STOCK_SHIP:
		return order_release_lines(c, o, 1);
	case STOCK_RESERVE:
		return order_reserve_lines(c, o, NULL);
	case STOCK_KEEP:
		break;
	}
	return APO_OK;
}

/* In the caller's transaction: queues a refund of r->amount for o. */
static enum apo_result refund_queue(struct store_conn *c, const struct order *o,
				    struct orders_refund *r)
{
	char hex[HEX_ID_LEN + 1];
	enum apo_result rc;
	ids_hex_id(hex);
	fmt_into(r->refund_id, sizeof(r->refund_id), "RF%s", hex);
	rc = order_refund_add(c, o->oid, r->refund_id, r->transaction_id, r->amount, r->type,
			      r->reason);
	if (rc != APO_OK)
		return rc;
	json_t *payload = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "refund_id", r->refund_id,
				    "transaction_id", r->transaction_id, "order_id", o->order_id,
				    "amount", jx_money_value(r->amount), "type", r->type, "reason",
				    r->reason ? r->reason : "");
	char *text = jx_dumps(payload, 15, NULL);
	json_decref(payload);
	rc = outbox_add(c, OUTBOX_REFUND, o->merchant_id, o->order_id, "refund", text);
	free(text);
	return rc;
}

/*
 * In the caller's transaction: restores the ledger's invariant after a
 * change by queueing the refund it owes, if any (into *out when not NULL).
 */
static enum apo_result settle(struct store_conn *c, const struct order *o, const char *reason,
			      struct orders_refund *out)
{
	struct order_money sums;
	struct ledger l;
	struct orders_refund r;
	enum apo_result rc = order_money(c, o->oid, &sums);
	if (rc != APO_OK)
		return rc;
	ledger_init(&l, o, sums.paid, sums.refund_initiated, sums.refunded);
	memset(&r, 0, sizeof(r));
	r.amount = ledger_refund_owed(&l);
	if (r.amount == 0)
		return APO_OK;
	r.type = ledger_refund_type(&l);
	r.reason = reason;
	fmt_into(r.transaction_id, sizeof(r.transaction_id), "%s", sums.txn_id);
	if ((rc = refund_queue(c, o, &r)) != APO_OK)
		return rc;
	if (out)
		*out = r;
	return APO_OK;
}

/*
 * In the caller's transaction: o joins the back of the queue of orders
 * waiting for stock (service/allocate.h); held when an operator moved it
 * there by hand, so the units it just gave back do not allocate it again.
 */
static enum apo_result start_waiting(struct store_conn *c, const struct order *o,
				     const char *actor)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return order_set_waiting(c, o->oid, ms, actor && strcmp(actor, ACTOR_OPERATOR) == 0);
}

/* orders_move() without its settle, for a caller that settles after more changes. */
static enum apo_result move_unsettled(struct app *app, struct store_conn *c, struct order *o,
				      int to, const char *subtitle, const char *actor,
				      const char *note)
{
	int from = o->status_id;
	int confirmed = o->ever_confirmed || order_status_confirmed(to);
	char code[TRACKING_CODE_LEN + 1];
	enum apo_result rc;
	if (!order_move_allowed(from, to))
		return APO_ERR_STATE;
	/* A confirmed order has its public tracking code before anyone hears
	 * of it: the move gives it one in the same row write. */
	if (confirmed && !o->tracking_code)
		ids_tracking_code(code);
	rc = order_move(c, o, to, confirmed, confirmed && !o->tracking_code ? code : NULL, subtitle,
			actor, note);
	if (rc == APO_OK)
		rc = apply_stock_effect(c, o, from, to);
	if (rc == APO_OK && to == ST_ALLOCATION_FAILED)
		rc = start_waiting(c, o, actor);
	if (rc == APO_OK)
		rc = announce(app, c, o, from);
	return rc;
}

enum apo_result orders_move(struct app *app, struct store_conn *c, struct order *o, int to,
			    const char *subtitle, const char *actor, const char *note,
			    struct orders_refund *refund)
{
	enum apo_result rc = move_unsettled(app, c, o, to, subtitle, actor, note);
	return rc == APO_OK ? settle(c, o, note, refund) : rc;
}

static enum order_key repo_key(enum orders_key by)
{
	switch (by) {
	case ORDERS_BY_ORDER_ID:
		return ORDER_BY_ORDER_ID;
	case ORDERS_BY_REF:
		return ORDER_BY_REF;
	case ORDERS_BY_TRACKING:
		return ORDER_BY_TRACKING;
	case ORDERS_BY_ANY_ID:
		break;
	}
	return ORDER_BY_ANY_ID;
}

enum apo_result orders_get(struct store_conn *c, enum orders_key by, const char *merchant_id,
			   const char *key, struct order *o)
{
	order_release(o);
	return order_load(c, repo_key(by), merchant_id, key, o);
}

enum apo_result orders_list(struct store_conn *c, const char *merchant_id, int status,
			    int64_t before_oid, size_t limit,
			    void (*fn)(const struct order *o, void *ctx), void *ctx)
{
	return order_list(c, merchant_id, status, before_oid, limit, fn, ctx);
}

void orders_ledger(const struct order *o, const struct order_extras *x, struct ledger *l)
{
	int64_t paid = 0, initiated = 0, done = 0;
	for (size_t i = 0; i < x->npayments; i++)
		if (x->payments[i].status && strcmp(x->payments[i].status, ORDERS_PAYMENT_OK) == 0)
			paid += x->payments[i].amount;
	for (size_t i = 0; i < x->nrefunds; i++) {
		initiated += x->refunds[i].amount;
		if (x->refunds[i].state && strcmp(x->refunds[i].state, ORDERS_REFUND_DONE) == 0)
			done += x->refunds[i].amount;
	}
	ledger_init(l, o, paid, initiated, done);
}

enum apo_result orders_get_full(struct store_conn *c, enum orders_key by, const char *merchant_id,
				const char *key, struct order *o, struct order_extras *x,
				struct ledger *l)
{
	memset(x, 0, sizeof(*x));
	enum apo_result rc = store_begin(c, STORE_TX_READ);
	if (rc != APO_OK)
		return rc;
	rc = order_load(c, repo_key(by), merchant_id, key, o);
	if (rc == APO_OK)
		rc = order_extras_load(c, o->oid, x);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK) {
		store_rollback(c);
		order_extras_release(x);
		order_release(o);
		return rc;
	}
	orders_ledger(o, x, l);
	return APO_OK;
}

/* Ends a write transaction: commits on success, else rolls back. */
static enum apo_result finish(struct store_conn *c, enum apo_result rc)
{
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

/* In the caller's transaction: loads the order and locks its row. */
static enum apo_result load_locked(struct store_conn *c, enum orders_key by,
				   const char *merchant_id, const char *key, struct order *o)
{
	enum apo_result rc;
	order_release(o);
	rc = order_load(c, repo_key(by), merchant_id, key, o);
	return rc == APO_OK ? order_lock(c, o) : rc;
}

/*
 * The one shape of every transition but a create: a write transaction in
 * which the order is loaded by key and its row locked (key NULL: o is
 * known by its oid and is locked and reloaded as it is), step(app, c, o,
 * ctx) decides and acts under that lock, and the transaction commits when
 * all of it succeeded, else rolls back. One attempt: a lost lock comes
 * back as APO_ERR_BUSY (orders_with_locked() tries again).
 */
static enum apo_result locked_tx(struct app *app, struct store_conn *c, enum orders_key by,
				 const char *merchant_id, const char *key, struct order *o,
				 orders_step step, void *ctx)
{
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	rc = key ? load_locked(c, by, merchant_id, key, o) : order_lock(c, o);
	/* What the step changes in o may not reach the row (a rollback): a
	 * later lock reads the order again. */
	o->version_known = 0;
	if (rc == APO_OK)
		rc = step(app, c, o, ctx);
	rc = finish(c, rc);
	/* A move's compare-and-set refused after the step went on (PostgreSQL
	 * sends it with the next statement): another request moved it first. */
	return order_move_lost(c, rc) ? APO_ERR_BUSY : rc;
}

/* A create's arguments (see orders_create()), and what became of it. */
struct create_job {
	struct order *o;
	const char *const *rx;
	size_t n;
	int64_t payment_id_base;
	char *(*render)(const struct order *o, void *ctx);
	void *ctx;
	struct orders_create_result *res;
	enum apo_result rc; /* the batch's outcome for it, unless alone */
	int alone;	    /* not placed by a batch: it runs in a transaction of its own */
};

/*
 * An order awaiting its payment gets its payment id, derived from the row
 * id (unique without a shared counter), and its answer, which shows it.
 * Taken before the INSERT (a batch took it already), so the row and its
 * stored answer are written once.
 */
static enum apo_result payment_id_and_answer(struct store_conn *c, struct create_job *j)
{
	struct order *o = j->o;
	enum apo_result rc;
	if (o->status_id != ST_AWAITING_CONFIRMATION)
		return APO_OK;
	if (!o->oid && (rc = order_take_oid(c, &o->oid)) != APO_OK)
		return rc;
	o->payment_id = j->payment_id_base + o->oid;
	free(o->response);
	o->response = j->render(o, j->ctx);
	return APO_OK;
}

/* In the caller's transaction: the order's prescriptions. */
static enum apo_result create_rx(struct store_conn *c, struct create_job *j)
{
	enum apo_result rc = APO_OK;
	for (size_t i = 0; rc == APO_OK && i < j->n; i++)
		rc = order_rx_add(c, j->o->oid, j->rx[i]);
	return rc;
}

/*
 * In the caller's transaction: the order's row, with its lines, charges,
 * history and prescriptions. One order per merchant reference: the unique
 * index on it refuses a second (APO_ERR_CONFLICT), which create_alone()
 * answers with the stored order. No lookup first: a retry is rare, a
 * create is not.
 */
static enum apo_result create_rows(struct store_conn *c, struct create_job *j)
{
	enum apo_result rc = payment_id_and_answer(c, j);
	if (rc == APO_OK)
		rc = order_insert(c, j->o, ACTOR_MERCHANT);
	if (rc == APO_OK)
		rc = create_rx(c, j);
	return rc;
}

/* In the caller's transaction: one use of the order's coupon, if it has one. */
static enum apo_result create_coupon(struct store_conn *c, struct create_job *j)
{
	enum apo_result rc;
	if (!j->o->coupon_code || (rc = coupon_use(c, j->o->coupon_code)) == APO_OK)
		return APO_OK;
	if (rc != APO_ERR_CONFLICT)
		return rc;
	j->res->coupon_spent = 1;
	return APO_ERR_INVALID;
}

/*
 * One create alone in its own transaction. The order and its rows go in
 * first, its lines holding what they reserve (orders_create() set that);
 * the coupon is used after the insert, so a retry of an order whose coupon
 * is now spent still answers the stored order; the stock rows are
 * reserved last, in product order as every stock change does (no
 * deadlock), so a busy product's row is locked only from its UPDATE to the
 * commit. If stock is short the whole transaction rolls back, order
 * included. On PostgreSQL the line, history and ledger rows travel with
 * the next statement (store_exec_later), and the reservations with the
 * COMMIT: a create is two round trips (the order's INSERT, then the rest),
 * and a busy product's row is locked only while the server commits.
 */
static enum apo_result create_alone(struct store_conn *c, struct create_job *j)
{
	struct order *o = j->o;
	struct orders_create_result *res = j->res;
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	rc = create_rows(c, j);
	if (rc == APO_OK)
		rc = create_coupon(c, j);
	/* A pharmacy order's lines are platform catalog products: their
	 * reservations travel with the COMMIT (stock_reserve_at_commit()),
	 * and a short line fails the commit instead. */
	size_t by_pid[ORDER_MAX_LINES];
	order_lines_by_pid(o, by_pid);
	for (size_t k = 0; rc == APO_OK && k < o->nlines; k++) {
		size_t i = by_pid[k];
		rc = stock_reserve_at_commit(c, o->lines[i].pid, o->lines[i].qty, o->order_id,
					     (int64_t)i);
	}
	rc = finish(c, rc);
	if (rc == APO_ERR_INSUFFICIENT) {
		int64_t i = store_guard_tag(c);
		res->short_line = i >= 0 && (size_t)i < o->nlines ? (size_t)i : 0;
	}
	if (rc != APO_ERR_CONFLICT)
		return rc;
	/* Refused by a unique index: when the reference is taken, the retry's
	 * answer is the stored order (read after the rollback: on PostgreSQL
	 * the failed transaction can read nothing more). */
	struct order *old = order_new();
	if (order_load(c, ORDER_BY_REF, o->merchant_id, o->merchant_order_id, old) == APO_OK) {
		order_release(o);
		*o = *old;
		order_init(old);
		res->existing = 1;
	}
	order_free(old);
	return APO_ERR_CONFLICT;
}

/*
 * A COD order is placed at create: its tracking code and its answer go into
 * the one INSERT. Made before the transaction, as nothing in them comes
 * from it: on SQLite every write waits for the one writer, so its turn is
 * kept to the statements.
 */
static void placed_code_and_answer(struct create_job *j)
{
	char code[TRACKING_CODE_LEN + 1];
	ids_tracking_code(code);
	free(j->o->tracking_code);
	j->o->tracking_code = xstrdup(code);
	free(j->o->response);
	j->o->response = j->render(j->o, j->ctx);
}

/* New ids for an order whose own ones a unique index refused (core/ids.h). */
static void draw_new_ids(struct order *o)
{
	ids_order_id(o->order_id);
	ids_hex_id(o->hex_id);
	o->oid = 0; /* taken in the transaction that rolled back */
}

/*
 * create_alone(), and again with new ids while a unique index refuses the
 * order's own ids: they never repeat within a process, but two processes,
 * or an order made a turn of the clock ago, can hold the same (core/ids.h).
 * A refusal that create_alone() answered with the order stored under the
 * merchant's reference is a retry of that order, not a taken id.
 */
static enum apo_result create_drawing_ids(struct store_conn *c, struct create_job *j)
{
	enum apo_result rc = create_alone(c, j);
	for (int i = 1; rc == APO_ERR_CONFLICT && !j->res->existing && i < ORDERS_ID_ATTEMPTS;
	     i++) {
		draw_new_ids(j->o);
		if (j->o->status_id != ST_AWAITING_CONFIRMATION)
			placed_code_and_answer(j);
		rc = create_alone(c, j);
	}
	return rc;
}

/* A batch's coupon uses, in code order: every transaction locks coupons alike. */
static int coupon_order(const void *a, const void *b)
{
	const struct create_job *const *x = a, *const *y = b;
	return strcasecmp((*x)->o->coupon_code, (*y)->o->coupon_code);
}

static int cmp_size(size_t a, size_t b)
{
	return (a > b) - (a < b);
}

/* One line of a batch's orders, to reserve in product order across them all. */
struct batch_line {
	struct stock_take take; /* its tag: its place in its order */
	size_t job;		/* its order's place in the batch */
};

static int line_order(const void *a, const void *b)
{
	const struct batch_line *x = a, *y = b;
	if (x->take.pid != y->take.pid)
		return x->take.pid < y->take.pid ? -1 : 1;
	if (x->job != y->job)
		return cmp_size(x->job, y->job);
	return (x->take.tag > y->take.tag) - (x->take.tag < y->take.tag);
}

/* In the caller's transaction: the batch's coupons, then its stock, each in key order. */
static enum apo_result batch_claims(struct store_conn *c, struct create_job *const *jobs, size_t n)
{
	struct create_job *with_coupon[ORDERS_BATCH_MAX];
	size_t nc = 0, nl = 0;
	enum apo_result rc = APO_OK;
	for (size_t i = 0; i < n; i++) {
		nl += jobs[i]->o->nlines;
		if (jobs[i]->o->coupon_code)
			with_coupon[nc++] = jobs[i];
	}
	qsort(with_coupon, nc, sizeof(*with_coupon), coupon_order);
	for (size_t i = 0; rc == APO_OK && i < nc; i++)
		rc = create_coupon(c, with_coupon[i]);
	if (rc != APO_OK || !nl)
		return rc;
	struct batch_line *lines = xcalloc(nl, sizeof(*lines));
	nl = 0;
	for (size_t i = 0; i < n; i++) {
		const struct order *o = jobs[i]->o;
		for (size_t k = 0; k < o->nlines; k++)
			lines[nl++] = (struct batch_line){
			    {o->lines[k].pid, o->lines[k].qty, o->order_id, (int64_t)k}, i};
	}
	qsort(lines, nl, sizeof(*lines), line_order);
	/* Every line's ledger row in one statement, one UPDATE per product
	 * of what all the batch's lines of it take: a busy product's row is
	 * written once per batch. */
	struct stock_take *takes = xcalloc(nl, sizeof(*takes));
	for (size_t i = 0; i < nl; i++)
		takes[i] = lines[i].take;
	rc = stock_reserve_takes_at_commit(c, takes, nl);
	free(takes);
	free(lines);
	return rc;
}

/*
 * Runs a batch of creates (base/batch.h) in one transaction on the
 * leader's connection ctx: every order's rows in turn, then all their
 * coupons and stock, in key order, and one COMMIT. Without savepoints: a
 * batch in which anything fails — a reference already taken, a coupon
 * spent, stock short, a lost lock — rolls back whole, and each of its
 * creates then runs alone, where it meets the same refusal and answers it
 * as a lone create does (a create that did commit before a lost
 * connection hid it is found by its reference). A batch of one runs alone
 * at once.
 */
static void create_batch(void *ctx, struct batch_item *const *items, size_t n)
{
	struct store_conn *c = ctx;
	struct create_job *jobs[ORDERS_BATCH_MAX];
	for (size_t i = 0; i < n; i++)
		jobs[i] = items[i]->arg;
	if (n == 1) {
		/* Alone, but holding its lane: creates that come meanwhile
		 * queue and go together next. */
		jobs[0]->rc = create_drawing_ids(c, jobs[0]);
		return;
	}
	int64_t oids[ORDERS_BATCH_MAX];
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	/* Row ids taken first, all at once: then nothing in the batch waits
	 * for an answer until its COMMIT (the INSERTs travel with it). */
	if (rc == APO_OK)
		rc = order_take_oids(c, n, oids);
	struct order *os[ORDERS_BATCH_MAX];
	for (size_t i = 0; rc == APO_OK && i < n; i++) {
		os[i] = jobs[i]->o;
		os[i]->oid = oids[i];
		rc = payment_id_and_answer(c, jobs[i]);
	}
	/* Each table's rows of the whole batch in one statement; a taken
	 * reference or id is refused by the statement that follows (or the
	 * COMMIT), and the batch rolls back. */
	if (rc == APO_OK)
		rc = order_insert_many_later(c, os, n, ACTOR_MERCHANT);
	for (size_t i = 0; rc == APO_OK && i < n; i++)
		rc = create_rx(c, jobs[i]);
	if (rc == APO_OK)
		rc = batch_claims(c, jobs, n);
	rc = finish(c, rc);
	counters_create_batch(n, rc == APO_OK);
	for (size_t i = 0; i < n; i++) {
		jobs[i]->rc = rc;
		jobs[i]->alone = rc != APO_OK;
	}
}

static struct batcher create_batcher =
    BATCHER_INIT(create_batch, ORDERS_BATCH_LANES, ORDERS_BATCH_MAX);

enum apo_result orders_create(struct app *app, struct store_conn *c, struct order *o,
			      const char *const *rx, size_t n, int64_t payment_id_base,
			      char *(*render)(const struct order *o, void *ctx), void *ctx,
			      struct orders_create_result *res)
{
	(void)app;
	memset(res, 0, sizeof(*res));
	for (size_t i = 0; i < o->nlines; i++)
		o->lines[i].reserved_qty = o->lines[i].qty;
	struct create_job job = {o, rx, n, payment_id_base, render, ctx, res, APO_OK, 1};
	if (o->status_id != ST_AWAITING_CONFIRMATION) {
		o->status_id = order_placed_status(order_needs_rx(o), n);
		o->ever_confirmed = 1;
		placed_code_and_answer(&job);
	}
	if (!store_groups_commits(c)) {
		/* Creates that arrive together share a transaction and its
		 * commit (create_batch()), where the backend does not group
		 * commits itself. */
		struct batch_item it = {.arg = &job};
		job.alone = 0;
		batch_run(&create_batcher, &it, c);
		if (!job.alone)
			return job.rc;
		memset(res, 0, sizeof(*res));
		o->oid = 0; /* the batch's row id was rolled back with it */
	}
	return create_drawing_ids(c, &job);
}

/* A payment of `amount` settles o when it is what is due or what was asked. */
static int amount_accepted(const struct order *o, int64_t amount)
{
	return amount == o->payable || amount == order_asked_value(o);
}

/* What a payment brings to pay_step(); the step fills outcome and refund. */
struct pay_ctx {
	const char *txn;
	int64_t amount;
	enum orders_paid_outcome *out;
	struct orders_refund *refund;
};

static enum apo_result pay_step(struct app *app, struct store_conn *c, struct order *o, void *ctx)
{
	const struct pay_ctx *pc = ctx;
	const char *txn = pc->txn;
	int64_t amount = pc->amount;
	enum orders_paid_outcome *out = pc->out;
	struct orders_refund *refund = pc->refund;
	enum apo_result rc;
	char note[ORDERS_TXN_CAP + 16];
	int known = 0;
	size_t nrx = 0;
	if (o->ever_confirmed) {
		*out = PAID_ALREADY;
		return APO_OK;
	}
	if (o->status_id == ST_CANCELLED) {
		/* Cancelled or expired while the customer paid: keep the money
		 * on record and give all of it back, once per transaction. */
		*out = PAID_ORDER_CANCELLED;
		if ((rc = order_payment_known(c, o->oid, txn, &known)) != APO_OK || known)
			return rc;
		rc = order_payment_add(c, o->oid, txn, amount, ORDERS_PAYMENT_OK);
		return rc == APO_OK ? settle(c, o, ORDERS_REASON_CANCELLED, refund) : rc;
	}
	if (o->status_id != ST_AWAITING_CONFIRMATION) {
		*out = PAID_BAD_STATUS;
		return APO_OK;
	}
	if (!amount_accepted(o, amount)) {
		char paid[MONEY_FMT_CAP], due[MONEY_FMT_CAP], flag[128];
		money_format_fixed(amount, paid);
		money_format_fixed(o->payable, due);
		fmt_into(flag, sizeof(flag), "Paid amount %s does not match payable amount %s",
			 paid, due);
		*out = PAID_MISMATCH;
		log_text(LOG_WARN, "payment amount mismatch: order flagged", "flag", flag,
			 "transaction_id", txn);
		return order_set_flag(c, o->oid, flag);
	}
	/* Only an order that needs a prescription asks whether it has one. */
	if (order_needs_rx(o) && (rc = order_rx_count(c, o->oid, &nrx)) != APO_OK)
		return rc;
	fmt_into(note, sizeof(note), "payment %s", txn);
	*out = PAID_CONFIRMED;
	/* One settle after both changes: an order awaiting its payment has
	 * none recorded (a payment is only ever added here or to a cancelled
	 * order), so the move alone cannot owe a refund. */
	rc = move_unsettled(app, c, o, order_placed_status(order_needs_rx(o), nrx), NULL,
			    ACTOR_MERCHANT, note);
	if (rc == APO_OK)
		rc = order_payment_add(c, o->oid, txn, amount, ORDERS_PAYMENT_OK);
	/* Paid what was asked after a partial cancel lowered what is due:
	 * the difference goes back now. */
	return rc == APO_OK ? settle(c, o, ORDERS_REASON_EXCESS, refund) : rc;
}

enum apo_result orders_apply_payment(struct app *app, struct store_conn *c, struct order *o,
				     const char *transaction_id, int64_t amount,
				     enum orders_paid_outcome *outcome,
				     struct orders_refund *refund)
{
	struct pay_ctx pc = {transaction_id, amount, outcome, refund};
	if (refund)
		memset(refund, 0, sizeof(*refund));
	*outcome = PAID_BAD_STATUS;
	return locked_tx(app, c, ORDERS_BY_ORDER_ID, NULL, NULL, o, pay_step, &pc);
}

/* In the caller's transaction: cancels qty units of line i, giving their stock back. */
static enum apo_result cancel_line_units(struct store_conn *c, struct order *o, size_t i,
					 int64_t qty)
{
	struct order_line *l = &o->lines[i];
	enum apo_result rc = order_cancel_units(c, o, i, qty);
	int64_t give = l->reserved_qty < qty ? l->reserved_qty : qty;
	if (rc != APO_OK || give <= 0 || !l->pid)
		return rc;
	if ((rc = stock_release(c, l->pid, give, o->order_id, 0)) != APO_OK)
		return rc;
	return order_line_set_reserved(c, o, i, l->reserved_qty - give);
}

/* What a cancel brings to cancel_step(); *bad names a refused entry of units. */
struct cancel_ctx {
	const struct orders_cancel_units *units;
	size_t n;
	const char *reason;
	size_t *bad;
	struct orders_refund *refund;
};

static enum apo_result cancel_locked(struct app *app, struct store_conn *c, struct order *o,
				     const struct cancel_ctx *cc)
{
	const struct orders_cancel_units *units = cc->units;
	size_t n = cc->n;
	const char *reason = cc->reason;
	struct orders_refund *refund = cc->refund;
	enum apo_result rc;
	int64_t qty[ORDER_MAX_LINES] = {0};
	size_t by_pid[ORDER_MAX_LINES];
	int all = 1;
	if (!order_merchant_cancellable(o->status_id))
		return APO_ERR_STATE;
	for (size_t k = 0; k < n; k++) {
		size_t i;
		for (i = 0; i < o->nlines && strcmp(o->lines[i].sku_id, units[k].sku_id) != 0; i++)
			;
		if (i == o->nlines || units[k].qty < 1 ||
		    units[k].qty > order_line_open_qty(&o->lines[i]) - qty[i]) {
			*cc->bad = k;
			return APO_ERR_INVALID;
		}
		qty[i] += units[k].qty;
	}
	/* Stock goes back in product order, as every stock change does. */
	order_lines_by_pid(o, by_pid);
	for (size_t k = 0; k < o->nlines; k++) {
		size_t i = by_pid[k];
		if (qty[i] && (rc = cancel_line_units(c, o, i, qty[i])) != APO_OK)
			return rc;
	}
	for (size_t i = 0; n && i < o->nlines; i++)
		if (order_line_open_qty(&o->lines[i]) > 0)
			all = 0;
	/* What is due drops with the cancelled units, COD or ONLINE, also when
	 * they were the last ones; once paid, the ledger refunds them. */
	if (n && (rc = order_set_payable(c, o, order_due(o))) != APO_OK)
		return rc;
	/* Cancelling every open unit is a whole cancel. */
	if (all)
		return orders_move(app, c, o, ST_CANCELLED, "As per Your Request", ACTOR_MERCHANT,
				   reason, refund);
	return settle(c, o, reason, refund);
}

static enum apo_result cancel_step(struct app *app, struct store_conn *c, struct order *o,
				   void *ctx)
{
	enum apo_result rc = cancel_locked(app, c, o, ctx);
	/* A move lost to a concurrent one is a refusal of this status, too. */
	return rc == APO_ERR_BUSY ? APO_ERR_STATE : rc;
}

enum apo_result orders_cancel(struct app *app, struct store_conn *c, const char *merchant_id,
			      const char *order_id, const struct orders_cancel_units *units,
			      size_t n, const char *reason, struct order *o, size_t *bad,
			      struct orders_refund *refund)
{
	struct cancel_ctx cc = {units, n, reason, bad, refund};
	memset(refund, 0, sizeof(*refund));
	return locked_tx(app, c, ORDERS_BY_ORDER_ID, merchant_id, order_id, o, cancel_step, &cc);
}

/* Prescription URLs to attach (add_rx_step). */
struct rx_ctx {
	const char *const *urls;
	size_t n;
};

static enum apo_result add_rx_step(struct app *app, struct store_conn *c, struct order *o,
				   void *ctx)
{
	const struct rx_ctx *rx = ctx;
	enum apo_result rc = APO_OK;
	if (o->status_id != ST_RX_REQUIRED && o->status_id != ST_RX_REVIEW)
		return APO_ERR_STATE;
	for (size_t i = 0; rc == APO_OK && i < rx->n; i++)
		rc = order_rx_add(c, o->oid, rx->urls[i]);
	if (rc == APO_OK && o->status_id == ST_RX_REQUIRED)
		rc = orders_move(app, c, o, ST_RX_REVIEW, NULL, ACTOR_MERCHANT,
				 "prescriptions added", NULL);
	return rc;
}

enum apo_result orders_add_prescriptions(struct app *app, struct store_conn *c,
					 const char *merchant_id, const char *order_id,
					 const char *const *urls, size_t n, struct order *o)
{
	struct rx_ctx rx = {urls, n};
	return locked_tx(app, c, ORDERS_BY_ORDER_ID, merchant_id, order_id, o, add_rx_step, &rx);
}

static enum apo_result verify_rx_step(struct app *app, struct store_conn *c, struct order *o,
				      void *ctx)
{
	int approved = *(const int *)ctx;
	enum apo_result rc;
	if (o->status_id != ST_RX_REVIEW)
		return APO_ERR_STATE;
	rc = order_rx_set_status(c, o->oid, approved ? "Completed" : "Rejected");
	if (rc == APO_OK)
		rc =
		    orders_move(app, c, o, approved ? ST_ALLOCATION : ST_RX_REQUIRED,
				approved ? NULL : "Prescription rejected", ACTOR_OPERATOR,
				approved ? "prescription approved" : "prescription rejected", NULL);
	return rc;
}

enum apo_result orders_verify_prescriptions(struct app *app, struct store_conn *c, const char *key,
					    int approved, struct order *o)
{
	return locked_tx(app, c, ORDERS_BY_ANY_ID, NULL, key, o, verify_rx_step, &approved);
}

/* An operator's move (operator_move_step). */
struct operator_move_ctx {
	int to;
	const char *subtitle, *note, *partner, *carrier_code;
};

static enum apo_result operator_move_step(struct app *app, struct store_conn *c, struct order *o,
					  void *ctx)
{
	const struct operator_move_ctx *m = ctx;
	enum apo_result rc = APO_OK;
	if (m->partner || m->carrier_code)
		rc = order_set_shipment(c, o, m->partner, m->carrier_code);
	if (rc == APO_OK)
		rc = orders_move(app, c, o, m->to, m->subtitle, ACTOR_OPERATOR, m->note, NULL);
	return rc;
}

enum apo_result orders_operator_move(struct app *app, struct store_conn *c, const char *key, int to,
				     const char *subtitle, const char *note, const char *partner,
				     const char *carrier_code, struct order *o)
{
	struct operator_move_ctx m = {to, subtitle, note, partner, carrier_code};
	return locked_tx(app, c, ORDERS_BY_ANY_ID, NULL, key, o, operator_move_step, &m);
}

enum apo_result orders_with_locked(struct app *app, struct store_conn *c, enum orders_key by,
				   const char *merchant_id, const char *key, struct order *o,
				   orders_step step, void *ctx)
{
	enum apo_result rc = APO_ERR_BUSY;
	for (int i = 0; i < ORDERS_TRIES && rc == APO_ERR_BUSY; i++)
		rc = locked_tx(app, c, by, merchant_id, key, o, step, ctx);
	return rc;
}

enum apo_result orders_create_passive(struct app *app, struct store_conn *c, struct order *o,
				      orders_step fill, void *ctx)
{
	for (int i = 1;; i++) {
		enum apo_result rc = store_begin(c, STORE_TX_WRITE);
		if (rc != APO_OK)
			return rc;
		o->status_id = ST_AWAITING_CONFIRMATION;
		rc = fill(app, c, o, ctx);
		if (rc == APO_OK)
			rc = order_insert(c, o, ACTOR_MERCHANT);
		rc = finish(c, rc);
		/* fill adds products without conflicts (INSERT ... ON CONFLICT
		 * DO NOTHING): a refusal is of the order's own ids. */
		if (rc != APO_ERR_CONFLICT || i == ORDERS_ID_ATTEMPTS)
			return rc;
		draw_new_ids(o);
	}
}

enum apo_result orders_replace(struct store_conn *c, struct order *o)
{
	return order_replace(c, o);
}

enum apo_result orders_line_product(struct store_conn *c, const char *merchant_id,
				    const char *sku_id, struct product *p,
				    void (*describe)(struct product *p, void *ctx), void *ctx)
{
	int created;
	enum apo_result rc = product_load(c, merchant_id, sku_id, p);
	if (rc != APO_ERR_NOT_FOUND)
		return rc;
	p->merchant_id = xstrdup(merchant_id);
	p->sku_id = xstrdup(sku_id);
	describe(p, ctx);
	p->active = 1;
	return product_ensure(c, p, &p->pid, &created);
}

enum apo_result orders_reserve(struct store_conn *c, struct order *o)
{
	return order_reserve_lines(c, o, NULL);
}

static enum apo_result expire_step(struct app *app, struct store_conn *c, struct order *o,
				   void *ctx)
{
	(void)ctx;
	if (o->status_id != ST_AWAITING_CONFIRMATION)
		return APO_OK;
	return orders_move(app, c, o, ST_CANCELLED, "Payment not received", ACTOR_SYSTEM,
			   "payment window expired", NULL);
}

static void expire_one(struct app *app, struct store_conn *c, int64_t oid)
{
	struct order *o = order_new();
	enum apo_result rc;

	o->oid = oid;
	rc = locked_tx(app, c, ORDERS_BY_ORDER_ID, NULL, NULL, o, expire_step, NULL);
	if (rc != APO_OK) {
		if (rc != APO_ERR_BUSY)
			log_warn("payment-window expiry failed",
				 "\"order_oid\":%lld,\"result\":\"%s\"", (long long)oid,
				 apo_result_name(rc));
	} else if (o->status_id == ST_CANCELLED) {
		log_info("order expired unpaid", "\"order_id\":\"%s\"", o->order_id);
	}
	order_free(o);
}

void flow_expire_task(struct app *app, struct store_conn *c)
{
	int64_t oids[FLOW_EXPIRE_BATCH];
	size_t n = 0;
	if (order_expired(c, now_epoch(), oids, FLOW_EXPIRE_BATCH, &n) != APO_OK)
		return;
	for (size_t i = 0; i < n; i++)
		expire_one(app, c, oids[i]);
}
