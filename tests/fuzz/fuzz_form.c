/*
 * libFuzzer target: form_get on arbitrary bodies. A decoded value always
 * fits the buffer, is NUL-terminated and holds no control character but
 * tab and line breaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"csrf", "token", "note", "x", ""};
	char out[64];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (form_get((const char *)data, size, names[i], out, sizeof(out)) != 0)
			continue;
		size_t n = strlen(out);
		if (n >= sizeof(out))
			abort();
		for (size_t k = 0; k < n; k++) {
			unsigned char c = (unsigned char)out[k];
			if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
				abort();
		}
	}
	return 0;
}
