/*
 * Logistics products (SPEC §3): `POST /2015-01-01/products/` upserts one
 * product of the merchant's own catalog (merchant_id = the merchant's id,
 * sku_id = its merchants_id); `GET|POST /2015-01-01/products/inventory`
 * reports stock, of one product or of a page of them. Stock is not set
 * here: it moves with orders and with the operators' admin route
 * (admin_merchant_products.c).
 */
#include <stdlib.h>
#include <string.h>

#include "api/logistics.h"
#include "api/routes.h"
#include "core/catalog.h"
#include "core/ids.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "store/repo_catalog.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define INVENTORY_LIMIT_DEFAULT 100
#define INVENTORY_LIMIT_MAX 500
#define INVENTORY_OFFSET_MAX INT64_C(1000000000)
#define PRODUCT_MAX_GTIN 64
/* The largest side of a parcel taken, in the merchant's unit. */
#define DIM_MAX 1000000.0
#define DIM_TEXT_CAP 96

/* One side of the dimensions: 0 with its value, 1 when not set, -1 invalid. */
static int side_value(const json_t *v, double *out)
{
	if (logi_absent(v))
		return 1;
	if (json_is_integer(v))
		*out = (double)json_integer_value(v);
	else if (json_is_real(v))
		*out = json_real_value(v);
	else if (!json_is_string(v) ||
		 logi_decimal(json_string_value(v), json_string_length(v), out))
		return -1;
	return *out >= 0 && *out <= DIM_MAX ? 0 : -1;
}

/* "W x H x D" (also 'X', '*' or '×' between, spaces optional) into sides. */
static int sides_from_text(const char *p, double sides[3])
{
	size_t n = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		size_t len = strspn(p, "0123456789.,");
		if (n == 3 || logi_decimal(p, len, &sides[n]) || sides[n] > DIM_MAX)
			return -1;
		n++;
		p += len;
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		if (*p == 'x' || *p == 'X' || *p == '*')
			p++;
		else if ((unsigned char)p[0] == 0xc3 && (unsigned char)p[1] == 0x97)
			p += 2; /* U+00D7 MULTIPLICATION SIGN */
		else
			return -1;
	}
	return n == 3 ? 0 : -1;
}

/*
 * dimensions as "W x H x D" or [w, h, d], normalised into out as
 * "W x H x D". 1 when not set — also when any side is false, null or ""
 * (plugins send [false, false, false] for a product without dimensions).
 */
static int dimensions_text(const json_t *body, char *out, size_t cap)
{
	const json_t *v = json_object_get(body, "dimensions");
	double sides[3];
	if (logi_absent(v))
		return 1;
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v) ||
		    sides_from_text(json_string_value(v), sides))
			return -1;
	} else if (json_is_array(v) && json_array_size(v) == 3) {
		int absent = 0;
		for (size_t i = 0; i < 3; i++) {
			int rc = side_value(json_array_get(v, i), &sides[i]);
			if (rc < 0)
				return -1;
			absent |= rc;
		}
		if (absent)
			return 1;
	} else {
		return -1;
	}
	fmt_into(out, cap, "%.10g x %.10g x %.10g", sides[0], sides[1], sides[2]);
	return 0;
}

/* What a product upsert says; absent fields keep the stored value. */
struct product_in {
	const char *merchants_id;
	const char *name, *gtin, *status;
	int has_weight, has_dims, has_price;
	int64_t weight, price;
	char dims[DIM_TEXT_CAP];
};

static int field_error(struct req *r, const char *field, int rc, const char *rule)
{
	char code[64], msg[200];
	fmt_into(code, sizeof(code), "product.%s.%s", field, rc > 0 ? "required" : "invalid");
	if (rc > 0)
		fmt_into(msg, sizeof(msg), "%s is required", field);
	else
		fmt_into(msg, sizeof(msg), "%s must be %s", field, rule);
	logi_error(r, 400, code, msg);
	return -1;
}

