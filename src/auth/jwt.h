/*
 * Merchant bearer tokens: RS256 JWTs verified with libjwt against the
 * merchant's registered public key, with the claim rules of SPEC §2, and
 * minted the same way for the CLI's `token` command.
 */
#ifndef APO_AUTH_JWT_H
#define APO_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

/* Claim rules. */
#define JWT_MAX_LIFETIME_S 900
#define JWT_SKEW_S 60
#define JWT_MAX_TOKEN_LEN 8192

/*
 * Verifies token against the PEM public key at time now (epoch seconds).
 * The header's alg must be exactly "RS256"; iat and exp must be integers,
 * exp - iat <= JWT_MAX_LIFETIME_S, exp > now - JWT_SKEW_S and
 * iat <= now + JWT_SKEW_S. Returns 0 when valid; otherwise -1 with a short
 * reason for the client in why (cap bytes).
 */
int jwt_verify_rs256(const char *token, const char *public_pem, int64_t now, char *why,
		     size_t cap);

/*
 * Mints an RS256 token for merchant_id signed with the PEM private key,
 * valid from now for lifetime_s seconds. Returns a malloc'ed string the
 * caller frees, or NULL when the key cannot sign.
 */
char *jwt_mint_rs256(const char *private_pem, size_t pem_len, const char *merchant_id,
		     int64_t now, int64_t lifetime_s);

/* True when pem holds a public key libjwt can verify RS256 with. */
int jwt_public_key_valid(const char *pem);

#endif
