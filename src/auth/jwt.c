/*
 * RS256 verification and minting over libjwt (see jwt.h). libjwt checks the
 * signature; this file pins the algorithm before libjwt sees the token and
 * enforces the claim rules after, because libjwt 1.x would otherwise accept
 * whatever algorithm the token names (alg confusion: HS256 keyed with the
 * public key, or "none").
 */
#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Decodes base64url (unpadded) with OpenSSL; returns a malloc'ed buffer. */
static unsigned char *b64url_decode(const char *s, size_t len, size_t *out_len)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (c == '=' || c == '+' || c == '/')
			goto out_bad;
		buf_addch(&b, c);
	}
	while (b.len % 4)
		buf_addch(&b, '=');
	unsigned char *out = xmalloc(b.len / 4 * 3 + 1);
	int n = EVP_DecodeBlock(out, (const unsigned char *)b.data, (int)b.len);
	if (n < 0) {
		free(out);
		goto out_bad;
	}
	size_t pad = len % 4 == 2 ? 2 : len % 4 == 3 ? 1 : 0;
	*out_len = (size_t)n - pad;
	out[*out_len] = '\0';
	buf_release(&b);
	return out;
out_bad:
	buf_release(&b);
	return NULL;
}

/* Reads the token's header and checks that alg is exactly RS256. */
static int header_is_rs256(const char *token)
{
	const char *dot = strchr(token, '.');
	size_t hlen;
	int ok = 0;
	if (!dot)
		return 0;
	unsigned char *raw = b64url_decode(token, (size_t)(dot - token), &hlen);
	if (!raw)
		return 0;
	json_t *hdr = json_loadb((const char *)raw, hlen, JSON_REJECT_DUPLICATES, NULL);
	const char *alg = json_string_value(json_object_get(hdr, "alg"));
	ok = json_is_object(hdr) && alg && strcmp(alg, "RS256") == 0;
	json_decref(hdr);
	free(raw);
	return ok;
}

/*
 * Recently verified tokens, per thread. Parsing the PEM key costs far more
 * than the rest of a request (OpenSSL 3's decoders take global locks), and
 * a merchant reuses one token for up to 15 minutes, so a token seen before
 * with the same key skips the signature check; its time claims are checked
 * again on every use.
 */
#define JWT_CACHE_SLOTS 32

struct verified {
	int used;
	/* SHA-256 of (the key's SHA-256, token): fixed length, compared in constant time. */
	unsigned char key[SHA256_DIGEST_LENGTH];
	int64_t iat, exp;
};

static __thread struct verified cache[JWT_CACHE_SLOTS];
static __thread unsigned cache_next;

/*
 * The last key this thread hashed, and its digest: merchants' requests
 * come in runs, and the PEM is the larger part of what a request would
 * hash. It is compared whole before its digest is used.
 */
#define JWT_PEM_SEEN_MAX 4096
static __thread char pem_seen[JWT_PEM_SEEN_MAX];
static __thread unsigned char pem_seen_md[SHA256_DIGEST_LENGTH];

static void cache_key(const char *token, const char *pem, unsigned char *out)
{
	unsigned char pem_md[SHA256_DIGEST_LENGTH];
	size_t pem_len = strlen(pem);
	if (pem_len < sizeof(pem_seen) && strcmp(pem, pem_seen) == 0) {
		memcpy(pem_md, pem_seen_md, sizeof(pem_md));
	} else {
		const void *whole[] = {pem};
		sha256_parts(whole, &pem_len, 1, pem_md);
		if (pem_len < sizeof(pem_seen)) {
			memcpy(pem_seen, pem, pem_len + 1);
			memcpy(pem_seen_md, pem_md, sizeof(pem_md));
		}
	}
	/* Fixed-length key digest first: (key, token) pairs cannot run together. */
	const void *parts[] = {pem_md, token};
	size_t lens[] = {sizeof(pem_md), strlen(token)};
	sha256_parts(parts, lens, 2, out);
}

