/*
 * The facts of the track answer and the tracking page (see track_view.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "service/orders.h"
#include "api/track_view.h"
#include "app.h"
#include "core/ledger.h"
#include "core/merchant.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/banned.h"

/* A prescription the operator approved (admin_orders sets it). */
#define TRACK_RX_APPROVED "Completed"
/* The only country apotheca delivers to (6-digit Indian pincodes). */
#define TRACK_DEFAULT_COUNTRY "IN"
/* Longest customer identity hashed into a pseudonymous id. */
#define TRACK_MAX_IDENTITY 320

enum apo_result track_load(struct store_conn *c, enum orders_key by, const char *merchant_id,
			   const char *key, struct order *o, struct order_extras *x)
{
	struct ledger l;
	return orders_get_full(c, by, merchant_id, key, o, x, &l);
}

static int delivered(int status)
{
	return status == ST_DELIVERED || status == ST_RETURN_REQUESTED ||
	       status == ST_RETURN_PICKED || status == ST_RETURN_REFUNDED;
}

static int is_online(const struct order *o)
{
	return o->payment_method && strcmp(o->payment_method, "ONLINE") == 0;
}

int64_t track_item_count(const struct order *o)
{
	int64_t n = 0;
	for (size_t i = 0; i < o->nlines; i++)
		n += order_line_open_qty(&o->lines[i]);
	return n;
}

void track_money_compute(const struct order *o, const struct order_extras *x, struct track_money *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < o->nlines; i++) {
		const struct order_line *l = &o->lines[i];
		int64_t q = order_line_open_qty(l);
		m->cart_mrp += l->mrp * q;
		m->discounted_mrp += l->offered * q;
		m->coupon_discount += (l->offered - l->discounted) * q;
	}
	for (size_t i = 0; i < o->ncharges; i++)
		m->vas += o->charges[i].amount;
	m->shipping = o->shipping;
	/* discounted_mrp − coupon_discount + vas + shipping, the seed's identity */
	m->payable = order_due(o);
	if (x) {
		/* Collections and refunds are the order's ledger, the one the
		 * admin view shows (service/orders.h). */
		struct ledger l;
		orders_ledger(o, x, &l);
		m->online_collected = l.collected;
		m->refund_initiated = l.refund_initiated;
		m->refunded = l.refunded;
	}
	m->refund_due = m->refund_initiated - m->refunded;
	if (!is_online(o) && delivered(o->status_id))
		m->cash_collected = m->payable;
	m->collected = m->online_collected + m->cash_collected;
	m->to_be_paid = m->payable > m->collected ? m->payable - m->collected : 0;
	if (is_online(o) && o->status_id != ST_CANCELLED && m->payable > m->online_collected)
		m->online_pending = m->payable - m->online_collected;
	m->allow_retry = is_online(o) && o->status_id == ST_AWAITING_CONFIRMATION;
	m->cashless = is_online(o) && m->online_collected > 0;
}

/* obj[key] when it is a string, else NULL. */
static const char *str_of(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static json_t *str_or(const json_t *obj, const char *key, const char *dflt)
{
	const char *s = str_of(obj, key);
	return json_string(s ? s : dflt);
}

/* A coordinate from a JSON number or numeric string within ±limit, else 0. */
static json_t *coordinate(const json_t *obj, const char *key, double limit)
{
	const json_t *v = json_object_get(obj, key);
	double d = 0;
	if (json_is_number(v)) {
		d = json_number_value(v);
	} else if (json_is_string(v) && json_string_length(v) > 0) {
		char *end;
		d = strtod(json_string_value(v), &end);
		if (*end)
			d = 0;
	}
	if (!isfinite(d) || d < -limit || d > limit)
		d = 0;
	return json_real(d);
}

/* The customer's identity for pseudonymous ids (see track_customer_uuid). */
static void customer_identity(const struct order *o, char *out, size_t cap)
{
	json_t *user = o->user_json ? json_loads(o->user_json, 0, NULL) : NULL;
	const char *email = str_of(user, "email"), *mobile = str_of(user, "mobile");
	if (email && *email) {
		size_t i;
		for (i = 0; email[i] && i + 1 < cap; i++)
			out[i] = (char)tolower((unsigned char)email[i]);
		out[i] = '\0';
	} else if (mobile && *mobile) {
		fmt_into(out, cap, "%s", mobile);
	} else {
		fmt_into(out, cap, "order:%s", o->order_id);
	}
	json_decref(user);
}

void track_customer_uuid(const struct order *o, const char *label, char out[TRACK_UUID_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	char identity[TRACK_MAX_IDENTITY + 1];
	unsigned char md[SHA256_LEN];
	struct buf b;

	customer_identity(o, identity, sizeof(identity));
	buf_init(&b);
	/* NUL separators: no two (label, merchant, identity) triples collide. */
	buf_adds(&b, "apotheca/");
	buf_add(&b, label, strlen(label) + 1);
	const char *mid = o->merchant_id ? o->merchant_id : "";
	buf_add(&b, mid, strlen(mid) + 1);
	buf_adds(&b, identity);
	const void *part = b.data;
	sha256_parts(&part, &b.len, 1, md);
	buf_release(&b);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x80); /* version 8 */
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80); /* RFC 9562 variant */
	size_t k = 0;
	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[k++] = '-';
		out[k++] = hex[md[i] >> 4];
		out[k++] = hex[md[i] & 15];
	}
	out[k] = '\0';
}

