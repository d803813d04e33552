/*
 * libFuzzer target: money_parse on arbitrary bytes. Accepted text must
 * round-trip through money_format exactly and stay within MONEY_MAX.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t v, back;
	char out[MONEY_FMT_CAP];
	if (money_parse((const char *)data, size, &v) != 0)
		return 0;
	if (v < 0 || v > MONEY_MAX)
		abort();
	money_format(v, out);
	if (money_parse(out, strlen(out), &back) != 0 || back != v)
		abort();
	return 0;
}
