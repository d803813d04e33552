/*
 * Admin: the platform catalog the pharmacy dialect sells from — SKUs
 * (PUT|GET /skus/{sku_id}), their stock (POST /skus/{sku_id}/stock) — and
 * the CSV imports of SKUs and pincodes (POST /skus/import, POST
 * /pincodes/import). Coupons and single pincodes are in admin_pricing.c.
 *
 * An import is all or nothing; its format and line-numbered errors come
 * from core/catalog_csv.h, the same code the CLI's `import` runs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/admin.h"
#include "api/admin_page.h"
#include "store/repo_admin.h"
#include "api/admin_stock.h"
#include "api/routes.h"
#include "core/catalog.h"
#include "http/jsonx.h"
#include "service/catalog_import.h"
#include "store/repo_catalog.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* The platform catalog's merchant_id. */
#define PLATFORM ""

/* Limits of a stock movement's free-text reason. */

#define ERR_CAP 320

static json_t *sku_to_json(const struct product *p)
{
	json_t *j = json_object();
	json_object_set_new(j, "sku_id", json_string(p->sku_id));
	json_object_set_new(j, "hex_id", json_string(p->hex_id));
	json_object_set_new(j, "name", json_string(p->name));
	json_object_set_new(j, "mrp", jx_money_value(p->mrp));
	json_object_set_new(j, "price", jx_money_value(p->price));
	json_object_set_new(j, "pack_size_label", json_string(p->pack_size_label));
	json_object_set_new(j, "sku_type", json_string(p->sku_type));
	json_object_set_new(j, "prescription_required", json_boolean(p->rx_required));
	json_object_set_new(j, "active", json_boolean(p->active));
	json_object_set_new(j, "on_hand", json_integer(p->on_hand));
	json_object_set_new(j, "reserved", json_integer(p->reserved));
	json_object_set_new(j, "available", json_integer(product_available(p)));
	json_object_set_new(j, "created", json_integer(p->created));
	json_object_set_new(j, "updated", json_integer(p->updated));
	return j;
}

/* Answers the stored SKU with status. */
static void reply_sku(struct req *r, unsigned status, const char *sku_id)
{
	struct product p;
	product_init(&p);
	enum apo_result rc = product_load(r->db, PLATFORM, sku_id, &p);
	if (rc != APO_OK)
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such SKU" : NULL);
	else
		req_reply_json(r, status, sku_to_json(&p));
	product_release(&p);
}

/* A string member with a default when absent; -1 on a wrong type or length. */
static int str_or(const json_t *j, const char *key, size_t max, const char *dflt, char **out)
{
	const char *s;
	int rc = jx_str(j, key, max, &s);
	if (rc < 0)
		return -1;
	*out = xstrdup(rc == 0 ? s : dflt);
	return 0;
}

/* A boolean member with a default when absent; -1 on a wrong type. */
static int bool_or(const json_t *j, const char *key, int dflt, int *out)
{
	int b, rc = jx_bool(j, key, &b);
	if (rc < 0)
		return -1;
	*out = rc == 0 ? b : dflt;
	return 0;
}

/*
 * The PUT body: a full description of the SKU. name, mrp and price are
 * required; absent optional members take their defaults; stock, when
 * present, sets on_hand (*has_stock), when absent leaves it alone.
 */
