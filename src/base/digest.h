/*
 * Hex text and SHA-256 digests: the one place bytes become lowercase hex,
 * for ids, secrets, signatures and request fingerprints.
 */
#ifndef APO_DIGEST_H
#define APO_DIGEST_H

#include <stddef.h>

#define SHA256_HEX_LEN 64

/* Writes 2 * n lowercase hex digits of in, then a NUL, into out. */
void hex_encode(const unsigned char *in, size_t n, char *out);

#define SHA256_LEN 32

/* SHA-256 of the concatenation of n parts (parts[i] of lens[i] bytes). */
void sha256_parts(const void *const *parts, const size_t *lens, size_t n,
		  unsigned char out[SHA256_LEN]);

/*
 * SHA-256 of the concatenation of n parts (parts[i] of lens[i] bytes) as
 * lowercase hex into out (SHA256_HEX_LEN + 1 bytes).
 */
void sha256_hex_parts(const void *const *parts, const size_t *lens, size_t n,
		      char out[SHA256_HEX_LEN + 1]);

/* SHA-256 of len bytes at data, as lowercase hex. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

#endif
