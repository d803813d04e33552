/*
 * Unit tests for outbound/sign: the HMAC-SHA256 primitive against RFC 4231's
 * published vectors, and the header value against constants computed
 * independently with Python's hmac module.
 */
#include <string.h>

#include "outbound/sign.h"
#include "t.h"
#include "base/banned.h"

static void test_rfc4231(void)
{
	char hex[SIGN_HEX_CAP];
	unsigned char key1[20];

	/* Test case 1: key = 20 bytes of 0x0b, data = "Hi There". */
	memset(key1, 0x0b, sizeof(key1));
	CHECK_INT(sign_hmac_sha256_hex(key1, sizeof(key1), "Hi There", 8, hex), 0);
	CHECK_STR(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	/* Test case 2: key = "Jefe", data = "what do ya want for nothing?". */
	CHECK_INT(sign_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, hex), 0);
	CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

static void test_header_value(void)
{
	char v[SIGN_VALUE_CAP];
	const char *body = "{\"refund_id\":\"R1\",\"amount\":632.8}";

	/* python3: hmac.new(b"whsec_test", b"1700000000." + body, sha256).hexdigest() */
	CHECK_INT(sign_header_value("whsec_test", 1700000000, body, strlen(body), v, sizeof(v)), 0);
	CHECK_STR(v, "t=1700000000,v1="
		     "5b299695a86b49c71fa68dad981f92fe3c431dcf1885f6b27e801571e48cb9c6");

	/* A GET signs "t." with an empty body. */
	CHECK_INT(sign_header_value("whsec_test", 1700000000, NULL, 0, v, sizeof(v)), 0);
	CHECK_STR(v, "t=1700000000,v1="
		     "5967f3c560522fa40cf2876ebc3c3a08551dd6959aaade3b413460591895bdcc");

	/* A different secret or time gives a different MAC. */
	char w[SIGN_VALUE_CAP];
	CHECK_INT(sign_header_value("whsec_other", 1700000000, NULL, 0, w, sizeof(w)), 0);
	CHECK(strcmp(v, w) != 0);
	CHECK_INT(sign_header_value("whsec_test", 1700000001, NULL, 0, w, sizeof(w)), 0);
	CHECK(strncmp(w, "t=1700000001,v1=", 16) == 0 && strcmp(v + 16, w + 16) != 0);

	/* Too small a buffer fails cleanly instead of truncating a MAC. */
	char small[20];
	CHECK_INT(sign_header_value("whsec_test", 1700000000, NULL, 0, small, sizeof(small)), -1);
	CHECK_STR(small, "");
}

int main(void)
{
	test_rfc4231();
	test_header_value();
	T_DONE();
}
