/*
 * Exact money parsing and formatting (see money.h). Not for pricing rules:
 * those live in pricing.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/banned.h"

int money_parse(const char *s, size_t len, int64_t *out)
{
	const char *dot = memchr(s, '.', len);
	size_t whole_len = dot ? (size_t)(dot - s) : len;
	size_t frac_len = dot ? len - whole_len - 1 : 0;
	int64_t whole, frac = 0;

	if (whole_len == 0 || whole_len > 12 || (dot && (frac_len == 0 || frac_len > 2)))
		return -1;
	/* Digits only on both sides of the dot: strnum would take "-0" as 0,
	 * so "-0.50" or "256.-0" would lose their sign and pass. */
	if (!str_is_digits(s, whole_len) || (dot && !str_is_digits(dot + 1, frac_len)))
		return -1;
	if (strnum_i64(s, whole_len, 0, MONEY_MAX / 100, &whole))
		return -1;
	if (dot) {
		if (strnum_i64(dot + 1, frac_len, 0, 99, &frac))
			return -1;
		if (frac_len == 1)
			frac *= 10;
	}
	int64_t v = whole * 100 + frac;
	if (v > MONEY_MAX)
		return -1;
	*out = v;
	return 0;
}

int money_from_double(double d, int64_t *out)
{
	char text[64];

	if (!isfinite(d) || d < 0 || d > (double)(MONEY_MAX / 100))
		return -1;
	/* The double must be exactly the one nearest to its own two-decimal
	 * rendering; otherwise the client sent more precision than paise. */
	snprintf(text, sizeof(text), "%.2f", d);
	if (strtod(text, NULL) != d)
		return -1;
	return money_parse(text, strlen(text), out);
}

int money_from_rupees(int64_t rupees, int64_t *out)
{
	if (rupees < 0 || rupees > MONEY_MAX / 100)
		return -1;
	*out = rupees * 100;
	return 0;
}

void money_format(int64_t paise, char out[MONEY_FMT_CAP])
{
	const char *sign = paise < 0 ? "-" : "";
	uint64_t a = paise < 0 ? (uint64_t)0 - (uint64_t)paise : (uint64_t)paise;
	uint64_t whole = a / 100, frac = a % 100;

	if (frac == 0)
		fmt_into(out, MONEY_FMT_CAP, "%s%llu", sign, (unsigned long long)whole);
	else if (frac % 10 == 0)
		fmt_into(out, MONEY_FMT_CAP, "%s%llu.%llu", sign, (unsigned long long)whole,
			 (unsigned long long)(frac / 10));
	else
		fmt_into(out, MONEY_FMT_CAP, "%s%llu.%02llu", sign, (unsigned long long)whole,
			 (unsigned long long)frac);
}

void money_format_fixed(int64_t paise, char out[MONEY_FMT_CAP])
{
	const char *sign = paise < 0 ? "-" : "";
	uint64_t a = paise < 0 ? (uint64_t)0 - (uint64_t)paise : (uint64_t)paise;
	fmt_into(out, MONEY_FMT_CAP, "%s%llu.%02llu", sign, (unsigned long long)(a / 100),
		 (unsigned long long)(a % 100));
}
