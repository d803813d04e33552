/*
 * Reading SPEC §7's configuration from the environment (see config.h).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "core/tz.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

void config_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

int config_set_listen(struct config *c, const char *hostport, char *why, size_t cap)
{
	const char *colon = strrchr(hostport, ':');
	const char *host = hostport;
	size_t hlen;
	int64_t port;
	int v6 = 0;
	unsigned char addr[16];
	char tmp[CONFIG_MAX_LISTEN];

	if (strlen(hostport) >= CONFIG_MAX_LISTEN || !colon || colon == hostport) {
		fmt_into(why, cap, "wants HOST:PORT (localhost:8080, 127.0.0.1:8080 or [::1]:8080), got '%.80s'",
			 hostport);
		return -1;
	}
	if (strnum_i64z(colon + 1, 0, 65535, &port)) {
		fmt_into(why, cap, "port '%.20s' is not a number 0..65535", colon + 1);
		return -1;
	}
	hlen = (size_t)(colon - hostport);
	if (hostport[0] == '[') {
		if (hlen < 3 || hostport[hlen - 1] != ']') {
			fmt_into(why, cap, "an IPv6 address goes in brackets: [::1]:8080");
			return -1;
		}
		host = hostport + 1;
		hlen -= 2;
		v6 = 1;
	}
	memcpy(tmp, host, hlen);
	tmp[hlen] = '\0';
	if (v6 ? inet_pton(AF_INET6, tmp, addr) != 1
	       : strcmp(tmp, "localhost") != 0 && inet_pton(AF_INET, tmp, addr) != 1) {
		fmt_into(why, cap, "'%.80s' is not localhost, an IPv4 address or a bracketed IPv6 address",
			 tmp);
		return -1;
	}
	free(c->listen_host);
	c->listen_host = xstrdup(tmp);
	c->listen_ipv6 = v6;
	c->port = (unsigned)port;
	return 0;
}

int config_set_public_url(struct config *c, const char *url, char *why, size_t cap)
{
	size_t len = strlen(url);
	const char *host;

	if (strncmp(url, "http://", 7) == 0)
		host = url + 7;
	else if (strncmp(url, "https://", 8) == 0)
		host = url + 8;
	else {
		fmt_into(why, cap, "'%.80s' does not start with http:// or https://", url);
		return -1;
	}
	if (len > CONFIG_MAX_URL || !*host || *host == '/') {
		fmt_into(why, cap, "'%.80s' has no host (or is longer than %d)", url, CONFIG_MAX_URL);
		return -1;
	}
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#') {
			fmt_into(why, cap, "'%.80s' has a space, control character, '?' or '#'", url);
			return -1;
		}
	while (len && url[len - 1] == '/')
		len--;
	free(c->public_url);
	c->public_url = xstrndup(url, len);
	return 0;
}

void config_default_public_url(struct config *c)
{
	char url[CONFIG_MAX_LISTEN + 16];
	if (c->public_url)
		return;
	fmt_into(url, sizeof(url), c->listen_ipv6 ? "http://[%s]:%u" : "http://%s:%u",
		 c->listen_host, c->port);
	c->public_url = xstrdup(url);
}

static int split_keys(const char *list, char **keys, size_t *n)
{
	*n = 0;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len > CONFIG_MAX_KEY_LEN || *n == CONFIG_MAX_KEYS)
			return -1;
		if (len)
			keys[(*n)++] = xstrndup(p, len);
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int env_i64(const char *name, int64_t min, int64_t max, int64_t *out)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	if (strnum_i64z(v, min, max, out)) {
		fprintf(stderr, "apotheca: %s must be a whole number %lld..%lld, got '%.40s'\n", name,
			(long long)min, (long long)max, v);
		return -1;
	}
	return 0;
}

void config_init(struct config *c)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	char why[16];

	memset(c, 0, sizeof(*c));
	config_set(&c->db, "./apotheca.db");
	config_set_listen(c, "127.0.0.1:8080", why, sizeof(why));
	split_keys("1mg_client_access_key", c->access_keys, &c->naccess_keys);
	split_keys("1mg_public_access_key", c->public_keys, &c->npublic_keys);
	c->threads = cores > 0 ? (unsigned)cores : 2;
	c->sweep_ms = 1000;
	c->cache_check_ms = CONFIG_CACHE_CHECK_MS;
	c->retry_base_ms = 30000;
	c->retry_give_up_ms = CONFIG_RETRY_GIVE_UP_MS;
	c->access_log = 1;
}

void config_db_from_env(struct config *c)
{
	const char *v = getenv("APOTHECA_DB");
	if (v && *v)
		config_set(&c->db, v);
}

/* Replaces keys[0..*n) with the comma list from variable name, when set. */
static int env_keys(const char *name, char **keys, size_t *n)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return 0;
	for (size_t i = 0; i < *n; i++)
		free(keys[i]);
	if (split_keys(v, keys, n) || *n == 0) {
		fprintf(stderr, "apotheca: %s wants 1..%d comma-separated keys of at most %d characters\n",
			name, CONFIG_MAX_KEYS, CONFIG_MAX_KEY_LEN);
		return -1;
	}
	return 0;
}

