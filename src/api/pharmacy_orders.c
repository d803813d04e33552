/*
 * Pharmacy orders (SPEC §2.2–2.5): create (COD or ONLINE), confirm against
 * the merchant's payment API, cancel (whole or by SKU) and prescriptions.
 * Each handler parses, calls the order service (service/orders.h), which
 * owns the transaction and every rule, and renders its result in the
 * pharmacy dialect; confirm's call to the merchant runs on the offload
 * pool, outside any transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/pharmacy.h"
#include "api/pharmacy_cart.h"
#include "api/routes.h"
#include "core/ids.h"
#include "core/merchant.h"
#include "core/money.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "http/offload.h"
#include "outbound/payment.h"
#include "service/orders.h"
#include "store/cache.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define RX_MAX_URL 2048
#define CANCEL_MAX_TEXT 512
/* The seed's exact message for a concurrent create with the same id. */
#define MSG_LOCK "create_merchant_order : Could not acquire lock"
#define MSG_BAD_STATUS "Invalid order status for this operation"
/* The seed's 500 for a confirm of an order cancelled first. */
#define MSG_MAP_FAILED "Map payment to order operation failed"
/* ONLINE orders get payment_id = base + row id (the seeds show 7 digits). */
#define PHARM_PAYMENT_ID_BASE 2946453

static int ref_valid(const char *s)
{
	/* merchant_order_id: 1-64 of [A-Za-z0-9_.-], like a merchant id. */
	return merchant_id_valid(s);
}

/* SHA-256 (hex) of the body in canonical form, to recognise a retry. */
static void body_hash(const json_t *body, char out[SHA256_HEX_LEN + 1])
{
	char *canon = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	sha256_hex(canon, strlen(canon), out);
	free(canon);
}

/* Reads `prescriptions`: an array of at most 10 https URLs. */
static int rx_urls_or_reply(struct req *r, const json_t *body, const json_t **out)
{
	const json_t *arr = json_object_get(body, "prescriptions"), *v;
	size_t i;
	*out = NULL;
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > ORDER_MAX_PRESCRIPTIONS) {
		pharm_error(r, 400, "prescriptions must be an array of at most 10 https URLs");
		return -1;
	}
	json_array_foreach(arr, i, v)
	{
		const char *u = json_string_value(v);
		if (!u || strncmp(u, "https://", 8) != 0 || strlen(u) <= 8 ||
		    strlen(u) > RX_MAX_URL || strlen(u) != json_string_length(v)) {
			pharm_error(r, 400, "prescriptions must be an array of at most 10 https URLs");
			return -1;
		}
	}
	*out = arr;
	return 0;
}

struct create_req {
	const char *ref;
	int64_t payable;
	int online;
	struct pharm_cart cart;
	const json_t *user, *address, *rx;
	char hash[SHA256_HEX_LEN + 1];
};

static int create_parse_or_reply(struct req *r, const json_t *body, struct create_req *cr)
{
	const char *method;
	int rc;

	if (jx_str(body, "merchant_order_id", ORDER_MAX_REF, &cr->ref) != 0 || !ref_valid(cr->ref)) {
		pharm_error(r, 400, "merchant_order_id is required: 1-64 of [A-Za-z0-9_.-]");
		return -1;
	}
	if ((rc = jx_money(body, "payable_amount", &cr->payable)) != 0) {
		pharm_error(r, 400,
			    rc > 0 ? "payable_amount is required"
				   : "payable_amount is invalid: a non-negative amount with at most "
				     "two decimals");
		return -1;
	}
	if (jx_str(body, "payment_method", 16, &method) != 0 ||
	    (strcmp(method, "COD") != 0 && strcmp(method, "ONLINE") != 0)) {
		pharm_error(r, 400, "payment_method must be COD or ONLINE");
		return -1;
	}
	cr->online = strcmp(method, "ONLINE") == 0;
	if (pharm_cart_parse_or_reply(r, body, &cr->cart))
		return -1;
	cr->user = cr->cart.user;
	cr->address = cr->user ? json_object_get(cr->user, "address") : NULL;
	if (!json_is_object(cr->address)) {
		pharm_error(r, 400, "user.address is required");
		return -1;
	}
	if (pharm_cart_pincode_or_reply(r, cr->address, "pincode", "user.address.pincode",
					&cr->cart))
		return -1;
	if (rx_urls_or_reply(r, body, &cr->rx))
		return -1;
	body_hash(body, cr->hash);
	return 0;
}