static int product_parse_or_reply(struct req *r, json_t *body, struct product_in *in)
{
	int rc;
	memset(in, 0, sizeof(*in));
	if ((rc = logi_str(body, "merchants_id", LOGI_MAX_ID, &in->merchants_id)) != 0 ||
	    !logi_id_valid(in->merchants_id))
		return field_error(r, "merchants_id", rc,
				   "a string of 1-64 characters without control characters");
	if (logi_str(body, "name", LOGI_MAX_TEXT, &in->name) < 0)
		return field_error(r, "name", -1, "a string");
	if (logi_str(body, "gtin", PRODUCT_MAX_GTIN, &in->gtin) < 0)
		return field_error(r, "gtin", -1, "a string of at most 64 characters");
	if ((rc = logi_grams(body, "weight", &in->weight)) < 0)
		return field_error(r, "weight", -1, "a non-negative number of grams");
	in->has_weight = rc == 0;
	if ((rc = dimensions_text(body, in->dims, sizeof(in->dims))) < 0)
		return field_error(r, "dimensions", -1, "\"W x H x D\" or [w, h, d] of numbers");
	in->has_dims = rc == 0;
	if ((rc = logi_money(body, "unit_price", &in->price)) < 0)
		return field_error(r, "unit_price", -1,
				   "a non-negative amount with at most two decimals");
	in->has_price = rc == 0;
	if (logi_str(body, "status", 16, &in->status) < 0 ||
	    (in->status && strcmp(in->status, "active") != 0 && strcmp(in->status, "deleted") != 0))
		return field_error(r, "status", -1, "active or deleted");
	return 0;
}

static void set_text(char **dst, const char *s)
{
	free(*dst);
	*dst = s ? xstrdup(s) : NULL;
}

/* Lays what the request says over p (the stored product, or a new one). */
static void product_apply(struct product *p, const struct product_in *in)
{
	if (in->name || !p->name) {
		set_text(&p->name, in->name ? in->name : in->merchants_id);
		logi_utf8_cut(p->name, PRODUCT_MAX_NAME);
	}
	if (in->gtin)
		set_text(&p->gtin, in->gtin);
	if (in->has_weight)
		p->weight = in->weight;
	if (in->has_dims)
		set_text(&p->dimensions, in->dims);
	if (in->has_price)
		p->mrp = p->price = in->price;
	if (in->status)
		p->active = strcmp(in->status, "active") == 0;
}

static void product_post(struct req *r)
{
	const struct merchant *m;
	json_t *body;
	struct product_in in;
	struct product p;
	int created = 0;

	if (logi_auth_or_reply(r, &m) || req_json_object_or_reply(r, 0, &body) ||
	    product_parse_or_reply(r, body, &in))
		return;
	product_init(&p);
	enum apo_result rc = product_load(r->db, m->id, in.merchants_id, &p);
	if (rc == APO_ERR_NOT_FOUND) {
		product_release(&p);
		p.merchant_id = xstrdup(m->id);
		p.sku_id = xstrdup(in.merchants_id);
		p.active = 1;
		p.weight = CATALOG_NONE;
		p.last_movement = CATALOG_NONE;
		rc = APO_OK;
	}
	if (rc != APO_OK) {
		logi_fail(r, rc, NULL);
		goto out;
	}
	/* Not product_check(): merchants_id is wider than a platform SKU id
	 * (logi_id_valid), and product_apply() keeps the rest in bounds. */
	product_apply(&p, &in);
	if ((rc = product_upsert(r->db, &p, 0, &created)) != APO_OK) {
		logi_fail(r, rc, NULL);
		goto out;
	}
	/* A new row keeps its own hex id; read it back for the answer. */
	product_release(&p);
	product_init(&p);
	json_t *answer = json_pack("{s:b,s:b}", "success", 1, "created", created);
	if (product_load(r->db, m->id, in.merchants_id, &p) == APO_OK)
		json_object_set_new(answer, "id", json_string(p.hex_id));
	req_reply_json(r, created ? 201 : 200, answer);
out:
	product_release(&p);
}

static json_t *inventory_json(const struct product *p)
{
	json_t *inv =
	    json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}", "inbound", (json_int_t)p->inbound, "in_stock",
		      (json_int_t)p->on_hand, "available", (json_int_t)product_available(p),
		      "reserved", (json_int_t)p->reserved, "on_hold", (json_int_t)p->on_hold,
		      "last_movement", logi_time(p->last_movement));
	return json_pack("{s:s,s:s,s:s,s:o,s:s,s:o}", "merchants_id", p->sku_id, "id", p->hex_id,
			 "name", p->name ? p->name : "", "gtin", jx_str_or_null(p->gtin), "status",
			 p->active ? "active" : "deleted", "inventory", inv);
}

