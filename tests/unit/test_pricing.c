/*
 * Pricing: the seed's example to the paisa, every coupon refusal, caps,
 * minimum cart values, charge thresholds, ETAs, and a property test over
 * thousands of random carts (fixed seed, so failures reproduce).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "core/pricing.h"
#include "t.h"

#define DAY 86400

__extension__ typedef __int128 i128;
#define NOW INT64_C(1713421959)

static struct pricing_line_in line(const char *sku, int64_t mrp, int64_t offered, int64_t qty,
				   int64_t available)
{
	struct pricing_line_in l = {sku, 1, mrp, offered, qty, available};
	return l;
}

static struct coupon percent_coupon(int64_t hundredths)
{
	struct coupon c;
	coupon_init(&c);
	c.kind = COUPON_PERCENT;
	c.value = hundredths;
	return c;
}

static struct coupon flat_coupon(int64_t paise)
{
	struct coupon c;
	coupon_init(&c);
	c.kind = COUPON_FLAT;
	c.value = paise;
	return c;
}

static struct pricing_input input(const struct pricing_line_in *lines, size_t n)
{
	struct pricing_input in;
	memset(&in, 0, sizeof(in));
	in.lines = lines;
	in.nlines = n;
	in.merchant_id = "m1";
	in.now = NOW;
	return in;
}

/* The seed: 10 × 157 with 66% off and a 99 handling fee is 632.80. */
static void test_seed_example(void)
{
	struct pricing_line_in l[] = {line("248941", 15700, 15700, 10, 50)};
	struct coupon c = percent_coupon(6600);
	struct charge_rule fee = {"handling_fee", "REDISTRIBUTIONTEST", 9900, -1};
	struct pricing_input in = input(l, 1);
	struct pricing_result out;
	in.coupon_code = "SEED66";
	in.coupon = &c;
	in.charges = &fee;
	in.ncharges = 1;

	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.lines[0].mrp, 15700);
	CHECK_INT(out.lines[0].offered, 15700);
	CHECK_INT(out.lines[0].discounted, 5338);
	CHECK_INT(out.lines[0].quantity, 10);
	CHECK_INT(out.ncharges, 1);
	CHECK_STR(out.charges[0].type, "handling_fee");
	CHECK_STR(out.charges[0].display_text, "REDISTRIBUTIONTEST");
	CHECK_INT(out.charges_total, 9900);
	CHECK_INT(out.offered_total, 157000);
	CHECK_INT(out.nominal_discount, 103620);
	CHECK_INT(out.discount, 103620);
	CHECK_INT(out.payable, 63280);
	CHECK_INT(out.partial, 0);
	CHECK_INT(out.has_eta, 0);
	CHECK(out.coupon_applied);
	CHECK_STR(out.message, "");
}

static void test_no_coupon_partial_and_unknown(void)
{
	struct pricing_line_in l[] = {
	    line("a", 20000, 18000, 5, 3), line("b", 1000, 900, 2, 0), {"c", 0, 0, 0, 4, 0}};
	struct pricing_input in = input(l, 3);
	struct pricing_result out;

	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.lines[0].quantity, 3);
	CHECK_INT(out.lines[0].discounted, 18000);
	CHECK_INT(out.lines[1].quantity, 0);
	CHECK_INT(out.lines[1].discounted, 900); /* known: priced though out of stock */
	CHECK_INT(out.lines[2].known, 0);
	CHECK_INT(out.lines[2].quantity, 0);
	CHECK_INT(out.payable, 54000);
	CHECK_INT(out.mrp_total, 60000);
	CHECK_INT(out.partial, 1);

	/* Everything in full: not partial. */
	l[0].available = 5;
	l[1].available = 1000;
	l[2].known = 1;
	l[2].mrp = l[2].offered = 100;
	l[2].available = 4;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.partial, 0);
	CHECK_INT(out.payable, 5 * 18000 + 2 * 900 + 4 * 100);
}

