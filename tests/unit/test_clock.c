/*
 * Unit tests for base/clock: the one ISO 8601 writer and the clocks' units.
 */
#include <stdint.h>

#include "base/clock.h"
#include "t.h"
#include "base/banned.h"

static void test_iso8601(void)
{
	char s[ISO8601_CAP];
	CHECK_INT(iso8601_utc(0, s), 0);
	CHECK_STR(s, "1970-01-01T00:00:00Z");
	/* 2026-01-31 18:30:00 UTC is midnight in India. */
	CHECK_INT(iso8601_utc(1769884200, s), 0);
	CHECK_STR(s, "2026-01-31T18:30:00Z");
	CHECK_INT(iso8601_utc(951782400, s), 0); /* a leap day */
	CHECK_STR(s, "2000-02-29T00:00:00Z");
	CHECK_INT(iso8601_utc(INT64_MAX, s), -1);
	CHECK_STR(s, "");
}

static void test_clocks(void)
{
	int64_t s = now_epoch(), ms = now_ms();
	/* The same wall clock in two units (read a moment apart). */
	CHECK(ms / 1000 >= s && ms / 1000 <= s + 1);
	int64_t a = now_ns(), b = now_ns();
	CHECK(b >= a);
}

int main(void)
{
	test_iso8601();
	test_clocks();
	T_DONE();
}
