/*
 * Logistics orders (SPEC §3, §5): create (always passive, nothing
 * reserved), update while passive, confirm (stock reserved, or
 * waiting_products when it is short), delete (passive: deleted; confirmed
 * or waiting: cancelled) and read one. Every status change goes through
 * the order service (orders_move), so it is recorded, has its stock
 * effect and is announced; update, confirm and delete run as steps of
 * orders_with_locked(): one write transaction with the order row locked,
 * run again when it lost a race to another request.
 *
 * What is stored: the whole Order JSON as the merchant sent it (normalised:
 * "not set" members dropped, numbers given as strings made numbers) in
 * extra_json, the customer in address_json and its contact fields in
 * user_json, one order line per product with the line's JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "api/logistics.h"
#include "api/routes.h"
#include "core/catalog.h"
#include "core/ids.h"
#include "core/merchant.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "service/orders.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* SPEC §1: quantities are integers 1..1000. */
#define LOGI_MAX_QTY 1000
#define LOGI_MAX_GTIN 64
#define LOGI_URL_CAP 512
#define LOGI_MSG_CAP 256

struct line_in {
	json_t *src; /* the line object, normalised in place */
	const char *merchants_id;
	const char *name; /* or NULL */
	int64_t qty;
	int64_t unit_price; /* paise, or -1 when not given */
	const char *gtin;   /* or NULL */
	int64_t weight;	    /* grams, or CATALOG_NONE */
};

/* A parsed Order JSON; every pointer points into doc. */
struct order_in {
	json_t *doc;
	const char *ref; /* merchants_order id, or NULL */
	json_t *customer;
	struct line_in lines[ORDER_MAX_LINES];
	size_t nlines;
};

static int bad_request(struct req *r, const char *code, const char *message)
{
	logi_error(r, 400, code, message);
	return -1;
}

static void reply_not_passive(struct req *r)
{
	logi_error(r, 409, "order_not_passive", "The order is not passive any more");
}

static int ref_parse_or_reply(struct req *r, struct order_in *in)
{
	json_t *mo = json_object_get(in->doc, "merchants_order");
	int rc;
	in->ref = NULL;
	if (logi_absent(mo))
		return 0;
	if (json_is_object(mo))
		rc = logi_str(mo, "id", ORDER_MAX_REF, &in->ref);
	else
		rc = logi_str(in->doc, "merchants_order", ORDER_MAX_REF, &in->ref);
	if (rc < 0 || (rc == 0 && ids_is_dot_segment(in->ref)))
		return bad_request(r, "merchants_order.invalid",
				   "merchants_order must be a string of at most 64 characters or "
				   "{\"id\", \"time\"}");
	return 0;
}

/* Removes members plugins send as "not set" so the stored JSON is clean. */
static void drop_absent(json_t *obj, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (json_object_get(obj, keys[i]) && logi_absent(json_object_get(obj, keys[i])))
			json_object_del(obj, keys[i]);
}

static int customer_parse_or_reply(struct req *r, struct order_in *in)
{
	static const char *const required[] = {"firstName", "lastName", "address", "postalCode",
					       "city"};
	static const char *const optional[] = {"countryCode", "email", "phoneNumber",
					       "organizationName"};
	char code[64], msg[LOGI_MSG_CAP];
	const char *s;
	json_t *c = json_object_get(in->doc, "customer");

	if (logi_absent(c))
		return bad_request(r, "customer.required", "customer is required");
	if (!json_is_object(c))
		return bad_request(r, "customer.invalid", "customer must be an object");
	drop_absent(c, optional, sizeof(optional) / sizeof(optional[0]));
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		int rc = logi_str(c, required[i], LOGI_MAX_TEXT, &s);
		if (rc == 0)
			continue;
		fmt_into(code, sizeof(code), "customer.%s.%s", required[i],
			 rc > 0 ? "required" : "invalid");
		fmt_into(msg, sizeof(msg), "customer.%s %s", required[i],
			 rc > 0 ? "is required" : "must be a string of at most 1024 bytes");
		return bad_request(r, code, msg);
	}
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		if (logi_str(c, optional[i], LOGI_MAX_TEXT, &s) >= 0)
			continue;
		fmt_into(code, sizeof(code), "customer.%s.invalid", optional[i]);
		fmt_into(msg, sizeof(msg), "customer.%s must be a string of at most 1024 bytes",
			 optional[i]);
		return bad_request(r, code, msg);
	}
	in->customer = c;
	return 0;
}

