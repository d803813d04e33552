/*
 * Admin lists that have no resource file of their own: merchants (their
 * settings as GET /merchants/{id} shows them, secrets never) and a
 * platform SKU's stock ledger. SKUs, coupons and pincodes list next to
 * their single-item routes; the paging is admin_page.c's.
 */
#include <string.h>

#include "api/admin.h"
#include "api/admin_merchant_json.h"
#include "api/admin_page.h"
#include "api/routes.h"
#include "core/merchant.h"
#include "store/repo_admin.h"
#include "store/repo_merchants.h"
#include "base/strnum.h"
#include "core/ids.h"
#include "base/banned.h"

#define LEDGER_MAX_SKU 64

static json_t *merchant_one(struct req *r, const char *id)
{
	struct merchant m;
	json_t *j = NULL;
	merchant_init(&m);
	if (merchant_load(r->db, id, &m) == APO_OK)
		j = merchant_to_json(&m);
	merchant_release(&m);
	return j;
}

static void merchants_list(struct req *r)
{
	admin_list_keys_reply(r, ADMIN_KEYS_MERCHANTS, "merchants", merchant_one);
}

struct ledger_ctx {
	json_t *rows;
	int64_t last_id;
	size_t n, limit;
};

static void ledger_one(const struct ledger_row *l, void *arg)
{
	struct ledger_ctx *lc = arg;
	if (lc->n++ >= lc->limit)
		return;
	json_t *j = json_object();
	json_object_set_new(j, "id", json_integer(l->id));
	json_object_set_new(j, "delta", json_integer(l->delta_on_hand));
	json_object_set_new(j, "reserved_delta", json_integer(l->delta_reserved));
	json_object_set_new(j, "reason", json_string(l->reason ? l->reason : ""));
	json_object_set_new(j, "order_id", l->order_id ? json_string(l->order_id) : json_null());
	json_object_set_new(j, "actor", json_string(l->actor));
	json_object_set_new(j, "at", json_integer(l->at));
	json_array_append_new(lc->rows, j);
	lc->last_id = l->id;
}

static void sku_ledger(struct req *r)
{
	struct admin_page p;
	int64_t before;
	const char *sku = req_param(r, "sku_id");
	if (admin_auth_or_reply(r) || admin_page_or_reply(r, NULL, ADMIN_PAGE_MAX, &p) ||
	    admin_page_id_or_reply(r, &p, &before))
		return;
	if (!ids_is_ident(sku, LEDGER_MAX_SKU)) {
		admin_fail(r, APO_ERR_NOT_FOUND, "No such SKU");
		return;
	}
	struct ledger_ctx lc = {json_array(), 0, 0, (size_t)p.limit};
	enum apo_result rc = admin_ledger(r->db, sku, before, lc.limit + 1, ledger_one, &lc);
	if (rc != APO_OK) {
		json_decref(lc.rows);
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such SKU" : NULL);
		return;
	}
	req_reply_json(r, 200,
		       json_pack("{s:s,s:o,s:o}", "sku_id", sku, "ledger", lc.rows, "next_cursor",
				 admin_next_cursor_id(lc.last_id, lc.n > lc.limit)));
}

void admin_list_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/merchants", merchants_list, "admin.merchants.list");
	router_add(rt, HTTP_GET, "/admin/v1/skus/{sku_id}/ledger", sku_ledger, "admin.skus.ledger");
}