static json_t *prescriptions_json(const struct order *o, const struct order_extras *x)
{
	char patient[TRACK_UUID_LEN + 1];
	json_t *arr = json_array();
	track_customer_uuid(o, "patient", patient);
	for (size_t i = 0; i < x->nrx; i++) {
		const struct order_rx *rx = &x->rx[i];
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:s}", "patient_id", patient,
						     "url", rx->url ? rx->url : "", "id",
						     (json_int_t)rx->id, "prescription_date",
						     (json_int_t)rx->created_ms, "status",
						     rx->status ? rx->status : ""));
	}
	return arr;
}

/* The newest prescription's review status, or NULL when there is none. */
static const char *latest_rx_status(const struct order_extras *x)
{
	return x->nrx ? x->rx[x->nrx - 1].status : NULL;
}

static json_t *skus_json(const struct order *o, const struct order_extras *x)
{
	json_t *arr = json_array();
	const char *rx = latest_rx_status(x);
	for (size_t i = 0; i < o->nlines; i++) {
		const struct order_line *l = &o->lines[i];
		const char *st = l->rx_required ? rx : NULL;
		int verified = st && strcmp(st, TRACK_RX_APPROVED) == 0;
		json_array_append_new(
		    arr, json_pack("{s:o,s:s,s:o,s:s,s:b,s:o,s:b,s:s,s:s,s:I}", "mrp",
				   jx_money_value(l->mrp), "name", l->name ? l->name : "",
				   "prescription_status", jx_str_or_null(st), "sku_id",
				   l->sku_id ? l->sku_id : "", "prescription_verified", verified,
				   "offered_price", jx_money_value(l->offered),
				   "prescription_required", l->rx_required, "pack_size_label",
				   l->pack_size_label ? l->pack_size_label : "", "sku_type",
				   l->sku_type ? l->sku_type : "", "normalized_quantity",
				   (json_int_t)order_line_open_qty(l)));
	}
	return arr;
}

static json_t *vas_json(const struct order *o)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < o->ncharges; i++) {
		const struct order_charge *c = &o->charges[i];
		const char *text = c->display_text ? c->display_text : "";
		/* The charge rule's type is its stable id within the merchant. */
		json_array_append_new(arr,
				      json_pack("{s:s,s:s,s:s,s:o}", "display_text", text,
						"group_name", text, "id", c->type ? c->type : "",
						"amount", jx_money_value(c->amount)));
	}
	return arr;
}

static json_t *payments_json(const struct order_extras *x)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < x->npayments; i++) {
		const struct order_payment *p = &x->payments[i];
		json_array_append_new(arr, json_pack("{s:s,s:o,s:s,s:I}", "transaction_id",
						     p->transaction_id ? p->transaction_id : "",
						     "amount", jx_money_value(p->amount), "status",
						     p->status ? p->status : "", "at",
						     (json_int_t)p->at));
	}
	return arr;
}

static void set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value);
}

