/*
 * Carrier tracking links: built-in carriers matched loosely by name, the
 * number percent-encoded into the template, the operator's list adding,
 * replacing and removing carriers, and bad lists refused whole.
 */
#include <stdlib.h>

#include "core/carrier.h"
#include "t.h"

static const char *link(const struct carrier_table *t, const char *carrier, const char *code)
{
	static char out[CARRIER_URL_CAP];
	return carrier_tracking_url(t, carrier, code, out, sizeof(out)) ? "(none)" : out;
}

static void test_builtin(void)
{
	struct carrier_table t;
	carrier_table_init(&t);
	CHECK_STR(link(&t, "Delhivery", "DL1"), "https://www.delhivery.com/track/package/DL1");
	CHECK_STR(link(&t, "  blue-dart ", "BD 7/7"),
		  "https://www.bluedart.com/web/guest/"
		  "trackdartresultthirdparty?trackFor=0&trackNo=BD%207%2F7");
	CHECK_STR(link(&t, "XPRESSBEES", "X<1>"),
		  "https://www.xpressbees.com/shipment/tracking?awbNo=X%3C1%3E");
	CHECK_STR(
	    link(&t, "India Post", "EE123456789IN"),
	    "https://www.indiapost.gov.in/_layouts/15/dop.portal.tracking/trackconsignment.aspx");
	CHECK_STR(link(&t, "Ekart", "EK9"), "(none)");
	CHECK_STR(link(&t, "Delhivery", ""), "(none)");
	CHECK_STR(link(&t, NULL, "x"), "(none)");
	CHECK_STR(link(&t, "---", "x"), "(none)");
	carrier_table_release(&t);
}

static void test_operator_list(void)
{
	char err[256];
	struct carrier_table t;
	carrier_table_init(&t);
	CHECK(carrier_table_add_list(&t,
				     "Ekart=https://ekartlogistics.com/shipmenttrack/{code},"
				     "Delhivery=https://track.example/d?awb={code}&x=1,DTDC=",
				     err, sizeof(err)) == 0);
	CHECK_STR(link(&t, "ekart", "EK9"), "https://ekartlogistics.com/shipmenttrack/EK9");
	CHECK_STR(link(&t, "Delhivery", "9"), "https://track.example/d?awb=9&x=1");
	CHECK_STR(link(&t, "DTDC", "9"), "(none)");
	const char *bad[] = {"Ekart",
			     "=https://x.example/{code}",
			     "Shadowfax=http://plain.example/{code}",
			     "Shadowfax=https://x.example/{code}/{code}",
			     "Shadowfax=https://x.example/\"{code}",
			     "Shadowfax=https://x.example/ {code}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(carrier_table_add_list(&t, bad[i], err, sizeof(err)) == -1);
		CHECK(err[0] != '\0');
	}
	/* A refused list changes nothing. */
	CHECK(carrier_table_add_list(&t, "Shadowfax=https://s.example/{code},Ekart", err,
				     sizeof(err)) == -1);
	CHECK_STR(link(&t, "Shadowfax", "1"), "(none)");
	CHECK_STR(link(&t, "ekart", "EK9"), "https://ekartlogistics.com/shipmenttrack/EK9");
	carrier_table_release(&t);
}

int main(void)
{
	test_builtin();
	test_operator_list();
	T_DONE();
}