static int sku_from_json(const json_t *j, const char *sku_id, struct product *p, int *has_stock,
			 char *err, size_t cap)
{
	const char *s;
	int64_t stock;

	p->merchant_id = xstrdup(PLATFORM);
	p->sku_id = xstrdup(sku_id);
	int rc = jx_str(j, "sku_id", SKU_MAX_ID, &s);
	if (rc < 0 || (rc == 0 && strcmp(s, sku_id) != 0))
		return fmt_into(err, cap, "sku_id in the body must match the path"), -1;
	if (jx_str(j, "name", PRODUCT_MAX_NAME, &s) != 0 || !*s)
		return fmt_into(err, cap, "name is required: a string of 1-%d characters",
				PRODUCT_MAX_NAME),
		       -1;
	p->name = xstrdup(s);
	if ((rc = jx_money(j, "mrp", &p->mrp)) != 0)
		return fmt_into(err, cap, "mrp %s: a non-negative amount with at most two decimals",
				rc > 0 ? "is required" : "is invalid"),
		       -1;
	if ((rc = jx_money(j, "price", &p->price)) != 0)
		return fmt_into(err, cap,
				"price %s: a non-negative amount with at most two decimals",
				rc > 0 ? "is required" : "is invalid"),
		       -1;
	if (str_or(j, "pack_size_label", PRODUCT_MAX_LABEL, "", &p->pack_size_label))
		return fmt_into(err, cap,
				"pack_size_label must be a string of at most %d characters",
				PRODUCT_MAX_LABEL),
		       -1;
	if (str_or(j, "sku_type", PRODUCT_MAX_TYPE, "", &p->sku_type))
		return fmt_into(err, cap, "sku_type must be a string of at most %d characters",
				PRODUCT_MAX_TYPE),
		       -1;
	if (bool_or(j, "prescription_required", 0, &p->rx_required))
		return fmt_into(err, cap, "prescription_required must be a boolean"), -1;
	if (bool_or(j, "active", 1, &p->active))
		return fmt_into(err, cap, "active must be a boolean"), -1;
	rc = jx_int(j, "stock", 0, CATALOG_MAX_STOCK, &stock);
	if (rc < 0)
		return fmt_into(err, cap, "stock must be an integer 0..%lld",
				(long long)CATALOG_MAX_STOCK),
		       -1;
	*has_stock = rc == 0;
	p->on_hand = *has_stock ? stock : 0;
	return product_check(p, err, cap);
}

static int sku_id_or_reply(struct req *r, const char **out)
{
	*out = req_param(r, "sku_id");
	if (sku_id_valid(*out))
		return 0;
	req_fail(r, 400, "invalid", "sku_id must be 1-64 of [A-Za-z0-9_.-]");
	return -1;
}

static void sku_put(struct req *r)
{
	json_t *body;
	const char *sku_id;
	struct product p;
	char err[ERR_CAP];
	int has_stock = 0, created = 0;

	if (admin_auth_or_reply(r) || sku_id_or_reply(r, &sku_id) ||
	    req_json_object_or_reply(r, 0, &body))
		return;
	product_init(&p);
	if (sku_from_json(body, sku_id, &p, &has_stock, err, sizeof(err))) {
		req_fail(r, 400, "invalid", err);
		goto out;
	}
	enum apo_result rc = product_upsert(r->db, &p, has_stock, &created);
	if (rc == APO_ERR_INSUFFICIENT)
		req_fail(r, 409, "insufficient_stock",
			 "stock cannot be set below the units reserved by open orders");
	else if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		reply_sku(r, created ? 201 : 200, sku_id);
out:
	product_release(&p);
}

static json_t *sku_one(struct req *r, const char *sku_id)
{
	struct product p;
	json_t *j = NULL;
	product_init(&p);
	if (product_load(r->db, PLATFORM, sku_id, &p) == APO_OK)
		j = sku_to_json(&p);
	product_release(&p);
	return j;
}

static void skus_list(struct req *r)
{
	admin_list_keys_reply(r, ADMIN_KEYS_SKUS, "skus", sku_one);
}

static void sku_get(struct req *r)
{
	const char *sku_id;
	if (admin_auth_or_reply(r) || sku_id_or_reply(r, &sku_id))
		return;
	reply_sku(r, 200, sku_id);
}

