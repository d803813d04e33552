/*
 * Money on the wire (jx_money): a JSON amount as number or string, and
 * every negative sign refused, zero included.
 */
#include <jansson.h>
#include <stdint.h>

#include "http/jsonx.h"
#include "t.h"

static int money_of(const char *doc, int64_t *out)
{
	json_t *j = json_loads(doc, 0, NULL);
	int rc = j ? jx_money(j, "a", out) : -2;
	json_decref(j);
	return rc;
}

static void test_money_accepted(void)
{
	int64_t v = -1;
	CHECK_INT(money_of("{\"a\": \"632.80\"}", &v), 0);
	CHECK_INT(v, 63280);
	CHECK_INT(money_of("{\"a\": 632.8}", &v), 0);
	CHECK_INT(v, 63280);
	CHECK_INT(money_of("{\"a\": 157}", &v), 0);
	CHECK_INT(v, 15700);
	CHECK_INT(money_of("{\"a\": \"0\"}", &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(money_of("{}", &v), 1);
	CHECK_INT(money_of("{\"a\": null}", &v), 1);
}

static void test_money_negative_refused(void)
{
	static const char *bad[] = {
	    "{\"a\": \"-0.50\"}", "{\"a\": \"256.-0\"}", "{\"a\": \"-0.01\"}", "{\"a\": \"-0\"}",
	    "{\"a\": -0.5}",	  "{\"a\": -0.01}",	 "{\"a\": -0.0}",      "{\"a\": -1}",
	    "{\"a\": \"-1\"}",	  "{\"a\": \"1.-5\"}",	 "{\"a\": true}",      "{\"a\": \"\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t v = 42;
		int rc = money_of(bad[i], &v);
		if (rc != -1)
			fprintf(stderr, "accepted %s\n", bad[i]);
		CHECK_INT(rc, -1);
		CHECK_INT(v, 42);
	}
}

int main(void)
{
	test_money_accepted();
	test_money_negative_refused();
	T_DONE();
}
