/*
 * Reading and pricing the pharmacy dialect's cart (see pharmacy_cart.h).
 * The rules themselves live in core/pricing.c; this file only gets the
 * request's members and the catalog into the shape pricing takes.
 */
#include <stdlib.h>
#include <string.h>

#include "api/pharmacy.h"
#include "api/pharmacy_cart.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "store/cache.h"
#include "store/repo_catalog.h"
#include "store/store.h"
#include "base/banned.h"

/* Room for a message naming one SKU id or member. */
#define CART_MSG_CAP 192

static int cart_fail(struct req *r, const char *message)
{
	pharm_error(r, 400, message);
	return -1;
}

static int parse_skus(struct req *r, const json_t *body, struct pharm_cart *cart)
{
	json_t *skus = json_object_get(body, "skus");
	char msg[CART_MSG_CAP];

	if (!skus || json_is_null(skus))
		return cart_fail(r, "skus is required");
	if (!json_is_object(skus))
		return cart_fail(r, "skus must be an object of SKU ids to quantities");
	if (json_object_size(skus) == 0)
		return cart_fail(r, "skus must contain at least one SKU");
	if (json_object_size(skus) > PHARM_CART_MAX_SKUS) {
		fmt_into(msg, sizeof(msg), "skus must contain at most %d SKUs",
			 PHARM_CART_MAX_SKUS);
		return cart_fail(r, msg);
	}
	for (void *it = json_object_iter(skus); it; it = json_object_iter_next(skus, it)) {
		const char *sku = json_object_iter_key(it);
		const json_t *qty = json_object_iter_value(it);
		if (!sku_id_valid(sku)) {
			if (strlen(sku) <= SKU_MAX_ID)
				fmt_into(
				    msg, sizeof(msg),
				    "SKU id \"%s\" is invalid: use 1 to %d of A-Z a-z 0-9 _ . -",
				    sku, SKU_MAX_ID);
			else
				fmt_into(msg, sizeof(msg), "SKU ids must be at most %d characters",
					 SKU_MAX_ID);
			return cart_fail(r, msg);
		}
		if (!json_is_integer(qty) || json_integer_value(qty) < 1 ||
		    json_integer_value(qty) > PHARM_CART_MAX_QTY) {
			fmt_into(msg, sizeof(msg),
				 "Quantity of SKU %s must be an integer from 1 to %d", sku,
				 PHARM_CART_MAX_QTY);
			return cart_fail(r, msg);
		}
		cart->items[cart->nitems].sku_id = sku;
		cart->items[cart->nitems].qty = json_integer_value(qty);
		cart->nitems++;
	}
	return 0;
}

static int parse_coupon(struct req *r, const json_t *body, struct pharm_cart *cart)
{
	const char *code;
	char msg[CART_MSG_CAP];
	int rc = jx_str(body, "coupon_code", COUPON_MAX_CODE, &code);

	if (rc == 1 || (rc == 0 && *code == '\0'))
		return 0;
	if (rc < 0 || !coupon_code_valid(code)) {
		fmt_into(msg, sizeof(msg),
			 "coupon_code must be a string of 1 to %d of A-Z a-z 0-9 _ . -",
			 COUPON_MAX_CODE);
		return cart_fail(r, msg);
	}
	fmt_into(cart->coupon_code, sizeof(cart->coupon_code), "%s", code);
	coupon_code_upper(cart->coupon_code);
	return 0;
}

static int parse_user(struct req *r, const json_t *body, struct pharm_cart *cart)
{
	static const char *const fields[] = {"email", "mobile", "first_name", "last_name"};
	const json_t *user = json_object_get(body, "user");
	const char *s;
	char msg[CART_MSG_CAP];

	if (!user || json_is_null(user))
		return 0;
	if (!json_is_object(user))
		return cart_fail(r, "user must be an object");
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (jx_str(user, fields[i], PHARM_USER_MAX_FIELD, &s) < 0) {
			fmt_into(msg, sizeof(msg), "user.%s must be a string of at most %d bytes",
				 fields[i], PHARM_USER_MAX_FIELD);
			return cart_fail(r, msg);
		}
	}
	cart->user = user;
	return 0;
}

int pharm_cart_parse_or_reply(struct req *r, const json_t *body, struct pharm_cart *cart)
{
	memset(cart, 0, sizeof(*cart));
	if (parse_skus(r, body, cart) || parse_coupon(r, body, cart) || parse_user(r, body, cart))
		return -1;
	return 0;
}

int pharm_cart_pincode_or_reply(struct req *r, const json_t *obj, const char *key,
				const char *label, struct pharm_cart *cart)
{
	const char *pin;
	char msg[CART_MSG_CAP];
	int rc = jx_str(obj, key, PINCODE_LEN, &pin);

	if (rc == 1) {
		fmt_into(msg, sizeof(msg), "%s is required", label);
		return cart_fail(r, msg);
	}
	if (rc < 0 || !pincode_valid(pin)) {
		fmt_into(msg, sizeof(msg), "%s must be a string of 6 digits, the first 1-9", label);
		return cart_fail(r, msg);
	}
	fmt_into(cart->pincode, sizeof(cart->pincode), "%s", pin);
	return 0;
}

void pharm_quote_init(struct pharm_quote *q)
{
	/* products[], found[] and lines[] are set as they are used
	 * (quote_use(), the loaders, price_loaded()), and pricing_compute()
	 * sets the result: clearing the whole quote (27 KB) on every request
	 * showed in the profile. */
	q->n = 0;
	coupon_init(&q->coupon);
	q->has_coupon = 0;
	memset(&q->pincode, 0, sizeof(q->pincode));
	q->has_pincode = 0;
	q->status = PRICING_OK;
}

