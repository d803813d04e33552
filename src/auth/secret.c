/*
 * Salted, stretched secret hashes (see secret.h).
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/secret.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/strnum.h"
#include "base/banned.h"

#define SECRET_ITERATIONS 20000
#define SECRET_SALT_LEN 16
#define SECRET_KEY_LEN 32
/* Verified (merchant, secret) pairs remembered process-wide. */
#define SECRET_CACHE 64
/* Stored hashes claiming more iterations are refused (cost bound). */
#define SECRET_MAX_ITERATIONS 10000000

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

/*
 * Recent successes, shared by every thread: SHA-256 of (stored, secret).
 * A merchant that calls often pays for the key stretching once, not once
 * per request or per thread. Every slot is compared, in constant time.
 */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char cache[SECRET_CACHE][SHA256_DIGEST_LENGTH];
static int cache_used[SECRET_CACHE];
static unsigned cache_next;

static void cache_key(const char *secret, const char *stored, unsigned char *out)
{
	const void *parts[] = {stored, secret};
	size_t lens[] = {strlen(stored) + 1, strlen(secret)};
	sha256_parts(parts, lens, 2, out);
}

static int cache_has(const unsigned char *ck)
{
	int hit = 0;
	pthread_mutex_lock(&cache_lock);
	for (unsigned i = 0; i < SECRET_CACHE; i++)
		hit |= cache_used[i] & (CRYPTO_memcmp(cache[i], ck, SHA256_DIGEST_LENGTH) == 0);
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void cache_add(const unsigned char *ck)
{
	pthread_mutex_lock(&cache_lock);
	unsigned i = cache_next++ % SECRET_CACHE;
	memcpy(cache[i], ck, SHA256_DIGEST_LENGTH);
	cache_used[i] = 1;
	pthread_mutex_unlock(&cache_lock);
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
	if (cache_has(ck))
		return 1;
	p += 14;
	const char *d1 = strchr(p, '$');
	if (!d1 || strnum_i64(p, (size_t)(d1 - p), 1, SECRET_MAX_ITERATIONS, &iter))
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
	cache_add(ck);
	return 1;
}

void secret_verify_nothing(const char *secret)
{
	static const unsigned char salt[SECRET_SALT_LEN] = {0};
	unsigned char got[SECRET_KEY_LEN];
	if (secret && strlen(secret) <= SECRET_MAX_LEN)
		derive(secret, salt, SECRET_ITERATIONS, got);
}

int secret_generate(char out[33])
{
	unsigned char raw[16];
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -1;
	hex_encode(raw, sizeof(raw), out);
	return 0;
}
