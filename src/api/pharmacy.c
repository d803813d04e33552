/*
 * The pharmacy dialect's envelope, errors and authentication (see
 * pharmacy.h). Endpoint handlers live in pharmacy_*.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/pharmacy.h"
#include "api/idempotency.h"
#include "app.h"
#include "auth/jwt.h"
#include "core/merchant.h"
#include "store/repo_merchants.h"
#include "store/cache.h"
#include "store/store.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

static json_t *error_body(unsigned status, const char *message, json_t *errors)
{
	return json_pack("{s:b,s:i,s:{s:s,s:o}}", "is_success", 0, "status_code", (int)status,
			 "error", "message", message, "errors", errors);
}

void pharm_error(struct req *r, unsigned status, const char *message)
{
	json_t *errors = json_pack("[{s:s}]", "message", message);
	req_reply_json(r, status, error_body(status, message, errors));
}

void pharm_error_null(struct req *r, unsigned status, const char *message)
{
	req_reply_json(r, status, error_body(status, message, json_null()));
}

void pharm_merchant_not_found(struct req *r)
{
	req_reply_json(r, 400,
		       json_pack("{s:b,s:i,s:s}", "is_success", 0, "status_code", 400, "error",
				 "Merchant not found"));
}

json_t *pharm_ok_body(json_t *data, int partial_complete)
{
	return json_pack("{s:o,s:b,s:b,s:i}", "data", data, "partial_complete", partial_complete,
			 "is_success", 1, "status_code", 200);
}

void pharm_ok(struct req *r, json_t *data, int partial_complete)
{
	req_reply_json(r, 200, pharm_ok_body(data, partial_complete));
}

int pharm_ok_begin(struct req *r, struct jw *w)
{
	struct buf *b = req_reply_json_begin(r, 200);
	if (!b)
		return -1;
	jw_init(w, b);
	jw_open(w, '{');
	jw_key(w, "data");
	return 0;
}

void pharm_ok_end(struct jw *w, int partial_complete)
{
	jw_key(w, "partial_complete");
	jw_bool(w, partial_complete);
	jw_key(w, "is_success");
	jw_bool(w, 1);
	jw_key(w, "status_code");
	jw_int(w, 200);
	jw_close(w, '}');
}

static void dialect_error(struct req *r, unsigned status, const char *code, const char *message)
{
	(void)code;
	/* The seed answers malformed JSON with exactly "Invalid request". */
	pharm_error(r, status, message);
}

/* Results as HTTP statuses in this dialect (the seeds answer business refusals with 400). */
static const unsigned statuses[APO_RESULT_COUNT] = {
	DIALECT_STATUS_COMMON,
	[APO_ERR_CONFLICT] = 400, [APO_ERR_BUSY] = 400, [APO_ERR_STATE] = 409, [APO_ERR_AUTH] = 401,
};

const struct dialect pharmacy_dialect = {"pharmacy", "/api/v4", dialect_error, statuses};

unsigned pharm_status(enum apo_result rc)
{
	return dialect_status(&pharmacy_dialect, rc);
}

void pharm_fail(struct req *r, enum apo_result rc, const char *message)
{
	if (!message) {
		switch (rc) {
		case APO_ERR_NOT_FOUND:
			message = "Not found";
			break;
		case APO_ERR_UNAVAILABLE:
			message = "Database unavailable";
			break;
		case APO_ERR_STORAGE:
			message = "Storage cannot take writes right now";
			break;
		case APO_ERR_BUSY:
			message = "Busy, please retry";
			break;
		default:
			message = "Internal error";
		}
	}
	if (rc == APO_ERR_UNAVAILABLE || rc == APO_ERR_BUSY || rc == APO_ERR_STORAGE)
		req_add_header(r, "Retry-After", rc == APO_ERR_STORAGE ? STORE_RETRY_AFTER_S : "1");
	pharm_error(r, pharm_status(rc), message);
}

static void free_merchant(void *p)
{
	merchant_release(p);
	free(p);
}

static const char *bearer_token(struct req *r)
{
	const char *h = req_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

/*
 * The checks after the merchant is known: active, access key, token. On
 * failure answers, hands m back with put and returns -1; on success r owns
 * m (put frees it with the request).
 */
static int auth_checks(struct req *r, const struct merchant *m, enum apo_result rc,
		       enum pharm_keys keys, void (*put)(void *), const struct merchant **out)
{
	const struct config *cfg = &r->app->cfg;
	char why[160];

	if (rc != APO_OK || !m->active) {
		if (m)
			put((void *)(uintptr_t)m);
		if (rc == APO_OK || rc == APO_ERR_NOT_FOUND)
			pharm_merchant_not_found(r);
		else
			pharm_fail(r, rc, NULL);
		return -1;
	}
	const char *ak = req_header(r, "X-Access-Key");
	int key_ok = config_key_allowed(cfg->access_keys, cfg->naccess_keys, ak);
	if (keys == PHARM_CLIENT_OR_PUBLIC_KEYS)
		key_ok |= config_key_allowed(cfg->public_keys, cfg->npublic_keys, ak);
	if (!key_ok) {
		put((void *)(uintptr_t)m);
		pharm_error(r, 401, ak ? "Invalid X-Access-Key" : "Missing X-Access-Key");
		return -1;
	}
	if (jwt_verify_rs256(bearer_token(r), m->jwt_public_key, now_epoch(), why, sizeof(why))) {
		put((void *)(uintptr_t)m);
		pharm_error(r, 401, why);
		return -1;
	}
	r->principal = m;
	r->principal_free = put;
	log_ctx_put(LOG_CTX_MERCHANT_ID, m->id);
	*out = m;
	return idem_begin_or_reply(r, m->id);
}

int pharm_auth_or_reply(struct req *r, const char *key, int by_name, enum pharm_keys keys,
			const struct merchant **out)
{
	struct merchant *m = xmalloc(sizeof(*m));
	enum apo_result rc;

	merchant_init(m);
	rc = by_name ? merchant_load_by_name(r->db, key, m) : merchant_load(r->db, key, m);
	return auth_checks(r, m, rc, keys, free_merchant, out);
}

static void put_cached_merchant(void *p)
{
	cache_merchant_put(p);
}

int pharm_auth_cached_or_reply(struct req *r, const struct cache_ticket *t, const char *key,
			       int by_name, enum pharm_keys keys, const struct merchant **out)
{
	const struct merchant *m = NULL;
	enum apo_result rc = cache_merchant(r->db, t, by_name, key, &m);
	return auth_checks(r, m, rc, keys, put_cached_merchant, out);
}

int pharm_cache_sync_fresh_or_reply(struct req *r, struct cache_ticket *t)
{
	enum apo_result rc = cache_sync(r->app->store, r->db, 0, t);
	if (rc == APO_OK)
		return 0;
	pharm_fail(r, rc, NULL);
	return -1;
}

int pharm_cache_sync_or_reply(struct req *r, struct cache_ticket *t)
{
	enum apo_result rc = cache_sync_snapshot(r->app->store, r->db, r->app->cfg.cache_check_ms, t);
	if (rc == APO_OK)
		return 0;
	pharm_fail(r, rc, NULL);
	return -1;
}
