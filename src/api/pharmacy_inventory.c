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

/* The quote in the seed's shape, written in place (jw). */
static void price_or_null(struct jw *w, const char *key, const struct pricing_line *l,
			  int64_t paise)
{
	jw_key(w, key);
	if (l->known)
		jw_money(w, paise);
	else
		jw_null(w);
}

static void write_vas(struct jw *w, const struct pricing_result *res)
{
	jw_key(w, "vas_charges");
	jw_open(w, '{');
	jw_key(w, "details");
	jw_open(w, '[');
	for (size_t i = 0; i < res->ncharges; i++) {
		const struct pricing_charge *c = &res->charges[i];
		jw_open(w, '{');
		jw_key(w, "amount");
		jw_money(w, c->amount);
		jw_key(w, "type");
		jw_str(w, c->type);
		jw_key(w, "display_text");
		jw_str(w, c->display_text);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	jw_key(w, "total_amount");
	jw_money(w, res->charges_total);
	jw_close(w, '}');
}

static void write_skus(struct jw *w, const struct pricing_result *res)
{
	jw_key(w, "skus");
	jw_open(w, '{');
	for (size_t i = 0; i < res->nlines; i++) {
		const struct pricing_line *l = &res->lines[i];
		jw_key(w, l->sku_id);
		jw_open(w, '{');
		price_or_null(w, "offered_price", l, l->offered);
		price_or_null(w, "price", l, l->mrp);
		jw_key(w, "quantity");
		jw_int(w, l->quantity);
		price_or_null(w, "discounted_price", l, l->discounted);
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

static void write_quote(struct jw *w, const struct pricing_result *res)
{
	jw_open(w, '{');
	write_vas(w, res);
	write_skus(w, res);
	jw_key(w, "payable_amount");
	jw_money(w, res->payable);
	jw_key(w, "eta");
	if (res->has_eta) {
		jw_open(w, '{');
		jw_key(w, "eta_from");
		jw_int(w, res->eta_from);
		jw_key(w, "eta_to");
		jw_int(w, res->eta_to);
		jw_close(w, '}');
	} else {
		jw_null(w);
	}
	jw_close(w, '}');
}

static void quote(struct req *r, const struct cache_ticket *t)
{
	const struct merchant *m;
	json_t *body;
	struct pharm_cart cart;
	struct pharm_quote *q;
	struct jw w;
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
	else if (pharm_ok_begin(r, &w) == 0) {
		write_quote(&w, &q->result);
		pharm_ok_end(&w, q->result.partial);
	}
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
