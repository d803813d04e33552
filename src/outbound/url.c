/*
 * Outbound URL rules (see url.h).
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "outbound/url.h"
#include "base/buf.h"
#include "base/banned.h"

static int allow_private;

void url_allow_private(int allow)
{
	allow_private = allow;
}

/* True for IPv4 addresses (host order) that are not public unicast. */
static int v4_private(uint32_t a)
{
	return (a >> 24) == 0 ||			/* 0.0.0.0/8 "this network" */
	       (a >> 24) == 10 ||			/* 10/8 */
	       (a >> 24) == 127 ||			/* loopback */
	       (a >> 22) == (100u << 2 | 1) ||		/* 100.64/10 shared (CGNAT) */
	       (a >> 16) == (169u << 8 | 254) ||	/* link-local, cloud metadata */
	       (a >> 20) == (172u << 4 | 1) ||		/* 172.16/12 */
	       (a >> 16) == (192u << 8 | 168) ||	/* 192.168/16 */
	       (a >> 8) == (192u << 16 | 0 << 8 | 0) || /* 192.0.0/24 protocol */
	       (a >> 17) == (198u << 7 | 9) ||		/* 198.18/15 benchmarking */
	       (a >> 28) >= 14;				/* multicast, reserved, broadcast */
}

static int v6_private(const struct in6_addr *a)
{
	const uint8_t *b = a->s6_addr;
	return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
	       IN6_IS_ADDR_SITELOCAL(a) || IN6_IS_ADDR_MULTICAST(a) || (b[0] & 0xfe) == 0xfc;
}

static uint32_t v4_of_mapped(const struct in6_addr *a)
{
	const uint8_t *b = a->s6_addr;
	return (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
}

static int v4_loopback(uint32_t a)
{
	return (a >> 24) == 127;
}

int url_addr_allowed(const struct sockaddr *sa, int https)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);
		return https ? allow_private || !v4_private(a) : v4_loopback(a);
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a)) {
			uint32_t v4 = v4_of_mapped(a);
			return https ? allow_private || !v4_private(v4) : v4_loopback(v4);
		}
		return https ? allow_private || !v6_private(a) : IN6_IS_ADDR_LOOPBACK(a);
	}
	return 0;
}

/* Parses host as an IP literal into sa ("[...]" for IPv6); 0 when it is one. */
static int host_literal(const char *host, struct sockaddr_storage *ss)
{
	char inner[64];
	size_t len = strlen(host);
	memset(ss, 0, sizeof(*ss));
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(inner)) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;
		memcpy(inner, host + 1, len - 2);
		inner[len - 2] = '\0';
		s6->sin6_family = AF_INET6;
		return inet_pton(AF_INET6, inner, &s6->sin6_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;
	s4->sin_family = AF_INET;
	return inet_pton(AF_INET, host, &s4->sin_addr) == 1 ? 0 : -1;
}

static int check_parts(CURLU *u, int *https, char *err, size_t cap)
{
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL;
	struct sockaddr_storage ss;
	int rc = -1;

	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		fmt_into(err, cap, "URL must have a scheme and a host");
		goto out;
	}
	if (user || password) {
		fmt_into(err, cap, "URL must not carry a user name or password");
		goto out;
	}
	int is_literal = host_literal(host, &ss) == 0;
	if (strcasecmp(scheme, "https") == 0) {
		if (is_literal && !url_addr_allowed((struct sockaddr *)&ss, 1)) {
			fmt_into(err, cap, "URL host is a private, link-local or loopback address");
			goto out;
		}
		*https = 1;
	} else if (strcasecmp(scheme, "http") == 0) {
		if (!(is_literal ? url_addr_allowed((struct sockaddr *)&ss, 0)
				 : strcasecmp(host, "localhost") == 0)) {
			fmt_into(err, cap,
				 "plain http URLs may only name this machine "
				 "(127.0.0.1, [::1], localhost); use https");
			goto out;
		}
		*https = 0;
	} else {
		fmt_into(err, cap, "URL must be https");
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	return rc;
}

int url_check(const char *url, int *https, char *err, size_t cap)
{
	int ignored, rc = -1;
	CURLU *u;

	if (!https)
		https = &ignored;
	if (!url || !*url || strlen(url) > URL_MAX_LEN) {
		fmt_into(err, cap, "URL must be 1-%d bytes", URL_MAX_LEN);
		return -1;
	}
	u = curl_url();
	if (!u) {
		fmt_into(err, cap, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		fmt_into(err, cap, "URL does not parse");
	else
		rc = check_parts(u, https, err, cap);
	curl_url_cleanup(u);
	return rc;
}
