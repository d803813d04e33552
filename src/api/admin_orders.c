/*
 * Admin: orders (SPEC §7) — one order with everything it gathered (the
 * list and search are admin_search.c), operator status moves along SPEC §5, and the
 * prescription review.
 */
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "api/order_flow.h"
#include "api/routes.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "store/repo_orders.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define ADMIN_MAX_TEXT 512

static json_t *json_text_or_null(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	return j ? j : json_null();
}

static json_t *order_summary(const struct order *o)
{
	json_t *j = json_pack(
		"{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:o,s:o,s:o,s:I,s:I,s:I}", "order_id", o->order_id,
		"id", o->hex_id, "merchant_id", o->merchant_id, "merchant_order_id",
		o->merchant_order_id, "dialect", o->dialect, "status_id", o->status_id, "title",
		order_status_title(o->status_id), "subtitle", jx_str_or_null(o->subtitle),
		"payment_method", jx_str_or_null(o->payment_method), "payable",
		jx_money_value(o->payable), "created", (json_int_t)o->created, "updated",
		(json_int_t)o->updated, "status_changed", (json_int_t)o->status_changed);
	json_object_set_new(j, "tracking_code", jx_str_or_null(o->tracking_code));
	json_object_set_new(j, "flagged", jx_str_or_null(o->flagged));
	return j;
}

static json_t *order_full(const struct order *o, const struct order_extras *x)
{
	json_t *j = order_summary(o), *lines = json_array(), *charges = json_array();
	json_t *hist = json_array(), *pays = json_array(), *refs = json_array(), *rx = json_array();
	for (size_t i = 0; i < o->nlines; i++) {
		const struct order_line *l = &o->lines[i];
		json_array_append_new(
			lines, json_pack("{s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:b}", "sku_id",
					 l->sku_id, "name", l->name ? l->name : "", "qty",
					 (json_int_t)l->qty, "cancelled_qty",
					 (json_int_t)l->cancelled_qty, "reserved_qty",
					 (json_int_t)l->reserved_qty, "mrp", jx_money_value(l->mrp),
					 "offered_price", jx_money_value(l->offered),
					 "discounted_price", jx_money_value(l->discounted),
					 "prescription_required", l->rx_required));
	}
	for (size_t i = 0; i < o->ncharges; i++)
		json_array_append_new(charges,
				      json_pack("{s:s,s:s,s:o}", "type", o->charges[i].type,
						"display_text", o->charges[i].display_text,
						"amount", jx_money_value(o->charges[i].amount)));
	for (size_t i = 0; i < x->nevents; i++) {
		const struct order_event *e = &x->events[i];
		json_array_append_new(hist, json_pack("{s:o,s:i,s:s,s:o,s:I}", "from",
						      e->from ? json_integer(e->from) : json_null(),
						      "to", e->to, "actor", e->actor, "note",
						      jx_str_or_null(e->note), "at", (json_int_t)e->at));
	}
	for (size_t i = 0; i < x->npayments; i++)
		json_array_append_new(pays, json_pack("{s:s,s:s,s:o,s:I}", "transaction_id",
						      x->payments[i].transaction_id, "status",
						      x->payments[i].status, "amount",
						      jx_money_value(x->payments[i].amount), "at",
						      (json_int_t)x->payments[i].at));
	for (size_t i = 0; i < x->nrefunds; i++) {
		const struct order_refund *f = &x->refunds[i];
		json_array_append_new(
			refs, json_pack("{s:s,s:o,s:o,s:s,s:s,s:I}", "refund_id", f->refund_id,
					"transaction_id", jx_str_or_null(f->transaction_id), "amount",
					jx_money_value(f->amount), "type", f->type, "state", f->state,
					"created", (json_int_t)f->created));
	}
	for (size_t i = 0; i < x->nrx; i++)
		json_array_append_new(rx, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)x->rx[i].id,
						    "url", x->rx[i].url, "status", x->rx[i].status));
	json_object_set_new(j, "totals",
			    json_pack("{s:o,s:o,s:o,s:o,s:o}", "mrp", jx_money_value(o->mrp_total),
				      "offered", jx_money_value(o->offered_total), "discount",
				      jx_money_value(o->discount_total), "charges",
				      jx_money_value(o->vas_total), "payable",
				      jx_money_value(o->payable)));
	json_object_set_new(j, "user", json_text_or_null(o->user_json));
	json_object_set_new(j, "address", json_text_or_null(o->address_json));
	json_object_set_new(j, "delivery_partner_name", jx_str_or_null(o->delivery_partner));
	json_object_set_new(j, "carrier_tracking_code", jx_str_or_null(o->carrier_tracking_code));
	json_object_set_new(j, "lines", lines);
	json_object_set_new(j, "charges", charges);
	json_object_set_new(j, "status_history", hist);
	json_object_set_new(j, "payments", pays);
	json_object_set_new(j, "refunds", refs);
	json_object_set_new(j, "prescriptions", rx);
	return j;
}

