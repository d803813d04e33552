/*
 * JSON body helpers and the writer of JSON answers (see jsonx.h). Money
 * is parsed through money.h only, and written from its paise.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/jsonx.h"
#include "core/money.h"
#include "base/banned.h"

int json_text_depth(const char *text, size_t len)
{
	int depth = 0, max = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"')
			in_str = 1;
		else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return max;
}

int jx_money(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (json_is_integer(v))
		return money_from_rupees(json_integer_value(v), out) ? -1 : 0;
	if (json_is_real(v))
		return money_from_double(json_real_value(v), out) ? -1 : 0;
	if (json_is_string(v)) {
		size_t len = json_string_length(v);
		return money_parse(json_string_value(v), len, out) ? -1 : 0;
	}
	return -1;
}

int jx_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_integer(v))
		return -1;
	json_int_t i = json_integer_value(v);
	if (i < min || i > max)
		return -1;
	*out = i;
	return 0;
}

int jx_str(const json_t *obj, const char *key, size_t maxlen, const char **out)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_string(v))
		return -1;
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	/* An embedded NUL would make the C string disagree with the JSON one. */
	if (len > maxlen || strlen(s) != len)
		return -1;
	*out = s;
	return 0;
}

int jx_bool(const json_t *obj, const char *key, int *out)
{
	const json_t *v = json_object_get(obj, key);
	if (!v || json_is_null(v))
		return 1;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

json_t *jx_money_value(int64_t paise)
{
	if (paise % 100 == 0)
		return json_integer(paise / 100);
	/* Division rounds correctly, so this is the double nearest the
	 * two-decimal amount, which prints back as that amount at 15
	 * significant digits (see jx_dump). */
	return json_real((double)paise / 100.0);
}

json_t *jx_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* --- writing JSON ------------------------------------------------------- */

static const char hex_digits[] = "0123456789ABCDEF";

/* A string's text between quotes: jansson's escapes (the two mandatory ones,
 * the five short control escapes, \u00XX for the other controls); all else,
 * UTF-8 included, as it is (jansson checked it when the string was made). */
static void dump_string(struct buf *b, const char *s, size_t len)
{
	size_t run = 0;
	buf_grow(b, len + 2);
	buf_addch(b, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default: {
			char u[6] = {'\\', 'u', '0', '0', hex_digits[c >> 4], hex_digits[c & 15]};
			buf_add(b, u, sizeof(u));
			continue;
		}
		}
		buf_add(b, esc, 2);
	}
	buf_add(b, s + run, len - run);
	buf_addch(b, '"');
}

