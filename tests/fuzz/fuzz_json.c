/*
 * libFuzzer target: what a request body goes through before a handler sees
 * it — the nesting check, jansson's parser with duplicate keys refused, and
 * the typed getters (money, integers, strings) on every member.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/money.h"
#include "http/jsonx.h"
#include "http/req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (json_text_depth((const char *)data, size) > REQ_MAX_JSON_DEPTH)
		return 0;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return 0;
	}
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v)
	{
		int64_t money, i;
		const char *s;
		int b;
		if (jx_money(j, key, &money) == 0 && (money < 0 || money > MONEY_MAX))
			abort();
		jx_int(j, key, 1, 1000, &i);
		jx_str(j, key, 64, &s);
		jx_bool(j, key, &b);
	}
	json_decref(j);
	return 0;
}