static void test_coupon_refusals(void)
{
	struct pricing_line_in l[] = {line("a", 10000, 10000, 2, 10)};
	struct pricing_input in = input(l, 1);
	struct pricing_result out;
	struct coupon c = percent_coupon(1000);
	struct pincode_entry pin = {"560103", 0, 2, 4};

	in.coupon_code = "SAVE10";
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_UNKNOWN);
	CHECK_STR(out.message, "Coupon SAVE10 does not exist");

	in.coupon = &c;
	c.merchant_id = "m2";
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_WRONG_MERCHANT);
	CHECK_STR(out.message, "Coupon SAVE10 is not valid for this merchant");
	c.merchant_id = "m1";
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	c.merchant_id = NULL;

	c.valid_from = NOW + 1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_NOT_YET_VALID);
	CHECK_STR(out.message, "Coupon SAVE10 is not valid yet");
	c.valid_from = NOW;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);

	c.valid_to = NOW - 1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_EXPIRED);
	CHECK_STR(out.message, "Coupon SAVE10 has expired");
	c.valid_to = NOW;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);

	c.usage_limit = 3;
	c.used_count = 3;
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_EXHAUSTED);
	CHECK_STR(out.message, "Coupon SAVE10 has reached its usage limit");
	c.used_count = 2;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	c.usage_limit = 0;
	c.used_count = 0;
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_EXHAUSTED);
	c.usage_limit = CATALOG_NONE;

	/* The minimum is on the offered subtotal of what can be sold. */
	c.min_cart_value = 20001;
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_MIN_CART);
	CHECK_STR(out.message,
		  "Coupon SAVE10 needs a cart value of at least 200.01 (cart value 200.00)");
	c.min_cart_value = 20000;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.discount, 2000);
	l[0].available = 1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_MIN_CART);
	l[0].available = 10;

	/* The pincode is checked before the coupon. */
	in.pincode = &pin;
	c.valid_to = NOW - 1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_PINCODE_UNSERVICEABLE);
	CHECK_STR(out.message, "Pincode 560103 is not serviceable");
	pin.serviceable = 1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_COUPON_EXPIRED);

	/* Each refusal has its own name. */
	const char *names[] = {pricing_status_name(PRICING_COUPON_UNKNOWN),
			       pricing_status_name(PRICING_COUPON_EXPIRED),
			       pricing_status_name(PRICING_COUPON_NOT_YET_VALID),
			       pricing_status_name(PRICING_COUPON_EXHAUSTED),
			       pricing_status_name(PRICING_COUPON_MIN_CART),
			       pricing_status_name(PRICING_COUPON_WRONG_MERCHANT),
			       pricing_status_name(PRICING_PINCODE_UNSERVICEABLE)};
	for (size_t i = 0; i < 7; i++)
		for (size_t j = i + 1; j < 7; j++)
			CHECK(strcmp(names[i], names[j]) != 0);
}

static void test_caps_and_flat(void)
{
	struct pricing_line_in l[] = {line("a", 10000, 10000, 1, 10),
				      line("b", 30000, 30000, 1, 10)};
	struct pricing_input in = input(l, 2);
	struct pricing_result out;
	struct coupon c = percent_coupon(5000);

	in.coupon_code = "HALF";
	in.coupon = &c;
	c.max_discount = 5000; /* 50% of 400 capped at 50 */
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.nominal_discount, 5000);
	CHECK_INT(out.lines[0].discounted, 8750); /* 1/8 of the cap each way */
	CHECK_INT(out.lines[1].discounted, 26250);
	CHECK_INT(out.discount, 5000);
	CHECK_INT(out.payable, 35000);

	/* Flat larger than the cart: everything free, never negative. */
	struct coupon f = flat_coupon(100000);
	in.coupon = &f;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.nominal_discount, 40000);
	CHECK_INT(out.lines[0].discounted, 0);
	CHECK_INT(out.lines[1].discounted, 0);
	CHECK_INT(out.payable, 0);

	/* 100% off, and the cap applies to flat coupons too. */
	struct coupon all = percent_coupon(PRICING_PERCENT_ONE);
	in.coupon = &all;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.payable, 0);
	f.max_discount = 4000;
	in.coupon = &f;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.discount, 4000);
	CHECK_INT(out.payable, 36000);
}

/* Half-up rounding would give 3 paise of discount where 2 were offered. */
static void test_rounding_never_exceeds_nominal(void)
{
	struct pricing_line_in l[] = {line("c", 1, 1, 1, 1), line("a", 1, 1, 1, 1),
				      line("b", 1, 1, 1, 1)};
	struct pricing_input in = input(l, 3);
	struct pricing_result out;
	struct coupon f = flat_coupon(2);

	in.coupon_code = "TWO";
	in.coupon = &f;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.nominal_discount, 2);
	CHECK_INT(out.discount, 2);
	CHECK_INT(out.lines[1].discounted, 1); /* "a" comes first in sku order */
	CHECK_INT(out.lines[2].discounted, 0);
	CHECK_INT(out.lines[0].discounted, 0);
	CHECK_INT(out.payable, 1);

	/* Rounding may leave the effective discount below nominal. */
	struct pricing_line_in one[] = {line("x", 101, 101, 3, 3)};
	struct coupon third = flat_coupon(100);
	in = input(one, 1);
	in.coupon_code = "T";
	in.coupon = &third;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.lines[0].discounted, 68); /* 101 × 203/303 = 67.67 */
	CHECK_INT(out.discount, 99);
}