/* The decimal digits of v, written backwards to end; returns where they start. */
static char *digits_of(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

static void dump_integer(struct buf *b, json_int_t v)
{
	char scratch[24], *end = scratch + sizeof(scratch);
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	char *p = digits_of(mag, end);
	if (v < 0)
		*--p = '-';
	buf_add(b, p, (size_t)(end - p));
}

/* An amount in paise as jx_money_value's value prints: whole rupees as an
 * integer, else rupees and one or two decimals, which is what "%.15g"
 * prints for the double nearest the amount (below 10^12 rupees). */
static void dump_paise(struct buf *b, int64_t paise)
{
	char scratch[32], *end = scratch + sizeof(scratch) - 3;
	uint64_t mag = paise < 0 ? 0 - (uint64_t)paise : (uint64_t)paise;
	unsigned cents = (unsigned)(mag % 100);
	char *p = digits_of(mag / 100, end);
	if (paise < 0)
		*--p = '-';
	if (cents) {
		*end++ = '.';
		*end++ = (char)('0' + cents / 10);
		if (cents % 10)
			*end++ = (char)('0' + cents % 10);
	}
	buf_add(b, p, (size_t)(end - p));
}

/* A real that is the double nearest a two-decimal amount (jx_money_value's
 * reals), printed without printf; 0 when v is not one. */
static int dump_cents(struct buf *b, double v)
{
	if (!(fabs(v) < 1e12) || v == 0)
		return 0;
	int64_t paise = llround(v * 100.0);
	if (paise % 100 == 0 || (double)paise / 100.0 != v)
		return 0;
	dump_paise(b, paise);
	return 1;
}

/* A real as jansson writes it: "%.*g", a ".0" when that reads as an integer,
 * the exponent without '+' or leading zeros. */
static void dump_real(struct buf *b, double v, int precision)
{
	char text[64];
	if (precision == 15 && dump_cents(b, v))
		return;
	int n = snprintf(text, sizeof(text), "%.*g", precision, v);
	if (n < 0 || (size_t)n >= sizeof(text) - 3)
		n = 0;
	if (!memchr(text, '.', (size_t)n) && !memchr(text, 'e', (size_t)n)) {
		text[n++] = '.';
		text[n++] = '0';
	}
	char *e = memchr(text, 'e', (size_t)n);
	if (e) {
		char *from = e + 1, *to = e + 1;
		if (*from == '-')
			to = ++from;
		else if (*from == '+')
			from++;
		while (from < text + n - 1 && *from == '0')
			from++;
		memmove(to, from, (size_t)(text + n - from));
		n -= (int)(from - to);
	}
	buf_add(b, text, (size_t)n);
}

static int dump_value(struct buf *b, const json_t *j, int precision, int depth)
{
	switch (json_typeof(j)) {
	case JSON_NULL:
		buf_add(b, "null", 4);
		return 0;
	case JSON_TRUE:
		buf_add(b, "true", 4);
		return 0;
	case JSON_FALSE:
		buf_add(b, "false", 5);
		return 0;
	case JSON_INTEGER:
		dump_integer(b, json_integer_value(j));
		return 0;
	case JSON_REAL:
		dump_real(b, json_real_value(j), precision);
		return 0;
	case JSON_STRING:
		dump_string(b, json_string_value(j), json_string_length(j));
		return 0;
	default:
		break;
	}
	if (depth >= JX_DUMP_MAX_DEPTH)
		return -1;
	if (json_is_array(j)) {
		size_t n = json_array_size(j);
		buf_addch(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				buf_addch(b, ',');
			if (dump_value(b, json_array_get(j, i), precision, depth + 1))
				return -1;
		}
		buf_addch(b, ']');
		return 0;
	}
	buf_addch(b, '{');
	for (void *it = json_object_iter((json_t *)j), *first = it; it;
	     it = json_object_iter_next((json_t *)j, it)) {
		if (it != first)
			buf_addch(b, ',');
		dump_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
		buf_addch(b, ':');
		if (dump_value(b, json_object_iter_value(it), precision, depth + 1))
			return -1;
	}
	buf_addch(b, '}');
	return 0;
}

int jx_dump(struct buf *b, const json_t *j, int precision)
{
	size_t start = b->len;
	if (!json_is_object(j) && !json_is_array(j))
		return -1;
	if (dump_value(b, j, precision ? precision : 17, 0) == 0)
		return 0;
	b->len = start;
	b->data[start] = '\0';
	return -1;
}

char *jx_dumps(const json_t *j, int precision, size_t *len)
{
	struct buf b;
	buf_init(&b);
	if (jx_dump(&b, j, precision)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, len);
}

void jw_init(struct jw *w, struct buf *b)
{
	w->b = b;
	w->comma = 0;
}

/* Before a value or a key: the comma after the previous member. */
static void jw_member(struct jw *w)
{
	if (w->comma)
		buf_addch(w->b, ',');
	w->comma = 1;
}

void jw_open(struct jw *w, char bracket)
{
	jw_member(w);
	buf_addch(w->b, bracket);
	w->comma = 0;
}

void jw_close(struct jw *w, char bracket)
{
	buf_addch(w->b, bracket);
	w->comma = 1;
}

void jw_key(struct jw *w, const char *key)
{
	jw_member(w);
	dump_string(w->b, key, strlen(key));
	buf_addch(w->b, ':');
	w->comma = 0;
}

void jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_member(w);
	dump_string(w->b, s, strlen(s));
}

void jw_int(struct jw *w, int64_t v)
{
	jw_member(w);
	dump_integer(w->b, v);
}

void jw_money(struct jw *w, int64_t paise)
{
	jw_member(w);
	dump_paise(w->b, paise);
}

void jw_bool(struct jw *w, int v)
{
	jw_member(w);
	buf_adds(w->b, v ? "true" : "false");
}

void jw_null(struct jw *w)
{
	jw_member(w);
	buf_add(w->b, "null", 4);
}
