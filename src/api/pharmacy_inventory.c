/*
 * Inventory check (SPEC §2.1): POST /api/v4/merchants/{merchant_id}/
 * inventory/check quotes a cart — what can be sold, at what price after the
 * coupon, with which charges, payable when, for how much — without
 * reserving anything. Parsing and pricing are pharmacy_cart.h's, shared
 * with create order; this file only answers the seed's shape. The quote
 * reads through the read cache (store/cache.h); create order prices again
 * from the database inside its transaction.
 */
#include <stdlib.h>

#include "api/pharmacy.h"
#include "api/pharmacy_cart.h"
#include "api/routes.h"
#include "base/xalloc.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "store/cache.h"
#include "base/banned.h"

static json_t *vas_json(const struct pricing_result *res)
{
	json_t *details = json_array();
	for (size_t i = 0; i < res->ncharges; i++) {
		const struct pricing_charge *c = &res->charges[i];
		json_array_append_new(details, json_pack("{s:o,s:o,s:o}", "amount",
							 jx_money_value(c->amount), "type",
							 jx_str_or_null(c->type), "display_text",
							 jx_str_or_null(c->display_text)));
	}
	return json_pack("{s:o,s:o}", "details", details, "total_amount",
			 jx_money_value(res->charges_total));
}

static json_t *price_or_null(const struct pricing_line *l, int64_t paise)
{
	return l->known ? jx_money_value(paise) : json_null();
}

static json_t *skus_json(const struct pricing_result *res)
{
	json_t *skus = json_object();
	for (size_t i = 0; i < res->nlines; i++) {
		const struct pricing_line *l = &res->lines[i];
		json_object_set_new(skus, l->sku_id,
				    json_pack("{s:o,s:o,s:I,s:o}", "offered_price",
					      price_or_null(l, l->offered), "price",
					      price_or_null(l, l->mrp), "quantity",
					      (json_int_t)l->quantity, "discounted_price",
					      price_or_null(l, l->discounted)));
	}
	return skus;
}

static json_t *eta_json(const struct pricing_result *res)
{
	if (!res->has_eta)
		return json_null();
	return json_pack("{s:I,s:I}", "eta_from", (json_int_t)res->eta_from, "eta_to",
			 (json_int_t)res->eta_to);
}

static json_t *quote_json(const struct pricing_result *res)
{
	return json_pack("{s:o,s:o,s:o,s:o}", "vas_charges", vas_json(res), "skus", skus_json(res),
			 "payable_amount", jx_money_value(res->payable), "eta", eta_json(res));
}

static void quote(struct req *r, const struct cache_ticket *t)
{
	const struct merchant *m;
	json_t *body;
	struct pharm_cart cart;
	struct pharm_quote *q;
	enum apo_result rc;

	if (pharm_auth_cached_or_reply(r, t, req_param(r, "merchant_id"), 0, PHARM_CLIENT_KEYS, &m) ||
	    req_json_object_or_reply(r, 0, &body) || pharm_cart_parse_or_reply(r, body, &cart) ||
	    pharm_cart_pincode_or_reply(r, body, "pincode", "pincode", &cart))
		return;

	/* A quote is tens of kilobytes: keep it off the worker's stack. */
	q = xmalloc(sizeof(*q));
	pharm_quote_init(q);
	rc = pharm_cart_price_cached(r->db, t, m, &cart, now_epoch(), q);
	if (rc != APO_OK)
		pharm_quote_fail(r, rc, q);
	else
		pharm_ok(r, quote_json(&q->result), q->result.partial);
	pharm_quote_release(q);
	free(q);
}

static void inventory_check(struct req *r)
{
	struct cache_ticket t;

	/* A quote reserves nothing: it reads through the cache (store/cache.h),
	 * in one snapshot with the cache's version check. */
	if (pharm_cache_sync_or_reply(r, &t))
		return;
	quote(r, &t);
	cache_snapshot_end(&t);
}

void pharmacy_inventory_routes(struct router *rt)
{
	router_add(rt, HTTP_POST, "/api/v4/merchants/{merchant_id}/inventory/check",
		   inventory_check, "pharmacy.inventory.check");
}
