/*
 * JSON body helpers (see jsonx.h). Money goes through money.h only.
 */
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
	char text[MONEY_FMT_CAP];
	if (paise % 100 == 0)
		return json_integer(paise / 100);
	money_format_fixed(paise, text);
	/* The nearest double to a two-decimal amount prints back as that
	 * amount at 15 significant digits (see req_json_dump). */
	return json_real(strtod(text, NULL));
}

json_t *jx_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
