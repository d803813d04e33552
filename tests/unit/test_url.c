/*
 * Outbound URL rules, client-chosen ids and database URLs in logs: the shapes that got past
 * prefix checks are refused, ordinary merchant URLs pass.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/ids.h"
#include "outbound/http_out.h"
#include "outbound/url.h"
#include "store/store.h"
#include "t.h"

static int ok(const char *u)
{
	char err[200];
	return url_check(u, NULL, err, sizeof(err)) == 0;
}

static void test_urls(void)
{
	url_allow_private(0);
	CHECK(ok("https://pay.example.com/api"));
	CHECK(ok("https://pay.example.com:8443/api/v1/"));
	CHECK(ok("http://127.0.0.1:9000/pay"));
	CHECK(ok("http://127.0.0.2/pay"));
	CHECK(ok("http://localhost:9000/pay"));
	CHECK(ok("http://[::1]:9000/pay"));
	CHECK(!ok("http://127.0.0.1@10.1.2.3/pay"));
	CHECK(!ok("http://user:pw@127.0.0.1/pay"));
	CHECK(!ok("https://user@pay.example.com/"));
	CHECK(!ok("http://127.0.0.1.evil.example/"));
	CHECK(!ok("http://localhost.evil.example/"));
	CHECK(!ok("http://pay.example.com/"));
	CHECK(!ok("https://169.254.169.254/latest/meta-data"));
	CHECK(!ok("https://10.1.2.3/"));
	CHECK(!ok("https://192.168.1.1/"));
	CHECK(!ok("https://172.16.0.1/"));
	CHECK(!ok("https://127.0.0.1/"));
	CHECK(!ok("https://[::1]/"));
	CHECK(!ok("https://[fe80::1]/"));
	CHECK(!ok("https://[::ffff:10.0.0.1]/"));
	CHECK(!ok("ftp://pay.example.com/"));
	CHECK(!ok("https://"));
	CHECK(!ok(""));
	CHECK(!ok("pay.example.com/x"));
	url_allow_private(1);
	CHECK(ok("https://10.1.2.3/"));
	CHECK(ok("https://127.0.0.1:8443/"));
	CHECK(!ok("http://127.0.0.1@10.1.2.3/pay"));
	CHECK(!ok("http://10.1.2.3/pay"));
	url_allow_private(0);
}

static int addr_ok(const char *ip, int https)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)&ss;
		s6->sin6_family = AF_INET6;
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)&ss;
		s4->sin_family = AF_INET;
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	return url_addr_allowed((struct sockaddr *)&ss, https);
}

static void test_connect_addresses(void)
{
	url_allow_private(0);
	CHECK(addr_ok("93.184.216.34", 1));
	CHECK(addr_ok("2606:2800:220:1::1", 1));
	CHECK(!addr_ok("169.254.169.254", 1));
	CHECK(!addr_ok("10.0.0.1", 1));
	CHECK(!addr_ok("127.0.0.1", 1));
	CHECK(!addr_ok("100.64.0.1", 1));
	CHECK(!addr_ok("0.0.0.0", 1));
	CHECK(!addr_ok("fd00::1", 1));
	CHECK(!addr_ok("::ffff:192.168.0.1", 1));
	CHECK(addr_ok("127.0.0.1", 0));
	CHECK(addr_ok("::1", 0));
	CHECK(!addr_ok("10.0.0.1", 0));
	CHECK(!addr_ok("93.184.216.34", 0));
	url_allow_private(1);
	CHECK(addr_ok("10.0.0.1", 1));
	CHECK(!addr_ok("10.0.0.1", 0));
	url_allow_private(0);
}

static void test_ids_and_segments(void)
{
	CHECK(ids_is_ident("MO-1.a_b", 64));
	CHECK(ids_is_ident("...", 64));
	CHECK(ids_is_ident(".a", 64));
	CHECK(!ids_is_ident(".", 64));
	CHECK(!ids_is_ident("..", 64));
	CHECK(!ids_is_ident("", 64));
	CHECK(!ids_is_ident("a/b", 64));
	CHECK(!ids_is_ident("abc", 2));

	struct buf b;
	buf_init(&b);
	http_out_escape_segment(&b, "..");
	CHECK_STR(b.data, "%2E%2E");
	buf_reset(&b);
	http_out_escape_segment(&b, "MO.1/2");
	CHECK_STR(b.data, "MO.1%2F2");
	buf_release(&b);
}

static void test_db_url_redaction(void)
{
	char out[STORE_REDACTED_CAP];
	CHECK_STR(store_url_redacted("postgres://u:pw@h:5432/db", out, sizeof(out)),
		  "postgres://u:***@h:5432/db");
	CHECK_STR(store_url_redacted("postgresql://u:p:w@x@h/db?password=z&sslmode=require", out,
				     sizeof(out)),
		  "postgresql://u:***@h/db?password=***&sslmode=require");
	CHECK_STR(store_url_redacted("postgresql://u@/db?host=/tmp&Password=z", out, sizeof(out)),
		  "postgresql://u@/db?host=/tmp&password=***");
	CHECK_STR(store_url_redacted("postgres://h/db", out, sizeof(out)), "postgres://h/db");
	CHECK_STR(store_url_redacted("./apotheca.db", out, sizeof(out)), "./apotheca.db");
}

int main(void)
{
	test_db_url_redaction();
	test_urls();
	test_connect_addresses();
	test_ids_and_segments();
	T_DONE();
}
