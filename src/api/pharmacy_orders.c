/*
 * Pharmacy orders (SPEC §2.2–2.5): create (COD or ONLINE), confirm against
 * the merchant's payment API, cancel (whole or by SKU, with refunds through
 * the outbox) and prescriptions. Each handler is parse, one transaction,
 * answer; confirm's call to the merchant runs on the offload pool, outside
 * any transaction.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/order_flow.h"
#include "api/pharmacy.h"
#include "api/pharmacy_cart.h"
#include "api/routes.h"
#include "core/ids.h"
#include "core/merchant.h"
#include "core/money.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "out/payment.h"
#include "store/repo_catalog.h"
#include "store/repo_orders.h"
#include "store/repo_outbox.h"
#include "store/store.h"
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
				   : "payable_amount must be a non-negative amount with at most two "
				     "decimals");
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
	o->user_json = json_dumps(cr->user, JSON_COMPACT);
	o->address_json = json_dumps(cr->address, JSON_COMPACT);
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
	if (cr->online) {
		o->status_id = ST_AWAITING_CONFIRMATION;
		o->pay_deadline = now + m->payment_window_s;
	} else {
		o->status_id = order_needs_rx(o) && !cr->rx ? ST_RX_REQUIRED : ST_PLACED;
		o->ever_confirmed = 1;
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

static enum apo_result create_in_tx(struct req *r, const struct merchant *m,
				    const struct create_req *cr, struct pharm_quote *q,
				    struct order *o, json_t **data)
{
	int64_t now = now_s();
	enum apo_result rc;
	char msg[160];

	rc = order_load(r->db, ORDER_BY_REF, m->id, cr->ref, o);
	if (rc == APO_OK) {
		reply_existing(r, o, cr->hash);
		return APO_ERR_CONFLICT;
	}
	if (rc != APO_ERR_NOT_FOUND)
		return rc;
	order_release(o);
	if ((rc = pharm_cart_price(r->db, m, &cr->cart, now, q)) != APO_OK) {
		pharm_quote_fail(r, rc, q);
		return APO_ERR_INVALID;
	}
	if (availability_or_reply(r, &cr->cart, q))
		return APO_ERR_INVALID;
	if (q->result.payable != cr->payable) {
		char want[MONEY_FMT_CAP], got[MONEY_FMT_CAP];
		money_format_fixed(q->result.payable, want);
		money_format_fixed(cr->payable, got);
		fmt_into(msg, sizeof(msg), "payable_amount %s does not match the expected amount %s",
			 got, want);
		pharm_error(r, 400, msg);
		return APO_ERR_INVALID;
	}
	if (q->result.coupon_applied && (rc = coupon_use(r->db, cr->cart.coupon_code)) != APO_OK) {
		if (rc == APO_ERR_CONFLICT) {
			fmt_into(msg, sizeof(msg), "Coupon %s has reached its usage limit",
				 cr->cart.coupon_code);
			pharm_error(r, 400, msg);
			return APO_ERR_INVALID;
		}
		return rc;
	}
	build_order(o, m, cr, q, now);
	/* Reserve first, so the lines are written once with what they hold. */
	for (size_t i = 0; i < o->nlines; i++) {
		struct order_line *l = &o->lines[i];
		rc = stock_reserve(r->db, l->pid, l->qty, o->order_id);
		if (rc == APO_ERR_INSUFFICIENT) {
			fmt_into(msg, sizeof(msg),
				 "SKU %s is no longer available in the requested quantity", l->sku_id);
			pharm_error(r, 400, msg);
			return APO_ERR_INVALID;
		}
		if (rc != APO_OK)
			return rc;
		l->reserved_qty = l->qty;
	}
	if (!cr->online) {
		/* A COD order is placed now: its tracking code and its answer go
		 * into the one INSERT. */
		char code[TRACKING_CODE_LEN + 1];
		ids_tracking_code(code);
		o->tracking_code = xstrdup(code);
		*data = create_data(o, m, 0);
		o->response = json_dumps(*data, JSON_COMPACT);
	}
	if ((rc = order_insert(r->db, o, ACTOR_MERCHANT)) != APO_OK)
		return rc;
	if (cr->rx) {
		size_t i;
		const json_t *u;
		json_array_foreach(cr->rx, i, u)
		{
			if ((rc = order_rx_add(r->db, o->oid, json_string_value(u))) != APO_OK)
				return rc;
		}
	}
	if (!cr->online)
		return APO_OK;
	/* Payment ids derive from the row id: unique without a shared counter. */
	int64_t payment_id = PHARM_PAYMENT_ID_BASE + o->oid;
	*data = create_data(o, m, payment_id);
	char *text = json_dumps(*data, JSON_COMPACT);
	rc = order_set_response(r->db, o, payment_id, text);
	free(text);
	return rc;
}