static const struct verified *cache_find(const unsigned char *key)
{
	const struct verified *found = NULL;
	/* Every slot is compared, so timing says nothing about which matched. */
	for (unsigned i = 0; i < JWT_CACHE_SLOTS; i++) {
		const struct verified *v = &cache[i];
		if (v->used && CRYPTO_memcmp(v->key, key, SHA256_DIGEST_LENGTH) == 0)
			found = v;
	}
	return found;
}

static void cache_add(const unsigned char *key, int64_t iat, int64_t exp)
{
	struct verified *v = &cache[cache_next++ % JWT_CACHE_SLOTS];
	v->used = 1;
	memcpy(v->key, key, SHA256_DIGEST_LENGTH);
	v->iat = iat;
	v->exp = exp;
}

/* The claim rules of SPEC §2 on a token's iat and exp. */
static const char *time_rules(int64_t i, int64_t e, int64_t now)
{
	if (e <= i || e - i > JWT_MAX_LIFETIME_S)
		return "Token lifetime (exp - iat) must be between 1 and 900 seconds";
	if (e <= now - JWT_SKEW_S)
		return "Token has expired";
	if (i > now + JWT_SKEW_S)
		return "Token issued in the future (iat)";
	return NULL;
}

static int fail(char *why, size_t cap, const char *reason)
{
	fmt_into(why, cap, "%s", reason);
	return -1;
}

int jwt_verify_rs256(const char *token, const char *public_pem, int64_t now, char *why,
		     size_t cap)
{
	jwt_t *jwt = NULL;
	json_t *claims = NULL;
	char *grants = NULL;
	int rc = -1;

	if (!token || !*token || strlen(token) > JWT_MAX_TOKEN_LEN)
		return fail(why, cap, "Missing or malformed bearer token");
	if (!public_pem || !*public_pem)
		return fail(why, cap, "Merchant has no registered public key");
	unsigned char key[SHA256_DIGEST_LENGTH];
	cache_key(token, public_pem, key);
	const struct verified *seen = cache_find(key);
	if (seen) {
		const char *broken = time_rules(seen->iat, seen->exp, now);
		return broken ? fail(why, cap, broken) : 0;
	}
	if (!header_is_rs256(token))
		return fail(why, cap, "Token algorithm must be RS256");
	if (jwt_decode(&jwt, token, (const unsigned char *)public_pem, (int)strlen(public_pem)) ||
	    jwt_get_alg(jwt) != JWT_ALG_RS256) {
		fail(why, cap, "Invalid token signature");
		goto out;
	}
	grants = jwt_get_grants_json(jwt, NULL);
	claims = grants ? json_loads(grants, 0, NULL) : NULL;
	json_t *iat = json_object_get(claims, "iat"), *exp = json_object_get(claims, "exp");
	if (!json_is_integer(iat) || !json_is_integer(exp)) {
		fail(why, cap, "Token must carry integer iat and exp claims");
		goto out;
	}
	int64_t i = json_integer_value(iat), e = json_integer_value(exp);
	const char *broken = time_rules(i, e, now);
	if (broken) {
		fail(why, cap, broken);
	} else {
		cache_add(key, i, e);
		rc = 0;
	}
out:
	json_decref(claims);
	free(grants);
	jwt_free(jwt);
	return rc;
}

char *jwt_mint_rs256(const char *private_pem, size_t pem_len, const char *merchant_id,
		     int64_t now, int64_t lifetime_s)
{
	jwt_t *jwt = NULL;
	char *out = NULL;
	if (jwt_new(&jwt))
		return NULL;
	if (jwt_set_alg(jwt, JWT_ALG_RS256, (const unsigned char *)private_pem, (int)pem_len) ||
	    jwt_add_grant_int(jwt, "iat", (long)now) ||
	    jwt_add_grant_int(jwt, "exp", (long)(now + lifetime_s)) ||
	    jwt_add_grant(jwt, "sub", merchant_id))
		goto out;
	out = jwt_encode_str(jwt);
out:
	jwt_free(jwt);
	return out;
}

int jwt_public_key_valid(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	int ok = key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA;
	EVP_PKEY_free(key);
	BIO_free(bio);
	return ok;
}
