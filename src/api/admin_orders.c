/*
 * Admin: orders (SPEC §7) — one order with everything it gathered (the
 * list and search are admin_search.c), operator status moves along SPEC §5, and the
 * prescription review.
 */
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "api/routes.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "service/orders.h"
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

static json_t *ledger_json(const struct ledger *l)
{
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "value", jx_money_value(l->value),
			 "asked", jx_money_value(l->asked), "collected",
			 jx_money_value(l->collected), "refund_initiated",
			 jx_money_value(l->refund_initiated), "refunded",
			 jx_money_value(l->refunded), "refund_pending",
			 jx_money_value(ledger_refund_pending(l)), "balance",
			 jx_money_value(l->collected - l->refund_initiated));
}

/* Answers the order key names as it is stored now, with everything it gathered. */
static void reply_order(struct req *r, const char *key)
{
	struct order *o = order_new();
	struct order_extras x;
	struct ledger l;
	enum apo_result rc = orders_get_full(r->db, ORDERS_BY_ANY_ID, NULL, key, o, &x, &l);
	if (rc != APO_OK) {
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such order" : NULL);
	} else {
		json_t *j = order_full(o, &x);
		json_object_set_new(j, "ledger", ledger_json(&l));
		req_reply_json(r, 200, j);
		order_extras_release(&x);
	}
	order_free(o);
}

static void order_get(struct req *r)
{
	if (admin_auth_or_reply(r))
		return;
	reply_order(r, req_param(r, "order_id"));
}

static const char *move_message(enum apo_result rc)
{
	switch (rc) {
	case APO_ERR_NOT_FOUND:
		return "No such order";
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

/* Answers a service call on one order: the order as it is now, or why not. */
static void reply_moved(struct req *r, enum apo_result rc, const struct order *o)
{
	if (rc == APO_OK)
		reply_order(r, o->order_id);
	else
		admin_fail(r, rc == APO_ERR_INSUFFICIENT ? APO_ERR_CONFLICT : rc, move_message(rc));
}

static void order_status(struct req *r)
{
	json_t *body;
	int64_t to;
	const char *subtitle = NULL, *note = NULL, *partner = NULL, *carrier = NULL;
	struct order *o;

	if (admin_auth_or_reply(r) || req_json_object_or_reply(r, 0, &body))
		return;
	if (jx_int(body, "status_id", 0, 999, &to) != 0 || !order_status_known((int)to) ||
	    jx_str(body, "subtitle", ADMIN_MAX_TEXT, &subtitle) < 0 ||
	    jx_str(body, "note", ADMIN_MAX_TEXT, &note) < 0 ||
	    jx_str(body, "delivery_partner_name", ADMIN_MAX_TEXT, &partner) < 0 ||
	    jx_str(body, "carrier_tracking_code", ADMIN_MAX_TEXT, &carrier) < 0) {
		req_fail(r, 400, "invalid",
			 "status_id must be a status of SPEC §5; subtitle, note, "
			 "delivery_partner_name and carrier_tracking_code strings");
		return;
	}
	o = order_new();
	reply_moved(r,
		    orders_operator_move(r->app, r->db, req_param(r, "order_id"), (int)to,
					 subtitle, note, partner, carrier, o),
		    o);
	order_free(o);
}

static void order_rx_verify(struct req *r)
{
	json_t *body;
	int approved;
	struct order *o;
	enum apo_result rc;

	if (admin_auth_or_reply(r) || req_json_object_or_reply(r, 0, &body))
		return;
	if (jx_bool(body, "approved", &approved) != 0) {
		req_fail(r, 400, "invalid", "approved (boolean) is required");
		return;
	}
	o = order_new();
	rc = orders_verify_prescriptions(r->app, r->db, req_param(r, "order_id"), approved, o);
	if (rc == APO_ERR_STATE)
		req_fail(r, 409, "state", "The order is not under prescription review");
	else
		reply_moved(r, rc, o);
	order_free(o);
}

void admin_order_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/orders/{order_id}", order_get, "admin.orders.get");
	router_add(rt, HTTP_POST, "/admin/v1/orders/{order_id}/status", order_status,
		   "admin.orders.status");
	router_add(rt, HTTP_POST, "/admin/v1/orders/{order_id}/prescriptions/verify",
		   order_rx_verify, "admin.orders.rx_verify");
}