static void order_create(struct req *r)
{
	const struct merchant *m;
	json_t *body, *data = NULL;
	struct create_req cr;
	struct pharm_quote *q = NULL;
	struct order *o = NULL;
	enum apo_result rc;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    req_json_object_or_reply(r, 0, &body) || create_parse_or_reply(r, body, &cr))
		return;
	q = xmalloc(sizeof(*q));
	pharm_quote_init(q);
	o = order_new();
	if ((rc = store_begin(r->db, STORE_TX_WRITE)) != APO_OK)
		goto out_fail;
	rc = create_in_tx(r, m, &cr, q, o, &data);
	if (rc == APO_OK)
		rc = store_commit(r->db);
	if (rc != APO_OK) {
		store_rollback(r->db);
		goto out_fail;
	}
	pharm_ok(r, data, 0);
	data = NULL;
	goto out;
out_fail:
	if (r->replied)
		goto out;
	/* A duplicate insert or a lock wait that timed out: another request
	 * with this merchant_order_id holds the row. */
	if (rc == APO_ERR_CONFLICT || rc == APO_ERR_BUSY)
		pharm_error(r, 400, MSG_LOCK);
	else
		pharm_fail(r, rc, NULL);
out:
	json_decref(data);
	order_free(o);
	if (q) {
		pharm_quote_release(q);
		free(q);
	}
}

/* The seed's 500 shapes for confirm. */
static void confirm_fail_500(struct req *r, const char *msg)
{
	pharm_error(r, 500, msg);
}

static json_t *confirm_data(const struct order *o)
{
	return json_pack("{s:s,s:s}", "merchant_order_id", o->merchant_order_id, "order_id",
			 o->order_id);
}

/*
 * Checks the confirm request against the order. Returns 1 when the handler
 * should go on to ask the payment API, 0 when it answered already.
 */
static int confirm_precheck(struct req *r, const struct order *o)
{
	if (!o->payment_method || strcmp(o->payment_method, "ONLINE") != 0) {
		pharm_error(r, 400, MSG_BAD_STATUS);
		return 0;
	}
	if (o->ever_confirmed) {
		pharm_ok(r, confirm_data(o), 0);
		return 0;
	}
	if (o->status_id == ST_CANCELLED) {
		confirm_fail_500(r, "Map payment to order operation failed");
		return 0;
	}
	if (o->status_id != ST_AWAITING_CONFIRMATION) {
		pharm_error(r, 400, MSG_BAD_STATUS);
		return 0;
	}
	return 1;
}

static enum apo_result load_for_merchant(struct req *r, const struct merchant *m,
					 const char *order_id, struct order *o)
{
	return order_load(r->db, ORDER_BY_ORDER_ID, m->id, order_id, o);
}

/* Records a successful payment and confirms, racing safely with others. */
static void confirm_commit(struct req *r, const struct merchant *m, struct order *o,
			   const struct txn_status *ts)
{
	enum apo_result rc = store_begin(r->db, STORE_TX_WRITE);
	if (rc == APO_OK)
		rc = order_lock(r->db, o);
	if (rc == APO_OK && o->status_id == ST_AWAITING_CONFIRMATION) {
		int to = order_needs_rx(o) ? ST_RX_REQUIRED : ST_PLACED;
		struct buf note;
		buf_init(&note);
		buf_addf(&note, "payment %s", ts->transaction_id);
		rc = flow_move(r->app, r->db, o, to, NULL, ACTOR_MERCHANT, note.data);
		buf_release(&note);
		if (rc == APO_OK)
			rc = order_payment_add(r->db, o->oid, ts->transaction_id, ts->amount,
					       "SUCCESS");
	}
	if (rc == APO_OK)
		rc = store_commit(r->db);
	if (rc != APO_OK) {
		store_rollback(r->db);
		pharm_fail(r, rc, NULL);
		return;
	}
	(void)m;
	/* Whoever won the race, the answer follows the order's state now. */
	if (confirm_precheck(r, o))
		pharm_error(r, 400, MSG_BAD_STATUS);
}

static void confirm_offloaded(struct req *r)
{
	const struct merchant *m = r->principal;
	struct order *o = order_new();
	struct txn_status ts;
	char err[160], msg[256];
	enum apo_result rc;

	rc = load_for_merchant(r, m, req_param(r, "order_id"), o);
	if (rc != APO_OK) {
		if (rc == APO_ERR_NOT_FOUND)
			confirm_fail_500(r, "Order not found");
		else
			pharm_fail(r, rc, NULL);
		goto out;
	}
	rc = payment_transaction_status(m, o->merchant_order_id, &ts, err, sizeof(err));
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
	if (ts.amount != o->payable) {
		char paid[MONEY_FMT_CAP], want[MONEY_FMT_CAP];
		money_format_fixed(ts.amount, paid);
		money_format_fixed(o->payable, want);
		fmt_into(msg, sizeof(msg), "Paid amount %s does not match payable amount %s", paid,
			 want);
		if (store_begin(r->db, STORE_TX_WRITE) == APO_OK) {
			if (order_set_flag(r->db, o->oid, msg) != APO_OK ||
			    store_commit(r->db) != APO_OK)
				store_rollback(r->db);
		}
		pharm_error(r, 400, msg);
		goto out;
	}
	confirm_commit(r, m, o, &ts);
out:
	order_free(o);
}

