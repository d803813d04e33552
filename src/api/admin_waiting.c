/*
 * Admin: a product's queue of orders waiting for stock (status 20), in the
 * order allocation serves them (service/allocate.h) —
 * GET /skus/{sku_id}/waiting for a platform SKU and
 * GET /merchants/{id}/products/{merchants_id}/waiting for a logistics
 * merchant's product. The answer carries the product's counters and one
 * page of the queue ({waiting: [...], next_cursor}); an operator still
 * moves an order by hand with POST /orders/{order_id}/status.
 */
#include <string.h>

#include "api/admin.h"
#include "api/admin_page.h"
#include "api/logistics.h"
#include "api/routes.h"
#include "core/catalog.h"
#include "core/order_state.h"
#include "http/jsonx.h"
#include "service/allocate.h"
#include "store/repo_catalog.h"
#include "base/banned.h"

/* The longest queue an operator can page into (offset of a cursor). */
#define WAITING_MAX_OFFSET 100000

static void waiter_json(const struct allocate_entry *e, void *ctx)
{
	json_t *rows = ctx;
	const struct order *o = e->o;
	json_t *j =
	    json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:s}", "position", (json_int_t)e->position,
		      "order_id", o->order_id, "id", o->hex_id, "merchant_id", o->merchant_id,
		      "merchant_order_id", o->merchant_order_id ? o->merchant_order_id : "",
		      "dialect", o->dialect ? o->dialect : "", "status_id", o->status_id, "title",
		      order_status_title(o->status_id), "status",
		      order_status_logistics(o->status_id, o->ever_confirmed));
	json_object_set_new(j, "waiting_since", json_integer(e->since_ms / 1000));
	json_object_set_new(j, "held", json_boolean(e->hold));
	json_object_set_new(j, "wants", json_integer(e->wants));
	json_object_set_new(j, "fits_now", json_boolean(e->fits));
	json_array_append_new(rows, j);
}

static void reply_queue(struct req *r, const char *merchant_id, const char *sku_id,
			const char *missing)
{
	struct admin_page page;
	struct product p;
	int64_t offset;
	int more = 0;

	if (admin_page_or_reply(r, NULL, ADMIN_PAGE_MAX, &page) ||
	    admin_page_id_or_reply(r, &page, &offset))
		return;
	if (offset > WAITING_MAX_OFFSET) {
		req_fail(r, 400, "invalid", "cursor must be a next_cursor this list gave");
		return;
	}
	product_init(&p);
	enum apo_result rc = product_load(r->db, merchant_id, sku_id, &p);
	if (rc != APO_OK) {
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? missing : NULL);
		goto out;
	}
	json_t *rows = json_array();
	rc = allocate_queue(r->db, p.pid, (size_t)offset, (size_t)page.limit, waiter_json, rows,
			    &more);
	if (rc != APO_OK) {
		json_decref(rows);
		admin_fail(r, rc, NULL);
		goto out;
	}
	json_t *j = json_pack("{s:s,s:s,s:I,s:I,s:I}", "merchant_id", merchant_id, "sku_id", sku_id,
			      "on_hand", (json_int_t)p.on_hand, "reserved", (json_int_t)p.reserved,
			      "available", (json_int_t)product_available(&p));
	json_object_set_new(j, "waiting", rows);
	json_object_set_new(j, "next_cursor", admin_next_cursor_id(offset + page.limit, more));
	req_reply_json(r, 200, j);
out:
	product_release(&p);
}

static void sku_waiting(struct req *r)
{
	const char *sku_id = req_param(r, "sku_id");
	if (admin_auth_or_reply(r))
		return;
	if (!sku_id_valid(sku_id)) {
		req_fail(r, 400, "invalid", "sku_id must be 1-64 of [A-Za-z0-9_.-]");
		return;
	}
	reply_queue(r, "", sku_id, "No such SKU");
}

static void product_waiting(struct req *r)
{
	const char *merchant_id = req_param(r, "id");
	const char *merchants_id = req_param(r, "merchants_id");
	if (admin_auth_or_reply(r))
		return;
	if (!logi_id_valid(merchants_id)) {
		req_fail(r, 400, "invalid",
			 "merchants_id must be 1-64 characters without control characters");
		return;
	}
	reply_queue(r, merchant_id, merchants_id, "No such product");
}

void admin_waiting_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/skus/{sku_id}/waiting", sku_waiting,
		   "admin.skus.waiting");
	router_add(rt, HTTP_GET, "/admin/v1/merchants/{id}/products/{merchants_id}/waiting",
		   product_waiting, "admin.merchant_products.waiting");
}