static struct order *load_or_reply(struct req *r)
{
	struct order *o = order_new();
	enum apo_result rc = order_load(r->db, ORDER_BY_ANY_ID, NULL, req_param(r, "order_id"), o);
	if (rc != APO_OK) {
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such order" : NULL);
		order_free(o);
		return NULL;
	}
	return o;
}

static void reply_order(struct req *r, struct order *o)
{
	struct order_extras x;
	enum apo_result rc = order_extras_load(r->db, o->oid, &x);
	if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		req_reply_json(r, 200, order_full(o, &x));
	order_extras_release(&x);
}

static void order_get(struct req *r)
{
	struct order *o;
	if (admin_auth_or_reply(r) || !(o = load_or_reply(r)))
		return;
	reply_order(r, o);
	order_free(o);
}

static const char *move_message(enum apo_result rc)
{
	switch (rc) {
	case APO_ERR_STATE:
		return "That status move is not allowed from the order's current status";
	case APO_ERR_BUSY:
		return "The order changed meanwhile; reload and retry";
	case APO_ERR_INSUFFICIENT:
		return "Not enough stock to allocate the order";
	default:
		return NULL;
	}
}

/* Runs move(r, o, ctx) in one transaction on a freshly loaded order. */
static void with_order_tx(struct req *r, enum apo_result (*move)(struct req *, struct order *,
								  const json_t *),
			  const json_t *body)
{
	struct order *o = order_new();
	enum apo_result rc = store_begin(r->db, STORE_TX_WRITE);
	if (rc == APO_OK)
		rc = order_load(r->db, ORDER_BY_ANY_ID, NULL, req_param(r, "order_id"), o);
	if (rc == APO_OK)
		rc = order_lock(r->db, o);
	if (rc == APO_OK)
		rc = move(r, o, body);
	if (rc == APO_OK)
		rc = store_commit(r->db);
	if (rc != APO_OK) {
		store_rollback(r->db);
		if (!r->replied)
			admin_fail(r, rc == APO_ERR_INSUFFICIENT ? APO_ERR_CONFLICT : rc,
				   rc == APO_ERR_NOT_FOUND ? "No such order" : move_message(rc));
	} else {
		reply_order(r, o);
	}
	order_free(o);
}

static enum apo_result status_move(struct req *r, struct order *o, const json_t *body)
{
	int64_t to;
	const char *subtitle = NULL, *note = NULL, *partner = NULL, *carrier = NULL;
	enum apo_result rc;
	if (jx_int(body, "status_id", 0, 999, &to) != 0 || !order_status_known((int)to) ||
	    jx_str(body, "subtitle", ADMIN_MAX_TEXT, &subtitle) < 0 ||
	    jx_str(body, "note", ADMIN_MAX_TEXT, &note) < 0 ||
	    jx_str(body, "delivery_partner_name", ADMIN_MAX_TEXT, &partner) < 0 ||
	    jx_str(body, "carrier_tracking_code", ADMIN_MAX_TEXT, &carrier) < 0) {
		req_fail(r, 400, "invalid",
			 "status_id must be a status of SPEC §5; subtitle, note, "
			 "delivery_partner_name and carrier_tracking_code strings");
		return APO_ERR_INVALID;
	}
	if ((partner || carrier) && (rc = order_set_shipment(r->db, o, partner, carrier)) != APO_OK)
		return rc;
	return flow_move(r->app, r->db, o, (int)to, subtitle, ACTOR_OPERATOR, note);
}

static void order_status(struct req *r)
{
	json_t *body;
	if (admin_auth_or_reply(r) || req_json_object_or_reply(r, 0, &body))
		return;
	with_order_tx(r, status_move, body);
}

static enum apo_result rx_verify(struct req *r, struct order *o, const json_t *body)
{
	int approved;
	enum apo_result rc;
	if (jx_bool(body, "approved", &approved) != 0) {
		req_fail(r, 400, "invalid", "approved (boolean) is required");
		return APO_ERR_INVALID;
	}
	if (o->status_id != ST_RX_REVIEW) {
		req_fail(r, 409, "state", "The order is not under prescription review");
		return APO_ERR_STATE;
	}
	if ((rc = order_rx_set_status(r->db, o->oid, approved ? "Completed" : "Rejected")) != APO_OK)
		return rc;
	return flow_move(r->app, r->db, o, approved ? ST_ALLOCATION : ST_RX_REQUIRED,
			 approved ? NULL : "Prescription rejected", ACTOR_OPERATOR,
			 approved ? "prescription approved" : "prescription rejected");
}

static void order_rx_verify(struct req *r)
{
	json_t *body;
	if (admin_auth_or_reply(r) || req_json_object_or_reply(r, 0, &body))
		return;
	with_order_tx(r, rx_verify, body);
}

void admin_order_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/orders/{order_id}", order_get, "admin.orders.get");
	router_add(rt, HTTP_POST, "/admin/v1/orders/{order_id}/status", order_status,
		   "admin.orders.status");
	router_add(rt, HTTP_POST, "/admin/v1/orders/{order_id}/prescriptions/verify",
		   order_rx_verify, "admin.orders.rx_verify");
}