static json_t *payment_summary_json(const struct order *o, const struct order_extras *x,
				    const struct track_money *pm)
{
	const struct track_money m = *pm;
	json_t *j = json_object();
	set(j, "mode", json_string(o->payment_method ? o->payment_method : "COD"));
	set(j, "online_refund_due", jx_money_value(m.refund_due));
	set(j, "total_payment", jx_money_value(m.online_collected));
	set(j, "shipping_charges", jx_money_value(m.shipping));
	set(j, "order_mrp", jx_money_value(m.payable));
	set(j, "online_collected", jx_money_value(m.online_collected));
	set(j, "current_mrp", jx_money_value(m.cart_mrp));
	set(j, "coupon_discount", jx_money_value(m.coupon_discount));
	set(j, "amount_to_be_paid", jx_money_value(m.to_be_paid));
	set(j, "amount_collected", jx_money_value(m.collected));
	set(j, "additional_charges", json_array());
	set(j, "amount_payable", jx_money_value(m.payable));
	set(j, "online_pending_amount", jx_money_value(m.online_pending));
	set(j, "cashback_earned", json_integer(0));
	set(j, "total_refunded_amount", jx_money_value(m.refunded));
	set(j, "payments", payments_json(x));
	set(j, "vas", vas_json(o));
	set(j, "allow_payment_retry", json_boolean(m.allow_retry));
	set(j, "online_refund_initiated", jx_money_value(m.refund_initiated));
	set(j, "discounted_mrp", jx_money_value(m.discounted_mrp));
	set(j, "cart_mrp", jx_money_value(m.cart_mrp));
	set(j, "total_refund_due", jx_money_value(m.refund_due));
	return j;
}

static json_t *history_json(const struct order_extras *x)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < x->nevents; i++)
		json_array_append_new(arr, json_pack("{s:i,s:s,s:I}", "status_id", x->events[i].to,
						     "title", order_status_title(x->events[i].to),
						     "at", (json_int_t)x->events[i].at));
	return arr;
}

static json_t *shipment_json(const struct app *app, const struct order *o)
{
	json_t *url = json_null();
	if (o->tracking_code) {
		char text[1024];
		flow_tracking_url(app, o->tracking_code, text, sizeof(text));
		url = json_string(text);
	}
	return json_pack("{s:o,s:o,s:o}", "delivery_partner_name",
			 jx_str_or_null(o->delivery_partner), "tracking_code",
			 jx_str_or_null(o->tracking_code), "tracking_url", url);
}

static json_t *grouped_order_json(const struct app *app, const struct order *o,
				  const struct order_extras *x, const struct track_money *m)
{
	json_t *g = json_object();
	set(g, "order_status",
	    json_pack("{s:s,s:i,s:s}", "subtitle", o->subtitle ? o->subtitle : "", "status_id",
		      o->status_id, "title", order_status_title(o->status_id)));
	/* True once the order has left the status it was created in. */
	set(g, "status_changed", json_boolean(x->nevents > 1));
	set(g, "order_id", json_string(o->order_id));
	set(g, "eta",
	    json_pack("{s:I,s:I}", "eta_to", (json_int_t)o->eta_to, "eta_from",
		      (json_int_t)o->eta_from));
	set(g, "created", json_integer(o->created));
	set(g, "shipment_detail", shipment_json(app, o));
	set(g, "is_cashless_order", json_boolean(m->cashless));
	set(g, "updated", json_integer(o->updated));
	set(g, "skus", skus_json(o, x));
	set(g, "invoice", json_pack("{s:n,s:n}", "shipping", "order"));
	set(g, "payment_summary", payment_summary_json(o, x, m));
	set(g, "invoice_data", json_object());
	set(g, "status_history", history_json(x));
	return g;
}

static json_t *user_json(const struct order *o, const json_t *user)
{
	char username[TRACK_UUID_LEN + 1];
	track_customer_uuid(o, "user", username);
	return json_pack("{s:o,s:s,s:o}", "contact_number", str_or(user, "mobile", ""), "username",
			 username, "email", str_or(user, "email", ""));
}