static void test_charges(void)
{
	struct pricing_line_in l[] = {line("a", 50000, 40000, 1, 5)};
	struct charge_rule rules[] = {
	    {"handling_fee", "Handling", 9900, -1},
	    {"delivery", "Delivery below 500", 4000, 50000},
	    {"packaging", "Green packaging", 300, 40000},
	    {"rapid", "Rapid Delivery Fee", 0, -1},
	};
	struct pricing_input in = input(l, 1);
	struct pricing_result out;
	in.charges = rules;
	in.ncharges = 4;

	/* Offered 400: below 500 applies, "below 400" does not. */
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.ncharges, 3);
	CHECK_STR(out.charges[0].type, "handling_fee");
	CHECK_STR(out.charges[1].type, "delivery");
	CHECK_STR(out.charges[2].type, "rapid");
	CHECK_INT(out.charges_total, 13900);
	CHECK_INT(out.payable, 53900);

	/* The threshold is on the offered subtotal, before any coupon. */
	struct coupon c = percent_coupon(5000);
	in.coupon_code = "HALF";
	in.coupon = &c;
	l[0].requested = 2;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.ncharges, 2);
	CHECK_INT(out.charges_total, 9900);
	CHECK_INT(out.payable, 40000 + 9900);

	/* Nothing to sell: no charges, nothing payable. */
	l[0].available = 0;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.ncharges, 0);
	CHECK_INT(out.payable, 0);
	CHECK_INT(out.partial, 1);
}

static void test_eta(void)
{
	struct pricing_line_in l[] = {line("a", 100, 100, 1, 1)};
	struct pricing_input in = input(l, 1);
	struct pricing_result out;
	struct pincode_entry pin = {"110001", 1, 2, 5};

	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.has_eta, 0);
	in.pincode = &pin;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.has_eta, 1);
	CHECK_INT(out.eta_from, NOW + 2 * DAY);
	CHECK_INT(out.eta_to, NOW + 5 * DAY);
	pin.eta_min_days = CATALOG_NONE;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.eta_from, NOW + 5 * DAY);
	pin.eta_max_days = CATALOG_NONE;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
	CHECK_INT(out.has_eta, 0);
}

static void test_bad_input(void)
{
	struct pricing_line_in l[] = {line("a", 100, 100, 1, 1), line("a", 100, 100, 1, 1)};
	struct pricing_input in = input(l, 2);
	struct pricing_result out;

	CHECK_INT(pricing_compute(&in, &out), PRICING_BAD_INPUT); /* duplicate sku */
	in.nlines = 0;
	CHECK_INT(pricing_compute(&in, &out), PRICING_BAD_INPUT);
	in.nlines = 1;
	l[0].requested = PRICING_MAX_QTY + 1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_BAD_INPUT);
	l[0].requested = 0;
	CHECK_INT(pricing_compute(&in, &out), PRICING_BAD_INPUT);
	l[0].requested = 1;
	l[0].offered = -1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_BAD_INPUT);
	l[0].offered = MONEY_MAX + 1;
	CHECK_INT(pricing_compute(&in, &out), PRICING_BAD_INPUT);
	l[0].offered = 100;
	CHECK_INT(pricing_compute(&in, &out), PRICING_OK);
}

/* xorshift64*: a small deterministic PRNG so failures reproduce. */
static uint64_t rng_state = UINT64_C(0x9E3779B97F4A7C15);

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * UINT64_C(2685821657736338717);
}

/* Uniform-ish in [lo, hi]. */
static int64_t rnd(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng() % (uint64_t)(hi - lo + 1));
}

static int64_t random_amount(void)
{
	switch (rnd(0, 4)) {
	case 0:
		return rnd(0, 100);
	case 1:
		return rnd(0, 100000);
	case 2:
		return rnd(0, 10000000);
	case 3:
		return rnd(MONEY_MAX - 1000, MONEY_MAX);
	default:
		return rnd(0, MONEY_MAX);
	}
}

struct cart {
	char ids[PRICING_MAX_LINES][16];
	struct pricing_line_in lines[PRICING_MAX_LINES];
	struct charge_rule charges[4];
	struct coupon coupon;
	struct pricing_input in;
};

