/*
 * Configuration: SPEC §7's environment variables, with command-line flags
 * overriding them. Read once at start; read-only afterwards, so every thread
 * may use it without locks.
 */
#ifndef APO_CONFIG_H
#define APO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/carrier.h"

#define CONFIG_MAX_KEYS 16
#define CONFIG_MAX_KEY_LEN 128
/* Default and largest APOTHECA_CACHE_CHECK_MS. */
#define CONFIG_CACHE_CHECK_MS 500
#define CONFIG_MAX_CACHE_CHECK_MS 60000
#define CONFIG_MAX_THREADS 256
/* Shortest admin token served: shorter ones are guessable (or empty). */
#define CONFIG_MIN_ADMIN_TOKEN 16
/* Default of retry_give_up_ms: 24 hours. */
#define CONFIG_RETRY_GIVE_UP_MS (24 * 3600 * INT64_C(1000))

struct tz_zone;
/* Longest APOTHECA_LISTEN / APOTHECA_PUBLIC_URL value accepted. */
#define CONFIG_MAX_LISTEN 300
#define CONFIG_MAX_URL 1024

struct config {
	char *db;	   /* APOTHECA_DB: SQLite path or postgres:// URL */
	/*
	 * From APOTHECA_LISTEN: the host as written ("localhost", an IPv4
	 * address, or an IPv6 address without its brackets) and the port
	 * (0: any free port; the listener writes back the one it got).
	 */
	char *listen_host;
	unsigned port;
	int listen_ipv6;   /* listen_host is an IPv6 address */
	char *admin_token; /* APOTHECA_ADMIN_TOKEN; NULL: admin API is closed */
	/*
	 * APOTHECA_PUBLIC_URL without trailing '/'s; NULL until the listener
	 * knows its address when unset (config_default_public_url()).
	 */
	char *public_url;
	char *metrics_token; /* APOTHECA_METRICS_TOKEN; NULL: /metrics is open */
	int sandbox;	   /* serve --sandbox: the /sandbox/ merchant routes */
	char *access_keys[CONFIG_MAX_KEYS]; /* APOTHECA_ACCESS_KEYS */
	size_t naccess_keys;
	/* Extra keys the track endpoint accepts (APOTHECA_PUBLIC_ACCESS_KEYS). */
	char *public_keys[CONFIG_MAX_KEYS];
	size_t npublic_keys;
	unsigned threads;	/* APOTHECA_THREADS; default: online cores */
	int64_t sweep_ms;	/* APOTHECA_SWEEP_MS */
	/*
	 * APOTHECA_CACHE_CHECK_MS: on PostgreSQL, how long the in-memory cache
	 * (store/cache.h) trusts what it holds before it reads the version
	 * rows again; 0 reads them on every request. SQLite checks every
	 * request (it costs no I/O there) and ignores it.
	 */
	int64_t cache_check_ms;
	int64_t retry_base_ms;	/* APOTHECA_RETRY_BASE_MS */
	int64_t retry_give_up_ms; /* APOTHECA_RETRY_GIVE_UP_MS: retried this long, then parked */
	int access_log;		/* APOTHECA_ACCESS_LOG=0 silences access lines */
	/* APOTHECA_TIMEZONE: the zone times are shown in to people (the
	 * tracking page), resolved once here; default Asia/Kolkata. */
	struct tz_zone *tz;
	/* Carriers' tracking pages: built in plus APOTHECA_CARRIER_URLS. */
	struct carrier_table carriers;
	/* APOTHECA_OUTBOUND_ALLOW_PRIVATE=1: https calls may reach non-public addresses */
	int outbound_allow_private;
};

/* Sets c to SPEC defaults without reading the environment. */
void config_init(struct config *c);

/*
 * Reads every APOTHECA_* variable into c (config_init'ed). On a bad value
 * returns -1 after printing to stderr which variable is wrong and why.
 */
int config_from_env(struct config *c);

/* Reads only APOTHECA_DB (commands that need nothing but the database). */
void config_db_from_env(struct config *c);

/*
 * Sets the listen address from "localhost:PORT", "IPv4:PORT" or
 * "[IPv6]:PORT". Returns 0, or -1 with why (cap bytes) filled in.
 */
int config_set_listen(struct config *c, const char *hostport, char *why, size_t cap);

/*
 * Sets the public URL: http:// or https:// and a host, trailing '/'s
 * dropped. Returns 0, or -1 with why filled in.
 */
int config_set_public_url(struct config *c, const char *url, char *why, size_t cap);

/*
 * When no public URL was configured, sets it to http://HOST:PORT of the
 * listen address (IPv6 in brackets). Call once the port is known.
 */
void config_default_public_url(struct config *c);

/* Replaces a string setting (frees the old value). */
void config_set(char **field, const char *value);

/*
 * 0 when the admin token is unset or at least CONFIG_MIN_ADMIN_TOKEN
 * characters; else -1 with the reason in err (cap bytes). `serve` refuses
 * to start on -1, whether the token came from the flag or the environment.
 */
int config_check_admin_token(const struct config *c, char *err, size_t cap);

/* Frees every owned string. */
void config_release(struct config *c);

/* True when key is one of keys[0..n). Constant time per candidate. */
int config_key_allowed(char *const *keys, size_t n, const char *key);

#endif
