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
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "base/buf.h"
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
	if (e <= i || e - i > JWT_MAX_LIFETIME_S)
		fail(why, cap, "Token lifetime (exp - iat) must be between 1 and 900 seconds");
	else if (e <= now - JWT_SKEW_S)
		fail(why, cap, "Token has expired");
	else if (i > now + JWT_SKEW_S)
		fail(why, cap, "Token issued in the future (iat)");
	else
		rc = 0;
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
