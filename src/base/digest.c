/*
 * Hex encoding and SHA-256 over OpenSSL's EVP interface (see digest.h).
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>

#include "base/digest.h"
#include "base/banned.h"

void hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/*
 * SHA-256 fetched once: OpenSSL 3 looks EVP_sha256() up again in its
 * provider store (under a global lock) at every EVP_DigestInit_ex, which
 * cost more than the hash itself on every authenticated request.
 */
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static EVP_MD *sha256_fetched;

static void sha256_free(void)
{
	EVP_MD_free(sha256_fetched);
}

static void sha256_fetch(void)
{
	/* Registered after OpenSSL's own exit handler, so it runs first. */
	if ((sha256_fetched = EVP_MD_fetch(NULL, "SHA256", NULL)))
		atexit(sha256_free);
}

void sha256_parts(const void *const *parts, const size_t *lens, size_t n,
		  unsigned char out[SHA256_LEN])
{
	pthread_once(&sha256_once, sha256_fetch);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		abort();
	EVP_DigestInit_ex(ctx, sha256_fetched ? sha256_fetched : EVP_sha256(), NULL);
	for (size_t i = 0; i < n; i++)
		EVP_DigestUpdate(ctx, parts[i], lens[i]);
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

void sha256_hex_parts(const void *const *parts, const size_t *lens, size_t n,
		      char out[SHA256_HEX_LEN + 1])
{
	unsigned char md[SHA256_LEN];
	sha256_parts(parts, lens, n, md);
	hex_encode(md, SHA256_LEN, out);
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
	const void *parts[] = {data};
	sha256_hex_parts(parts, &len, 1, out);
}
