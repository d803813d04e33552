/*
 * libFuzzer target: the outbound URL check on arbitrary bytes: no crash,
 * a definite kind for every accepted URL and a reason for every refusal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "outbound/url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[200];
	int https = -1;
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	url_allow_private(size & 1);
	if (url_check(s, &https, err, sizeof(err)) == 0) {
		if (https != 0 && https != 1)
			abort();
	} else if (!err[0]) {
		abort();
	}
	free(s);
	return 0;
}