/* Answers product.<field>.<what> naming the line. */
static int line_error(struct req *r, size_t i, const char *field, const char *what,
		      const char *rule)
{
	char code[64], msg[LOGI_MSG_CAP];
	fmt_into(code, sizeof(code), "product.%s.%s", field, what);
	if (strcmp(what, "required") == 0)
		fmt_into(msg, sizeof(msg), "products[%zu].%s is required", i, field);
	else
		fmt_into(msg, sizeof(msg), "products[%zu].%s must be %s", i, field, rule);
	return bad_request(r, code, msg);
}

static int tax_valid(const json_t *v)
{
	double d;
	if (logi_absent(v) || json_is_number(v))
		return 1;
	return json_is_string(v) && !logi_decimal(json_string_value(v), json_string_length(v), &d);
}

static int line_parse_or_reply(struct req *r, size_t i, json_t *src, struct line_in *l)
{
	static const char *const optional[] = {"name", "unit_price", "tax_percent", "gtin",
					       "weight"};
	int rc;
	if (!json_is_object(src))
		return line_error(r, i, "line", "invalid", "an object");
	drop_absent(src, optional, sizeof(optional) / sizeof(optional[0]));
	l->src = src;
	l->name = l->gtin = NULL;
	l->unit_price = -1;
	l->weight = CATALOG_NONE;
	rc = logi_str(src, "merchants_id", LOGI_MAX_ID, &l->merchants_id);
	if (rc > 0)
		return line_error(r, i, "merchants_id", "required", NULL);
	if (rc < 0 || !logi_id_valid(l->merchants_id))
		return line_error(r, i, "merchants_id", "invalid",
				  "a string of 1-64 characters without control characters");
	rc = logi_int(src, "qty", 1, LOGI_MAX_QTY, &l->qty);
	if (rc > 0)
		return line_error(r, i, "qty", "required", NULL);
	if (rc < 0)
		return line_error(r, i, "qty", "invalid", "an integer 1..1000");
	json_object_set_new(src, "qty", json_integer(l->qty));
	if (logi_str(src, "name", LOGI_MAX_TEXT, &l->name) < 0)
		return line_error(r, i, "name", "invalid", "a string");
	if (logi_money(src, "unit_price", &l->unit_price) < 0)
		return line_error(r, i, "unit_price", "invalid",
				  "a non-negative amount with at most two decimals");
	if (!tax_valid(json_object_get(src, "tax_percent")))
		return line_error(r, i, "tax_percent", "invalid", "a number");
	if (logi_str(src, "gtin", LOGI_MAX_GTIN, &l->gtin) < 0)
		return line_error(r, i, "gtin", "invalid", "a string of at most 64 characters");
	if (logi_grams(src, "weight", &l->weight) < 0)
		return line_error(r, i, "weight", "invalid", "a non-negative number of grams");
	if (l->weight != CATALOG_NONE)
		json_object_set_new(src, "weight", json_integer(l->weight));
	return 0;
}

/* products, or products_all when products is not given (see docs/API.md). */
static int lines_parse_or_reply(struct req *r, struct order_in *in)
{
	json_t *arr = json_object_get(in->doc, "products"), *src;
	size_t i;
	if (logi_absent(arr))
		arr = json_object_get(in->doc, "products_all");
	if (logi_absent(arr) || (json_is_array(arr) && json_array_size(arr) == 0))
		return bad_request(r, "products.required",
				   "products is required: an array of 1-100 products");
	if (!json_is_array(arr) || json_array_size(arr) > ORDER_MAX_LINES)
		return bad_request(r, "products.invalid",
				   "products must be an array of 1-100 products");
	in->nlines = 0;
	json_array_foreach(arr, i, src)
	{
		if (line_parse_or_reply(r, i, src, &in->lines[in->nlines]))
			return -1;
		in->nlines++;
	}
	return 0;
}

/* Reads the Order JSON doc (normalising it in place) into in. */
static int order_parse_or_reply(struct req *r, json_t *doc, struct order_in *in)
{
	in->doc = doc;
	return ref_parse_or_reply(r, in) || customer_parse_or_reply(r, in) ||
		       lines_parse_or_reply(r, in)
		   ? -1
		   : 0;
}

