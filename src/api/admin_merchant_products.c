/*
 * Admin: a logistics merchant's own catalog, as the warehouse sees it —
 * GET /merchants/{id}/products/{merchants_id} (the product with its stock
 * counters) and POST /merchants/{id}/products/{merchants_id}/stock
 * ({delta} or {set}, reason), the movement an operator records when goods
 * arrive or are counted. The same ledger and no-oversell rules as the
 * platform catalog's stock route (stock_adjust()); the merchant creates its
 * products itself through the logistics API.
 */
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "api/admin_stock.h"
#include "api/logistics.h"
#include "api/routes.h"
#include "core/catalog.h"
#include "http/jsonx.h"
#include "store/repo_catalog.h"
#include "base/buf.h"
#include "base/banned.h"

/* Limit of a stock movement's free-text reason. */

static int path_or_reply(struct req *r, const char **merchant_id, const char **merchants_id)
{
	*merchant_id = req_param(r, "id");
	*merchants_id = req_param(r, "merchants_id");
	if (logi_id_valid(*merchants_id))
		return 0;
	req_fail(r, 400, "invalid",
		 "merchants_id must be 1-64 characters without control characters");
	return -1;
}

static json_t *product_json(const struct product *p)
{
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:b}", "merchant_id", p->merchant_id,
			      "merchants_id", p->sku_id, "id", p->hex_id, "name",
			      p->name ? p->name : "", "gtin", jx_str_or_null(p->gtin), "weight",
			      p->weight == CATALOG_NONE ? json_null() : json_integer(p->weight),
			      "dimensions", jx_str_or_null(p->dimensions), "active", p->active);
	json_object_set_new(j, "on_hand", json_integer(p->on_hand));
	json_object_set_new(j, "reserved", json_integer(p->reserved));
	json_object_set_new(j, "available", json_integer(product_available(p)));
	json_object_set_new(j, "last_movement",
			    p->last_movement == CATALOG_NONE ? json_null()
							     : json_integer(p->last_movement));
	return j;
}

static void reply_product(struct req *r, const char *merchant_id, const char *merchants_id)
{
	struct product p;
	product_init(&p);
	enum apo_result rc = product_load(r->db, merchant_id, merchants_id, &p);
	if (rc != APO_OK)
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such product" : NULL);
	else
		req_reply_json(r, 200, product_json(&p));
	product_release(&p);
}

static void product_get(struct req *r)
{
	const char *merchant_id, *merchants_id;
	if (admin_auth_or_reply(r) || path_or_reply(r, &merchant_id, &merchants_id))
		return;
	reply_product(r, merchant_id, merchants_id);
}

static void product_stock(struct req *r)
{
	json_t *body;
	const char *merchant_id, *merchants_id;
	int64_t on_hand, reserved;

	if (admin_auth_or_reply(r) || path_or_reply(r, &merchant_id, &merchants_id) ||
	    req_json_object_or_reply(r, 0, &body))
		return;
	enum apo_result rc = admin_stock_change(r, body, merchant_id, merchants_id,
						"No such product", &on_hand, &reserved);
	if (rc == APO_ERR_INSUFFICIENT)
		req_fail(r, 409, "insufficient_stock",
			 "on_hand cannot go below zero or below the units reserved by open orders");
	else if (rc == APO_OK)
		reply_product(r, merchant_id, merchants_id);
}

void admin_merchant_product_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/merchants/{id}/products/{merchants_id}", product_get,
		   "admin.merchant_products.get");
	router_add(rt, HTTP_POST, "/admin/v1/merchants/{id}/products/{merchants_id}/stock",
		   product_stock, "admin.merchant_products.stock");
}