static void order_confirm(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	const char *oid_body, *ref_body;
	const char *order_id = req_param(r, "order_id");
	struct order *o = NULL;
	enum apo_result rc;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    req_json_object_or_reply(r, 0, &body))
		return;
	if (jx_str(body, "order_id", ORDER_ID_LEN, &oid_body) != 0 ||
	    jx_str(body, "merchant_order_id", ORDER_MAX_REF, &ref_body) != 0) {
		pharm_error(r, 400, "order_id and merchant_order_id are required");
		return;
	}
	o = order_new();
	rc = load_for_merchant(r, m, order_id, o);
	if (rc == APO_ERR_NOT_FOUND) {
		confirm_fail_500(r, "Order not found");
		goto out;
	}
	if (rc != APO_OK) {
		pharm_fail(r, rc, NULL);
		goto out;
	}
	if (strcmp(oid_body, o->order_id) != 0 || strcmp(ref_body, o->merchant_order_id) != 0) {
		pharm_error(r, 400, "order_id and merchant_order_id do not match the order");
		goto out;
	}
	if (confirm_precheck(r, o))
		req_offload_merchant(r, m->id, confirm_offloaded);
out:
	order_free(o);
}

/* Queues a refund of amount for o in the current transaction. */
static enum apo_result refund_queue(struct req *r, const struct order *o, int64_t amount,
				    const char *type, const char *reason, const char *txn_id,
				    json_t **refund_out)
{
	char hex[HEX_ID_LEN + 1], refund_id[HEX_ID_LEN + 3];
	enum apo_result rc;
	ids_hex_id(hex);
	fmt_into(refund_id, sizeof(refund_id), "RF%s", hex);
	if ((rc = order_refund_add(r->db, o->oid, refund_id, txn_id, amount, type, reason)) !=
	    APO_OK)
		return rc;
	json_t *payload = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s}", "refund_id", refund_id,
				    "transaction_id", txn_id, "order_id", o->order_id, "amount",
				    jx_money_value(amount), "type", type, "reason",
				    reason ? reason : "");
	char *text = json_dumps(payload, JSON_COMPACT);
	rc = outbox_add(r->db, OUTBOX_REFUND, o->merchant_id, o->order_id, "refund", text);
	free(text);
	*refund_out = payload;
	return rc;
}

struct cancel_req {
	const char *order_id;
	const char *reason;
	const json_t *skus; /* partial cancel, or NULL */
};

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
	cq->skus = json_object_get(body, "skus");
	if (cq->skus && json_is_null(cq->skus))
		cq->skus = NULL;
	if (cq->skus && (!json_is_object(cq->skus) || json_object_size(cq->skus) == 0 ||
			 json_object_size(cq->skus) > ORDER_MAX_LINES)) {
		pharm_error_null(r, 400, "skus must be an object of SKU ids to quantities");
		return -1;
	}
	return 0;
}

/* Cancels the units named in skus; sets *all when nothing is left open. */
static enum apo_result cancel_units(struct req *r, struct order *o, const json_t *skus,
				    int64_t *value, int *all)
{
	const char *sku;
	const json_t *v;
	char msg[200];
	*value = 0;
	json_object_foreach((json_t *)skus, sku, v)
	{
		size_t i;
		for (i = 0; i < o->nlines && strcmp(o->lines[i].sku_id, sku) != 0; i++)
			;
		json_int_t qty = json_is_integer(v) ? json_integer_value(v) : 0;
		if (i == o->nlines || qty < 1 || qty > order_line_open_qty(&o->lines[i])) {
			fmt_into(msg, sizeof(msg), "SKU %s: cannot cancel that quantity", sku);
			pharm_error_null(r, 400, msg);
			return APO_ERR_INVALID;
		}
		enum apo_result rc = order_cancel_units(r->db, o, i, qty);
		if (rc != APO_OK)
			return rc;
		*value += qty * o->lines[i].discounted;
	}
	*all = 1;
	for (size_t i = 0; i < o->nlines; i++)
		if (order_line_open_qty(&o->lines[i]) > 0)
			*all = 0;
	return APO_OK;
}

