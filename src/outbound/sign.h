/*
 * Request signing for every call apotheca makes to a merchant (SPEC §4):
 *
 *     X-Apotheca-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
 *
 * where the MAC is over the bytes "<t>.<body>" keyed with the merchant's
 * webhook signing secret. A request without a body (GET) signs "<t>." — the
 * same rule with an empty body. A receiver recomputes the MAC over the raw
 * body it got, compares in constant time and rejects stale timestamps.
 *
 * Pure functions over OpenSSL's HMAC; no I/O, no allocation.
 */
#ifndef APO_OUTBOUND_SIGN_H
#define APO_OUTBOUND_SIGN_H

#include <stddef.h>
#include <stdint.h>

#define SIGN_HEADER "X-Apotheca-Signature"

/* Hex digits of a SHA-256 MAC, and room for them plus the terminator. */
#define SIGN_HEX_LEN 64
#define SIGN_HEX_CAP (SIGN_HEX_LEN + 1)

/* Room for a whole header value: "t=" + 20 digits + ",v1=" + 64 hex + NUL. */
#define SIGN_VALUE_CAP 96

/*
 * Writes the lowercase hex HMAC-SHA256 of msg (len bytes) under key (keylen
 * bytes) into out. Returns 0, or -1 when OpenSSL fails (out is then "").
 */
int sign_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t len,
			 char out[SIGN_HEX_CAP]);

/*
 * Writes the X-Apotheca-Signature value for body (len bytes, may be NULL
 * when len is 0) signed at unix time t with secret into out (cap bytes,
 * at least SIGN_VALUE_CAP). Returns 0, or -1 on failure (out is then "").
 */
int sign_header_value(const char *secret, int64_t t, const char *body, size_t len, char *out,
		      size_t cap);

#endif