/* Makes the first n products of q initialised and q->n = n. */
static void quote_use(struct pharm_quote *q, size_t n)
{
	for (size_t i = 0; i < n; i++)
		product_init(&q->products[i]);
	q->n = n;
}

void pharm_quote_release(struct pharm_quote *q)
{
	/* Only what was used: clearing a whole quote (tens of kilobytes) on
	 * every request cost a tenth of an inventory check. */
	for (size_t i = 0; i < q->n; i++) {
		product_release(&q->products[i]);
		q->found[i] = 0;
	}
	q->n = 0;
	coupon_release(&q->coupon);
	q->has_coupon = 0;
	memset(&q->pincode, 0, sizeof(q->pincode));
	q->has_pincode = 0;
	q->status = PRICING_OK;
}

/*
 * What the cache holds of the cart's SKUs, coupon and pincode, and the
 * stock (cache_stock), into q; for_order: with what an order line copies
 * of each product too (cache_products()).
 */
static enum apo_result load_cached(struct store_conn *c, const struct cache_ticket *t,
				   const struct pharm_cart *cart, struct pharm_quote *q,
				   int for_order)
{
	const char *ids[PHARM_CART_MAX_SKUS];
	struct cache_sku skus[PHARM_CART_MAX_SKUS];
	int64_t avail[PHARM_CART_MAX_SKUS];
	enum apo_result rc;

	for (size_t i = 0; i < cart->nitems; i++)
		ids[i] = cart->items[i].sku_id;
	quote_use(q, cart->nitems);
	rc = for_order ? cache_products(c, t, ids, cart->nitems, skus, q->products)
		       : cache_skus(c, t, ids, cart->nitems, skus);
	if (rc != APO_OK || (rc = cache_stock(c, t, ids, cart->nitems, avail)) != APO_OK)
		return rc;
	for (size_t i = 0; i < cart->nitems; i++) {
		struct product *p = &q->products[i];
		/* Deleted since it was cached: the stock read is the fresher. */
		q->found[i] = skus[i].found && avail[i] >= 0;
		if (!q->found[i])
			continue;
		p->mrp = skus[i].mrp;
		p->price = skus[i].price;
		p->active = skus[i].active;
		p->rx_required = skus[i].rx_required;
		p->on_hand = avail[i];
		p->reserved = 0;
	}
	if (cart->coupon_code[0]) {
		rc = cache_coupon(c, t, cart->coupon_code, &q->coupon);
		if (rc == APO_OK)
			q->has_coupon = 1;
		else if (rc != APO_ERR_NOT_FOUND)
			return rc;
	}
	if (cart->pincode[0]) {
		rc = cache_pincode(c, t, cart->pincode, &q->pincode);
		if (rc == APO_OK)
			q->has_pincode = 1;
		else if (rc != APO_ERR_NOT_FOUND)
			return rc;
	}
	return APO_OK;
}

static enum apo_result price_loaded(const struct merchant *m, const struct pharm_cart *cart,
				    int64_t now, struct pharm_quote *q);

enum apo_result pharm_cart_price_cached(struct store_conn *c, const struct cache_ticket *t,
					const struct merchant *m, const struct pharm_cart *cart,
					int64_t now, struct pharm_quote *q)
{
	pharm_quote_release(q);
	enum apo_result rc = load_cached(c, t, cart, q, 0);
	return rc == APO_OK ? price_loaded(m, cart, now, q) : rc;
}

enum apo_result pharm_cart_price(struct store_conn *c, const struct cache_ticket *t,
				 const struct merchant *m, const struct pharm_cart *cart,
				 int64_t now, struct pharm_quote *q)
{
	pharm_quote_release(q);
	enum apo_result rc = load_cached(c, t, cart, q, 1);
	return rc == APO_OK ? price_loaded(m, cart, now, q) : rc;
}

/* Applies the pricing rules to what q holds. */
static enum apo_result price_loaded(const struct merchant *m, const struct pharm_cart *cart,
				    int64_t now, struct pharm_quote *q)
{
	struct pricing_input in;

	for (size_t i = 0; i < cart->nitems; i++) {
		const struct product *p = &q->products[i];
		struct pricing_line_in *l = &q->lines[i];
		l->sku_id = cart->items[i].sku_id;
		l->known = q->found[i] && p->active;
		l->mrp = p->mrp;
		l->offered = p->price;
		l->requested = cart->items[i].qty;
		l->available = l->known ? product_available(p) : 0;
	}
	memset(&in, 0, sizeof(in));
	in.lines = q->lines;
	in.nlines = cart->nitems;
	in.coupon_code = cart->coupon_code[0] ? cart->coupon_code : NULL;
	in.coupon = q->has_coupon ? &q->coupon : NULL;
	in.merchant_id = m->id;
	in.now = now;
	in.charges = m->charges;
	in.ncharges = m->ncharges;
	in.pincode = q->has_pincode ? &q->pincode : NULL;

	q->status = pricing_compute(&in, &q->result);
	if (q->status == PRICING_OK)
		return APO_OK;
	/* Out-of-limit input means a caller skipped pharm_cart_parse_or_reply. */
	return q->status == PRICING_BAD_INPUT ? APO_ERR_INTERNAL : APO_ERR_INVALID;
}

void pharm_quote_fail(struct req *r, enum apo_result rc, const struct pharm_quote *q)
{
	if (rc == APO_ERR_INVALID && q->status != PRICING_OK && q->status != PRICING_BAD_INPUT)
		pharm_error(r, 400, q->result.message);
	else
		pharm_fail(r, rc, NULL);
}
