/*
 * Admin: what pricing reads besides the catalog — coupons (PUT|GET
 * /coupons/{code}) and pincode entries (PUT|GET /pincodes/{pincode}). The
 * pincode CSV import is with the other imports in admin_catalog.c.
 *
 * A percent coupon's value arrives as a number of percent with at most two
 * decimals (66, 12.5, "12.50") and is kept in hundredths of a percent,
 * which is exactly the money parser's paise; so both kinds of value go
 * through jx_money() and come back out through jx_money_value().
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/admin.h"
#include "api/admin_page.h"
#include "store/repo_admin.h"
#include "api/routes.h"
#include "core/catalog.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "store/repo_catalog.h"
#include "store/repo_merchants.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* The latest accepted epoch second: 9999-12-31T23:59:59Z. */
#define ADMIN_MAX_EPOCH INT64_C(253402300799)
/* The largest usage limit. */
#define COUPON_MAX_USES INT64_C(1000000000000)

#define ERR_CAP 256

static json_t *opt_money(int64_t v)
{
	return v == CATALOG_NONE ? json_null() : jx_money_value(v);
}

static json_t *opt_integer(int64_t v)
{
	return v == CATALOG_NONE ? json_null() : json_integer(v);
}

static json_t *coupon_to_json(const struct coupon *c)
{
	json_t *j = json_object();
	json_object_set_new(j, "code", json_string(c->code));
	json_object_set_new(j, "kind", json_string(coupon_kind_name(c->kind)));
	json_object_set_new(j, "value", jx_money_value(c->value));
	json_object_set_new(j, "max_discount", opt_money(c->max_discount));
	json_object_set_new(j, "min_cart_value", opt_money(c->min_cart_value));
	json_object_set_new(j, "valid_from", opt_integer(c->valid_from));
	json_object_set_new(j, "valid_to", opt_integer(c->valid_to));
	json_object_set_new(j, "usage_limit", opt_integer(c->usage_limit));
	json_object_set_new(j, "used_count", json_integer(c->used_count));
	json_object_set_new(j, "merchant_id", jx_str_or_null(c->merchant_id));
	return j;
}

/* An optional money member: absent or null is CATALOG_NONE. */
static int opt_money_in(const json_t *j, const char *key, int64_t *out)
{
	*out = CATALOG_NONE;
	return jx_money(j, key, out) < 0 ? -1 : 0;
}

/* An optional integer member in [min, max]: absent or null is CATALOG_NONE. */
static int opt_int_in(const json_t *j, const char *key, int64_t min, int64_t max, int64_t *out)
{
	*out = CATALOG_NONE;
	return jx_int(j, key, min, max, out) < 0 ? -1 : 0;
}

/*
 * The PUT body: the whole coupon. kind and value are required; every other
 * member is optional and absent means "no such rule". merchant_id, when
 * set, must name a merchant.
 */
static int coupon_from_json(struct req *r, const json_t *j, struct coupon *c, char *err, size_t cap)
{
	const char *s;
	int rc = jx_str(j, "code", COUPON_MAX_CODE, &s);
	if (rc < 0 || (rc == 0 && strcasecmp(s, c->code) != 0))
		return fmt_into(err, cap, "code in the body must match the path"), -1;
	if (jx_str(j, "kind", 16, &s) != 0 || coupon_kind_parse(s, &c->kind))
		return fmt_into(err, cap, "kind is required: \"percent\" or \"flat\""), -1;
	if ((rc = jx_money(j, "value", &c->value)) != 0)
		return fmt_into(err, cap, "value %s: %s", rc > 0 ? "is required" : "is invalid",
				c->kind == COUPON_PERCENT
				    ? "a percent with at most two decimals (66, 12.5)"
				    : "a non-negative amount with at most two decimals"),
		       -1;
	if (opt_money_in(j, "max_discount", &c->max_discount))
		return fmt_into(err, cap,
				"max_discount is invalid: a non-negative amount with at most two "
				"decimals"),
		       -1;
	if (opt_money_in(j, "min_cart_value", &c->min_cart_value))
		return fmt_into(err, cap,
				"min_cart_value is invalid: a non-negative amount with at most two "
				"decimals"),
		       -1;
	if (opt_int_in(j, "valid_from", 0, ADMIN_MAX_EPOCH, &c->valid_from))
		return fmt_into(err, cap, "valid_from must be an integer of epoch seconds"), -1;
	if (opt_int_in(j, "valid_to", 0, ADMIN_MAX_EPOCH, &c->valid_to))
		return fmt_into(err, cap, "valid_to must be an integer of epoch seconds"), -1;
	if (opt_int_in(j, "usage_limit", 0, COUPON_MAX_USES, &c->usage_limit))
		return fmt_into(err, cap, "usage_limit must be an integer >= 0"), -1;
	rc = jx_str(j, "merchant_id", MERCHANT_MAX_ID, &s);
	if (rc < 0 || (rc == 0 && !merchant_id_valid(s)))
		return fmt_into(err, cap, "merchant_id must be a merchant's id"), -1;
	if (rc == 0) {
		struct merchant m;
		merchant_init(&m);
		enum apo_result found = merchant_load(r->db, s, &m);
		merchant_release(&m);
		if (found == APO_ERR_NOT_FOUND)
			return fmt_into(err, cap, "merchant_id %s names no merchant", s), -1;
		if (found != APO_OK)
			return fmt_into(err, cap, "cannot check merchant_id (%s)",
					apo_result_name(found)),
			       -1;
		c->merchant_id = xstrdup(s);
	}
	return coupon_check(c, err, cap);
}

