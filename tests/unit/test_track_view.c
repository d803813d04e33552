/*
 * The track view without a server: the seed's own example rebuilt as an
 * order reproduces its payment summary to the paisa (856.04, 807, 26.64,
 * 783.36); open quantities after a partial cancel; payments and refunds of
 * an ONLINE order; cash at the door of a COD one; the pseudonymous ids;
 * the public facts; and HTML escaping.
 */
#include <stdlib.h>
#include <string.h>

#include "api/track_view.h"
#include "app.h"
#include "core/merchant.h"
#include "core/order_state.h"
#include "http/html.h"
#include "t.h"

struct seed_line {
	const char *sku;
	int64_t mrp, offered, discounted;
};

/* The seed's five SKUs; the 26.64 coupon spread over them per unit. */
static const struct seed_line seed_lines[] = {
    {"747985", 15500, 14100, 13635}, {"9187", 27511, 25300, 24465},
    {"63412", 12900, 12800, 12377},  {"324155", 13193, 12500, 12087},
    {"325250", 16500, 16000, 15472},
};

static void seed_order(struct order *o)
{
	order_init(o);
	fmt_into(o->order_id, sizeof(o->order_id), "PO10824235590665");
	o->merchant_id = strdup("clove");
	o->merchant_order_id = strdup("2489174");
	o->payment_method = strdup("COD");
	o->status_id = ST_CANCELLED;
	o->subtitle = strdup("As per Your Request");
	o->user_json = strdup("{\"email\":\"A@Example.com\",\"mobile\":\"8465944178\"}");
	o->address_json =
	    strdup("{\"name\":\"Harish\",\"latitude\":12.94416,\"longitude\":\"77.74529\","
		   "\"type\":\"home\",\"pincode\":\"560103\"}");
	for (size_t i = 0; i < sizeof(seed_lines) / sizeof(seed_lines[0]); i++) {
		struct order_line *l = &o->lines[o->nlines++];
		l->sku_id = strdup(seed_lines[i].sku);
		l->name = strdup("x");
		l->qty = 1;
		l->mrp = seed_lines[i].mrp;
		l->offered = seed_lines[i].offered;
		l->discounted = seed_lines[i].discounted;
	}
	o->charges[0] =
	    (struct order_charge){strdup("green"), strdup("Green packaging charge"), 300};
	o->charges[1] = (struct order_charge){strdup("rapid"), strdup("Rapid Delivery Fee"), 0};
	o->ncharges = 2;
}

static char *dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
}

static void test_seed_summary(void)
{
	struct order o;
	struct order_extras x;
	struct track_money m;
	seed_order(&o);
	memset(&x, 0, sizeof(x));
	track_money_compute(&o, &x, &m);
	CHECK_INT(m.cart_mrp, 85604);
	CHECK_INT(m.discounted_mrp, 80700);
	CHECK_INT(m.coupon_discount, 2664);
	CHECK_INT(m.vas, 300);
	CHECK_INT(m.payable, 78336);
	CHECK_INT(m.to_be_paid, 78336);
	CHECK_INT(m.collected + m.online_pending + m.refund_initiated, 0);
	CHECK(!m.cashless && !m.allow_retry);

	struct app app;
	struct merchant mer;
	memset(&app, 0, sizeof(app));
	app.cfg.public_url = "https://track.example";
	merchant_init(&mer);
	mer.id = strdup("clove");
	mer.name = strdup("clove_dental");
	json_t *res = track_result_json(&app, &mer, &o, &x);
	json_t *g = json_array_get(json_object_get(res, "grouped_orders"), 0);
	char *ps = dump(json_object_get(g, "payment_summary"));
	CHECK_STR(ps,
		  "{\"mode\":\"COD\",\"online_refund_due\":0,\"total_payment\":0,"
		  "\"shipping_charges\":0,\"order_mrp\":783.36,\"online_collected\":0,"
		  "\"current_mrp\":856.04,\"coupon_discount\":26.64,\"amount_to_be_paid\":783.36,"
		  "\"amount_collected\":0,\"additional_charges\":[],\"amount_payable\":783.36,"
		  "\"online_pending_amount\":0,\"cashback_earned\":0,\"total_refunded_amount\":0,"
		  "\"payments\":[],\"vas\":[{\"display_text\":\"Green packaging charge\","
		  "\"group_name\":\"Green packaging charge\",\"id\":\"green\",\"amount\":3},"
		  "{\"display_text\":\"Rapid Delivery Fee\",\"group_name\":\"Rapid Delivery Fee\","
		  "\"id\":\"rapid\",\"amount\":0}],\"allow_payment_retry\":false,"
		  "\"online_refund_initiated\":0,\"discounted_mrp\":807,\"cart_mrp\":856.04,"
		  "\"total_refund_due\":0}");
	free(ps);
	char *os = dump(json_object_get(g, "order_status"));
	CHECK_STR(os, "{\"subtitle\":\"As per Your Request\",\"status_id\":99,"
		      "\"title\":\"Order Cancelled\"}");
	free(os);
	/* No tracking code yet: the additions are there, null. */
	char *sd = dump(json_object_get(g, "shipment_detail"));
	CHECK_STR(sd,
		  "{\"delivery_partner_name\":null,\"tracking_code\":null,\"tracking_url\":null}");
	free(sd);
	json_t *addr = json_object_get(res, "delivery_address");
	CHECK(json_real_value(json_object_get(addr, "latitude")) == 12.94416);
	CHECK(json_real_value(json_object_get(addr, "longitude")) == 77.74529);
	CHECK_STR(json_string_value(json_object_get(addr, "address_type")), "home");
	CHECK_STR(json_string_value(json_object_get(addr, "country")), "IN");
	CHECK(json_is_null(json_object_get(addr, "locality2")));
	CHECK_STR(json_string_value(json_object_get(res, "source")), "clove_dental");
	CHECK_STR(json_string_value(json_object_get(res, "group_order_id")), "PO10824235590665");
	json_decref(res);

	/* With a tracking code, the public URL follows. */
	o.tracking_code = strdup("abcdefghjkmnpqrs");
	res = track_result_json(&app, &mer, &o, &x);
	g = json_array_get(json_object_get(res, "grouped_orders"), 0);
	CHECK_STR(json_string_value(
		      json_object_get(json_object_get(g, "shipment_detail"), "tracking_url")),
		  "https://track.example/t/abcdefghjkmnpqrs");
	json_decref(res);
	merchant_release(&mer);
	order_release(&o);
}