static json_t *address_json(const struct order *o, const json_t *a)
{
	json_t *j = json_object();
	const char *type = str_of(a, "type");
	const char *locality2 = str_of(a, "locality2");
	set(j, "locality", str_or(a, "locality", ""));
	set(j, "longitude", coordinate(a, "longitude", 180));
	set(j, "locality2", jx_str_or_null(locality2));
	set(j, "city", str_or(a, "city", ""));
	set(j, "address_type", type ? json_string(type) : str_or(a, "address_type", ""));
	set(j, "contact_number", str_or(a, "contact_number", ""));
	set(j, "street2", str_or(a, "street2", ""));
	set(j, "street1", str_or(a, "street1", ""));
	set(j, "state", str_or(a, "state", ""));
	set(j, "country", str_or(a, "country", TRACK_DEFAULT_COUNTRY));
	set(j, "name", str_or(a, "name", ""));
	set(j, "latitude", coordinate(a, "latitude", 90));
	set(j, "pincode", str_or(a, "pincode", o->pincode ? o->pincode : ""));
	set(j, "landmark", str_or(a, "landmark", ""));
	return j;
}

json_t *track_result_json(const struct app *app, const struct merchant *m, const struct order *o,
			  const struct order_extras *x)
{
	struct track_money money;
	json_t *user = o->user_json ? json_loads(o->user_json, 0, NULL) : NULL;
	json_t *addr = o->address_json ? json_loads(o->address_json, 0, NULL) : NULL;
	json_t *j = json_object();

	track_money_compute(o, x, &money);
	set(j, "prescriptions", prescriptions_json(o, x));
	set(j, "grouped_orders", json_pack("[o]", grouped_order_json(app, o, x, &money)));
	set(j, "user", user_json(o, user));
	set(j, "group_order_id", json_string(o->order_id));
	set(j, "delivery_address", address_json(o, addr));
	set(j, "merchant_order_id", json_string(o->merchant_order_id ? o->merchant_order_id : ""));
	set(j, "source", json_string(m->name ? m->name : m->id));
	json_decref(user);
	json_decref(addr);
	return j;
}

/*
 * The subtitles the order flow writes when it cancels (pharmacy and
 * logistics cancels, and the payment window's expiry): the only ones the
 * page turns into a reason. An operator's own subtitle may be internal and
 * is never shown.
 */
#define TRACK_SUBTITLE_REQUEST "As per Your Request"
#define TRACK_SUBTITLE_UNPAID "Payment not received"

static const struct {
	int status;
	const char *label;
} status_labels[] = {
    {ST_AWAITING_CONFIRMATION, "Waiting for payment"},
    {ST_PLACED, "Order placed"},
    {ST_RX_REQUIRED, "Prescription needed"},
    {ST_RX_REVIEW, "Checking your prescription"},
    {ST_ALLOCATION, "Preparing your order"},
    {ST_ALLOCATION_FAILED, "Waiting for stock"},
    {ST_PACKED, "Packed"},
    {ST_SHIPPED, "Shipped"},
    {ST_OUT_FOR_DELIVERY, "Out for delivery"},
    {ST_DELIVERED, "Delivered"},
    {ST_REATTEMPT, "Delivery to be reattempted"},
    {ST_CANCEL_INITIATED, "Cancelling your order"},
    {ST_CANCELLED, "Order cancelled"},
    {ST_RETURN_REQUESTED, "Return requested"},
    {ST_RETURN_PICKED, "Return picked up"},
    {ST_RETURN_REFUNDED, "Return refunded"},
};

const char *track_status_label(int status)
{
	for (size_t i = 0; i < sizeof(status_labels) / sizeof(status_labels[0]); i++)
		if (status_labels[i].status == status)
			return status_labels[i].label;
	return "Updated";
}

static const struct step_def {
	const char *key, *label;
	int status; /* the status that reaches the step */
} step_defs[TRACK_NSTEPS] = {
    {"placed", "Order placed", ST_PLACED},
    {"packed", "Packed", ST_PACKED},
    {"shipped", "Shipped", ST_SHIPPED},
    {"out_for_delivery", "Out for delivery", ST_OUT_FOR_DELIVERY},
    {"delivered", "Delivered", ST_DELIVERED},
}, return_defs[TRACK_NRETURN_STEPS] = {
    {"return_requested", "Return requested", ST_RETURN_REQUESTED},
    {"return_picked", "Picked up", ST_RETURN_PICKED},
    {"return_refunded", "Refunded", ST_RETURN_REFUNDED},
};