/* The answer's data for a created order (also stored for retries). */
static json_t *create_data(const struct order *o, const struct merchant *m, int64_t payment_id)
{
	log_ctx_put(LOG_CTX_ORDER_ID, o->order_id);
	if (payment_id)
		return json_pack("{s:s,s:s,s:I,s:s,s:o}", "order_id", o->order_id, "action",
				 "map_payment", "payment_id", (json_int_t)payment_id,
				 "merchant_order_id", o->merchant_order_id, "payment_aggregator",
				 jx_str_or_null(m->payment_aggregator));
	return json_pack("{s:s,s:s}", "order_id", o->order_id, "merchant_order_id",
			 o->merchant_order_id);
}

/* Fills the new order from the request and its quote. */
static void build_order(struct order *o, const struct merchant *m, const struct create_req *cr,
			const struct pharm_quote *q, int64_t now)
{
	const struct pricing_result *pr = &q->result;
	ids_order_id(o->order_id);
	ids_hex_id(o->hex_id);
	o->merchant_id = xstrdup(m->id);
	o->merchant_order_id = xstrdup(cr->ref);
	o->dialect = xstrdup("pharmacy");
	o->request_hash = xstrdup(cr->hash);
	o->payment_method = xstrdup(cr->online ? "ONLINE" : "COD");
	o->coupon_code = pr->coupon_applied ? xstrdup(cr->cart.coupon_code) : NULL;
	o->mrp_total = pr->mrp_total;
	o->offered_total = pr->offered_total;
	o->discount_total = pr->discount;
	o->vas_total = pr->charges_total;
	o->payable = pr->payable;
	o->user_json = jx_dumps(cr->user, 0, NULL);
	o->address_json = jx_dumps(cr->address, 0, NULL);
	o->pincode = xstrdup(cr->cart.pincode);
	if (pr->has_eta) {
		o->eta_from = pr->eta_from;
		o->eta_to = pr->eta_to;
	}
	for (size_t i = 0; i < q->n; i++) {
		const struct product *p = &q->products[i];
		struct order_line *l = &o->lines[o->nlines++];
		l->pid = p->pid;
		l->sku_id = xstrdup(cr->cart.items[i].sku_id);
		l->name = xstrdup(p->name ? p->name : "");
		l->qty = pr->lines[i].quantity;
		l->mrp = pr->lines[i].mrp;
		l->offered = pr->lines[i].offered;
		l->discounted = pr->lines[i].discounted;
		l->rx_required = p->rx_required;
		l->pack_size_label = xstrdup(p->pack_size_label ? p->pack_size_label : "");
		l->sku_type = xstrdup(p->sku_type ? p->sku_type : "");
	}
	for (size_t i = 0; i < pr->ncharges && o->ncharges < ORDER_MAX_CHARGES; i++) {
		struct order_charge *ch = &o->charges[o->ncharges++];
		ch->type = xstrdup(pr->charges[i].type);
		ch->display_text = xstrdup(pr->charges[i].display_text);
		ch->amount = pr->charges[i].amount;
	}
	/* A COD order's status is the service's to decide (the prescription rule). */
	if (cr->online) {
		o->status_id = ST_AWAITING_CONFIRMATION;
		o->pay_deadline = now + m->payment_window_s;
	} else {
		o->status_id = ST_PLACED;
	}
}

/* Every SKU must be sellable in full; answers which is short. */
static int availability_or_reply(struct req *r, const struct pharm_cart *cart,
				 const struct pharm_quote *q)
{
	char msg[256];
	for (size_t i = 0; i < q->n; i++) {
		const struct pricing_line *l = &q->result.lines[i];
		if (l->known && l->quantity == l->requested)
			continue;
		if (!l->known)
			fmt_into(msg, sizeof(msg), "SKU %s is not available", cart->items[i].sku_id);
		else
			fmt_into(msg, sizeof(msg), "SKU %s: only %lld available, %lld requested",
				 cart->items[i].sku_id, (long long)l->quantity,
				 (long long)l->requested);
		pharm_error(r, 400, msg);
		return -1;
	}
	return 0;
}

