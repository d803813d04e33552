/*
 * The logistics dialect's errors and Basic authentication (see
 * logistics.h). Endpoint handlers live in logistics_*.c.
 */
#include <math.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/logistics.h"
#include "api/idempotency.h"
#include "app.h"
#include "auth/secret.h"
#include "auth/throttle.h"
#include "core/ids.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "store/repo_merchants.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/log.h"
#include "base/banned.h"

/* Longest "Authorization: Basic ..." value we decode. */
#define LOGI_MAX_BASIC 512

void logi_error(struct req *r, unsigned status, const char *code, const char *message)
{
	json_t *body = json_pack("{s:b,s:s}", "success", 0, "code", code ? code : "error");
	if (message)
		json_object_set_new(body, "message", json_string(message));
	req_reply_json(r, status, body);
}

static void dialect_error(struct req *r, unsigned status, const char *code, const char *message)
{
	logi_error(r, status, code, message);
}

/* Results as HTTP statuses in this dialect. */
static const unsigned statuses[APO_RESULT_COUNT] = {
	DIALECT_STATUS_COMMON,
	[APO_ERR_CONFLICT] = 409, [APO_ERR_STATE] = 409, [APO_ERR_BUSY] = 409, [APO_ERR_AUTH] = 403,
};

const struct dialect logistics_dialect = {"logistics", "/2015-01-01", dialect_error, statuses};

unsigned logi_status(enum apo_result rc)
{
	return dialect_status(&logistics_dialect, rc);
}

static void free_merchant(void *p)
{
	merchant_release(p);
	free(p);
}

static int denied(struct req *r)
{
	req_add_header(r, "WWW-Authenticate", "Basic realm=\"apotheca\"");
	logi_error(r, 403, "access_denied", NULL);
	return -1;
}

/* 429 when the client's address failed too often lately; else 0. */
static int throttled_or_reply(struct req *r, const char *addr)
{
	char secs[24];
	int64_t wait = throttle_wait(addr, now_epoch());
	if (!wait)
		return 0;
	fmt_into(secs, sizeof(secs), "%lld", (long long)wait);
	req_add_header(r, "Retry-After", secs);
	logi_error(r, 429, "too_many_requests", "Too many failed logins from this address");
	return -1;
}

/*
 * A refused guess (well-formed credentials, wrong): it counts against the
 * client's address. Malformed headers cost nothing and guess nothing.
 */
static int failed(struct req *r, const char *addr)
{
	throttle_fail(addr, now_epoch());
	return denied(r);
}

int logi_auth_or_reply(struct req *r, const struct merchant **out)
{
	const char *h = req_header(r, "Authorization");
	unsigned char decoded[LOGI_MAX_BASIC];
	char addr[REQ_ADDR_CAP];
	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return denied(r);
	req_client_addr(r, addr, sizeof(addr));
	if (throttled_or_reply(r, addr))
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	size_t len = strlen(h);
	if (len == 0 || len % 4 || len / 4 * 3 >= sizeof(decoded))
		return denied(r);
	int n = EVP_DecodeBlock(decoded, (const unsigned char *)h, (int)len);
	if (n < 0)
		return denied(r);
	while (n > 0 && h[len - 1] == '=' && decoded[n - 1] == '\0') {
		n--; /* EVP_DecodeBlock counts padding as zero bytes */
		len--;
	}
	decoded[n] = '\0';
	if (memchr(decoded, '\0', (size_t)n))
		return denied(r);
	char *colon = strchr((char *)decoded, ':');
	if (!colon || strncmp((char *)decoded, "M-", 2) != 0)
		return denied(r);
	*colon = '\0';
	const char *id = (char *)decoded + 2, *secret = colon + 1;
	if (!merchant_id_valid(id))
		return denied(r);

	struct merchant *m = xmalloc(sizeof(*m));
	merchant_init(m);
	enum apo_result rc = merchant_load(r->db, id, m);
	if (rc != APO_OK && rc != APO_ERR_NOT_FOUND) {
		free_merchant(m);
		logi_error(r, logi_status(rc), "internal_error", "Database unavailable");
		return -1;
	}
	int ok;
	if (rc == APO_OK && m->active && m->logistics_secret_hash) {
		ok = secret_verify(secret, m->logistics_secret_hash);
	} else {
		secret_verify_nothing(secret); /* as slow as a wrong secret */
		ok = 0;
	}
	if (!ok) {
		free_merchant(m);
		return failed(r, addr);
	}
	r->principal = m;
	r->principal_free = free_merchant;
	log_ctx_put(LOG_CTX_MERCHANT_ID, m->id);
	*out = m;
	return idem_begin_or_reply(r, m->id);
}

