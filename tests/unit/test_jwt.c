/*
 * JWT claim rules and algorithm pinning, with keys made for the test.
 */
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <time.h>

#include "auth/jwt.h"
#include "t.h"

static char *pem_of(EVP_PKEY *k, int private)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data;
	if (private)
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PUBKEY(b, k);
	long n = BIO_get_mem_data(b, &data);
	char *out = malloc((size_t)n + 1);
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return out;
}

/* A token with arbitrary alg and claims, signed by libjwt. */
static char *make(jwt_alg_t alg, const char *key, const char *claims)
{
	jwt_t *j;
	jwt_new(&j);
	jwt_add_grants_json(j, claims);
	jwt_set_alg(j, alg, (const unsigned char *)key, key ? (int)strlen(key) : 0);
	char *t = jwt_encode_str(j);
	jwt_free(j);
	return t;
}

static int verify(const char *tok, const char *pub, long now)
{
	char why[160];
	int rc = jwt_verify_rs256(tok, pub, now, why, sizeof(why));
	if (rc)
		fprintf(stderr, "  refused: %s\n", why);
	return rc;
}

int main(void)
{
	EVP_PKEY *k1 = EVP_RSA_gen(2048), *k2 = EVP_RSA_gen(2048);
	char *priv1 = pem_of(k1, 1), *pub1 = pem_of(k1, 0), *priv2 = pem_of(k2, 1);
	char *pub2 = pem_of(k2, 0);
	long now = 1700000000;
	char claims[128];
	char *t;

	CHECK(jwt_public_key_valid(pub1));
	CHECK(!jwt_public_key_valid("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"));
	CHECK(!jwt_public_key_valid(priv1));

	t = jwt_mint_rs256(priv1, strlen(priv1), "m1", now, 900);
	CHECK(t != NULL);
	CHECK(verify(t, pub1, now) == 0);
	CHECK(verify(t, pub1, now + 899) == 0);
	CHECK(verify(t, pub1, now + 900 + 60) == -1); /* expired, past the skew */
	CHECK(verify(t, pub1, now - 61) == -1);	      /* iat in the future */
	CHECK(verify(t, pub1, now - 59) == 0);	      /* within the skew */
	/* the second check of a token comes from the cache: same answers */
	CHECK(verify(t, pub1, now) == 0);
	CHECK(verify(t, pub1, now + 900 + 60) == -1);
	CHECK(verify(t, pub1, now - 61) == -1);
	free(t);

	/* lifetime over 15 minutes */
	t = jwt_mint_rs256(priv1, strlen(priv1), "m1", now, 901);
	CHECK(verify(t, pub1, now) == -1);
	free(t);

	/* another merchant's key */
	t = jwt_mint_rs256(priv2, strlen(priv2), "m1", now, 900);
	CHECK(verify(t, pub1, now) == -1);
	free(t);

	/* a token verified and kept under one key is refused once the
	 * merchant's key is another, and passes again under the first */
	t = jwt_mint_rs256(priv1, strlen(priv1), "m1", now, 900);
	CHECK(verify(t, pub1, now) == 0);
	CHECK(verify(t, pub2, now) == -1);
	CHECK(verify(t, pub2, now) == -1);
	CHECK(verify(t, pub1, now) == 0);
	free(t);

	/* algorithm confusion: HS256 keyed with the public PEM, and none */
	snprintf(claims, sizeof(claims), "{\"iat\":%ld,\"exp\":%ld}", now, now + 600);
	t = make(JWT_ALG_HS256, pub1, claims);
	CHECK(t != NULL && verify(t, pub1, now) == -1);
	free(t);
	t = make(JWT_ALG_NONE, NULL, claims);
	CHECK(t != NULL && verify(t, pub1, now) == -1);
	free(t);

	/* missing or mistyped claims */
	t = make(JWT_ALG_RS256, priv1, "{\"exp\":1700000600}");
	CHECK(verify(t, pub1, now) == -1);
	free(t);
	t = make(JWT_ALG_RS256, priv1, "{\"iat\":1700000000}");
	CHECK(verify(t, pub1, now) == -1);
	free(t);
	t = make(JWT_ALG_RS256, priv1, "{\"iat\":\"1700000000\",\"exp\":1700000600}");
	CHECK(verify(t, pub1, now) == -1);
	free(t);
	t = make(JWT_ALG_RS256, priv1, "{\"iat\":1700000600,\"exp\":1700000000}");
	CHECK(verify(t, pub1, now) == -1);
	free(t);
	t = make(JWT_ALG_RS256, priv1, claims);
	CHECK(verify(t, pub1, now) == 0);

	/* tampering with the payload breaks the signature */
	char *dot = strchr(t, '.');
	dot[2] = dot[2] == 'A' ? 'B' : 'A';
	CHECK(verify(t, pub1, now) == -1);
	free(t);

	/* garbage */
	CHECK(verify("", pub1, now) == -1);
	CHECK(verify(NULL, pub1, now) == -1);
	CHECK(verify("a.b.c", pub1, now) == -1);
	CHECK(verify("....", pub1, now) == -1);
	CHECK(verify("eyJhbGciOiJSUzI1NiJ9", pub1, now) == -1);

	free(priv1);
	free(pub1);
	free(priv2);
	free(pub2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	T_DONE();
}