/* A retry of a create: the same body answers the stored data again. */
static void reply_existing(struct req *r, const struct order *o, const char *hash)
{
	json_t *data = o->response ? json_loads(o->response, 0, NULL) : NULL;
	if (!o->request_hash || strcmp(o->request_hash, hash) != 0 || !data) {
		json_decref(data);
		pharm_error(r, 400, "merchant_order_id already used");
		return;
	}
	pharm_ok(r, data, 0);
}

/* The prescription URLs of a body (rx_urls_or_reply'ed) as strings. */
static size_t rx_list(const json_t *rx, const char *urls[ORDER_MAX_PRESCRIPTIONS])
{
	size_t i, n = 0;
	const json_t *u;
	json_array_foreach(rx, i, u)
	{
		if (n < ORDER_MAX_PRESCRIPTIONS)
			urls[n++] = json_string_value(u);
	}
	return n;
}

/*
 * A create about to be refused may be the retry of one that went through:
 * then the stored order answers it (1, answered; also on a storage error).
 * 0 when there is no such order and the refusal stands.
 */
static int answered_existing(struct req *r, const struct merchant *m, const struct create_req *cr,
			     struct order *o)
{
	enum apo_result rc = orders_get(r->db, ORDERS_BY_REF, m->id, cr->ref, o);
	if (rc == APO_OK) {
		reply_existing(r, o, cr->hash);
		return 1;
	}
	if (rc != APO_ERR_NOT_FOUND) {
		pharm_fail(r, rc, NULL);
		return 1;
	}
	return 0;
}

/* Whether availability_or_reply() and payable_or_reply() would pass. */
static int quote_acceptable(const struct create_req *cr, const struct pharm_quote *q)
{
	for (size_t i = 0; i < q->n; i++)
		if (!q->result.lines[i].known ||
		    q->result.lines[i].quantity != q->result.lines[i].requested)
			return 0;
	return q->result.payable == cr->payable;
}

/* The create answer as text, for the service to store with the order. */
static char *render_create(const struct order *o, void *ctx)
{
	json_t *data = create_data(o, ctx, o->payment_id);
	char *text = jx_dumps(data, 15, NULL);
	json_decref(data);
	return text;
}

/* The amount sent must be the one computed, to the paisa. */
static int payable_or_reply(struct req *r, const struct create_req *cr, const struct pharm_quote *q)
{
	char want[MONEY_FMT_CAP], got[MONEY_FMT_CAP], msg[160];
	if (q->result.payable == cr->payable)
		return 0;
	money_format_fixed(q->result.payable, want);
	money_format_fixed(cr->payable, got);
	fmt_into(msg, sizeof(msg), "payable_amount %s does not match the expected amount %s", got,
		 want);
	pharm_error(r, 400, msg);
	return -1;
}

/* Answers a create the service refused. */
static void create_fail(struct req *r, const struct create_req *cr, const struct order *o,
			enum apo_result rc, const struct orders_create_result *res)
{
	char msg[200];
	if (res->existing) {
		reply_existing(r, o, cr->hash);
	} else if (res->coupon_spent) {
		fmt_into(msg, sizeof(msg), "Coupon %s has reached its usage limit",
			 cr->cart.coupon_code);
		pharm_error(r, 400, msg);
	} else if (rc == APO_ERR_INSUFFICIENT) {
		fmt_into(msg, sizeof(msg), "SKU %s is no longer available in the requested quantity",
			 o->lines[res->short_line].sku_id);
		pharm_error(r, 400, msg);
	} else if (rc == APO_ERR_CONFLICT || rc == APO_ERR_BUSY) {
		/* A duplicate insert or a lock wait that timed out: another
		 * request with this merchant_order_id holds the row. */
		pharm_error(r, 400, MSG_LOCK);
	} else {
		pharm_fail(r, rc, NULL);
	}
}

