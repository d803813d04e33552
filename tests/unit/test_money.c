/*
 * Money parsing and formatting: every malformed amount is refused, every
 * valid one is exact.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/money.h"
#include "t.h"

static int parse(const char *s, int64_t *out)
{
	return money_parse(s, strlen(s), out);
}

static void test_parse_valid(void)
{
	static const struct {
		const char *in;
		int64_t want;
	} cases[] = {
		{"0", 0},	     {"157", 15700},	   {"632.8", 63280},	 {"632.80", 63280},
		{"53.38", 5338},     {"0.01", 1},	   {"0.5", 50},		 {"007", 700},
		{"9999999999.99", 999999999999}, {"10000000000", MONEY_MAX},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -1;
		CHECK_INT(parse(cases[i].in, &v), 0);
		CHECK_INT(v, cases[i].want);
	}
}

static void test_parse_invalid(void)
{
	static const char *bad[] = {"",	    ".",      ".5",	"5.",	   "1.234", "-1",   "+1",
				    " 1",   "1 ",     "1e2",	"1,5",	   "0x10",  "NaN",  "inf",
				    "1..2", "1.2.3",  "abc",	"10000000000.01", "99999999999999",
				    "1.-1", "1.+1", "１", "-0", "-0.50", "-0.01", "256.-0",
				    "256.-", "-.5", "0.-1", "+0.50", "- 1", "1-", "1.0-"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 42;
		int rc = parse(bad[i], &v);
		if (rc == 0)
			fprintf(stderr, "accepted bad amount \"%s\"\n", bad[i]);
		CHECK(rc == -1);
		CHECK_INT(v, 42);
	}
}

static void test_from_double(void)
{
	int64_t v;
	CHECK(money_from_double(632.8, &v) == 0 && v == 63280);
	CHECK(money_from_double(53.38, &v) == 0 && v == 5338);
	CHECK(money_from_double(0.1 + 0.2, &v) == -1); /* 0.30000000000000004 */
	CHECK(money_from_double(0.125, &v) == -1);
	CHECK(money_from_double(-1.0, &v) == -1);
	CHECK(money_from_double(-0.0, &v) == -1); /* a negative sign, even on zero */
	CHECK(money_from_double(-0.01, &v) == -1);
	CHECK(money_from_double(-0.5, &v) == -1);
	CHECK(money_from_double(NAN, &v) == -1);
	CHECK(money_from_double(INFINITY, &v) == -1);
	CHECK(money_from_double(1e-3, &v) == -1);
	CHECK(money_from_double(1e15, &v) == -1);
	CHECK(money_from_double(157.0, &v) == 0 && v == 15700);
	/* Every two-decimal amount survives the trip through a double. */
	int ok = 1;
	for (int64_t p = 0; p < 2000000; p += 7) {
		char text[MONEY_FMT_CAP];
		money_format_fixed(p, text);
		if (money_from_double(strtod(text, NULL), &v) || v != p)
			ok = 0;
	}
	CHECK(ok);
	CHECK(money_from_rupees(157, &v) == 0 && v == 15700);
	CHECK(money_from_rupees(-1, &v) == -1);
	CHECK(money_from_rupees(MONEY_MAX, &v) == -1);
}

static void test_format(void)
{
	char out[MONEY_FMT_CAP];
	money_format(15700, out);
	CHECK_STR(out, "157");
	money_format(63280, out);
	CHECK_STR(out, "632.8");
	money_format(5338, out);
	CHECK_STR(out, "53.38");
	money_format(5, out);
	CHECK_STR(out, "0.05");
	money_format(-350, out);
	CHECK_STR(out, "-3.5");
	money_format(0, out);
	CHECK_STR(out, "0");
	money_format_fixed(63280, out);
	CHECK_STR(out, "632.80");
	money_format_fixed(1, out);
	CHECK_STR(out, "0.01");
	money_format(MONEY_MAX, out);
	CHECK_STR(out, "10000000000");
	/* parse(format(x)) == x across the range */
	int ok = 1;
	for (int64_t p = 0; p < MONEY_MAX; p = p * 3 + 1) {
		int64_t back;
		money_format(p, out);
		if (money_parse(out, strlen(out), &back) || back != p)
			ok = 0;
	}
	CHECK(ok);
}

int main(void)
{
	test_parse_valid();
	test_parse_invalid();
	test_from_double();
	test_format();
	T_DONE();
}
