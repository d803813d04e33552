/*
 * Reading SPEC §7's configuration from the environment (see config.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

void config_set(char **field, const char *value)
{
	free(*field);
	*field = value ? xstrdup(value) : NULL;
}

int config_set_listen(struct config *c, const char *hostport)
{
	const char *colon = strrchr(hostport, ':');
	int64_t port;
	if (!colon || colon == hostport || strnum_i64z(colon + 1, 1, 65535, &port))
		return -1;
	free(c->listen_host);
	c->listen_host = xstrndup(hostport, (size_t)(colon - hostport));
	c->port = (unsigned)port;
	return 0;
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
		log_error("bad configuration value", "\"variable\":\"%s\"", name);
		return -1;
	}
	return 0;
}

int config_from_env(struct config *c)
{
	const char *v;
	int64_t n;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	config_set(&c->db, (v = getenv("APOTHECA_DB")) && *v ? v : "./apotheca.db");
	if (config_set_listen(c, (v = getenv("APOTHECA_LISTEN")) && *v ? v : "127.0.0.1:8080")) {
		log_error("bad configuration value", "\"variable\":\"APOTHECA_LISTEN\"");
		return -1;
	}
	/* Set but empty is kept (and refused by config_check_admin_token). */
	if ((v = getenv("APOTHECA_ADMIN_TOKEN")))
		config_set(&c->admin_token, v);
	if ((v = getenv("APOTHECA_METRICS_TOKEN"))) {
		if (!*v) {
			log_error("bad configuration value",
				  "\"variable\":\"APOTHECA_METRICS_TOKEN\"");
			return -1;
		}
		config_set(&c->metrics_token, v);
	}
	v = getenv("APOTHECA_PUBLIC_URL");
	config_set(&c->public_url, v && *v ? v : NULL);
	if (!c->public_url) {
		char url[300];
		fmt_into(url, sizeof(url), "http://%s:%u", c->listen_host, c->port);
		config_set(&c->public_url, url);
	}
	size_t ulen = strlen(c->public_url);
	if (ulen && c->public_url[ulen - 1] == '/')
		c->public_url[ulen - 1] = '\0';
	v = getenv("APOTHECA_ACCESS_KEYS");
	if (split_keys(v && *v ? v : "1mg_client_access_key", c->access_keys, &c->naccess_keys)) {
		log_error("bad configuration value", "\"variable\":\"APOTHECA_ACCESS_KEYS\"");
		return -1;
	}
	v = getenv("APOTHECA_PUBLIC_ACCESS_KEYS");
	if (split_keys(v && *v ? v : "1mg_public_access_key", c->public_keys, &c->npublic_keys)) {
		log_error("bad configuration value",
			  "\"variable\":\"APOTHECA_PUBLIC_ACCESS_KEYS\"");
		return -1;
	}
	n = cores > 0 ? cores : 2;
	if (env_i64("APOTHECA_THREADS", 1, 256, &n))
		return -1;
	c->threads = (unsigned)n;
	n = 1000;
	if (env_i64("APOTHECA_SWEEP_MS", 10, 3600000, &n))
		return -1;
	c->sweep_ms = n;
	n = 30000;
	if (env_i64("APOTHECA_RETRY_BASE_MS", 1, 86400000, &n))
		return -1;
	c->retry_base_ms = n;
	n = CONFIG_RETRY_GIVE_UP_MS;
	if (env_i64("APOTHECA_RETRY_GIVE_UP_MS", 1, 30 * CONFIG_RETRY_GIVE_UP_MS, &n))
		return -1;
	c->retry_give_up_ms = n;
	n = 1;
	if (env_i64("APOTHECA_ACCESS_LOG", 0, 1, &n))
		return -1;
	c->access_log = (int)n;
	n = 0;
	if (env_i64("APOTHECA_OUTBOUND_ALLOW_PRIVATE", 0, 1, &n))
		return -1;
	c->outbound_allow_private = (int)n;
	return 0;
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
