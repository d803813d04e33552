/*
 * The pricing rules of SPEC §2.1 as one pure function (see pricing.h for
 * the contract and the spreading rule). Not for loading, validating or
 * rendering carts: api/pharmacy_cart.c does that around it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "core/pricing.h"
#include "core/money.h"
#include "base/banned.h"

/* Products of two amounts need more than 64 bits (see pricing.h). */
__extension__ typedef __int128 i128;

#define SECONDS_PER_DAY 86400
/* ETAs are clamped to a century so a bad stored day count cannot overflow. */
#define PRICING_MAX_ETA_DAYS 36500

const char *pricing_status_name(enum pricing_status st)
{
	switch (st) {
	case PRICING_OK:
		return "ok";
	case PRICING_COUPON_UNKNOWN:
		return "coupon_unknown";
	case PRICING_COUPON_EXPIRED:
		return "coupon_expired";
	case PRICING_COUPON_NOT_YET_VALID:
		return "coupon_not_yet_valid";
	case PRICING_COUPON_EXHAUSTED:
		return "coupon_exhausted";
	case PRICING_COUPON_MIN_CART:
		return "coupon_min_cart_value";
	case PRICING_COUPON_WRONG_MERCHANT:
		return "coupon_wrong_merchant";
	case PRICING_PINCODE_UNSERVICEABLE:
		return "pincode_unserviceable";
	case PRICING_BAD_INPUT:
		break;
	}
	return "bad_input";
}

static int amount_ok(int64_t v)
{
	return v >= 0 && v <= MONEY_MAX;
}