/*
 * In the caller's transaction: the catalog product a line names. A product
 * the merchant never sent is added to its catalog from the line (name,
 * gtin, weight, price; no stock), so orders from shops whose catalog sync
 * missed a product still go through (see docs/API.md).
 */
/* Describes the product a line names, for a catalog that lacks it. */
static void line_describe(struct product *p, void *ctx)
{
	const struct line_in *l = ctx;
	p->name = xstrdup(l->name ? l->name : l->merchants_id);
	logi_utf8_cut(p->name, PRODUCT_MAX_NAME);
	p->gtin = l->gtin ? xstrdup(l->gtin) : NULL;
	p->weight = l->weight;
	p->mrp = p->price = l->unit_price >= 0 ? l->unit_price : 0;
}

static enum apo_result line_product(struct req *r, const struct merchant *m,
				    const struct line_in *l, struct product *p)
{
	return orders_line_product(r->db, m->id, l->merchants_id, p, line_describe, (void *)l);
}

static void set_text(char **dst, char *owned)
{
	free(*dst);
	*dst = owned;
}

/* The customer's contact fields, for the order's user_json. */
static char *contact_json(const json_t *customer)
{
	static const char *const keys[] = {"firstName", "lastName", "email", "phoneNumber"};
	json_t *u = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(customer, keys[i]);
		if (v)
			json_object_set(u, keys[i], v);
	}
	char *text = jx_dumps(u, 0, NULL);
	json_decref(u);
	return text;
}

/*
 * In the caller's transaction: sets what the merchant says about o from
 * in — lines (with their catalog products), totals, merchants_order,
 * customer and the document. o's ids must be set.
 */
static enum apo_result order_fill(struct req *r, const struct merchant *m,
				  const struct order_in *in, struct order *o)
{
	const char *postal = json_string_value(json_object_get(in->customer, "postalCode"));
	int64_t total = 0;

	order_lines_release(o);
	for (size_t i = 0; i < in->nlines; i++) {
		const struct line_in *li = &in->lines[i];
		struct order_line *l = &o->lines[o->nlines++];
		struct product p;
		product_init(&p);
		enum apo_result rc = line_product(r, m, li, &p);
		if (rc != APO_OK) {
			product_release(&p);
			return rc;
		}
		l->pid = p.pid;
		l->sku_id = xstrdup(li->merchants_id);
		l->name = xstrdup(li->name ? li->name : p.name ? p.name : li->merchants_id);
		l->qty = li->qty;
		l->mrp = l->offered = l->discounted =
		    li->unit_price >= 0 ? li->unit_price : p.price;
		l->extra_json = jx_dumps(li->src, 0, NULL);
		total += l->qty * l->offered;
		product_release(&p);
	}
	o->mrp_total = o->offered_total = o->payable = total;
	set_text(&o->merchant_order_id, xstrdup(in->ref ? in->ref : o->hex_id));
	set_text(&o->user_json, contact_json(in->customer));
	set_text(&o->address_json, jx_dumps(in->customer, 0, NULL));
	set_text(&o->extra_json, jx_dumps(in->doc, 0, NULL));
	set_text(&o->pincode, postal && pincode_valid(postal) ? xstrdup(postal) : NULL);
	return APO_OK;
}

/*
 * In the caller's transaction: applies an update (top-level members of
 * changes replace the stored ones; products and products_all count as one)
 * to a passive order and stores it.
 */
static enum apo_result apply_update(struct req *r, const struct merchant *m, json_t *changes,
				    struct order *o)
{
	struct order_in *in = NULL;
	json_t *doc = o->extra_json ? json_loads(o->extra_json, 0, NULL) : NULL;
	enum apo_result rc = APO_ERR_INVALID;

	if (!json_is_object(doc)) {
		json_decref(doc);
		doc = json_object();
	}
	if (json_object_get(changes, "products") || json_object_get(changes, "products_all")) {
		json_object_del(doc, "products");
		json_object_del(doc, "products_all");
	}
	json_object_update(doc, changes);
	in = xmalloc(sizeof(*in));
	if (order_parse_or_reply(r, doc, in) == 0 && (rc = order_fill(r, m, in, o)) == APO_OK)
		rc = orders_replace(r->db, o);
	free(in);
	json_decref(doc);
	return rc;
}

