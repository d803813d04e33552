/*
 * application/x-www-form-urlencoded lookups (see form.h).
 */
#include <string.h>

#include "http/form.h"
#include "base/banned.h"

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into out; -2 on anything form_get() refuses. */
static int decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (n - i < 3)
				return -2;
			int hi = hexdigit(s[i + 1]), lo = hexdigit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -2;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		/* Tabs and line breaks are text in a textarea; other controls are not. */
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return -2;
		if (o + 1 >= cap)
			return -2;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int form_get(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name), i = 0;
	if (cap == 0)
		return -2;
	while (i < len) {
		const char *amp = memchr(body + i, '&', len - i);
		size_t end = amp ? (size_t)(amp - body) : len;
		const char *eq = memchr(body + i, '=', end - i);
		size_t klen = eq ? (size_t)(eq - (body + i)) : end - i;
		if (klen == nlen && memcmp(body + i, name, nlen) == 0) {
			size_t vstart = eq ? (size_t)(eq - body) + 1 : end;
			return decode(body + vstart, end - vstart, out, cap);
		}
		i = end + 1;
	}
	return -1;
}