static enum apo_result cancel_in_tx(struct req *r, const struct merchant *m,
				    const struct cancel_req *cq, struct order *o, json_t **refund)
{
	int64_t paid = 0, refunded = 0, value = 0;
	char txn[PAYMENT_MAX_TXN_ID + 1];
	int all = 1;
	enum apo_result rc = load_for_merchant(r, m, cq->order_id, o);
	if (rc == APO_ERR_NOT_FOUND) {
		pharm_error_null(r, 404, "Order not found");
		return APO_ERR_INVALID;
	}
	if (rc == APO_OK)
		rc = order_lock(r->db, o);
	if (rc != APO_OK)
		return rc;
	int s = o->status_id;
	if (s != ST_AWAITING_CONFIRMATION && s != ST_PLACED && s != ST_RX_REQUIRED &&
	    s != ST_RX_REVIEW) {
		pharm_error_null(r, 400, MSG_BAD_STATUS);
		return APO_ERR_INVALID;
	}
	if (cq->skus && (rc = cancel_units(r, o, cq->skus, &value, &all)) != APO_OK)
		return rc;
	if (all && (rc = flow_move(r->app, r->db, o, ST_CANCELLED, "As per Your Request", ACTOR_MERCHANT,
				   cq->reason)) != APO_OK)
		return rc;
	if ((rc = order_money(r->db, o->oid, &paid, &refunded, txn, sizeof(txn))) != APO_OK)
		return rc;
	if (paid <= refunded)
		return APO_OK;
	/* Whole cancel: everything not yet refunded, charges included. */
	int64_t amount = all ? paid - refunded : value;
	if (amount > paid - refunded)
		amount = paid - refunded;
	if (amount <= 0)
		return APO_OK;
	const char *type = all && refunded == 0 ? "FULL" : "PARTIAL";
	return refund_queue(r, o, amount, type, cq->reason, txn, refund);
}

static void order_cancel(struct req *r)
{
	const struct merchant *m;
	json_t *body, *refund = NULL;
	struct cancel_req cq;
	struct order *o;
	enum apo_result rc;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    req_json_object_or_reply(r, 0, &body) || cancel_parse_or_reply(r, body, &cq))
		return;
	o = order_new();
	rc = store_begin(r->db, STORE_TX_WRITE);
	if (rc == APO_OK)
		rc = cancel_in_tx(r, m, &cq, o, &refund);
	if (rc == APO_OK)
		rc = store_commit(r->db);
	if (rc != APO_OK) {
		store_rollback(r->db);
		if (!r->replied) {
			if (rc == APO_ERR_BUSY || rc == APO_ERR_STATE)
				pharm_error_null(r, 400, MSG_BAD_STATUS);
			else
				pharm_fail(r, rc, NULL);
		}
		goto out;
	}
	json_t *data = json_pack("{s:s,s:s,s:{s:i,s:s,s:o},s:O?}", "order_id", o->order_id,
				 "merchant_order_id", o->merchant_order_id, "order_status",
				 "status_id", o->status_id, "title",
				 order_status_title(o->status_id), "subtitle",
				 jx_str_or_null(o->subtitle), "refund", refund);
	pharm_ok(r, data, 0);
out:
	json_decref(refund);
	order_free(o);
}

static void order_prescriptions(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	const json_t *urls, *u;
	struct order *o;
	size_t i;
	enum apo_result rc;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    req_json_object_or_reply(r, 0, &body) || rx_urls_or_reply(r, body, &urls))
		return;
	if (!urls || json_array_size(urls) == 0) {
		pharm_error(r, 400, "prescriptions must be a non-empty array of https URLs");
		return;
	}
	o = order_new();
	rc = store_begin(r->db, STORE_TX_WRITE);
	if (rc == APO_OK)
		rc = load_for_merchant(r, m, req_param(r, "order_id"), o);
	if (rc == APO_OK)
		rc = order_lock(r->db, o);
	if (rc == APO_OK && o->status_id != ST_RX_REQUIRED && o->status_id != ST_RX_REVIEW) {
		pharm_error(r, 400, MSG_BAD_STATUS);
		rc = APO_ERR_STATE;
	}
	json_array_foreach(urls, i, u)
	{
		if (rc == APO_OK)
			rc = order_rx_add(r->db, o->oid, json_string_value(u));
	}
	if (rc == APO_OK && o->status_id == ST_RX_REQUIRED)
		rc = flow_move(r->app, r->db, o, ST_RX_REVIEW, NULL, ACTOR_MERCHANT, "prescriptions added");
	if (rc == APO_OK)
		rc = store_commit(r->db);
	if (rc != APO_OK) {
		store_rollback(r->db);
		if (!r->replied)
			pharm_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "Order not found" : NULL);
		goto out;
	}
	pharm_ok(r,
		 json_pack("{s:s,s:s,s:i}", "order_id", o->order_id, "merchant_order_id",
			   o->merchant_order_id, "status_id", o->status_id),
		 0);
out:
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
