/*
 * Track Merchant Order (SPEC §2.6): GET
 * /api/v4/merchants/{merchant_name}/orders/{merchant_order_id}/track. The
 * merchant is named by its name (the seed's path), accepts the public
 * access key as well as the client ones, and sees only its own pharmacy
 * orders; the answer's shape is track_view.h's.
 */
#include <stdlib.h>

#include "api/pharmacy.h"
#include "api/routes.h"
#include "api/track_view.h"
#include "core/merchant.h"
#include "core/order.h"
#include "store/repo_orders.h"
#include "base/xalloc.h"
#include "base/banned.h"

static void order_track(struct req *r)
{
	const struct merchant *m;
	struct order_extras x;
	struct order *o;
	enum apo_result rc;

	if (pharm_auth_or_reply(r, req_param(r, "merchant_name"), 1, PHARM_CLIENT_OR_PUBLIC_KEYS,
				&m))
		return;
	o = order_new();
	/* Another merchant's order is reported exactly as a missing one. */
	rc = track_load(r->db, ORDERS_BY_REF, m->id, req_param(r, "merchant_order_id"), o, &x);
	if (rc != APO_OK) {
		pharm_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "Order not found" : NULL);
		goto out_free_order;
	}
	pharm_ok(r, json_pack("{s:o}", "result", track_result_json(r->app, m, o, &x)), 0);
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
