/*
 * Salted, stretched secret hashes (see secret.h).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <string.h>

#include "auth/secret.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/strnum.h"
#include "base/banned.h"

#define SECRET_ITERATIONS 20000
#define SECRET_SALT_LEN 16
#define SECRET_KEY_LEN 32
#define SECRET_CACHE 8

static int from_hex(const char *s, size_t len, unsigned char *out)
{
	for (size_t i = 0; i < len; i++) {
		int v = 0;
		for (int k = 0; k < 2; k++) {
			char c = s[2 * i + (size_t)k];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
			if (d < 0)
				return -1;
			v = v * 16 + d;
		}
		out[i] = (unsigned char)v;
	}
	return 0;
}

static int derive(const char *secret, const unsigned char *salt, int iter, unsigned char *key)
{
	return PKCS5_PBKDF2_HMAC(secret, (int)strlen(secret), salt, SECRET_SALT_LEN, iter,
				 EVP_sha256(), SECRET_KEY_LEN, key) == 1
		       ? 0
		       : -1;
}

int secret_hash(const char *secret, char out[SECRET_HASH_CAP])
{
	unsigned char salt[SECRET_SALT_LEN], key[SECRET_KEY_LEN];
	char salt_hex[2 * SECRET_SALT_LEN + 1], key_hex[2 * SECRET_KEY_LEN + 1];
	if (RAND_bytes(salt, sizeof(salt)) != 1 || derive(secret, salt, SECRET_ITERATIONS, key))
		return -1;
	hex_encode(salt, sizeof(salt), salt_hex);
	hex_encode(key, sizeof(key), key_hex);
	return fmt_into(out, SECRET_HASH_CAP, "pbkdf2-sha256$%d$%s$%s", SECRET_ITERATIONS, salt_hex,
			key_hex);
}

/* Recent successes: SHA-256 of (stored, secret) → no stretching next time. */
static __thread unsigned char cache[SECRET_CACHE][SHA256_DIGEST_LENGTH];
static __thread unsigned cache_next;

static void cache_key(const char *secret, const char *stored, unsigned char *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, stored, strlen(stored) + 1);
	EVP_DigestUpdate(ctx, secret, strlen(secret));
	EVP_DigestFinal_ex(ctx, out, NULL);
	EVP_MD_CTX_free(ctx);
}

int secret_verify(const char *secret, const char *stored)
{
	unsigned char salt[SECRET_SALT_LEN], want[SECRET_KEY_LEN], got[SECRET_KEY_LEN];
	unsigned char ck[SHA256_DIGEST_LENGTH];
	const char *p = stored;
	int64_t iter;

	if (!secret || !stored || strlen(secret) > SECRET_MAX_LEN ||
	    strncmp(p, "pbkdf2-sha256$", 14) != 0)
		return 0;
	cache_key(secret, stored, ck);
	for (unsigned i = 0; i < SECRET_CACHE; i++)
		if (CRYPTO_memcmp(cache[i], ck, sizeof(ck)) == 0)
			return 1;
	p += 14;
	const char *d1 = strchr(p, '$');
	if (!d1 || strnum_i64(p, (size_t)(d1 - p), 1, 10000000, &iter))
		return 0;
	const char *d2 = strchr(d1 + 1, '$');
	if (!d2 || (size_t)(d2 - d1 - 1) != 2 * SECRET_SALT_LEN ||
	    strlen(d2 + 1) != 2 * SECRET_KEY_LEN || from_hex(d1 + 1, SECRET_SALT_LEN, salt) ||
	    from_hex(d2 + 1, SECRET_KEY_LEN, want))
		return 0;
	if (derive(secret, salt, (int)iter, got))
		return 0;
	if (CRYPTO_memcmp(got, want, sizeof(got)) != 0)
		return 0;
	memcpy(cache[cache_next++ % SECRET_CACHE], ck, sizeof(ck));
	return 1;
}

int secret_generate(char out[33])
{
	unsigned char raw[16];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	hex_encode(raw, sizeof(raw), out);
	return 0;
}