static void test_partial_cancel_uses_open_quantity(void)
{
	struct order o;
	struct track_money m;
	seed_order(&o);
	o.lines[0].qty = 3;
	o.lines[0].cancelled_qty = 2; /* one unit of 747985 left, as in the seed */
	o.lines[1].cancelled_qty = 1; /* Allegra gone entirely */
	track_money_compute(&o, NULL, &m);
	CHECK_INT(m.cart_mrp, 85604 - 27511);
	CHECK_INT(m.discounted_mrp, 80700 - 25300);
	CHECK_INT(m.coupon_discount, 2664 - (25300 - 24465));
	CHECK_INT(m.payable, m.discounted_mrp - m.coupon_discount + 300);
	CHECK_INT(track_item_count(&o), 4);
	order_release(&o);
}

static void test_online_payments_and_refunds(void)
{
	struct order o;
	struct track_money m;
	struct order_payment pay[2] = {{"T1", "SUCCESS", 78336, 1}, {"T0", "FAILED", 78336, 1}};
	struct order_refund ref[2] = {{"RF1", "T1", "PARTIAL", "r", "done", 13635, 1, 2},
				      {"RF2", "T1", "PARTIAL", "r", "pending", 64701, 1, 0}};
	struct order_extras x = {0};
	seed_order(&o);
	free(o.payment_method);
	o.payment_method = strdup("ONLINE");

	o.status_id = ST_AWAITING_CONFIRMATION;
	track_money_compute(&o, &x, &m);
	CHECK(m.allow_retry && !m.cashless);
	CHECK_INT(m.online_pending, 78336);
	CHECK_INT(m.to_be_paid, 78336);

	o.status_id = ST_PLACED;
	x.payments = pay;
	x.npayments = 2;
	track_money_compute(&o, &x, &m);
	CHECK(!m.allow_retry && m.cashless);
	CHECK_INT(m.online_collected, 78336); /* the failed attempt does not count */
	CHECK_INT(m.collected, 78336);
	CHECK_INT(m.online_pending + m.to_be_paid, 0);

	o.status_id = ST_CANCELLED;
	x.refunds = ref;
	x.nrefunds = 2;
	track_money_compute(&o, &x, &m);
	CHECK_INT(m.refund_initiated, 78336);
	CHECK_INT(m.refunded, 13635);
	CHECK_INT(m.refund_due, 64701);
	CHECK_INT(m.online_pending, 0);
	order_release(&o);
}

