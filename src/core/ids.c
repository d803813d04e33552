/*
 * Random identifiers (see ids.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/ids.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/banned.h"

void ids_random(void *out, size_t n)
{
	unsigned char *p = out;
	while (n) {
		ssize_t got = getrandom(p, n, 0);
		if (got <= 0) {
			log_error("getrandom failed", NULL);
			abort();
		}
		p += got;
		n -= (size_t)got;
	}
}

void ids_order_id(char buf[ORDER_ID_LEN + 1])
{
	unsigned char r[14];
	ids_random(r, sizeof(r));
	buf[0] = 'P';
	buf[1] = 'O';
	/* 250 is the largest multiple of 10 below 256: reject above it so
	 * every digit is uniform. */
	for (size_t i = 0; i < 14; i++) {
		while (r[i] >= 250)
			ids_random(&r[i], 1);
		buf[2 + i] = (char)('0' + r[i] % 10);
	}
	if (buf[2] == '0')
		buf[2] = '1'; /* never a leading zero after PO */
	buf[ORDER_ID_LEN] = '\0';
}

void ids_hex_id(char buf[HEX_ID_LEN + 1])
{
	unsigned char r[HEX_ID_LEN / 2];
	ids_random(r, sizeof(r));
	hex_encode(r, sizeof(r), buf);
}

void ids_tracking_code(char buf[TRACKING_CODE_LEN + 1])
{
	/* Crockford-style base32 without look-alikes: 16 chars x 5 bits = 80 bits. */
	static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
	unsigned char r[TRACKING_CODE_LEN];
	ids_random(r, sizeof(r));
	for (size_t i = 0; i < TRACKING_CODE_LEN; i++)
		buf[i] = alphabet[r[i] & 31];
	buf[TRACKING_CODE_LEN] = '\0';
}

int ids_is_order_id(const char *s)
{
	if (!s || strlen(s) != ORDER_ID_LEN || s[0] != 'P' || s[1] != 'O')
		return 0;
	for (size_t i = 2; i < ORDER_ID_LEN; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int ids_is_hex_id(const char *s)
{
	if (!s || strlen(s) != HEX_ID_LEN)
		return 0;
	for (size_t i = 0; i < HEX_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int ids_is_dot_segment(const char *s)
{
	return s && (strcmp(s, ".") == 0 || strcmp(s, "..") == 0);
}

int ids_is_ident(const char *s, size_t max)
{
	size_t len = s ? strlen(s) : 0;
	if (len == 0 || len > max || ids_is_dot_segment(s))
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}
