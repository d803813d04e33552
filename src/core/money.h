/*
 * Money: an int64_t count of paise (1/100 rupee). This module is the only
 * place money meets text. No double ever holds an amount in arithmetic; the
 * one double this module accepts is a JSON number as the parser handed it
 * over, and it is turned back into decimal text before parsing.
 */
#ifndef APO_MONEY_H
#define APO_MONEY_H

#include <stddef.h>
#include <stdint.h>

/* The largest amount accepted anywhere: 10^12 paise (ten billion rupees). */
#define MONEY_MAX INT64_C(1000000000000)

/* Room for any formatted amount, sign and terminator included. */
#define MONEY_FMT_CAP 32

/*
 * Parses decimal text of at most two decimals ("157", "632.8", "632.80")
 * into paise. Rejects empty text, a sign anywhere ("-0.50", "256.-0"),
 * spaces, exponents, a bare or trailing '.', more than two decimals and
 * anything above MONEY_MAX: only digits and one '.' are amounts.
 * Returns 0 on success, -1 otherwise (*out untouched).
 */
int money_parse(const char *s, size_t len, int64_t *out);

/*
 * Accepts a JSON number that arrived as a double. Succeeds only when the
 * double is exactly the one nearest to a two-decimal amount, so 632.8 is
 * 63280 while 0.125, 0.1 + 0.2 or 1e-3 are refused.
 */
int money_from_double(double d, int64_t *out);

/* Accepts a JSON integer of rupees: 0..MONEY_MAX/100. */
int money_from_rupees(int64_t rupees, int64_t *out);

/*
 * Writes the wire form: no trailing zeros and no '.' for whole rupees
 * ("157", "632.8", "53.38", "-3.5"). out must hold MONEY_FMT_CAP bytes.
 */
void money_format(int64_t paise, char out[MONEY_FMT_CAP]);

/* Writes the fixed form with two decimals ("632.80"), for messages. */
void money_format_fixed(int64_t paise, char out[MONEY_FMT_CAP]);

#endif