void logi_fail(struct req *r, enum apo_result rc, const char *message)
{
	const char *code = "internal_error", *dflt = "Internal error";
	switch (rc) {
	case APO_ERR_NOT_FOUND:
		code = "not_found", dflt = "Not found";
		break;
	case APO_ERR_INVALID:
		code = "invalid_request", dflt = "Invalid request";
		break;
	case APO_ERR_INSUFFICIENT:
		code = "insufficient_stock", dflt = "Not enough stock";
		break;
	case APO_ERR_CONFLICT:
	case APO_ERR_STATE:
	case APO_ERR_BUSY:
		code = "conflict", dflt = "The resource changed meanwhile; retry";
		break;
	case APO_ERR_AUTH:
	case APO_ERR_FORBIDDEN:
		code = "access_denied", dflt = NULL;
		break;
	case APO_ERR_TOO_LARGE:
		code = "payload_too_large", dflt = "Request body too large";
		break;
	case APO_ERR_UPSTREAM:
		code = "upstream_error", dflt = "Upstream error";
		break;
	case APO_ERR_UNAVAILABLE:
		/* The database is away (a failover): the same request will do. */
		code = "unavailable", dflt = "Database unavailable";
		req_add_header(r, "Retry-After", "1");
		break;
	case APO_ERR_STORAGE:
		code = "unavailable", dflt = "Storage cannot take writes right now";
		req_add_header(r, "Retry-After", STORE_RETRY_AFTER_S);
		break;
	case APO_OK:
	case APO_ERR_INTERNAL:
		break;
	}
	logi_error(r, logi_status(rc), code, message ? message : dflt);
}

int logi_absent(const json_t *v)
{
	return !v || json_is_null(v) || json_is_false(v) ||
	       (json_is_string(v) && json_string_length(v) == 0);
}

int logi_str(json_t *obj, const char *key, size_t maxlen, const char **out)
{
	json_t *v = json_object_get(obj, key);
	char text[24];
	if (logi_absent(v))
		return 1;
	if (json_is_integer(v)) {
		fmt_into(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		json_object_set_new(obj, key, json_string(text));
	}
	return jx_str(obj, key, maxlen, out) == 0 ? 0 : -1;
}

int logi_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	int64_t i;
	if (logi_absent(v))
		return 1;
	if (json_is_integer(v)) {
		i = json_integer_value(v);
	} else if (json_is_real(v)) {
		double d = json_real_value(v);
		/* Bounds first: converting an out-of-range double is undefined. */
		if (!(d >= -9e15 && d <= 9e15) || d != floor(d))
			return -1;
		i = (int64_t)d;
	} else if (json_is_string(v)) {
		if (strnum_i64(json_string_value(v), json_string_length(v), min, max, &i))
			return -1;
	} else {
		return -1;
	}
	if (i < min || i > max)
		return -1;
	*out = i;
	return 0;
}

int logi_decimal(const char *s, size_t len, double *out)
{
	char text[LOGI_MAX_DECIMAL + 1];
	size_t dots = 0;
	if (len == 0 || len > LOGI_MAX_DECIMAL)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' || s[i] == ',') {
			if (++dots > 1 || i == 0 || i == len - 1)
				return -1;
			text[i] = '.';
		} else if (s[i] >= '0' && s[i] <= '9') {
			text[i] = s[i];
		} else {
			return -1;
		}
	}
	text[len] = '\0';
	*out = strtod(text, NULL);
	return 0;
}

int logi_grams(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_object_get(obj, key);
	double d;
	if (logi_absent(v))
		return 1;
	if (json_is_integer(v))
		d = (double)json_integer_value(v);
	else if (json_is_real(v))
		d = json_real_value(v);
	else if (!json_is_string(v) ||
		 logi_decimal(json_string_value(v), json_string_length(v), &d))
		return -1;
	if (!(d >= 0 && d <= (double)LOGI_MAX_GRAMS))
		return -1;
	*out = (int64_t)floor(d + 0.5);
	return 0;
}

int logi_money(const json_t *obj, const char *key, int64_t *out)
{
	if (logi_absent(json_object_get(obj, key)))
		return 1;
	return jx_money(obj, key, out) == 0 ? 0 : -1;
}

int logi_id_valid(const char *s)
{
	size_t len = s ? strlen(s) : 0;
	if (len == 0 || len > LOGI_MAX_ID || ids_is_dot_segment(s))
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

json_t *logi_time(int64_t t)
{
	char text[ISO8601_CAP];
	if (t <= 0 || iso8601_utc(t, text))
		return json_null();
	return json_string(text);
}

void logi_utf8_cut(char *s, size_t max)
{
	if (strlen(s) <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}