static void random_cart(struct cart *c)
{
	size_t n = rnd(0, 9) == 0 ? (size_t)rnd(1, PRICING_MAX_LINES) : (size_t)rnd(1, 8);
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < n; i++) {
		struct pricing_line_in *l = &c->lines[i];
		snprintf(c->ids[i], sizeof(c->ids[i]), "%zu", i * 7919 % 100003);
		l->sku_id = c->ids[i];
		l->known = rnd(0, 9) != 0;
		l->mrp = random_amount();
		l->offered = rnd(0, 3) == 0 ? l->mrp : rnd(0, l->mrp);
		l->requested = rnd(0, 3) == 0 ? rnd(1, PRICING_MAX_QTY) : rnd(1, 5);
		l->available = rnd(0, 4) == 0 ? rnd(0, l->requested) : rnd(0, 2000);
	}
	coupon_init(&c->coupon);
	if (rnd(0, 1)) {
		c->coupon.kind = rnd(0, 1) ? COUPON_PERCENT : COUPON_FLAT;
		c->coupon.value = c->coupon.kind == COUPON_PERCENT ? rnd(0, PRICING_PERCENT_ONE)
								   : random_amount();
		if (rnd(0, 2) == 0)
			c->coupon.max_discount = random_amount();
		c->in.coupon_code = "RND";
		c->in.coupon = &c->coupon;
	}
	size_t nch = (size_t)rnd(0, 4);
	for (size_t i = 0; i < nch; i++) {
		c->charges[i].type = "fee";
		c->charges[i].display_text = "Fee";
		c->charges[i].amount = random_amount();
		c->charges[i].below = rnd(0, 1) ? -1 : random_amount();
	}
	c->in.lines = c->lines;
	c->in.nlines = n;
	c->in.charges = c->charges;
	c->in.ncharges = nch;
	c->in.merchant_id = "m1";
	c->in.now = NOW;
}

static const struct pricing_line *find_line(const struct pricing_result *r, const char *sku)
{
	for (size_t i = 0; i < r->nlines; i++)
		if (strcmp(r->lines[i].sku_id, sku) == 0)
			return &r->lines[i];
	return NULL;
}

static int same_result(const struct pricing_result *a, const struct pricing_result *b)
{
	if (a->payable != b->payable || a->discount != b->discount ||
	    a->charges_total != b->charges_total || a->partial != b->partial ||
	    a->nlines != b->nlines)
		return 0;
	for (size_t i = 0; i < a->nlines; i++) {
		const struct pricing_line *x = &a->lines[i], *y = find_line(b, x->sku_id);
		if (!y || x->quantity != y->quantity || x->discounted != y->discounted ||
		    x->offered != y->offered || x->mrp != y->mrp)
			return 0;
	}
	return 1;
}

