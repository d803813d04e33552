/*
 * Form bodies as browsers send them (application/x-www-form-urlencoded):
 * lookups decode '+' and %XX, find the first value of a name, and refuse
 * what a console field never holds (control characters, NULs, malformed
 * escapes, values longer than the caller's buffer).
 */
#include <string.h>

#include "http/form.h"
#include "t.h"

static int get(const char *body, const char *name, char *out, size_t cap)
{
	return form_get(body, strlen(body), name, out, cap);
}

int main(void)
{
	char v[32];
	CHECK_INT(get("csrf=ab12&token=s%21cr+et", "token", v, sizeof(v)), 0);
	CHECK_STR(v, "s!cr et");
	CHECK_INT(get("csrf=ab12&token=x", "csrf", v, sizeof(v)), 0);
	CHECK_STR(v, "ab12");
	CHECK_INT(get("a=1&a=2", "a", v, sizeof(v)), 0);
	CHECK_STR(v, "1");
	CHECK_INT(get("note=&x=1", "note", v, sizeof(v)), 0);
	CHECK_STR(v, "");
	CHECK_INT(get("flag&x=1", "flag", v, sizeof(v)), 0);
	CHECK_STR(v, "");
	CHECK_INT(get("reason=a%0Ab%09c", "reason", v, sizeof(v)), 0);
	CHECK_STR(v, "a\nb\tc");
	CHECK_INT(get("x=%E2%82%B9", "x", v, sizeof(v)), 0);
	CHECK_STR(v, "\xe2\x82\xb9");
	/* names match whole, not as prefixes or suffixes */
	CHECK_INT(get("tokens=1&xtoken=2", "token", v, sizeof(v)), -1);
	CHECK_INT(get("", "token", v, sizeof(v)), -1);
	/* refused values */
	CHECK_INT(get("x=%00", "x", v, sizeof(v)), -2);
	CHECK_INT(get("x=%01", "x", v, sizeof(v)), -2);
	CHECK_INT(get("x=%7F", "x", v, sizeof(v)), -2);
	CHECK_INT(get("x=%4", "x", v, sizeof(v)), -2);
	CHECK_INT(get("x=%", "x", v, sizeof(v)), -2);
	CHECK_INT(get("x=%zz", "x", v, sizeof(v)), -2);
	CHECK_INT(get("x=0123456789", "x", v, 10), -2);
	CHECK_INT(get("x=012345678", "x", v, 10), 0);
	CHECK_STR(v, "012345678");
	/* the body need not be NUL-terminated */
	CHECK_INT(form_get("x=abcdef", 4, "x", v, sizeof(v)), 0);
	CHECK_STR(v, "ab");
	T_DONE();
}