static void test_cod_is_collected_at_the_door(void)
{
	struct order o;
	struct track_money m;
	seed_order(&o);
	o.status_id = ST_OUT_FOR_DELIVERY;
	track_money_compute(&o, NULL, &m);
	CHECK_INT(m.collected, 0);
	o.status_id = ST_DELIVERED;
	track_money_compute(&o, NULL, &m);
	CHECK_INT(m.cash_collected, 78336);
	CHECK_INT(m.to_be_paid, 0);
	CHECK(!m.cashless);
	order_release(&o);
}

static int uuid_shaped(const char *s)
{
	if (strlen(s) != TRACK_UUID_LEN || s[14] != '8' || !strchr("89ab", s[19]))
		return 0;
	for (size_t i = 0; i < TRACK_UUID_LEN; i++) {
		int dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i]))
			return 0;
	}
	return 1;
}

static void test_customer_uuid(void)
{
	struct order a, b;
	char ua[TRACK_UUID_LEN + 1], ub[TRACK_UUID_LEN + 1], pa[TRACK_UUID_LEN + 1];
	seed_order(&a);
	seed_order(&b);
	track_customer_uuid(&a, "user", ua);
	track_customer_uuid(&a, "patient", pa);
	CHECK(uuid_shaped(ua) && uuid_shaped(pa));
	CHECK(strcmp(ua, pa) != 0);
	/* Same e-mail in another case, another order: the same customer. */
	free(b.user_json);
	b.user_json = strdup("{\"email\":\"a@example.COM\"}");
	fmt_into(b.order_id, sizeof(b.order_id), "PO20000000000000");
	track_customer_uuid(&b, "user", ub);
	CHECK_STR(ub, ua);
	/* Another merchant: unrelated. */
	free(b.merchant_id);
	b.merchant_id = strdup("other");
	track_customer_uuid(&b, "user", ub);
	CHECK(strcmp(ub, ua) != 0);
	/* No e-mail: the mobile; neither: one customer per order. */
	free(b.user_json);
	b.user_json = strdup("{\"email\":\"\",\"mobile\":\"8465944178\"}");
	track_customer_uuid(&b, "user", ub);
	CHECK(uuid_shaped(ub));
	free(b.user_json);
	b.user_json = NULL;
	track_customer_uuid(&b, "user", ua);
	fmt_into(b.order_id, sizeof(b.order_id), "PO30000000000000");
	track_customer_uuid(&b, "user", ub);
	CHECK(strcmp(ua, ub) != 0);
	order_release(&a);
	order_release(&b);
}

