/*
 * libFuzzer target: masking database URLs for logs. Whatever the input,
 * the output is bounded and NUL-terminated, and the password of a
 * postgres:// URL with user info never survives.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[STORE_REDACTED_CAP];
	static const char prefix[] = "postgres://u:";
	static const char secret[] = "Zq9SecretZq9";
	char *s = malloc(size + sizeof(prefix) + sizeof(secret) + 2);
	if (!s)
		return 0;
	/* Input as is, then as the host part of a URL whose password is secret. */
	memcpy(s, data, size);
	s[size] = '\0';
	store_url_redacted(s, out, sizeof(out));
	if (strlen(out) >= sizeof(out))
		abort();
	size_t clean = strcspn(s, "@/?#");
	memcpy(s, prefix, sizeof(prefix) - 1);
	memcpy(s + sizeof(prefix) - 1, secret, sizeof(secret) - 1);
	s[sizeof(prefix) - 1 + sizeof(secret) - 1] = '@';
	memcpy(s + sizeof(prefix) + sizeof(secret) - 1, data, clean);
	s[sizeof(prefix) + sizeof(secret) - 1 + clean] = '\0';
	store_url_redacted(s, out, sizeof(out));
	if (strncmp(out, "postgres://u:***@", 17) != 0)
		abort();
	free(s);
	return 0;
}