/* Fills order[] with line indices sorted by sku_id; -1 on a duplicate id. */
static int sort_by_sku(const struct pricing_line_in *lines, size_t n, size_t *order)
{
	for (size_t i = 0; i < n; i++) {
		size_t j = i;
		while (j > 0 && strcmp(lines[order[j - 1]].sku_id, lines[i].sku_id) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (size_t i = 1; i < n; i++)
		if (strcmp(lines[order[i - 1]].sku_id, lines[order[i]].sku_id) == 0)
			return -1;
	return 0;
}

static int input_ok(const struct pricing_input *in, size_t *order)
{
	if (!in->lines || in->nlines == 0 || in->nlines > PRICING_MAX_LINES ||
	    in->ncharges > PRICING_MAX_CHARGES || (in->ncharges && !in->charges))
		return 0;
	for (size_t i = 0; i < in->nlines; i++) {
		const struct pricing_line_in *l = &in->lines[i];
		if (!l->sku_id || l->requested < 1 || l->requested > PRICING_MAX_QTY)
			return 0;
		if (l->known && (!amount_ok(l->mrp) || !amount_ok(l->offered)))
			return 0;
	}
	for (size_t i = 0; i < in->ncharges; i++)
		if (!amount_ok(in->charges[i].amount))
			return 0;
	if (in->coupon && in->coupon->value < 0)
		return 0;
	return sort_by_sku(in->lines, in->nlines, order) == 0;
}

static enum pricing_status refuse(struct pricing_result *out, enum pricing_status st,
				  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum pricing_status refuse(struct pricing_result *out, enum pricing_status st,
				  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	return st;
}

/* The coupon rules other than existence, in the order pricing.h gives. */
static enum pricing_status coupon_refusal(const struct pricing_input *in,
					  struct pricing_result *out)
{
	const struct coupon *c = in->coupon;
	const char *code = in->coupon_code;
	char min[MONEY_FMT_CAP], have[MONEY_FMT_CAP];

	if (c->merchant_id && *c->merchant_id &&
	    !(in->merchant_id && strcmp(c->merchant_id, in->merchant_id) == 0))
		return refuse(out, PRICING_COUPON_WRONG_MERCHANT,
			      "Coupon %s is not valid for this merchant", code);
	if (c->valid_from >= 0 && in->now < c->valid_from)
		return refuse(out, PRICING_COUPON_NOT_YET_VALID, "Coupon %s is not valid yet",
			      code);
	if (c->valid_to >= 0 && in->now > c->valid_to)
		return refuse(out, PRICING_COUPON_EXPIRED, "Coupon %s has expired", code);
	if (c->usage_limit >= 0 && c->used_count >= c->usage_limit)
		return refuse(out, PRICING_COUPON_EXHAUSTED,
			      "Coupon %s has reached its usage limit", code);
	if (c->min_cart_value >= 0 && out->offered_total < c->min_cart_value) {
		money_format_fixed(c->min_cart_value, min);
		money_format_fixed(out->offered_total, have);
		return refuse(out, PRICING_COUPON_MIN_CART,
			      "Coupon %s needs a cart value of at least %s (cart value %s)", code,
			      min, have);
	}
	return PRICING_OK;
}

/* D of pricing.h: never above the subtotal or the coupon's cap. */
static int64_t nominal_discount(const struct coupon *c, int64_t subtotal)
{
	i128 d;
	if (c->kind == COUPON_PERCENT)
		d = (i128)subtotal * c->value / PRICING_PERCENT_ONE;
	else
		d = c->value;
	if (c->max_discount >= 0 && d > c->max_discount)
		d = c->max_discount;
	if (d > subtotal)
		d = subtotal;
	return (int64_t)d;
}

/*
 * Per-unit prices keep the fraction (S - D) / S of the offered price,
 * rounded half-up; then, in sku_id order, units whose discount was rounded
 * up are rounded down instead until the effective discount is within D.
 */
static void spread_discount(struct pricing_result *out, const size_t *order)
{
	int64_t s = out->offered_total, d = out->nominal_discount, effective = 0;

	for (size_t i = 0; i < out->nlines; i++) {
		struct pricing_line *l = &out->lines[i];
		if (!l->known)
			continue;
		if (s == 0) {
			l->discounted = l->offered;
			continue;
		}
		i128 num = (i128)l->offered * (s - d);
		l->discounted = (int64_t)((2 * num + s) / (2 * (i128)s));
		effective += l->quantity * (l->offered - l->discounted);
	}
	for (size_t k = 0; k < out->nlines && effective > d; k++) {
		struct pricing_line *l = &out->lines[order[k]];
		if (!l->known || l->quantity == 0)
			continue;
		/* Rounded down: the unit's discount was rounded up. */
		if ((i128)l->discounted * s < (i128)l->offered * (s - d)) {
			l->discounted++;
			effective -= l->quantity;
		}
	}
	out->discount = effective;
}

static int64_t eta_days(int64_t days)
{
	return days > PRICING_MAX_ETA_DAYS ? PRICING_MAX_ETA_DAYS : days;
}

static void set_eta(const struct pricing_input *in, struct pricing_result *out)
{
	const struct pincode_entry *p = in->pincode;
	int64_t lo, hi;

	if (!p || (p->eta_min_days < 0 && p->eta_max_days < 0))
		return;
	lo = p->eta_min_days >= 0 ? p->eta_min_days : p->eta_max_days;
	hi = p->eta_max_days >= 0 ? p->eta_max_days : p->eta_min_days;
	if (lo > hi) {
		int64_t t = lo;
		lo = hi;
		hi = t;
	}
	out->has_eta = 1;
	out->eta_from = in->now + eta_days(lo) * SECONDS_PER_DAY;
	out->eta_to = in->now + eta_days(hi) * SECONDS_PER_DAY;
}

static void add_charges(const struct pricing_input *in, struct pricing_result *out, int64_t units)
{
	/* Nothing to deliver, nothing to handle. */
	if (units == 0)
		return;
	for (size_t i = 0; i < in->ncharges; i++) {
		const struct charge_rule *rule = &in->charges[i];
		if (rule->below >= 0 && out->offered_total >= rule->below)
			continue;
		struct pricing_charge *c = &out->charges[out->ncharges++];
		c->type = rule->type;
		c->display_text = rule->display_text;
		c->amount = rule->amount;
		out->charges_total += rule->amount;
	}
}

enum pricing_status pricing_compute(const struct pricing_input *in, struct pricing_result *out)
{
	size_t order[PRICING_MAX_LINES];
	int64_t units = 0;
	enum pricing_status st;

	/* Everything but the lines, and then only the lines in use: a whole
	 * result is kilobytes, cleared on every quote. */
	_Static_assert(offsetof(struct pricing_result, nlines) ==
			   sizeof(((struct pricing_result *)0)->lines),
		       "the lines come first in a pricing result");
	memset(&out->nlines, 0, sizeof(*out) - offsetof(struct pricing_result, nlines));
	if (!input_ok(in, order))
		return refuse(out, PRICING_BAD_INPUT, "Cart is outside pricing limits");
	memset(out->lines, 0, in->nlines * sizeof(out->lines[0]));
	out->nlines = in->nlines;
	for (size_t i = 0; i < in->nlines; i++) {
		const struct pricing_line_in *src = &in->lines[i];
		struct pricing_line *l = &out->lines[i];
		l->sku_id = src->sku_id;
		l->known = src->known != 0;
		l->requested = src->requested;
		if (l->known) {
			l->mrp = src->mrp;
			l->offered = src->offered;
			l->quantity = src->available < 0		? 0
				      : src->available < src->requested ? src->available
									: src->requested;
		}
		if (l->quantity < l->requested)
			out->partial = 1;
		units += l->quantity;
		out->mrp_total += l->quantity * l->mrp;
		out->offered_total += l->quantity * l->offered;
	}

	if (in->pincode && !in->pincode->serviceable)
		return refuse(out, PRICING_PINCODE_UNSERVICEABLE, "Pincode %s is not serviceable",
			      in->pincode->pincode);
	if (in->coupon_code) {
		if (!in->coupon)
			return refuse(out, PRICING_COUPON_UNKNOWN, "Coupon %s does not exist",
				      in->coupon_code);
		st = coupon_refusal(in, out);
		if (st != PRICING_OK)
			return st;
		out->coupon_applied = 1;
		out->nominal_discount = nominal_discount(in->coupon, out->offered_total);
	}

	spread_discount(out, order);
	out->discounted_total = out->offered_total - out->discount;
	add_charges(in, out, units);
	out->payable = out->discounted_total + out->charges_total;
	set_eta(in, out);
	return PRICING_OK;
}
