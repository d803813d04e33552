/*
 * Idempotency keys in storage (SPEC §1): one row per (merchant, method,
 * route, key) holding the request's hash and, once answered, the stored
 * status and body. The primary key makes "first request wins" hold across
 * threads and processes; each function is its own short transaction.
 */
#ifndef APO_REPO_IDEM_H
#define APO_REPO_IDEM_H

#include <stdint.h>

#include "base/result.h"

struct store_conn;

struct idem_key {
	const char *merchant_id; /* "admin" for the admin API */
	const char *method;
	const char *route;
	const char *key;
};

struct idem_found {
	int done;	  /* 1: answered (status/body valid); 0: still in flight */
	int same_request; /* the stored hash equals this request's */
	int status;
	char *body;	  /* malloc'ed, or NULL */
	int64_t created;
};

/*
 * Claims k for a request with hash. APO_OK when this request now owns the
 * key; APO_ERR_CONFLICT when a row exists, described in *found (free
 * found->body). A row left "running" for longer than stale_s (a crashed
 * process) is taken over.
 */
enum apo_result idem_claim(struct store_conn *c, const struct idem_key *k, const char *hash,
			   int64_t now, int64_t stale_s, struct idem_found *found);

/* Stores the answer of the owning request. */
enum apo_result idem_store(struct store_conn *c, const struct idem_key *k, int status,
			   const char *body);

/* Forgets the key (the answer was a validation failure, not stored). */
enum apo_result idem_forget(struct store_conn *c, const struct idem_key *k);

/* Deletes answered keys older than `before` (epoch seconds). */
enum apo_result idem_purge(struct store_conn *c, int64_t before);

#endif
