/*
 * Stock changes through the admin API (see admin_stock.h).
 */
#include "api/admin.h"
#include "api/admin_stock.h"
#include "core/catalog.h"
#include "http/jsonx.h"
#include "http/req.h"
#include "store/repo_catalog.h"
#include "base/banned.h"

enum apo_result admin_stock_change(struct req *r, const json_t *body, const char *merchant_id,
				   const char *sku_id, const char *what, int64_t *on_hand,
				   int64_t *reserved)
{
	const char *reason = "admin";
	int64_t delta = 0, set = 0;
	int has_delta = jx_int(body, "delta", -CATALOG_MAX_STOCK, CATALOG_MAX_STOCK, &delta);
	int has_set = jx_int(body, "set", 0, CATALOG_MAX_STOCK, &set);
	if (has_delta < 0 || has_set < 0 || has_delta == has_set) {
		req_fail(r, 400, "invalid",
			 "give exactly one of delta (an integer -1000000000..1000000000) and set "
			 "(an integer 0..1000000000)");
		return APO_ERR_INVALID;
	}
	if (jx_str(body, "reason", STOCK_MAX_REASON, &reason) < 0 || !*reason) {
		req_fail(r, 400, "invalid", "reason must be a string of 1-200 characters");
		return APO_ERR_INVALID;
	}
	enum apo_result rc = stock_adjust(r->db, merchant_id, sku_id, delta,
					  has_set == 0 ? &set : NULL, reason, on_hand, reserved);
	if (rc == APO_ERR_NOT_FOUND)
		admin_fail(r, rc, what);
	else if (rc == APO_ERR_INVALID)
		req_fail(r, 400, "invalid", "on_hand cannot exceed 1000000000");
	else if (rc != APO_OK && rc != APO_ERR_INSUFFICIENT)
		admin_fail(r, rc, NULL);
	if (rc == APO_OK) {
		/* A rise has allocated waiting orders by now (service/allocate.h):
		 * answer with the counters as they stand after that. */
		struct product p;
		product_init(&p);
		if (product_load(r->db, merchant_id, sku_id, &p) == APO_OK) {
			*on_hand = p.on_hand;
			*reserved = p.reserved;
		}
		product_release(&p);
	}
	return rc;
}