/* The progress step an in-progress or delivered status stands at. */
static size_t step_of(int status)
{
	switch (status) {
	case ST_PACKED:
		return 1;
	case ST_SHIPPED:
		return 2;
	case ST_OUT_FOR_DELIVERY:
	case ST_REATTEMPT:
		return 3;
	case ST_DELIVERED:
	case ST_RETURN_REQUESTED:
	case ST_RETURN_PICKED:
	case ST_RETURN_REFUNDED:
		return 4;
	default: /* placed, prescription, preparing, waiting for stock */
		return 0;
	}
}

/* When the order first reached status (0: never). */
static int64_t reached_at(const struct order_extras *x, int status)
{
	for (size_t i = 0; i < x->nevents; i++)
		if (x->events[i].to == status)
			return x->events[i].at;
	return 0;
}

/* When the order was placed: its first status past waiting for payment. */
static int64_t placed_at(const struct order_extras *x)
{
	for (size_t i = 0; i < x->nevents; i++)
		if (x->events[i].to != ST_AWAITING_CONFIRMATION)
			return x->events[i].at;
	return 0;
}

static void fill_steps(struct track_step *steps, size_t n, const struct step_def *defs,
		       size_t current, const struct order_extras *x)
{
	for (size_t i = 0; i < n; i++) {
		steps[i].key = defs[i].key;
		steps[i].label = defs[i].label;
		steps[i].state = i < current	? TRACK_STEP_DONE
				 : i == current ? TRACK_STEP_CURRENT
						: TRACK_STEP_UPCOMING;
		steps[i].at = i <= current ? reached_at(x, defs[i].status) : 0;
	}
}

/* The move into the cancellation, and the status it left. */
static const struct order_event *cancel_event(const struct order_extras *x)
{
	for (size_t i = x->nevents; i-- > 0;)
		if (x->events[i].to == ST_CANCEL_INITIATED || x->events[i].to == ST_CANCELLED)
			if (i == 0 || x->events[i].from != ST_CANCEL_INITIATED)
				return &x->events[i];
	return NULL;
}

static const char *cancel_reason(const struct order *o, const struct order_extras *x)
{
	const struct order_event *e = cancel_event(x);
	const char *sub = o->subtitle ? o->subtitle : "";
	if (strcmp(sub, TRACK_SUBTITLE_UNPAID) == 0)
		return "The payment for this order was not completed in time, so it was cancelled.";
	if (strcmp(sub, TRACK_SUBTITLE_REQUEST) == 0)
		return "The order was cancelled at your request.";
	switch (e ? e->from : 0) {
	case ST_ALLOCATION_FAILED:
		return "Some items could not be restocked in time, so the order was cancelled.";
	case ST_RX_REQUIRED:
	case ST_RX_REVIEW:
		return "The order was cancelled because a valid prescription was not received.";
	case ST_REATTEMPT:
		return "The parcel could not be delivered, so the order was cancelled.";
	default:
		return "The shop cancelled this order. Contact them if you have questions.";
	}
}

/* The headline's sentence: what the status means and what happens next. */
static void detail_text(struct track_public *p)
{
	const char *shop = p->merchant_name ? p->merchant_name : "the shop";
	const char *text;
	switch (p->status_id) {
	case ST_AWAITING_CONFIRMATION:
		text = "Your order will be placed as soon as the payment is confirmed.";
		break;
	case ST_PLACED:
		text = "Your order has been received and will be packed soon.";
		break;
	case ST_RX_REQUIRED:
		fmt_into(p->detail, sizeof(p->detail),
			 "An item in this order needs a doctor's prescription. Please send a valid "
			 "prescription to %s so the order can be packed.",
			 shop);
		return;
	case ST_RX_REVIEW:
		text = "A pharmacist is checking your prescription. Your order will be packed once "
		       "it is approved.";
		break;
	case ST_ALLOCATION:
		text = "Your items are being picked and packed.";
		break;
	case ST_ALLOCATION_FAILED:
		text = "Some items are out of stock for the moment. Your order will be packed as soon "
		       "as they arrive; you need not do anything.";
		break;
	case ST_PACKED:
		text = "Your order is packed and waiting for the courier.";
		break;
	case ST_SHIPPED:
		text = "Your parcel is on its way.";
		break;
	case ST_OUT_FOR_DELIVERY:
		text = "The courier is bringing your parcel today.";
		break;
	case ST_REATTEMPT:
		text = "The courier could not deliver your parcel and will try again.";
		break;
	case ST_DELIVERED:
		text = "Your parcel has been delivered.";
		break;
	case ST_RETURN_REQUESTED:
		text = "Your return has been accepted. The courier will pick up the parcel.";
		break;
	case ST_RETURN_PICKED:
		text = "The courier has picked up your return. Your refund follows once it is "
		       "checked.";
		break;
	case ST_RETURN_REFUNDED:
		text = "Your return is complete and has been refunded.";
		break;
	case ST_CANCEL_INITIATED:
		text = "Your order is being cancelled.";
		break;
	default:
		text = p->cancel_reason ? p->cancel_reason : "";
		break;
	}
	fmt_into(p->detail, sizeof(p->detail), "%s", text);
}

