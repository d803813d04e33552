/*
 * Strict integer parsing and constant-time comparison (see strnum.h).
 */
#include <string.h>

#include "base/strnum.h"
#include "base/banned.h"

int str_is_digits(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int strnum_i64(const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	int neg = 0;
	size_t i = 0;
	uint64_t v = 0;
	uint64_t limit;

	if (len > 0 && s[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (!str_is_digits(s + i, len - i))
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < len; i++) {
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	int64_t r;
	if (neg)
		r = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
	else
		r = (int64_t)v;
	if (r < min || r > max)
		return -1;
	*out = r;
	return 0;
}

int strnum_i64z(const char *s, int64_t min, int64_t max, int64_t *out)
{
	if (!s)
		return -1;
	return strnum_i64(s, strlen(s), min, max, out);
}

int str_ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char diff = alen == blen ? 0 : 1;
	size_t n = alen < blen ? alen : blen;
	/* Walk the longer length so timing does not reveal the common prefix. */
	size_t total = alen > blen ? alen : blen;
	for (size_t i = 0; i < total; i++) {
		unsigned char x = i < n ? (unsigned char)a[i] : 0;
		unsigned char y = i < n ? (unsigned char)b[i] : 1;
		diff |= (unsigned char)(x ^ y);
	}
	return diff == 0;
}
