/*
 * The admin dialect's errors and token check (see admin.h). Resources live
 * in admin_*.c.
 */
#include <string.h>
#include <strings.h>

#include "api/admin.h"
#include "api/idempotency.h"
#include "app.h"
#include "auth/throttle.h"
#include "base/clock.h"
#include "base/buf.h"
#include "store/store.h"
#include "base/strnum.h"
#include "base/banned.h"

static void dialect_error(struct req *r, unsigned status, const char *code, const char *message)
{
	json_t *err = json_pack("{s:s,s:s}", "code", code ? code : "error", "message", message);
	req_reply_json(r, status, json_pack("{s:o}", "error", err));
}

/* Results as HTTP statuses in this dialect. */
static const unsigned statuses[APO_RESULT_COUNT] = {
	DIALECT_STATUS_COMMON,
	[APO_ERR_CONFLICT] = 409, [APO_ERR_STATE] = 409, [APO_ERR_BUSY] = 409, [APO_ERR_AUTH] = 401,
};

const struct dialect admin_dialect = {"admin", "/admin/v1", dialect_error, statuses};

unsigned admin_status(enum apo_result rc)
{
	return dialect_status(&admin_dialect, rc);
}

void admin_fail(struct req *r, enum apo_result rc, const char *message)
{
	if (rc == APO_ERR_UNAVAILABLE || rc == APO_ERR_BUSY || rc == APO_ERR_STORAGE)
		req_add_header(r, "Retry-After", rc == APO_ERR_STORAGE ? STORE_RETRY_AFTER_S : "1");
	req_fail(r, admin_status(rc), apo_result_name(rc), message ? message : apo_result_name(rc));
}

/* The principal of a request the console makes on a signed-in operator's
 * behalf (admin_trust). */
static const char console_operator[] = "console";

void admin_trust(struct req *r)
{
	r->principal = console_operator;
	r->principal_free = NULL;
}

int admin_throttled(struct req *r, char *addr)
{
	char secs[24];
	req_client_addr(r, addr, REQ_ADDR_CAP);
	int64_t wait = throttle_wait(addr, now_epoch());
	if (!wait)
		return 0;
	fmt_into(secs, sizeof(secs), "%lld", (long long)wait);
	req_add_header(r, "Retry-After", secs);
	return 1;
}

int admin_auth_or_reply(struct req *r)
{
	const char *want = r->app->cfg.admin_token;
	const char *h = req_header(r, "Authorization");
	if (want && r->principal == console_operator)
		return 0;
	if (!want) {
		req_fail(r, 403, "forbidden", "The admin API is disabled (APOTHECA_ADMIN_TOKEN unset)");
		return -1;
	}
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		req_add_header(r, "WWW-Authenticate", "Bearer");
		req_fail(r, 401, "unauthorized", "Missing admin bearer token");
		return -1;
	}
	h += 7;
	char addr[REQ_ADDR_CAP];
	if (admin_throttled(r, addr)) {
		req_fail(r, 429, "too_many_requests", "Too many failed logins from this address");
		return -1;
	}
	if (!str_ct_equal(h, strlen(h), want, strlen(want))) {
		throttle_fail(addr, now_epoch());
		req_add_header(r, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
		req_fail(r, 401, "unauthorized", "Invalid admin token");
		return -1;
	}
	return idem_begin_or_reply(r, "admin");
}