static void reply_order_id(struct req *r, unsigned status, const struct order *o)
{
	req_reply_json(r, status,
		       json_pack("{s:b,s:s,s:s}", "success", 1, "order_id", o->hex_id, "status",
				 order_status_logistics(o->status_id, o->ever_confirmed)));
}

struct create_ctx {
	struct req *r;
	const struct merchant *m;
	const struct order_in *in;
};

static enum apo_result create_fill(struct app *app, struct store_conn *c, struct order *o,
				   void *ctx)
{
	struct create_ctx *cc = ctx;
	(void)app;
	(void)c;
	return order_fill(cc->r, cc->m, cc->in, o);
}

static void order_create(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	struct order_in *in = NULL;
	struct order *o = NULL;
	enum apo_result rc;

	if (logi_auth_or_reply(r, &m) || req_json_object_or_reply(r, 0, &body))
		return;
	in = xmalloc(sizeof(*in));
	if (order_parse_or_reply(r, body, in))
		goto out;
	o = order_new();
	ids_order_id(o->order_id);
	ids_hex_id(o->hex_id);
	o->merchant_id = xstrdup(m->id);
	o->dialect = xstrdup("logistics");
	o->status_id = ST_AWAITING_CONFIRMATION;
	struct create_ctx cc = {r, m, in};
	rc = orders_create_passive(r->app, r->db, o, create_fill, &cc);
	if (rc != APO_OK) {
		logi_fail(r, rc, NULL);
		goto out;
	}
	reply_order_id(r, 201, o);
out:
	free(in);
	order_free(o);
}

/* What a logistics step needs besides the order. */
struct step_ctx {
	struct req *r;
	const struct merchant *m;
	json_t *body;
};

/* Tenancy: another merchant's order, or a pharmacy one, is simply not here. */
static int not_logistics(const struct order *o)
{
	return !o->dialect || strcmp(o->dialect, "logistics") != 0;
}

static void reply_missing(struct req *r)
{
	logi_error(r, 404, "not_found", "No such order");
}

/*
 * Runs step on the merchant's order {id} through the order service: one
 * write transaction with the row locked and reloaded, again when the
 * database gave up on a lock. Answers nothing itself except a missing
 * order (and what step answers).
 */
static enum apo_result with_order(struct req *r, const struct merchant *m, json_t *body,
				  struct order *o, orders_step step)
{
	struct step_ctx sc = {r, m, body};
	enum apo_result rc =
	    orders_with_locked(r->app, r->db, ORDERS_BY_ANY_ID, m->id, req_param(r, "id"), o, step, &sc);
	if (rc == APO_ERR_NOT_FOUND && !r->replied)
		reply_missing(r);
	return rc;
}

static int passive_or_reply(struct req *r, const struct order *o)
{
	if (o->status_id == ST_AWAITING_CONFIRMATION)
		return 0;
	reply_not_passive(r);
	return -1;
}

static enum apo_result update_step(struct app *app, struct store_conn *c, struct order *o,
				   void *ctx)
{
	struct step_ctx *sc = ctx;
	(void)app;
	(void)c;
	if (not_logistics(o))
		return APO_ERR_NOT_FOUND;
	if (passive_or_reply(sc->r, o))
		return APO_ERR_STATE;
	return apply_update(sc->r, sc->m, sc->body, o);
}

/*
 * A write that is one step on the order (with_order), answered with the
 * order's id. with_body: the request's JSON body (empty is {}) goes to the
 * step; else the step gets none.
 */
static void step_and_reply(struct req *r, int with_body, orders_step step)
{
	const struct merchant *m;
	json_t *body = NULL;

	if (logi_auth_or_reply(r, &m) || (with_body && req_json_object_or_reply(r, 1, &body)))
		return;
	struct order *o = order_new();
	enum apo_result rc = with_order(r, m, body, o, step);
	if (rc == APO_OK)
		reply_order_id(r, 200, o);
	else if (!r->replied)
		logi_fail(r, rc, NULL);
	order_free(o);
}

static void order_update(struct req *r)
{
	step_and_reply(r, 1, update_step);
}

/*
 * What both confirms do first: a passive logistics order, the body's
 * changes (if any) applied, moved to confirmed.
 */