static void order_create(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	struct create_req cr;
	struct orders_create_result res;
	const char *urls[ORDER_MAX_PRESCRIPTIONS];
	struct pharm_quote *q = NULL;
	struct order *o = NULL;
	struct cache_ticket t;
	enum apo_result rc;

	/* The merchant and the catalog come from memory once the versions say
	 * they are current (a read of the version rows instead of four); the
	 * stock is read, and then reserved in the create's transaction. */
	if (pharm_cache_sync_fresh_or_reply(r, &t) ||
	    pharm_auth_cached_or_reply(r, &t, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS,
				       &m) ||
	    req_json_object_or_reply(r, 0, &body) || create_parse_or_reply(r, body, &cr))
		return;
	o = order_new();
	q = xmalloc(sizeof(*q));
	pharm_quote_init(q);
	/* A retry answers what the first create answered, whatever stock and
	 * prices say now: a refusal first looks for the stored order. A retry
	 * that would pass finds it when the insert meets the unique reference
	 * (orders_create()), so a create that goes through reads nothing more. */
	if ((rc = pharm_cart_price(r->db, &t, m, &cr.cart, now_epoch(), q)) != APO_OK) {
		if (!answered_existing(r, m, &cr, o))
			pharm_quote_fail(r, rc, q);
		goto out;
	}
	if (!quote_acceptable(&cr, q) && answered_existing(r, m, &cr, o))
		goto out;
	if (availability_or_reply(r, &cr.cart, q) || payable_or_reply(r, &cr, q))
		goto out;
	build_order(o, m, &cr, q, now_epoch());
	rc = orders_create(r->app, r->db, o, urls, cr.rx ? rx_list(cr.rx, urls) : 0,
			   PHARM_PAYMENT_ID_BASE, render_create, (void *)m, &res);
	if (rc != APO_OK) {
		create_fail(r, &cr, o, rc, &res);
		goto out;
	}
	pharm_ok(r, json_loads(o->response, 0, NULL), 0);
out:
	order_free(o);
	if (q) {
		pharm_quote_release(q);
		free(q);
	}
}

static json_t *confirm_data(const struct order *o)
{
	return json_pack("{s:s,s:s}", "merchant_order_id", o->merchant_order_id, "order_id",
			 o->order_id);
}

static int is_online(const struct order *o)
{
	return o->payment_method && strcmp(o->payment_method, "ONLINE") == 0;
}

/*
 * Checks the confirm request against the order. Returns 1 when the handler
 * should go on to ask the payment API, 0 when it answered already. An
 * ONLINE order cancelled before it was confirmed still asks: a payment
 * captured meanwhile must be recorded and refunded.
 */
static int confirm_precheck(struct req *r, const struct order *o)
{
	if (!is_online(o)) {
		pharm_error(r, 400, MSG_BAD_STATUS);
		return 0;
	}
	if (o->ever_confirmed) {
		pharm_ok(r, confirm_data(o), 0);
		return 0;
	}
	if (o->status_id != ST_AWAITING_CONFIRMATION && o->status_id != ST_CANCELLED) {
		pharm_error(r, 400, MSG_BAD_STATUS);
		return 0;
	}
	return 1;
}

/* Answers a confirm from what the payment did to the order. */
static void confirm_reply(struct req *r, const struct order *o, enum orders_paid_outcome outcome,
			  int64_t amount)
{
	char paid[MONEY_FMT_CAP], want[MONEY_FMT_CAP], msg[256];
	switch (outcome) {
	case PAID_CONFIRMED:
	case PAID_ALREADY:
		pharm_ok(r, confirm_data(o), 0);
		return;
	case PAID_MISMATCH:
		money_format_fixed(amount, paid);
		money_format_fixed(o->payable, want);
		fmt_into(msg, sizeof(msg), "Paid amount %s does not match payable amount %s", paid,
			 want);
		pharm_error(r, 400, msg);
		return;
	case PAID_ORDER_CANCELLED:
		pharm_error(r, 500, MSG_MAP_FAILED);
		return;
	case PAID_BAD_STATUS:
		break;
	}
	pharm_error(r, 400, MSG_BAD_STATUS);
}

/* The confirm's body names the order of the path; 0 when it answered. */
static int confirm_body_or_reply(struct req *r, const char **oid_body, const char **ref_body)
{
	json_t *body;
	if (req_json_object_or_reply(r, 0, &body))
		return 0;
	if (jx_str(body, "order_id", ORDER_ID_LEN, oid_body) != 0 ||
	    jx_str(body, "merchant_order_id", ORDER_MAX_REF, ref_body) != 0) {
		pharm_error(r, 400, "order_id and merchant_order_id are required");
		return 0;
	}
	return 1;
}

/*
 * On the outbound thread, the confirm's one read of the order: it must
 * exist, match the body, and be waiting for its payment (confirm_precheck).
 * 1 when the payment API is to be asked, 0 when it answered.
 */