static enum track_notice notice_of(int status)
{
	switch (status) {
	case ST_RX_REQUIRED:
		return TRACK_NOTICE_ACTION;
	case ST_RX_REVIEW:
	case ST_ALLOCATION_FAILED:
	case ST_REATTEMPT:
		return TRACK_NOTICE_DELAY;
	default:
		return TRACK_NOTICE_NONE;
	}
}

static enum track_phase phase_of(int status)
{
	switch (status) {
	case ST_CANCEL_INITIATED:
	case ST_CANCELLED:
		return TRACK_PHASE_CANCELLED;
	case ST_DELIVERED:
		return TRACK_PHASE_DELIVERED;
	case ST_RETURN_REQUESTED:
	case ST_RETURN_PICKED:
	case ST_RETURN_REFUNDED:
		return TRACK_PHASE_RETURN;
	default:
		return TRACK_PHASE_IN_PROGRESS;
	}
}

static const char *nonempty(const char *s)
{
	return s && *s ? s : NULL;
}

static void public_money(const struct order *o, const struct order_extras *x,
			 struct track_public *p)
{
	struct track_money m;
	track_money_compute(o, x, &m);
	p->refund_total = m.refund_initiated;
	p->refund_done = m.refunded;
	p->refund_pending = m.refund_due;
	for (size_t i = 0; m.refund_due == 0 && i < x->nrefunds; i++)
		if (x->refunds[i].completed > p->refund_done_at)
			p->refund_done_at = x->refunds[i].completed;
	p->nothing_charged = p->phase == TRACK_PHASE_CANCELLED && m.online_collected == 0 &&
			     m.refund_initiated == 0;
}

void track_public_facts(const struct order *o, const struct order_extras *x,
			const struct merchant *m, const struct carrier_table *carriers,
			struct track_public *p)
{
	memset(p, 0, sizeof(*p));
	p->tracking_code = o->tracking_code;
	p->status_id = o->status_id;
	p->title = order_status_title(o->status_id);
	p->timeline = x->events;
	p->ntimeline = x->nevents;
	p->eta_from = o->eta_from;
	p->eta_to = o->eta_to;
	p->carrier = nonempty(o->delivery_partner);
	p->carrier_code = nonempty(o->carrier_tracking_code);
	if (carriers && carrier_tracking_url(carriers, p->carrier, p->carrier_code, p->carrier_url,
					     sizeof(p->carrier_url)))
		p->carrier_url[0] = '\0';
	p->item_count = track_item_count(o);
	if (m) {
		/* Only the name meant for people: m->name is an API identifier. */
		p->merchant_name = nonempty(m->display_name);
		p->help_url = nonempty(m->help_url);
		p->help_email = nonempty(m->help_email);
		p->help_phone = nonempty(m->help_phone);
	}

	p->phase = phase_of(o->status_id);
	p->notice = notice_of(o->status_id);
	p->headline = track_status_label(o->status_id);
	if (p->phase == TRACK_PHASE_CANCELLED) {
		const struct order_event *e = cancel_event(x);
		p->cancelled_at = e ? e->at : 0;
		if (o->status_id == ST_CANCELLED)
			p->cancel_reason = cancel_reason(o, x);
	} else {
		p->nsteps = TRACK_NSTEPS;
		fill_steps(p->steps, TRACK_NSTEPS, step_defs, step_of(o->status_id), x);
		p->steps[0].at = placed_at(x);
		/* Delivered is the end of the way: done, not a step still current. */
		if (p->phase != TRACK_PHASE_IN_PROGRESS)
			p->steps[TRACK_NSTEPS - 1].state = TRACK_STEP_DONE;
		p->delivered_at = reached_at(x, ST_DELIVERED);
	}
	if (p->phase == TRACK_PHASE_RETURN) {
		size_t cur = o->status_id == ST_RETURN_REQUESTED ? 0
			     : o->status_id == ST_RETURN_PICKED	 ? 1
								 : 2;
		p->nreturn_steps = TRACK_NRETURN_STEPS;
		fill_steps(p->return_steps, TRACK_NRETURN_STEPS, return_defs, cur, x);
		if (o->status_id == ST_RETURN_REFUNDED)
			p->return_steps[cur].state = TRACK_STEP_DONE;
	}
	p->eta_relevant = p->phase == TRACK_PHASE_IN_PROGRESS && (p->eta_from || p->eta_to);
	public_money(o, x, p);
	detail_text(p);
}