static void test_public_facts(void)
{
	struct order o;
	struct order_event ev[2] = {{0, 15, "merchant", NULL, 100},
				    {15, 99, "merchant", "secret", 200}};
	struct order_extras x = {0};
	struct track_public p;
	seed_order(&o);
	x.events = ev;
	x.nevents = 2;
	o.tracking_code = strdup("abcdefghjkmnpqrs");
	track_public_facts(&o, &x, NULL, NULL, &p);
	json_t *j = track_public_json(&p);
	/* The keys the page always had, unchanged. */
	json_t *part = json_pack("{s:O,s:O,s:O,s:O,s:O}", "tracking_code",
				 json_object_get(j, "tracking_code"), "status",
				 json_object_get(j, "status"), "eta", json_object_get(j, "eta"),
				 "carrier", json_object_get(j, "carrier"), "item_count",
				 json_object_get(j, "item_count"));
	char *s = dump(part);
	json_decref(part);
	CHECK_STR(s, "{\"tracking_code\":\"abcdefghjkmnpqrs\",\"status\":{\"status_id\":99,"
		     "\"title\":\"Order Cancelled\"},\"eta\":null,\"carrier\":null,\"item_count\":5}");
	free(s);
	s = dump(json_object_get(j, "timeline"));
	CHECK_STR(s, "[{\"status_id\":15,\"title\":\"Order Placed\",\"label\":\"Order placed\","
		     "\"at\":100},{\"status_id\":99,\"title\":\"Order Cancelled\",\"label\":"
		     "\"Order cancelled\",\"at\":200}]");
	free(s);
	/* Cancelled: no progress, the reason in the customer's words, no money taken. */
	part = json_pack("{s:O,s:O,s:O,s:O}", "state", json_object_get(j, "state"), "progress",
			 json_object_get(j, "progress"), "cancellation",
			 json_object_get(j, "cancellation"), "refund", json_object_get(j, "refund"));
	s = dump(part);
	json_decref(part);
	CHECK_STR(s, "{\"state\":{\"phase\":\"cancelled\",\"headline\":\"Order cancelled\","
		     "\"detail\":\"The order was cancelled at your request.\",\"notice\":null},"
		     "\"progress\":[],\"cancellation\":{\"reason\":\"The order was cancelled at "
		     "your request.\",\"at\":200},\"refund\":null}");
	free(s);
	CHECK(p.nothing_charged);
	s = dump(j);
	CHECK(strstr(s, "secret") == NULL); /* the move's note stays internal */
	free(s);
	json_decref(j);

	/* An operator's own subtitle stays internal; the step left says why. */
	free(o.subtitle);
	o.subtitle = strdup("ops: wh-3 short");
	ev[1].from = ST_ALLOCATION_FAILED;
	track_public_facts(&o, &x, NULL, NULL, &p);
	CHECK_STR(p.cancel_reason,
		  "Some items could not be restocked in time, so the order was cancelled.");

	/* Out for delivery with a known carrier: progress, ETA and the carrier's link. */
	struct order_event ev2[5] = {{0, 15, "m", NULL, 100},
				     {15, 120, "o", NULL, 110},
				     {120, 130, "o", NULL, 120},
				     {130, 25, "o", NULL, 130},
				     {25, 30, "o", NULL, 140}};
	struct carrier_table carriers;
	struct merchant m;
	carrier_table_init(&carriers);
	merchant_init(&m);
	m.id = strdup("clove");
	m.name = strdup("clove_dental");
	m.display_name = strdup("Clove Dental Pharmacy");
	m.help_phone = strdup("+91 80 4000 1234");
	x.events = ev2;
	x.nevents = 5;
	o.status_id = ST_OUT_FOR_DELIVERY;
	o.eta_from = 1000;
	o.eta_to = 2000;
	o.delivery_partner = strdup("Delhivery");
	o.carrier_tracking_code = strdup("DL1");
	track_public_facts(&o, &x, &m, &carriers, &p);
	j = track_public_json(&p);
	s = dump(json_object_get(j, "carrier"));
	CHECK_STR(s, "{\"name\":\"Delhivery\",\"tracking_code\":\"DL1\",\"tracking_url\":"
		     "\"https://www.delhivery.com/track/package/DL1\"}");
	free(s);
	s = dump(json_object_get(j, "eta"));
	CHECK_STR(s, "{\"from\":1000,\"to\":2000}");
	free(s);
	s = dump(json_object_get(j, "progress"));
	CHECK_STR(s, "[{\"step\":\"placed\",\"label\":\"Order placed\",\"state\":\"done\",\"at\":100},"
		     "{\"step\":\"packed\",\"label\":\"Packed\",\"state\":\"done\",\"at\":120},"
		     "{\"step\":\"shipped\",\"label\":\"Shipped\",\"state\":\"done\",\"at\":130},"
		     "{\"step\":\"out_for_delivery\",\"label\":\"Out for delivery\",\"state\":"
		     "\"current\",\"at\":140},{\"step\":\"delivered\",\"label\":\"Delivered\","
		     "\"state\":\"upcoming\",\"at\":null}]");
	free(s);
	s = dump(json_object_get(j, "merchant"));
	CHECK_STR(s, "{\"name\":\"Clove Dental Pharmacy\",\"help\":{\"url\":null,\"email\":null,"
		     "\"phone\":\"+91 80 4000 1234\"}}");
	free(s);
	CHECK(json_is_null(json_object_get(j, "cancellation")));
	json_decref(j);

	/* A prescription is needed: the customer is asked to act, the shop named. */
	o.status_id = ST_RX_REQUIRED;
	x.nevents = 1;
	track_public_facts(&o, &x, &m, &carriers, &p);
	CHECK(p.notice == TRACK_NOTICE_ACTION);
	CHECK_STR(p.headline, "Prescription needed");
	CHECK(strstr(p.detail, "Clove Dental Pharmacy") != NULL);
	CHECK(p.steps[0].state == TRACK_STEP_CURRENT && p.steps[1].state == TRACK_STEP_UPCOMING);
	merchant_release(&m);
	carrier_table_release(&carriers);
	order_release(&o);
}

static void test_html_escape(void)
{
	struct buf b;
	buf_init(&b);
	html_escape(&b, "<script>alert('x')</script> & \"q\"");
	CHECK_STR(b.data, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	buf_reset(&b);
	html_escape(&b, NULL);
	html_escape(&b, "plain ünïcode");
	html_escapef(&b, " %d<%s", 3, "4");
	CHECK_STR(b.data, "plain ünïcode 3&lt;4");
	buf_release(&b);
}

int main(void)
{
	test_seed_summary();
	test_partial_cancel_uses_open_quantity();
	test_online_payments_and_refunds();
	test_cod_is_collected_at_the_door();
	test_customer_uuid();
	test_public_facts();
	test_html_escape();
	T_DONE();
}