static enum apo_result place_passive(struct app *app, struct store_conn *c, struct order *o,
				     struct step_ctx *sc)
{
	enum apo_result rc;
	if (not_logistics(o))
		return APO_ERR_NOT_FOUND;
	if (passive_or_reply(sc->r, o))
		return APO_ERR_STATE;
	if (json_object_size(sc->body) && (rc = apply_update(sc->r, sc->m, sc->body, o)) != APO_OK)
		return rc;
	return orders_move(app, c, o, ST_PLACED, NULL, ACTOR_MERCHANT, "confirmed", NULL);
}

/* Passive -> confirmed, with stock reserved (APO_ERR_INSUFFICIENT if short). */
static enum apo_result confirm_step(struct app *app, struct store_conn *c, struct order *o,
				    void *ctx)
{
	enum apo_result rc = place_passive(app, c, o, ctx);
	return rc == APO_OK ? orders_reserve(c, o) : rc;
}

/* Passive -> confirmed -> processing -> waiting_products, nothing reserved. */
static enum apo_result wait_step(struct app *app, struct store_conn *c, struct order *o,
				 void *ctx)
{
	enum apo_result rc = place_passive(app, c, o, ctx);
	if (rc == APO_OK)
		rc = orders_move(app, c, o, ST_ALLOCATION, NULL, ACTOR_SYSTEM, "allocating stock",
				 NULL);
	if (rc == APO_OK)
		rc = orders_move(app, c, o, ST_ALLOCATION_FAILED, NULL, ACTOR_SYSTEM,
				 "not enough stock: waiting for products", NULL);
	return rc;
}

static void order_confirm(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	struct order *o;
	char url[LOGI_URL_CAP];

	/* Clients confirm with no body and no Content-Type: an empty body is {}. */
	if (logi_auth_or_reply(r, &m) || req_json_object_or_reply(r, 1, &body))
		return;
	o = order_new();
	enum apo_result rc = with_order(r, m, body, o, confirm_step);
	if (rc == APO_ERR_INSUFFICIENT && !r->replied)
		rc = with_order(r, m, body, o, wait_step);
	if (rc != APO_OK) {
		if (!r->replied)
			logi_fail(r, rc, NULL);
		goto out;
	}
	json_t *answer =
	    json_pack("{s:b,s:s,s:o,s:o,s:s}", "success", 1, "order_id", o->hex_id, "tracking_code",
		      jx_str_or_null(o->tracking_code), "tracking_url", json_null(), "status",
		      order_status_logistics(o->status_id, o->ever_confirmed));
	if (o->tracking_code) {
		flow_tracking_url(r->app, o->tracking_code, url, sizeof(url));
		json_object_set_new(answer, "tracking_url", json_string(url));
	}
	req_reply_json(r, 200, answer);
out:
	order_free(o);
}

/* What a delete does in each status (SPEC §3). */
static enum apo_result delete_step(struct app *app, struct store_conn *c, struct order *o,
				   void *ctx)
{
	struct step_ctx *sc = ctx;
	struct req *r = sc->r;
	if (not_logistics(o))
		return APO_ERR_NOT_FOUND;
	switch (o->status_id) {
	case ST_AWAITING_CONFIRMATION:
		/* Never confirmed: order_status_logistics() calls it deleted. */
		return orders_move(app, c, o, ST_CANCELLED, "Deleted by the merchant",
				   ACTOR_MERCHANT, "deleted", NULL);
	case ST_PLACED:
	case ST_RX_REQUIRED:
	case ST_RX_REVIEW:
	case ST_ALLOCATION:
	case ST_ALLOCATION_FAILED:
		return orders_move(app, c, o, ST_CANCELLED, "As per Your Request", ACTOR_MERCHANT,
				   "cancelled by the merchant", NULL);
	case ST_PACKED:
		logi_error(r, 400, "order_already_processing",
			   "The order is being packed and can no longer be cancelled");
		return APO_ERR_STATE;
	case ST_CANCEL_INITIATED:
	case ST_CANCELLED:
		logi_error(r, 400, "order_already_cancelled", "The order is already cancelled");
		return APO_ERR_STATE;
	default:
		logi_error(r, 400, "order_already_processed",
			   "The order has been shipped and can no longer be cancelled");
		return APO_ERR_STATE;
	}
}

