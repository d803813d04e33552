/*
 * The router: literal and parameter segments, suffix parameters, trailing
 * slashes, 404 versus 405 with the allowed methods.
 */
#include "http/router.h"
#include "t.h"

static void h1(struct req *r)
{
	(void)r;
}
static void h2(struct req *r)
{
	(void)r;
}
static void h3(struct req *r)
{
	(void)r;
}

int main(void)
{
	static struct router rt;
	struct route_match m;
	char allow[64];

	router_init(&rt);
	router_add(&rt, HTTP_POST, "/api/v4/merchants/{merchant_id}/orders", h1, "orders.create");
	router_add(&rt, HTTP_PUT, "/api/v4/merchants/{merchant_id}/orders/{order_id}/confirm", h2,
		   NULL);
	router_add(&rt, HTTP_GET, "/t/{code}.json", h3, "track.json");
	router_add(&rt, HTTP_GET, "/t/{code}", h1, "track.page");
	router_add(&rt, HTTP_POST, "/2015-01-01/products/", h2, "products");
	router_add(&rt, HTTP_DELETE | HTTP_GET, "/2015-01-01/orders/{id}", h3, "lorder");
	router_add(&rt, HTTP_POST, "/2015-01-01/orders/{id}", h1, "lorder.update");
	router_add(&rt, HTTP_POST, "/2015-01-01/orders/_create", h2, "lorder.create");

	CHECK(router_match(&rt, HTTP_POST, "/api/v4/merchants/m1/orders", &m) == 0);
	CHECK(m.route && m.route->fn == h1);
	CHECK_STR(route_match_param(&m, "merchant_id"), "m1");
	CHECK(route_match_param(&m, "order_id") == NULL);
	router_match_release(&m);

	CHECK(router_match(&rt, HTTP_PUT, "/api/v4/merchants/m1/orders/PO1/confirm", &m) == 0);
	CHECK_STR(route_match_param(&m, "order_id"), "PO1");
	CHECK_STR(m.route->name, "/api/v4/merchants/{merchant_id}/orders/{order_id}/confirm");
	router_match_release(&m);

	/* 405 with the methods the path has */
	CHECK(router_match(&rt, HTTP_GET, "/api/v4/merchants/m1/orders", &m) == -1);
	CHECK(m.route == NULL && m.allowed == HTTP_POST);
	http_methods_format(m.allowed, allow, sizeof(allow));
	CHECK_STR(allow, "POST");
	router_match_release(&m);

	/* 404: nothing fits, empty parameter never matches */
	CHECK(router_match(&rt, HTTP_POST, "/api/v4/merchants//orders", &m) == -1);
	CHECK(m.allowed == 0);
	router_match_release(&m);
	CHECK(router_match(&rt, HTTP_POST, "/api/v4/merchants/m1/orders/extra", &m) == -1);
	CHECK(m.allowed == 0);
	router_match_release(&m);

	/* suffix parameter wins over plain one in order of registration */
	CHECK(router_match(&rt, HTTP_GET, "/t/abc.json", &m) == 0);
	CHECK(m.route->fn == h3);
	CHECK_STR(route_match_param(&m, "code"), "abc");
	router_match_release(&m);
	CHECK(router_match(&rt, HTTP_GET, "/t/abc", &m) == 0);
	CHECK(m.route->fn == h1);
	router_match_release(&m);
	CHECK(router_match(&rt, HTTP_GET, "/t/.json", &m) == 0); /* ".json" is a plain code */
	CHECK(m.route->fn == h1);
	router_match_release(&m);

	/* trailing slash is significant */
	CHECK(router_match(&rt, HTTP_POST, "/2015-01-01/products/", &m) == 0);
	router_match_release(&m);
	CHECK(router_match(&rt, HTTP_POST, "/2015-01-01/products", &m) == -1);
	router_match_release(&m);

	/* HEAD is served by GET routes; several routes share a path */
	CHECK(router_match(&rt, HTTP_HEAD, "/2015-01-01/orders/abc", &m) == 0);
	router_match_release(&m);
	CHECK(router_match(&rt, HTTP_POST, "/2015-01-01/orders/_create", &m) == 0);
	CHECK(m.route->fn == h1); /* "{id}" was registered first and matches too */
	router_match_release(&m);
	CHECK(router_match(&rt, HTTP_PUT, "/2015-01-01/orders/abc", &m) == -1);
	CHECK(m.allowed == (HTTP_DELETE | HTTP_GET | HTTP_POST));
	router_match_release(&m);

	CHECK(http_method_parse("PATCH") == HTTP_PATCH);
	CHECK(http_method_parse("BREW") == HTTP_OTHER);
	T_DONE();
}