static int confirm_order_or_reply(struct req *r, const struct merchant *m, struct order *o)
{
	const char *oid_body, *ref_body;
	enum apo_result rc;
	if (!confirm_body_or_reply(r, &oid_body, &ref_body))
		return 0;
	rc = orders_get(r->db, ORDERS_BY_ORDER_ID, m->id, req_param(r, "order_id"), o);
	if (rc == APO_ERR_NOT_FOUND) {
		pharm_error(r, 500, "Order not found");
		return 0;
	}
	if (rc != APO_OK) {
		pharm_fail(r, rc, NULL);
		return 0;
	}
	if (strcmp(oid_body, o->order_id) != 0 || strcmp(ref_body, o->merchant_order_id) != 0) {
		pharm_error(r, 400, "order_id and merchant_order_id do not match the order");
		return 0;
	}
	return confirm_precheck(r, o);
}

static void confirm_offloaded(struct req *r)
{
	const struct merchant *m = r->principal;
	struct order *o = order_new();
	struct txn_status ts;
	enum orders_paid_outcome outcome;
	char err[160];
	enum apo_result rc;

	if (!confirm_order_or_reply(r, m, o))
		goto out;
	rc = payment_transaction_status(m, o->merchant_order_id, &ts, err, sizeof(err));
	/* The merchant's system has answered: what is left is ours. */
	offload_merchant_call_done();
	/* A cancelled order answers the seed's 500 whatever the payment API
	 * says; only a captured payment changes anything (it is refunded). */
	if (o->status_id == ST_CANCELLED && (rc != APO_OK || ts.state != TXN_SUCCESS)) {
		pharm_error(r, 500, MSG_MAP_FAILED);
		goto out;
	}
	if (rc != APO_OK) {
		pharm_error(r, 502, err);
		goto out;
	}
	if (ts.state == TXN_PENDING) {
		pharm_error(r, 400, "Payment is pending at the merchant's payment system");
		goto out;
	}
	if (ts.state == TXN_FAILED) {
		pharm_error(r, 400, "Payment failed at the merchant's payment system");
		goto out;
	}
	rc = orders_apply_payment(r->app, r->db, o, ts.transaction_id, ts.amount, &outcome, NULL);
	if (rc != APO_OK)
		pharm_fail(r, rc, NULL);
	else
		confirm_reply(r, o, outcome, ts.amount);
out:
	order_free(o);
}

/*
 * Confirm reads the order once, on the outbound thread that then asks the
 * payment API and records the payment: one thread hop, one read before
 * the transaction (which locks and reads it again).
 */
static void order_confirm(struct req *r)
{
	const struct merchant *m;
	const char *oid_body, *ref_body;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    !confirm_body_or_reply(r, &oid_body, &ref_body))
		return;
	req_offload_merchant(r, m->id, confirm_offloaded);
}

struct cancel_req {
	const char *order_id;
	const char *reason;
	struct orders_cancel_units units[ORDER_MAX_LINES];
	size_t nunits; /* 0: the whole order */
};

/* Reads the optional `skus` {sku_id: qty} of a partial cancel. */
static int cancel_units_or_reply(struct req *r, const json_t *skus, struct cancel_req *cq)
{
	const char *sku;
	const json_t *v;
	char msg[200];
	cq->nunits = 0;
	if (!skus || json_is_null(skus))
		return 0;
	if (!json_is_object(skus) || json_object_size(skus) == 0 ||
	    json_object_size(skus) > ORDER_MAX_LINES) {
		pharm_error_null(r, 400, "skus must be an object of SKU ids to quantities");
		return -1;
	}
	json_object_foreach((json_t *)skus, sku, v)
	{
		if (!json_is_integer(v)) {
			fmt_into(msg, sizeof(msg), "SKU %s: cannot cancel that quantity", sku);
			pharm_error_null(r, 400, msg);
			return -1;
		}
		cq->units[cq->nunits].sku_id = sku;
		cq->units[cq->nunits++].qty = (int64_t)json_integer_value(v);
	}
	return 0;
}