/* Explains a refused movement with the SKU's current counters. */
static void stock_refused(struct req *r, const char *sku_id)
{
	struct product p;
	char msg[ERR_CAP];
	product_init(&p);
	if (product_load(r->db, PLATFORM, sku_id, &p) == APO_OK)
		fmt_into(msg, sizeof(msg),
			 "on_hand cannot go below zero or below the %lld units reserved by open "
			 "orders (on_hand is %lld)",
			 (long long)p.reserved, (long long)p.on_hand);
	else
		fmt_into(msg, sizeof(msg),
			 "on_hand cannot go below zero or below the units reserved by open orders");
	product_release(&p);
	req_fail(r, 409, "insufficient_stock", msg);
}

static void sku_stock(struct req *r)
{
	json_t *body;
	const char *sku_id;
	int64_t on_hand, reserved;

	if (admin_auth_or_reply(r) || sku_id_or_reply(r, &sku_id) ||
	    req_json_object_or_reply(r, 0, &body))
		return;
	enum apo_result rc =
		admin_stock_change(r, body, PLATFORM, sku_id, "No such SKU", &on_hand, &reserved);
	if (rc == APO_ERR_INSUFFICIENT)
		stock_refused(r, sku_id);
	else if (rc == APO_OK)
		req_reply_json(r, 200,
			       json_pack("{s:s,s:I,s:I,s:I}", "sku_id", sku_id, "on_hand",
					 (json_int_t)on_hand, "reserved", (json_int_t)reserved,
					 "available",
					 (json_int_t)(on_hand > reserved ? on_hand - reserved : 0)));
}

/* Imports take text/csv (any parameters, such as a charset); else 415. */
static int csv_body_or_reply(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");
	size_t len = ct ? strcspn(ct, ";") : 0;
	while (len && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	if (len == 8 && strncasecmp(ct, "text/csv", 8) == 0)
		return 0;
	req_fail(r, 415, "unsupported_media_type", "Content-Type must be text/csv");
	return -1;
}

static void import_reply(struct req *r, enum apo_result rc, size_t imported, size_t created,
			 const char *err)
{
	if (rc == APO_ERR_INVALID)
		req_fail(r, 400, "invalid", err);
	else if (rc == APO_ERR_INSUFFICIENT)
		req_fail(r, 409, "insufficient_stock", err);
	else if (rc != APO_OK)
		admin_fail(r, rc, err);
	else
		req_reply_json(r, 200,
			       json_pack("{s:I,s:I,s:I}", "imported", (json_int_t)imported,
					 "created", (json_int_t)created, "updated",
					 (json_int_t)(imported - created)));
}

static void sku_import(struct req *r)
{
	char err[ERR_CAP] = "";
	size_t imported, created;
	if (admin_auth_or_reply(r) || csv_body_or_reply(r))
		return;
	enum apo_result rc = catalog_import_skus_csv(r->db, r->body.data, r->body.len, &imported,
						     &created, err, sizeof(err));
	import_reply(r, rc, imported, created, err);
}

static void pincode_import_route(struct req *r)
{
	char err[ERR_CAP] = "";
	size_t imported, created;
	if (admin_auth_or_reply(r) || csv_body_or_reply(r))
		return;
	enum apo_result rc = catalog_import_pincodes_csv(r->db, r->body.data, r->body.len,
							 &imported, &created, err, sizeof(err));
	import_reply(r, rc, imported, created, err);
}

void admin_catalog_routes(struct router *rt)
{
	/* The literal import paths first: they would also fit {sku_id}. */
	router_add(rt, HTTP_POST, "/admin/v1/skus/import", sku_import, "admin.skus.import");
	router_add(rt, HTTP_POST, "/admin/v1/pincodes/import", pincode_import_route,
		   "admin.pincodes.import");
	router_add(rt, HTTP_PUT, "/admin/v1/skus/{sku_id}", sku_put, "admin.skus.put");
	router_add(rt, HTTP_GET, "/admin/v1/skus", skus_list, "admin.skus.list");
	router_add(rt, HTTP_GET, "/admin/v1/skus/{sku_id}", sku_get, "admin.skus.get");
	router_add(rt, HTTP_POST, "/admin/v1/skus/{sku_id}/stock", sku_stock, "admin.skus.stock");
}
