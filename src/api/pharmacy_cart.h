/*
 * The pharmacy dialect's cart: the `skus`, `coupon_code`, `user` and
 * pincode members that inventory check and create order both take, read
 * and checked the same way, and priced the same way by loading the catalog
 * and handing it to core/pricing.h. Inventory check quotes the result;
 * create order calls the same functions inside its write transaction so
 * the amount it charges is the amount that was quoted.
 *
 * Not for rendering a quote (each endpoint answers its own shape) nor for
 * reserving stock or counting coupon uses (create order's transaction).
 */
#ifndef APO_API_PHARMACY_CART_H
#define APO_API_PHARMACY_CART_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/catalog.h"
#include "core/pricing.h"
#include "http/req.h"

struct merchant;
struct store_conn;

/* Limits of SPEC §1 on a cart. */
#define PHARM_CART_MAX_SKUS PRICING_MAX_LINES
#define PHARM_CART_MAX_QTY PRICING_MAX_QTY
/* The longest user.email, user.mobile, user.first_name or user.last_name. */
#define PHARM_USER_MAX_FIELD 256

struct pharm_cart_item {
	const char *sku_id; /* points into the request's JSON body */
	int64_t qty;	    /* 1..PHARM_CART_MAX_QTY */
};

/*
 * A parsed cart. It borrows from the request's JSON body (owned by the
 * struct req), so it lives no longer than the request.
 */
struct pharm_cart {
	struct pharm_cart_item items[PHARM_CART_MAX_SKUS]; /* in the body's order */
	size_t nitems;					   /* 1..PHARM_CART_MAX_SKUS */
	char coupon_code[COUPON_MAX_CODE + 1];		   /* upper-cased; "" when none given */
	char pincode[PINCODE_LEN + 1];			   /* "" until a pincode is parsed */
	const json_t *user;				   /* the `user` object, or NULL */
};

/*
 * Reads body's `skus` (required: an object of 1..PHARM_CART_MAX_SKUS valid
 * SKU ids, each to a JSON integer 1..PHARM_CART_MAX_QTY), `coupon_code`
 * (optional string of a valid code; "" or null means none) and `user`
 * (optional object whose email, mobile, first_name and last_name are
 * strings of at most PHARM_USER_MAX_FIELD bytes when present) into *cart,
 * which it initialises. The pincode is left for pharm_cart_pincode_or_reply,
 * as the two endpoints carry it in different places. On the first invalid
 * member answers 400 in the pharmacy error envelope, naming it, and
 * returns -1; returns 0 otherwise.
 */
int pharm_cart_parse_or_reply(struct req *r, const json_t *body, struct pharm_cart *cart);

/*
 * Reads the pincode from obj's member key (a string of 6 digits, the first
 * 1-9) into cart->pincode. label names the member in messages ("pincode",
 * "user.address.pincode"). A missing or invalid pincode answers 400 and
 * returns -1.
 */
int pharm_cart_pincode_or_reply(struct req *r, const json_t *obj, const char *key,
				const char *label, struct pharm_cart *cart);

/*
 * A priced cart: what was loaded from storage and what pricing made of it.
 * products[i] and found[i] belong to the cart's items[i]; result.lines[i]
 * too (its sku_id points at the cart's). result.charges point into the
 * merchant's charge rules. The quote owns the products and the coupon;
 * pharm_quote_release() frees them.
 */
struct pharm_quote {
	struct product products[PHARM_CART_MAX_SKUS];
	int found[PHARM_CART_MAX_SKUS]; /* 1: the SKU is in the platform catalog */
	size_t n;
	struct coupon coupon;
	int has_coupon; /* coupon was loaded */
	struct pincode_entry pincode;
	int has_pincode; /* the pincode has an entry */
	struct pricing_line_in lines[PHARM_CART_MAX_SKUS];
	enum pricing_status status;
	struct pricing_result result;
};

/* Sets up an empty quote (nothing owned). */
void pharm_quote_init(struct pharm_quote *q);

/* Frees what the quote owns; it is empty and reusable afterwards. */
void pharm_quote_release(struct pharm_quote *q);

struct cache_ticket;

/*
 * Prices cart for merchant m at time now (epoch seconds) into *q, which
 * must be initialised (and is released first, so one quote can be reused):
 * the cart's SKUs of the platform catalog (merchant_id ""), the coupon and
 * the pincode entry come from the read cache as of ticket t (store/cache.h)
 * — which create order syncs with check_ms 0, so they are as current as
 * the tables — available units (on_hand - reserved) and a limited coupon's
 * use count from the database through c; then pricing_compute() with m's
 * charge rules. An SKU that is missing or inactive is priced as unknown
 * (quantity 0). Each product found carries what an order line copies (row
 * id, name, pack size, type).
 *
 * Returns APO_OK with q->status PRICING_OK and q->result complete;
 * APO_ERR_INVALID when pricing refused the cart (q->status says which rule,
 * q->result.message says it in words); or the storage error that stopped
 * it. Everything loaded stays in *q either way until released.
 */
enum apo_result pharm_cart_price(struct store_conn *c, const struct cache_ticket *t,
				 const struct merchant *m, const struct pharm_cart *cart,
				 int64_t now, struct pharm_quote *q);

/*
 * pharm_cart_price() for a quote that reserves nothing (inventory check):
 * the same, but only the products' numbers are filled (their strings stay
 * NULL). Same results.
 */
enum apo_result pharm_cart_price_cached(struct store_conn *c, const struct cache_ticket *t,
					const struct merchant *m, const struct pharm_cart *cart,
					int64_t now, struct pharm_quote *q);

/*
 * Answers a failed pharm_cart_price(): a pricing refusal as 400 with its
 * message, anything else through pharm_fail().
 */
void pharm_quote_fail(struct req *r, enum apo_result rc, const struct pharm_quote *q);

#endif