static int cancel_parse_or_reply(struct req *r, const json_t *body, struct cancel_req *cq)
{
	const char *agent;
	if (jx_str(body, "order_id", ORDER_ID_LEN, &cq->order_id) != 0) {
		pharm_error_null(r, 400, "order_id is required");
		return -1;
	}
	if (jx_str(body, "reason", CANCEL_MAX_TEXT, &cq->reason) < 0 ||
	    jx_str(body, "agent_id", CANCEL_MAX_TEXT, &agent) < 0) {
		pharm_error_null(r, 400, "reason and agent_id must be strings");
		return -1;
	}
	if (cq->reason == NULL)
		cq->reason = "As per Your Request";
	return cancel_units_or_reply(r, json_object_get(body, "skus"), cq);
}

static json_t *refund_json(const struct order *o, const struct orders_refund *f)
{
	if (!f->amount)
		return NULL;
	return json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "refund_id", f->refund_id, "transaction_id",
			 f->transaction_id, "order_id", o->order_id, "amount",
			 jx_money_value(f->amount), "type", f->type, "reason",
			 f->reason ? f->reason : "");
}

static void order_cancel(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	struct cancel_req *cq = NULL;
	struct orders_refund refund;
	struct order *o = NULL;
	size_t bad = 0;
	char msg[200];
	enum apo_result rc;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    req_json_object_or_reply(r, 0, &body))
		return;
	cq = xmalloc(sizeof(*cq));
	if (cancel_parse_or_reply(r, body, cq))
		goto out;
	o = order_new();
	rc = orders_cancel(r->app, r->db, m->id, cq->order_id, cq->units, cq->nunits, cq->reason,
			   o, &bad, &refund);
	if (rc == APO_ERR_NOT_FOUND) {
		pharm_error_null(r, 404, "Order not found");
	} else if (rc == APO_ERR_STATE) {
		pharm_error_null(r, 400, MSG_BAD_STATUS);
	} else if (rc == APO_ERR_INVALID) {
		fmt_into(msg, sizeof(msg), "SKU %s: cannot cancel that quantity",
			 cq->units[bad].sku_id);
		pharm_error_null(r, 400, msg);
	} else if (rc != APO_OK) {
		pharm_fail(r, rc, NULL);
	} else {
		json_t *data = json_pack(
		    "{s:s,s:s,s:{s:i,s:s,s:o},s:o?}", "order_id", o->order_id, "merchant_order_id",
		    o->merchant_order_id, "order_status", "status_id", o->status_id, "title",
		    order_status_title(o->status_id), "subtitle", jx_str_or_null(o->subtitle),
		    "refund", refund_json(o, &refund));
		pharm_ok(r, data, 0);
	}
out:
	free(cq);
	order_free(o);
}

static void order_prescriptions(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	const json_t *rx;
	const char *urls[ORDER_MAX_PRESCRIPTIONS];
	struct order *o;
	enum apo_result rc;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    req_json_object_or_reply(r, 0, &body) || rx_urls_or_reply(r, body, &rx))
		return;
	if (!rx || json_array_size(rx) == 0) {
		pharm_error(r, 400, "prescriptions must be a non-empty array of https URLs");
		return;
	}
	o = order_new();
	rc = orders_add_prescriptions(r->app, r->db, m->id, req_param(r, "order_id"), urls,
				      rx_list(rx, urls), o);
	if (rc == APO_ERR_STATE)
		pharm_error(r, 400, MSG_BAD_STATUS);
	else if (rc != APO_OK)
		pharm_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "Order not found" : NULL);
	else
		pharm_ok(r,
			 json_pack("{s:s,s:s,s:i}", "order_id", o->order_id, "merchant_order_id",
				   o->merchant_order_id, "status_id", o->status_id),
			 0);
	order_free(o);
}

void pharmacy_order_routes(struct router *rt)
{
	router_add_flags(rt, HTTP_POST, "/api/v4/merchants/{merchant_id}/orders", order_create,
			 "pharmacy.orders.create", ROUTE_OFFLOAD);
	router_add(rt, HTTP_PUT, "/api/v4/merchants/{merchant_id}/orders/{order_id}/confirm",
		   order_confirm, "pharmacy.orders.confirm");
	router_add(rt, HTTP_POST, "/api/v4/merchants/{merchant_id}/orders/{order_id}/prescriptions",
		   order_prescriptions, "pharmacy.orders.prescriptions");
	router_add_flags(rt, HTTP_POST, "/api/v4/{merchant_id}/order/cancel", order_cancel,
			 "pharmacy.orders.cancel", ROUTE_OFFLOAD);
}
