/*
 * X-Apotheca-Signature values (see sign.h).
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "outbound/sign.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/banned.h"

int sign_hmac_sha256_hex(const void *key, size_t keylen, const void *msg, size_t len,
			 char out[SIGN_HEX_CAP])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	out[0] = '\0';
	if (keylen > INT32_MAX)
		return -1;
	/* HMAC() refuses a NULL key even when it is empty. */
	if (!HMAC(EVP_sha256(), keylen ? key : "", (int)keylen, msg ? msg : (const void *)"", len,
		  mac, &maclen) ||
	    maclen * 2 != SIGN_HEX_LEN)
		return -1;
	hex_encode(mac, maclen, out);
	return 0;
}

int sign_header_value(const char *secret, int64_t t, const char *body, size_t len, char *out,
		      size_t cap)
{
	char mac[SIGN_HEX_CAP];
	struct buf msg;
	int rc;

	if (cap)
		out[0] = '\0';
	buf_init(&msg);
	buf_addf(&msg, "%lld.", (long long)t);
	if (len)
		buf_add(&msg, body, len);
	rc = sign_hmac_sha256_hex(secret, strlen(secret), msg.data, msg.len, mac);
	buf_release(&msg);
	if (rc || fmt_into(out, cap, "t=%lld,v1=%s", (long long)t, mac)) {
		if (cap)
			out[0] = '\0';
		return -1;
	}
	return 0;
}
