/*
 * Configuration: SPEC §7's environment variables, with command-line flags
 * overriding them. Read once at start; read-only afterwards, so every thread
 * may use it without locks.
 */
#ifndef APO_CONFIG_H
#define APO_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_MAX_KEYS 16
#define CONFIG_MAX_KEY_LEN 128
/* Shortest admin token served: shorter ones are guessable (or empty). */
#define CONFIG_MIN_ADMIN_TOKEN 16
/* Default of retry_give_up_ms: 24 hours. */
#define CONFIG_RETRY_GIVE_UP_MS (24 * 3600 * INT64_C(1000))

struct config {
	char *db;	   /* APOTHECA_DB: SQLite path or postgres:// URL */
	char *listen_host; /* from APOTHECA_LISTEN host:port */
	unsigned port;
	char *admin_token; /* APOTHECA_ADMIN_TOKEN; NULL (unset): admin API is closed */
	char *public_url;  /* APOTHECA_PUBLIC_URL, no trailing '/' */
	char *metrics_token; /* APOTHECA_METRICS_TOKEN; NULL: /metrics is open */
	char *access_keys[CONFIG_MAX_KEYS]; /* APOTHECA_ACCESS_KEYS */
	size_t naccess_keys;
	/* Extra keys the track endpoint accepts (APOTHECA_PUBLIC_ACCESS_KEYS). */
	char *public_keys[CONFIG_MAX_KEYS];
	size_t npublic_keys;
	unsigned threads;	/* APOTHECA_THREADS; default: online cores */
	int64_t sweep_ms;	/* APOTHECA_SWEEP_MS */
	int64_t retry_base_ms;	/* APOTHECA_RETRY_BASE_MS */
	int64_t retry_give_up_ms; /* APOTHECA_RETRY_GIVE_UP_MS: retried this long, then parked */
	int access_log;		/* APOTHECA_ACCESS_LOG=0 silences access lines */
	/* APOTHECA_OUTBOUND_ALLOW_PRIVATE=1: https calls may reach non-public addresses */
	int outbound_allow_private;
};

/* Fills c from the environment with SPEC defaults; -1 (logged) on a bad value. */
int config_from_env(struct config *c);

/* Sets the listen address from "host:port"; -1 when malformed. */
int config_set_listen(struct config *c, const char *hostport);

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