static void order_delete(struct req *r)
{
	step_and_reply(r, 0, delete_step);
}

static json_t *json_text_or(const char *text, json_t *dflt)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	if (j) {
		json_decref(dflt);
		return j;
	}
	return dflt;
}

static json_t *lines_json(const struct order *o)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < o->nlines; i++) {
		const struct order_line *l = &o->lines[i];
		json_t *j = json_text_or(l->extra_json, json_object());
		json_object_set_new(j, "merchants_id", json_string(l->sku_id));
		json_object_set_new(j, "name", json_string(l->name ? l->name : ""));
		json_object_set_new(j, "qty", json_integer(l->qty));
		json_object_set_new(j, "unit_price", jx_money_value(l->offered));
		json_object_set_new(j, "reserved", json_integer(l->reserved_qty));
		json_array_append_new(arr, j);
	}
	return arr;
}

/* The order as GET shows it: the stored Order JSON plus where it stands. */
static json_t *order_json(const struct app *app, const struct order *o)
{
	static const char *const copied[] = {"customer", "destination", "tags", "language",
					     "currency"};
	char url[LOGI_URL_CAP];
	json_t *doc = json_text_or(o->extra_json, json_object());
	json_t *mo = json_object_get(doc, "merchants_order");
	json_t *time = json_is_object(mo) ? json_object_get(mo, "time") : NULL;
	json_t *j = json_pack(
	    "{s:b,s:s,s:s,s:s,s:{s:s,s:O},s:s,s:i,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "success", 1,
	    "order_id", o->hex_id, "id", o->hex_id, "reference", o->order_id, "merchants_order",
	    "id", o->merchant_order_id, "time", time ? time : json_null(), "status",
	    order_status_logistics(o->status_id, o->ever_confirmed), "status_id", o->status_id,
	    "tracking_code", jx_str_or_null(o->tracking_code), "tracking_url", json_null(),
	    "delivery_partner_name", jx_str_or_null(o->delivery_partner), "carrier_tracking_code",
	    jx_str_or_null(o->carrier_tracking_code), "products", lines_json(o), "created",
	    logi_time(o->created), "updated", logi_time(o->updated));
	if (o->tracking_code) {
		flow_tracking_url(app, o->tracking_code, url, sizeof(url));
		json_object_set_new(j, "tracking_url", json_string(url));
	}
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		json_t *v = json_object_get(doc, copied[i]);
		if (v)
			json_object_set(j, copied[i], v);
	}
	json_decref(doc);
	return j;
}

static void order_get(struct req *r)
{
	const struct merchant *m;
	struct order *o;

	if (logi_auth_or_reply(r, &m))
		return;
	o = order_new();
	enum apo_result rc = orders_get(r->db, ORDERS_BY_ANY_ID, m->id, req_param(r, "id"), o);
	if (rc == APO_OK && not_logistics(o))
		rc = APO_ERR_NOT_FOUND;
	if (rc == APO_OK)
		req_reply_json(r, 200, order_json(r->app, o));
	else if (rc == APO_ERR_NOT_FOUND)
		reply_missing(r);
	else
		logi_fail(r, rc, NULL);
	order_free(o);
}

void logistics_order_routes(struct router *rt)
{
	/* Literal paths before {id}, which would match them too. Writers run
	 * on the offload pool, where their commits can share a disk sync. */
	router_add_flags(rt, HTTP_POST, "/2015-01-01/orders/_create", order_create,
			 "logistics.orders.create", ROUTE_OFFLOAD);
	router_add_flags(rt, HTTP_POST, "/2015-01-01/orders/{id}/_confirm", order_confirm,
			 "logistics.orders.confirm", ROUTE_OFFLOAD);
	router_add_flags(rt, HTTP_POST, "/2015-01-01/orders/{id}/_delete", order_delete,
			 "logistics.orders.delete", ROUTE_OFFLOAD);
	router_add(rt, HTTP_GET, "/2015-01-01/orders/{id}", order_get, "logistics.orders.get");
	router_add_flags(rt, HTTP_POST, "/2015-01-01/orders/{id}", order_update,
			 "logistics.orders.update", ROUTE_OFFLOAD);
	router_add_flags(rt, HTTP_DELETE, "/2015-01-01/orders/{id}", order_delete,
			 "logistics.orders.delete", ROUTE_OFFLOAD);
}