static json_t *steps_json(const struct track_step *steps, size_t n)
{
	static const char *const states[] = {"done", "current", "upcoming"};
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:o}", "step", steps[i].key,
						     "label", steps[i].label, "state",
						     states[steps[i].state], "at",
						     steps[i].at ? json_integer(steps[i].at)
								 : json_null()));
	return arr;
}

static json_t *epoch_or_null(int64_t t)
{
	return t ? json_integer(t) : json_null();
}

static json_t *refund_json(const struct track_public *p)
{
	if (!p->refund_total)
		return json_null();
	return json_pack("{s:o,s:o,s:o,s:s,s:o}", "amount", jx_money_value(p->refund_total),
			 "refunded", jx_money_value(p->refund_done), "on_its_way",
			 jx_money_value(p->refund_pending), "state",
			 p->refund_pending ? "on_its_way" : "done", "refunded_at",
			 epoch_or_null(p->refund_done_at));
}

json_t *track_public_json(const struct track_public *p)
{
	static const char *const phases[] = {"in_progress", "delivered", "return", "cancelled"};
	static const char *const notices[] = {NULL, "action_needed", "delayed"};
	json_t *timeline = json_array();
	for (size_t i = 0; i < p->ntimeline; i++) {
		int s = p->timeline[i].to;
		json_array_append_new(timeline,
				      json_pack("{s:i,s:s,s:s,s:I}", "status_id", s, "title",
						order_status_title(s), "label", track_status_label(s),
						"at", (json_int_t)p->timeline[i].at));
	}
	json_t *eta = p->eta_from || p->eta_to
			  ? json_pack("{s:I,s:I}", "from", (json_int_t)p->eta_from, "to",
				      (json_int_t)p->eta_to)
			  : json_null();
	json_t *carrier = p->carrier || p->carrier_code
			      ? json_pack("{s:o,s:o,s:o}", "name", jx_str_or_null(p->carrier),
					  "tracking_code", jx_str_or_null(p->carrier_code),
					  "tracking_url",
					  jx_str_or_null(p->carrier_url[0] ? p->carrier_url : NULL))
			      : json_null();
	json_t *j = json_pack("{s:o,s:{s:i,s:s},s:o,s:o,s:o,s:I}", "tracking_code",
			      jx_str_or_null(p->tracking_code), "status", "status_id", p->status_id,
			      "title", p->title, "timeline", timeline, "eta", eta, "carrier",
			      carrier, "item_count", (json_int_t)p->item_count);
	set(j, "merchant",
	    json_pack("{s:o,s:{s:o,s:o,s:o}}", "name", jx_str_or_null(p->merchant_name), "help",
		      "url", jx_str_or_null(p->help_url), "email", jx_str_or_null(p->help_email),
		      "phone", jx_str_or_null(p->help_phone)));
	set(j, "state",
	    json_pack("{s:s,s:s,s:s,s:o}", "phase", phases[p->phase], "headline", p->headline,
		      "detail", p->detail, "notice", jx_str_or_null(notices[p->notice])));
	set(j, "progress", steps_json(p->steps, p->nsteps));
	set(j, "return_progress", steps_json(p->return_steps, p->nreturn_steps));
	set(j, "delivered_at", epoch_or_null(p->delivered_at));
	set(j, "cancellation",
	    p->phase == TRACK_PHASE_CANCELLED
		? json_pack("{s:o,s:o}", "reason", jx_str_or_null(p->cancel_reason), "at",
			    epoch_or_null(p->cancelled_at))
		: json_null());
	set(j, "refund", refund_json(p));
	return j;
}
