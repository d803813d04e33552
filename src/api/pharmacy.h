/*
 * The pharmacy partner dialect (/api/v4): its response envelope, its error
 * shapes (including the seed's exact bodies), the mapping from apo_result to
 * HTTP status, and merchant authentication (X-Access-Key + RS256 JWT).
 */
#ifndef APO_API_PHARMACY_H
#define APO_API_PHARMACY_H

#include <jansson.h>

#include "base/result.h"
#include "http/jsonx.h"
#include "http/req.h"

struct merchant;

extern const struct dialect pharmacy_dialect;

/* {"data": data, "partial_complete": p, "is_success": true, "status_code": 200};
 * steals data. */
void pharm_ok(struct req *r, json_t *data, int partial_complete);

/* The same envelope as a value (a new reference), for answers kept to be sent again. */
json_t *pharm_ok_body(json_t *data, int partial_complete);

/* The same envelope written in place (http/jsonx.h): pharm_ok_begin leaves w
 * where "data"'s value goes (-1 when r was answered already), pharm_ok_end
 * closes it. */
int pharm_ok_begin(struct req *r, struct jw *w);
void pharm_ok_end(struct jw *w, int partial_complete);

/* The error envelope with "errors": [{"message": message}]. */
void pharm_error(struct req *r, unsigned status, const char *message);

/* The error envelope with "errors": null (the cancel endpoint's shape). */
void pharm_error_null(struct req *r, unsigned status, const char *message);

/* The seed's {"is_success": false, "status_code": 400, "error": "Merchant not found"}. */
void pharm_merchant_not_found(struct req *r);

/* rc as an HTTP status in this dialect (the table in its struct dialect). */
unsigned pharm_status(enum apo_result rc);

/* Answers rc with message (a generic one per result when NULL). */
void pharm_fail(struct req *r, enum apo_result rc, const char *message);

/* Which access keys a route accepts. */
enum pharm_keys { PHARM_CLIENT_KEYS, PHARM_CLIENT_OR_PUBLIC_KEYS };

/*
 * Authenticates the merchant named by `key` (its id, or with by_name its
 * name): unknown or inactive → the seed's "Merchant not found"; a missing or
 * unknown X-Access-Key, or a bearer token that fails any rule of SPEC §2
 * → 401. On success returns 0 and sets *out to the merchant, owned by r.
 */
int pharm_auth_or_reply(struct req *r, const char *key, int by_name, enum pharm_keys keys,
			const struct merchant **out);

/*
 * pharm_auth_or_reply() with the merchant from the read cache
 * (store/cache.h) as of the ticket t: for the read endpoints (inventory
 * check, track), as old as the cache's bound (APOTHECA_CACHE_CHECK_MS)
 * when another process changed it; for create order, whose ticket comes
 * from pharm_cache_sync_fresh_or_reply(), as current as the table. The
 * other writes authenticate with pharm_auth_or_reply(), which reads the
 * database.
 */
struct cache_ticket;
int pharm_auth_cached_or_reply(struct req *r, const struct cache_ticket *t, const char *key,
			       int by_name, enum pharm_keys keys, const struct merchant **out);

/*
 * Syncs the read cache for this request (store/cache.h) into *t, leaving
 * its snapshot open for the request's reads (cache_sync_snapshot()); the
 * caller ends it with cache_snapshot_end(). A storage failure is answered
 * (pharm_fail) and returns -1, with nothing left open.
 */
int pharm_cache_sync_or_reply(struct req *r, struct cache_ticket *t);

/*
 * The sync of a write (create order): asks the database whatever the
 * bound (check_ms 0), so the merchant, catalog, coupon and pincode the
 * request then takes from the cache are as current as reading their
 * tables, and leaves no read transaction open, since the request goes on
 * to write. A storage failure is answered and returns -1.
 */
int pharm_cache_sync_fresh_or_reply(struct req *r, struct cache_ticket *t);

#endif
