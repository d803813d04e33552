/*
 * Shared secrets stored only as salted hashes: the logistics dialect's
 * Basic-auth passwords. PBKDF2-HMAC-SHA256 (OpenSSL) with a random salt;
 * compared in constant time. A process-wide cache of recent successful
 * checks keeps the key stretching off the hot path for a merchant that
 * calls often; a failed check always pays for the stretching.
 */
#ifndef APO_AUTH_SECRET_H
#define APO_AUTH_SECRET_H

#include <stddef.h>

#define SECRET_MAX_LEN 256
#define SECRET_HASH_CAP 160

/* Hashes secret into out ("pbkdf2-sha256$iter$salt$hash"); -1 on failure. */
int secret_hash(const char *secret, char out[SECRET_HASH_CAP]);

/* True when secret matches stored (a secret_hash() string). */
int secret_verify(const char *secret, const char *stored);

/*
 * Does the work of a failed secret_verify() for a merchant that does not
 * exist (or has no secret), so the answer takes as long as for a wrong
 * secret and merchant ids cannot be told apart by timing.
 */
void secret_verify_nothing(const char *secret);

/* Writes a fresh random secret of 32 hex characters into out (33 bytes). */
int secret_generate(char out[33]);

#endif
