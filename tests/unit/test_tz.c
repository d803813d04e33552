/*
 * Time zones: the built-in IST, zones read from the system's TZif files,
 * their POSIX rule past the last listed change, and names refused.
 */
#include <stdint.h>
#include <stdlib.h>

#include "core/tz.h"
#include "t.h"

static int32_t offset_at(const struct tz_zone *z, int64_t t, char *abbr, size_t cap)
{
	struct tz_local l;
	if (tz_local(z, t, &l))
		return INT32_MIN;
	if (abbr)
		snprintf(abbr, cap, "%s", l.abbr);
	return l.utoff;
}

static void test_kolkata_is_built_in(void)
{
	char err[128], abbr[TZ_MAX_ABBR];
	struct tz_zone *z = tz_load("Asia/Kolkata", err, sizeof(err));
	CHECK(z != NULL);
	if (!z)
		return;
	CHECK_STR(tz_display(z), "India Standard Time");
	CHECK_INT(offset_at(z, 1795000000, abbr, sizeof(abbr)), 19800);
	CHECK_STR(abbr, "IST");
	struct tz_local l;
	/* 2026-12-01 05:05:00 UTC is 10:35 in India. */
	CHECK(tz_local(z, 1796101500, &l) == 0);
	CHECK_INT(l.tm.tm_hour, 10);
	CHECK_INT(l.tm.tm_min, 35);
	CHECK_INT(l.tm.tm_mday, 1);
	char off[16];
	tz_offset_text(l.utoff, off, sizeof(off));
	CHECK_STR(off, "+05:30");
	tz_offset_text(-12600, off, sizeof(off));
	CHECK_STR(off, "-03:30");
	tz_free(z);
}

static void test_zones_from_files(void)
{
	char err[128], abbr[TZ_MAX_ABBR];
	struct tz_zone *z = tz_load("Europe/London", err, sizeof(err));
	if (!z) {
		fprintf(stderr, "skipping file zones: %s\n", err);
		return;
	}
	CHECK_STR(tz_display(z), "Europe/London");
	/* 2026-03-29 01:00 UTC: clocks go forward. */
	CHECK_INT(offset_at(z, 1774745999, abbr, sizeof(abbr)), 0);
	CHECK_STR(abbr, "GMT");
	CHECK_INT(offset_at(z, 1774746000, abbr, sizeof(abbr)), 3600);
	CHECK_STR(abbr, "BST");
	/* 2045, past the listed changes: the footer's rule (last Sunday of March/October). */
	CHECK_INT(offset_at(z, 2382480000, NULL, 0), 3600); /* 2045-07-01 */
	CHECK_INT(offset_at(z, 2366841600, NULL, 0), 0);    /* 2045-01-01 */
	/* 2045-03-26 is the last Sunday of March: 00:59:59 and 01:00 UTC. */
	CHECK_INT(offset_at(z, 2374102799, NULL, 0), 0);
	CHECK_INT(offset_at(z, 2374102800, NULL, 0), 3600);
	tz_free(z);

	z = tz_load("Australia/Sydney", err, sizeof(err));
	CHECK(z != NULL);
	if (z) {
		/* Southern summer: daylight saving over the new year, also past 2037. */
		CHECK_INT(offset_at(z, 2366841600, abbr, sizeof(abbr)), 39600);
		CHECK_STR(abbr, "AEDT");
		CHECK_INT(offset_at(z, 2382480000, NULL, 0), 36000);
		tz_free(z);
	}
	z = tz_load("Asia/Kathmandu", err, sizeof(err));
	CHECK(z != NULL);
	if (z) {
		CHECK_INT(offset_at(z, 1796101500, abbr, sizeof(abbr)), 20700);
		CHECK_STR(abbr, "UTC+05:45"); /* the database says "+0545" */
		tz_free(z);
	}
}

static void test_bad_names(void)
{
	char err[128];
	const char *bad[] = {"",
			     "../../etc/passwd",
			     "/etc/localtime",
			     "Asia/Nowhere",
			     "Asia/Kolkata;rm",
			     "Europe/../../etc/passwd"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tz_zone *z = tz_load(bad[i], err, sizeof(err));
		CHECK(z == NULL);
		tz_free(z);
	}
	CHECK(tz_load(NULL, err, sizeof(err)) == NULL);
}

int main(void)
{
	test_kolkata_is_built_in();
	test_zones_from_files();
	test_bad_names();
	T_DONE();
}