static json_t *inventory_page(int64_t total, int64_t offset, json_t *products)
{
	return json_pack("{s:b,s:I,s:I,s:I,s:o}", "success", 1, "total_count", (json_int_t)total,
			 "offset", (json_int_t)offset, "count",
			 (json_int_t)json_array_size(products), "products", products);
}

/*
 * The parameters: from the JSON body of a POST, from the query string of a
 * GET (collected into an object so both are read alike).
 */
static int inventory_params_or_reply(struct req *r, json_t **out)
{
	static const char *const names[] = {"merchants_id", "id", "offset", "limit"};
	if (r->method == HTTP_POST)
		return req_json_object_or_reply(r, 1, out);
	json_t *q = req_defer_decref(r, json_object());
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = req_query(r, names[i]);
		if (v)
			json_object_set_new(q, names[i], json_string(v));
	}
	*out = q;
	return 0;
}

/* One product by merchants_id or id, in the page shape. */
static void inventory_one(struct req *r, const struct merchant *m, const char *merchants_id,
			  const char *hex_id)
{
	struct product p;
	enum apo_result rc;
	product_init(&p);
	if (merchants_id)
		rc = product_load(r->db, m->id, merchants_id, &p);
	else if (ids_is_hex_id(hex_id))
		rc = product_load_by_hex(r->db, hex_id, &p);
	else
		rc = APO_ERR_NOT_FOUND;
	/* Another merchant's product is reported exactly as a missing one. */
	if (rc == APO_OK && strcmp(p.merchant_id, m->id) != 0)
		rc = APO_ERR_NOT_FOUND;
	if (rc == APO_ERR_NOT_FOUND)
		logi_error(r, 404, "not_found", "No such product");
	else if (rc != APO_OK)
		logi_fail(r, rc, NULL);
	else
		req_reply_json(r, 200, inventory_page(1, 0, json_pack("[o]", inventory_json(&p))));
	product_release(&p);
}

static void page_add(const struct product *p, void *ctx)
{
	json_array_append_new(ctx, inventory_json(p));
}

static void inventory(struct req *r)
{
	const struct merchant *m;
	json_t *params;
	const char *merchants_id = NULL, *hex_id = NULL;
	int64_t offset = 0, limit = INVENTORY_LIMIT_DEFAULT, total = 0;

	if (logi_auth_or_reply(r, &m) || inventory_params_or_reply(r, &params))
		return;
	if (logi_str(params, "merchants_id", LOGI_MAX_ID, &merchants_id) < 0 ||
	    logi_str(params, "id", HEX_ID_LEN, &hex_id) < 0) {
		logi_error(r, 400, "product.merchants_id.invalid",
			   "merchants_id and id must be strings");
		return;
	}
	if (merchants_id || hex_id) {
		inventory_one(r, m, merchants_id, hex_id);
		return;
	}
	if (logi_int(params, "offset", 0, INVENTORY_OFFSET_MAX, &offset) < 0) {
		logi_error(r, 400, "offset.invalid", "offset must be an integer >= 0");
		return;
	}
	if (logi_int(params, "limit", 1, INVENTORY_LIMIT_MAX, &limit) < 0) {
		logi_error(r, 400, "limit.invalid", "limit must be an integer 1..500");
		return;
	}
	json_t *products = json_array();
	enum apo_result rc = product_page(r->db, m->id, offset, limit, page_add, products, &total);
	if (rc != APO_OK) {
		json_decref(products);
		logi_fail(r, rc, NULL);
		return;
	}
	req_reply_json(r, 200, inventory_page(total, offset, products));
}

void logistics_product_routes(struct router *rt)
{
	/* Clients send the trailing slash; accept the path without it too.
	 * The upsert writes, so it runs on the offload pool like other writers. */
	router_add_flags(rt, HTTP_POST, "/2015-01-01/products/", product_post,
			 "logistics.products.upsert", ROUTE_OFFLOAD);
	router_add_flags(rt, HTTP_POST, "/2015-01-01/products", product_post,
			 "logistics.products.upsert", ROUTE_OFFLOAD);
	router_add(rt, HTTP_GET | HTTP_POST, "/2015-01-01/products/inventory", inventory,
		   "logistics.products.inventory");
}
