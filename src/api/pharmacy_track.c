/*
 * Track Merchant Order (SPEC §2.6): GET
 * /api/v4/merchants/{merchant_name}/orders/{merchant_order_id}/track. The
 * merchant is named by its name (the seed's path), accepts the public
 * access key as well as the client ones, and sees only its own pharmacy
 * orders; the answer's shape is track_view.h's. Each order's answer is
 * kept per order version in the read cache (store/cache.h), so a repeated
 * track costs one indexed read of the version (none on PostgreSQL within
 * APOTHECA_CACHE_CHECK_MS).
 */
#include <stdlib.h>

#include "api/pharmacy.h"
#include "api/routes.h"
#include "api/track_view.h"
#include "core/merchant.h"
#include "core/order.h"
#include "store/cache.h"
#include "store/repo_orders.h"
#include "base/xalloc.h"
#include "base/banned.h"

static void reply_body(struct req *r, char *body, size_t len)
{
	req_reply(r, 200, "application/json", body, len);
	free(body);
}

static void order_track(struct req *r)
{
	const struct merchant *m;
	const char *ref = req_param(r, "merchant_order_id");
	struct order_extras x;
	struct cache_ticket t;
	struct order *o;
	int64_t oid = -1, version = -1;
	size_t len;
	char *body;
	enum apo_result rc;

	if (pharm_cache_sync_or_reply(r, &t) ||
	    pharm_auth_cached_or_reply(r, &t, req_param(r, "merchant_name"), 1,
				       PHARM_CLIENT_OR_PUBLIC_KEYS, &m)) {
		cache_snapshot_end(&t);
		return;
	}
	/* The answer kept for this order's version, when it is still that. */
	if ((body = cache_track_get(&t, m->id, ref, -1, -1, &len))) {
		cache_snapshot_end(&t);
		reply_body(r, body, len);
		return;
	}
	rc = cache_order_version(r->db, m->id, ref, &oid, &version);
	/* The load below reads in a transaction of its own. */
	cache_snapshot_end(&t);
	if (rc == APO_OK && (body = cache_track_get(&t, m->id, ref, oid, version, &len))) {
		reply_body(r, body, len);
		return;
	}
	o = order_new();
	/* Another merchant's order is reported exactly as a missing one. */
	if (rc == APO_OK)
		rc = track_load(r->db, ORDERS_BY_REF, m->id, ref, o, &x);
	if (rc != APO_OK) {
		pharm_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "Order not found" : NULL);
		goto out_free_order;
	}
	json_t *answer = pharm_ok_body(
	    json_pack("{s:o}", "result", track_result_json(r->app, m, o, &x)), 0);
	body = req_json_dump(answer, &len);
	json_decref(answer);
	/* Loaded after the version was read: it is that version or newer. */
	if (o->oid == oid)
		cache_track_put(&t, m->id, ref, oid, version, body, len);
	reply_body(r, body, len);
	order_extras_release(&x);
out_free_order:
	order_free(o); /* also what a failed load left behind */
}

void pharmacy_track_routes(struct router *rt)
{
	router_add(rt, HTTP_GET,
		   "/api/v4/merchants/{merchant_name}/orders/{merchant_order_id}/track",
		   order_track, "pharmacy.orders.track");
}
