/*
 * Pricing: the one function that turns a cart into the amounts a merchant
 * is quoted by the inventory check and charged by create order (SPEC §2.1).
 * Given each line's catalog prices and availability, an optional coupon,
 * the merchant's charge rules and the delivery pincode's entry, it decides
 * the quantity priced per line, the per-unit price after the coupon, the
 * charges that apply, the payable amount and the ETA, or refuses the cart
 * with a reason a merchant can read.
 *
 * It is pure: plain values in, plain values out, no allocation, no clock,
 * no storage and no JSON. Loading the catalog, checking the request's shape
 * and writing the answer belong to the caller (api/pharmacy_cart.h); so do
 * the request limits, which pricing re-checks only to stay free of overflow.
 *
 * Arithmetic is exact in paise. Every product of two amounts is taken in
 * 128 bits, so the bounds below (PRICING_MAX_LINES lines of at most
 * PRICING_MAX_QTY units at most MONEY_MAX each) cannot overflow.
 *
 * How the coupon is spread. The nominal discount D is, for a percent
 * coupon, the offered subtotal S times the percentage rounded down to the
 * paisa and capped by max_discount; for a flat coupon, its value (also
 * capped by max_discount when one is set). D never exceeds S. Every priced
 * unit then keeps the same fraction (S - D) / S of its offered price, which
 * spreads D over the lines in proportion to their offered totals and does
 * not depend on the order of the lines. Each per-unit discounted price is
 * rounded half-up to the paisa; the effective discount is what those
 * rounded prices give, Σ quantity × (offered - discounted). Rounding may
 * lower it below D but never lifts it above D: when the half-up prices
 * would discount more than D, lines are taken in ascending sku_id order and
 * their per-unit discount rounded down instead of up, one line at a time,
 * until the effective discount is within D.
 */
#ifndef APO_PRICING_H
#define APO_PRICING_H

#include <stddef.h>
#include <stdint.h>

#include "core/catalog.h"
#include "core/merchant.h"

/* Limits of SPEC §1 that keep pricing's arithmetic in range. */
#define PRICING_MAX_LINES 100
#define PRICING_MAX_QTY 1000
#define PRICING_MAX_CHARGES MERCHANT_MAX_CHARGES

/* Room for any refusal message, terminator included. */
#define PRICING_MSG_CAP 192

/* A percent coupon's value is in hundredths of a percent: 10000 is 100%. */
#define PRICING_PERCENT_ONE 10000

/* One requested line as the catalog knows it. */
struct pricing_line_in {
	const char *sku_id; /* unique within a cart; borrowed, not copied */
	int known;	    /* 1: in the catalog and active; 0: unknown or inactive */
	int64_t mrp;	    /* paise per unit; ignored unless known */
	int64_t offered;    /* selling price, paise per unit; ignored unless known */
	int64_t requested;  /* 1..PRICING_MAX_QTY */
	int64_t available;  /* units that can be sold now; negative counts as 0 */
};

/* Everything a price depends on. Pointers are borrowed for the call only. */
struct pricing_input {
	const struct pricing_line_in *lines;
	size_t nlines; /* 1..PRICING_MAX_LINES */

	/* The code the customer typed (NULL: no coupon) and the coupon stored
	 * under it (NULL: there is none, which refuses the cart). */
	const char *coupon_code;
	const struct coupon *coupon;

	const char *merchant_id; /* for merchant-scoped coupons */
	int64_t now;		 /* epoch seconds: coupon validity and the ETA */

	const struct charge_rule *charges;
	size_t ncharges; /* 0..PRICING_MAX_CHARGES */

	/* The delivery pincode's entry, or NULL when it has none (deliverable,
	 * no ETA known). */
	const struct pincode_entry *pincode;
};

/* One line of the quote, in the input's order. */
struct pricing_line {
	const char *sku_id; /* the input's pointer */
	int known;
	int64_t mrp, offered, discounted; /* paise per unit; all 0 when !known */
	int64_t requested;
	int64_t quantity; /* min(requested, available); 0 when !known */
};

/* One charge that applies, pointing into the input's charge rule. */
struct pricing_charge {
	const char *type;
	const char *display_text;
	int64_t amount;
};

struct pricing_result {
	struct pricing_line lines[PRICING_MAX_LINES];
	size_t nlines;
	struct pricing_charge charges[PRICING_MAX_CHARGES];
	size_t ncharges;

	int64_t mrp_total;	  /* Σ quantity × mrp */
	int64_t offered_total;	  /* S = Σ quantity × offered */
	int64_t nominal_discount; /* D, see above; 0 without a coupon */
	int64_t discount;	  /* effective: Σ quantity × (offered - discounted) */
	int64_t discounted_total; /* Σ quantity × discounted = S - discount */
	int64_t charges_total;	  /* Σ charges[].amount */
	int64_t payable;	  /* discounted_total + charges_total */
	int coupon_applied;	  /* a coupon was given and accepted */

	int partial; /* some line's quantity is below what was requested */

	int has_eta; /* eta_from/eta_to are set (epoch seconds) */
	int64_t eta_from, eta_to;

	char message[PRICING_MSG_CAP]; /* why, on a refusal; "" on success */
};

/* Why a cart was refused. Each refusal is its own code. */
enum pricing_status {
	PRICING_OK = 0,
	PRICING_COUPON_UNKNOWN,
	PRICING_COUPON_EXPIRED,
	PRICING_COUPON_NOT_YET_VALID,
	PRICING_COUPON_EXHAUSTED,
	PRICING_COUPON_MIN_CART,
	PRICING_COUPON_WRONG_MERCHANT,
	PRICING_PINCODE_UNSERVICEABLE,
	PRICING_BAD_INPUT, /* outside the limits above: the caller's bug */
};

/*
 * Prices the cart in `in` into *out. Returns PRICING_OK with every field of
 * *out filled, or a refusal with out->message saying why in words fit for
 * the merchant ("Pincode 560103 is not serviceable", "Coupon SAVE10 needs
 * a cart value of at least 500.00"); the other fields of *out are then
 * unspecified.
 *
 * Per line: quantity = min(requested, available), 0 for an unknown or
 * inactive SKU, whose prices are reported as 0 and should be shown as
 * absent. A known line with quantity 0 still gets its prices.
 *
 * The rules, in the order they are checked: an unserviceable pincode entry
 * refuses the cart. A coupon code without a coupon is unknown; a coupon
 * scoped to another merchant is refused; then its validity window
 * (valid_from <= now <= valid_to), its usage limit (used_count >=
 * usage_limit is exhausted) and its min_cart_value against S.
 *
 * A charge rule applies when its `below` is negative or S is below it.
 * A cart with nothing to sell (every quantity 0) carries no charges, so
 * its payable amount is 0.
 *
 * The ETA comes from a serviceable pincode entry with day counts: eta_from
 * = now + eta_min_days days, eta_to = now + eta_max_days days (a missing
 * one takes the other's value). No entry, or no day counts, means no ETA.
 *
 * The result does not depend on the order of the input lines, except
 * that out->lines follows it.
 */
enum pricing_status pricing_compute(const struct pricing_input *in, struct pricing_result *out);

/* A short stable name for a status, for logs and tests ("coupon_expired"). */
const char *pricing_status_name(enum pricing_status st);

#endif