static int code_or_reply(struct req *r, char out[COUPON_MAX_CODE + 1])
{
	const char *code = req_param(r, "code");
	if (!coupon_code_valid(code)) {
		req_fail(r, 400, "invalid", "a coupon code is 1-64 of [A-Za-z0-9_.-]");
		return -1;
	}
	fmt_into(out, COUPON_MAX_CODE + 1, "%s", code);
	coupon_code_upper(out);
	return 0;
}

static void reply_coupon(struct req *r, unsigned status, const char *code)
{
	struct coupon c;
	coupon_init(&c);
	enum apo_result rc = coupon_load(r->db, code, &c);
	if (rc != APO_OK)
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such coupon" : NULL);
	else
		req_reply_json(r, status, coupon_to_json(&c));
	coupon_release(&c);
}

static void coupon_put(struct req *r)
{
	json_t *body;
	char code[COUPON_MAX_CODE + 1], err[ERR_CAP];
	struct coupon c;
	int created = 0;

	if (admin_auth_or_reply(r) || code_or_reply(r, code) ||
	    req_json_object_or_reply(r, 0, &body))
		return;
	coupon_init(&c);
	c.code = xstrdup(code);
	if (coupon_from_json(r, body, &c, err, sizeof(err))) {
		req_fail(r, 400, "invalid", err);
		goto out;
	}
	enum apo_result rc = coupon_save(r->db, &c, &created);
	if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		reply_coupon(r, created ? 201 : 200, code);
out:
	coupon_release(&c);
}

static void coupon_get(struct req *r)
{
	char code[COUPON_MAX_CODE + 1];
	if (admin_auth_or_reply(r) || code_or_reply(r, code))
		return;
	reply_coupon(r, 200, code);
}

static json_t *coupon_one(struct req *r, const char *code)
{
	struct coupon c;
	json_t *j = NULL;
	coupon_init(&c);
	if (coupon_load(r->db, code, &c) == APO_OK)
		j = coupon_to_json(&c);
	coupon_release(&c);
	return j;
}

static void coupons_list(struct req *r)
{
	admin_list_keys_reply(r, ADMIN_KEYS_COUPONS, "coupons", coupon_one);
}

static json_t *pincode_to_json(const struct pincode_entry *p)
{
	return json_pack("{s:s,s:b,s:o,s:o}", "pincode", p->pincode, "serviceable", p->serviceable,
			 "eta_min_days", opt_integer(p->eta_min_days), "eta_max_days",
			 opt_integer(p->eta_max_days));
}

static json_t *pincode_one(struct req *r, const char *pin)
{
	struct pincode_entry e;
	return pincode_load(r->db, pin, &e) == APO_OK ? pincode_to_json(&e) : NULL;
}

static void pincodes_list(struct req *r)
{
	admin_list_keys_reply(r, ADMIN_KEYS_PINCODES, "pincodes", pincode_one);
}

static int pincode_or_reply(struct req *r, const char **out)
{
	*out = req_param(r, "pincode");
	if (pincode_valid(*out))
		return 0;
	req_fail(r, 400, "invalid", "pincode must be 6 digits, the first 1-9");
	return -1;
}

static void pincode_put(struct req *r)
{
	json_t *body;
	const char *pin;
	struct pincode_entry e;
	char err[ERR_CAP];
	int created = 0;

	if (admin_auth_or_reply(r) || pincode_or_reply(r, &pin) ||
	    req_json_object_or_reply(r, 0, &body))
		return;
	memset(&e, 0, sizeof(e));
	fmt_into(e.pincode, sizeof(e.pincode), "%s", pin);
	if (jx_bool(body, "serviceable", &e.serviceable) != 0) {
		req_fail(r, 400, "invalid", "serviceable is required: a boolean");
		return;
	}
	if (opt_int_in(body, "eta_min_days", 0, CATALOG_MAX_ETA_DAYS, &e.eta_min_days) ||
	    opt_int_in(body, "eta_max_days", 0, CATALOG_MAX_ETA_DAYS, &e.eta_max_days)) {
		req_fail(r, 400, "invalid",
			 "eta_min_days and eta_max_days must be integers 0..365");
		return;
	}
	if (pincode_check(&e, err, sizeof(err))) {
		req_fail(r, 400, "invalid", err);
		return;
	}
	enum apo_result rc = pincode_save(r->db, &e, &created);
	if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		req_reply_json(r, created ? 201 : 200, pincode_to_json(&e));
}

static void pincode_get(struct req *r)
{
	const char *pin;
	struct pincode_entry e;
	if (admin_auth_or_reply(r) || pincode_or_reply(r, &pin))
		return;
	enum apo_result rc = pincode_load(r->db, pin, &e);
	if (rc != APO_OK)
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No entry for this pincode" : NULL);
	else
		req_reply_json(r, 200, pincode_to_json(&e));
}

void admin_pricing_routes(struct router *rt)
{
	router_add(rt, HTTP_GET, "/admin/v1/coupons", coupons_list, "admin.coupons.list");
	router_add(rt, HTTP_GET, "/admin/v1/pincodes", pincodes_list, "admin.pincodes.list");
	router_add(rt, HTTP_PUT, "/admin/v1/coupons/{code}", coupon_put, "admin.coupons.put");
	router_add(rt, HTTP_GET, "/admin/v1/coupons/{code}", coupon_get, "admin.coupons.get");
	router_add(rt, HTTP_PUT, "/admin/v1/pincodes/{pincode}", pincode_put, "admin.pincodes.put");
	router_add(rt, HTTP_GET, "/admin/v1/pincodes/{pincode}", pincode_get, "admin.pincodes.get");
}