/* What the tracking page shows: the time zone and the carriers' links. */
static int config_display(struct config *c)
{
	char err[256];
	const char *v = getenv("APOTHECA_TIMEZONE");
	c->tz = tz_load(v && *v ? v : TZ_DEFAULT, err, sizeof(err));
	if (!c->tz) {
		fprintf(stderr, "apotheca: APOTHECA_TIMEZONE %s\n", err);
		return -1;
	}
	carrier_table_init(&c->carriers);
	v = getenv("APOTHECA_CARRIER_URLS");
	if (v && *v && carrier_table_add_list(&c->carriers, v, err, sizeof(err))) {
		fprintf(stderr, "apotheca: APOTHECA_CARRIER_URLS %s\n", err);
		return -1;
	}
	return 0;
}

int config_from_env(struct config *c)
{
	const char *v;
	char why[200];
	int64_t n;

	config_db_from_env(c);
	if ((v = getenv("APOTHECA_LISTEN")) && *v && config_set_listen(c, v, why, sizeof(why))) {
		fprintf(stderr, "apotheca: APOTHECA_LISTEN %s\n", why);
		return -1;
	}
	/* Set but empty is kept (and refused by config_check_admin_token). */
	if ((v = getenv("APOTHECA_ADMIN_TOKEN")))
		config_set(&c->admin_token, v);
	if ((v = getenv("APOTHECA_METRICS_TOKEN"))) {
		if (!*v) {
			fprintf(stderr, "apotheca: APOTHECA_METRICS_TOKEN is set but empty\n");
			return -1;
		}
		config_set(&c->metrics_token, v);
	}
	if ((v = getenv("APOTHECA_PUBLIC_URL")) && *v &&
	    config_set_public_url(c, v, why, sizeof(why))) {
		fprintf(stderr, "apotheca: APOTHECA_PUBLIC_URL %s\n", why);
		return -1;
	}
	if (env_keys("APOTHECA_ACCESS_KEYS", c->access_keys, &c->naccess_keys) ||
	    env_keys("APOTHECA_PUBLIC_ACCESS_KEYS", c->public_keys, &c->npublic_keys))
		return -1;
	n = c->threads;
	if (env_i64("APOTHECA_THREADS", 1, CONFIG_MAX_THREADS, &n))
		return -1;
	c->threads = (unsigned)n;
	if (env_i64("APOTHECA_SWEEP_MS", 10, 3600000, &c->sweep_ms) ||
	    env_i64("APOTHECA_CACHE_CHECK_MS", 0, CONFIG_MAX_CACHE_CHECK_MS, &c->cache_check_ms) ||
	    env_i64("APOTHECA_RETRY_BASE_MS", 1, 86400000, &c->retry_base_ms) ||
	    env_i64("APOTHECA_RETRY_GIVE_UP_MS", 1, 30 * CONFIG_RETRY_GIVE_UP_MS,
		    &c->retry_give_up_ms))
		return -1;
	n = c->access_log;
	if (env_i64("APOTHECA_ACCESS_LOG", 0, 1, &n))
		return -1;
	c->access_log = (int)n;
	n = 0;
	if (env_i64("APOTHECA_OUTBOUND_ALLOW_PRIVATE", 0, 1, &n))
		return -1;
	c->outbound_allow_private = (int)n;
	return config_display(c);
}

int config_check_admin_token(const struct config *c, char *err, size_t cap)
{
	if (!c->admin_token || strlen(c->admin_token) >= CONFIG_MIN_ADMIN_TOKEN)
		return 0;
	fmt_into(err, cap,
		 "the admin token (--admin-token or APOTHECA_ADMIN_TOKEN) is %s; it must be at "
		 "least %d characters, or unset to close the admin API",
		 c->admin_token[0] ? "too short" : "empty", CONFIG_MIN_ADMIN_TOKEN);
	return -1;
}

void config_release(struct config *c)
{
	free(c->db);
	free(c->listen_host);
	free(c->admin_token);
	free(c->public_url);
	free(c->metrics_token);
	for (size_t i = 0; i < c->naccess_keys; i++)
		free(c->access_keys[i]);
	for (size_t i = 0; i < c->npublic_keys; i++)
		free(c->public_keys[i]);
	tz_free(c->tz);
	carrier_table_release(&c->carriers);
	memset(c, 0, sizeof(*c));
}

int config_key_allowed(char *const *keys, size_t n, const char *key)
{
	int ok = 0;
	if (!key)
		return 0;
	for (size_t i = 0; i < n; i++)
		ok |= str_ct_equal(keys[i], strlen(keys[i]), key, strlen(key));
	return ok;
}