static void test_property_random_carts(void)
{
	static struct cart c, shuffled;
	static struct pricing_result out, out2;
	int bad_sum = 0, bad_order = 0, bad_discount = 0, bad_nominal = 0, bad_shuffle = 0;
	int bad_qty = 0, rounded_down = 0, capped = 0, bumped = 0;

	for (int iter = 0; iter < 20000; iter++) {
		random_cart(&c);
		if (pricing_compute(&c.in, &out) != PRICING_OK) {
			CHECK(0);
			continue;
		}
		int64_t sum = 0, units = 0, subtotal = 0;
		for (size_t i = 0; i < out.nlines; i++) {
			const struct pricing_line *l = &out.lines[i];
			const struct pricing_line_in *src = &c.lines[i];
			int64_t want_q = !src->known			   ? 0
					 : src->available < src->requested ? src->available
									   : src->requested;
			if (l->quantity != want_q)
				bad_qty++;
			if (l->known && !(0 <= l->discounted && l->discounted <= l->offered &&
					  l->offered <= l->mrp))
				bad_order++;
			/* Counts units whose half-up price was lifted to stay within D. */
			if (l->known && out.offered_total > 0) {
				i128 num =
				    (i128)l->offered * (out.offered_total - out.nominal_discount);
				if ((2 * num + out.offered_total) / (2 * (i128)out.offered_total) !=
				    l->discounted)
					bumped++;
			}
			sum += l->quantity * l->discounted;
			units += l->quantity;
			subtotal += l->quantity * l->offered;
		}
		if (out.payable != sum + out.charges_total || out.offered_total != subtotal)
			bad_sum++;
		int64_t cap = c.coupon.max_discount;
		if (out.discount > out.nominal_discount || out.discount < 0 ||
		    out.discount != subtotal - sum ||
		    (c.in.coupon && cap >= 0 && out.discount > cap))
			bad_discount++;
		/* Each unit is at most one paisa off its exact share. */
		if (out.discount < out.nominal_discount - units)
			bad_discount++;
		if (c.in.coupon) {
			i128 want = c.coupon.kind == COUPON_PERCENT
					? (i128)subtotal * c.coupon.value / PRICING_PERCENT_ONE
					: c.coupon.value;
			if (cap >= 0 && want > cap) {
				want = cap;
				capped++;
			}
			if (want > subtotal)
				want = subtotal;
			if (out.nominal_discount != (int64_t)want)
				bad_nominal++;
		} else if (out.nominal_discount != 0 || out.discount != 0) {
			bad_nominal++;
		}
		if (out.discount < out.nominal_discount)
			rounded_down++;

		/* The same cart in another order prices the same. */
		shuffled = c;
		for (size_t i = shuffled.in.nlines; i > 1; i--) {
			size_t j = (size_t)rnd(0, (int64_t)i - 1);
			struct pricing_line_in t = shuffled.lines[i - 1];
			shuffled.lines[i - 1] = shuffled.lines[j];
			shuffled.lines[j] = t;
		}
		shuffled.in.lines = shuffled.lines;
		shuffled.in.charges = shuffled.charges;
		if (c.in.coupon)
			shuffled.in.coupon = &shuffled.coupon;
		if (pricing_compute(&shuffled.in, &out2) != PRICING_OK || !same_result(&out, &out2))
			bad_shuffle++;
	}
	CHECK_INT(bad_qty, 0);
	CHECK_INT(bad_sum, 0);
	CHECK_INT(bad_order, 0);
	CHECK_INT(bad_discount, 0);
	CHECK_INT(bad_nominal, 0);
	CHECK_INT(bad_shuffle, 0);
	/* The generator reaches the interesting cases. */
	CHECK(rounded_down > 100);
	CHECK(capped > 100);
	CHECK(bumped > 100);
}

/*
 * A result is filled, not cleared whole: one computed over a buffer full
 * of junk (a reused quote) says the same as one over zeros, byte for
 * byte, in the lines in use and in everything after them.
 */
static void test_a_reused_result_answers_the_same(void)
{
	struct pricing_line_in l[] = {line("a", 20000, 18000, 5, 3), {"c", 0, 0, 0, 4, 0},
				      line("b", 1000, 900, 2, 10)};
	struct coupon c = percent_coupon(1000);
	struct charge_rule fee = {"delivery_charge", "Delivery", 4900, 100000};
	struct pricing_input in = input(l, 3);
	static struct pricing_result clean, reused;
	in.coupon_code = "TEN";
	in.coupon = &c;
	in.charges = &fee;
	in.ncharges = 1;

	memset(&clean, 0, sizeof(clean));
	memset(&reused, 0xa5, sizeof(reused));
	CHECK_INT(pricing_compute(&in, &clean), PRICING_OK);
	CHECK_INT(pricing_compute(&in, &reused), PRICING_OK);
	CHECK_INT(reused.nlines, 3);
	CHECK(memcmp(reused.lines, clean.lines, 3 * sizeof(clean.lines[0])) == 0);
	CHECK(memcmp(&reused.nlines, &clean.nlines,
		     sizeof(clean) - offsetof(struct pricing_result, nlines)) == 0);
	CHECK_INT(reused.lines[1].known, 0);
	CHECK_INT(reused.lines[1].discounted, 0);
	CHECK_INT(reused.ncharges, 1);
	CHECK_INT(reused.payable, clean.payable);

	/* A refusal over junk: the message, no stale number. */
	memset(&reused, 0xa5, sizeof(reused));
	in.nlines = PRICING_MAX_LINES + 1;
	CHECK_INT(pricing_compute(&in, &reused), PRICING_BAD_INPUT);
	CHECK_INT(reused.nlines, 0);
	CHECK_INT(reused.payable, 0);
	CHECK_STR(reused.message, "Cart is outside pricing limits");
}

int main(void)
{
	test_seed_example();
	test_no_coupon_partial_and_unknown();
	test_coupon_refusals();
	test_caps_and_flat();
	test_rounding_never_exceeds_nominal();
	test_charges();
	test_eta();
	test_bad_input();
	test_property_random_carts();
	test_a_reused_result_answers_the_same();
	T_DONE();
}
