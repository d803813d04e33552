/*
 * config: listen addresses in every accepted form (and the wrong ones named),
 * public URLs with their trailing '/'s dropped, and the default public URL
 * following the listen address.
 */
#include <string.h>

#include "config.h"
#include "t.h"

static int listen_ok(struct config *c, const char *s)
{
	char why[200];
	return config_set_listen(c, s, why, sizeof(why)) == 0;
}

static const char *listen_why(struct config *c, const char *s)
{
	static char why[200];
	why[0] = '\0';
	if (config_set_listen(c, s, why, sizeof(why)) == 0)
		return "(accepted)";
	return why;
}

int main(void)
{
	struct config c;
	char why[200];

	config_init(&c);
	CHECK_STR(c.listen_host, "127.0.0.1");
	CHECK_INT(c.port, 8080);
	CHECK(c.public_url == NULL);

	CHECK(listen_ok(&c, "localhost:9000"));
	CHECK_STR(c.listen_host, "localhost");
	CHECK_INT(c.port, 9000);
	CHECK_INT(c.listen_ipv6, 0);
	CHECK(listen_ok(&c, "0.0.0.0:0"));
	CHECK_INT(c.port, 0);
	CHECK(listen_ok(&c, "[::1]:8443"));
	CHECK_STR(c.listen_host, "::1");
	CHECK_INT(c.listen_ipv6, 1);
	CHECK_INT(c.port, 8443);
	CHECK(listen_ok(&c, "[::]:1"));

	CHECK(strstr(listen_why(&c, "8080"), "HOST:PORT") != NULL);
	CHECK(strstr(listen_why(&c, ":8080"), "HOST:PORT") != NULL);
	CHECK(strstr(listen_why(&c, "127.0.0.1:65536"), "port") != NULL);
	CHECK(strstr(listen_why(&c, "127.0.0.1:http"), "port") != NULL);
	CHECK(strstr(listen_why(&c, "::1:8080"), "IPv4") != NULL);
	CHECK(strstr(listen_why(&c, "[::1:8080"), "brackets") != NULL);
	CHECK(strstr(listen_why(&c, "example.com:80"), "localhost") != NULL);
	CHECK(strstr(listen_why(&c, "[127.0.0.1]:80"), "IPv6") != NULL);
	/* A refused value leaves the previous one. */
	CHECK_STR(c.listen_host, "::");
	CHECK_INT(c.port, 1);

	CHECK(listen_ok(&c, "[::1]:8443"));
	config_default_public_url(&c);
	CHECK_STR(c.public_url, "http://[::1]:8443");
	CHECK(listen_ok(&c, "localhost:7000"));
	config_default_public_url(&c); /* set once: a configured URL stays */
	CHECK_STR(c.public_url, "http://[::1]:8443");

	CHECK_INT(config_set_public_url(&c, "https://shop.example///", why, sizeof(why)), 0);
	CHECK_STR(c.public_url, "https://shop.example");
	CHECK_INT(config_set_public_url(&c, "http://h:1/base/", why, sizeof(why)), 0);
	CHECK_STR(c.public_url, "http://h:1/base");
	CHECK_INT(config_set_public_url(&c, "shop.example", why, sizeof(why)), -1);
	CHECK(strstr(why, "http://") != NULL);
	CHECK_INT(config_set_public_url(&c, "https://", why, sizeof(why)), -1);
	CHECK_INT(config_set_public_url(&c, "https://a b", why, sizeof(why)), -1);
	CHECK_INT(config_set_public_url(&c, "https://a/?x", why, sizeof(why)), -1);
	CHECK_STR(c.public_url, "http://h:1/base");

	config_release(&c);
	T_DONE();
}
