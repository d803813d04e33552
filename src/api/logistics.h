/*
 * The logistics dialect (/2015-01-01): its error shape
 * {"success": false, "code", "message"}, the result-to-status mapping, and
 * HTTP Basic authentication of "M-<merchant_id>" with the shared secret.
 */
#ifndef APO_API_LOGISTICS_H
#define APO_API_LOGISTICS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "http/req.h"

struct merchant;

/* Limits of the dialect's inputs. */
#define LOGI_MAX_ID 64			  /* a merchants_id or a merchants_order id, in bytes */
#define LOGI_MAX_TEXT 1024		  /* one free-text field: a name, an address line... */
#define LOGI_MAX_GRAMS INT64_C(100000000) /* 100 t: the largest weight taken */

extern const struct dialect logistics_dialect;

/* {"success": false, "code": code, "message": message}. */
void logi_error(struct req *r, unsigned status, const char *code, const char *message);

/* rc as an HTTP status in this dialect (the table in its struct dialect). */
unsigned logi_status(enum apo_result rc);

/*
 * Checks HTTP Basic credentials; on failure answers 403
 * {"success": false, "code": "access_denied"} and returns -1. On success
 * sets *out to the merchant, owned by r.
 */
int logi_auth_or_reply(struct req *r, const struct merchant **out);

/*
 * Answers {"success": false, "code", "message"} for a result that has no
 * more specific code: not_found, invalid_request, conflict,
 * internal_error... with logi_status(rc). message NULL: a generic one.
 */
void logi_fail(struct req *r, enum apo_result rc, const char *message);

/*
 * Lenient readers for what merchants' e-commerce plugins send. Each returns
 * 0 with the value, 1 when the member is absent — which includes null,
 * false and "" (plugins send those for "not set") — and -1 when it is
 * present but unusable, so a handler can say "required" or "invalid".
 *
 * logi_str: a string of at most maxlen bytes without NUL. An integer is
 * taken too (a numeric order id, a postal code sent as a number): the
 * member is replaced in obj by its decimal text, so what is stored is a
 * string. *out points into obj.
 * logi_int: an integer in [min, max] given as a JSON integer, a real with
 * no fraction (2.0) or a string of digits ("2").
 * logi_grams: a weight in grams, >= 0 and <= LOGI_MAX_GRAMS, given as a
 * number or a numeric string; a fraction is rounded to the nearest gram
 * ("250.5" is 251).
 * logi_money: an amount (jx_money's rules: number or string, at most two
 * decimals, not negative) in paise.
 */
int logi_str(json_t *obj, const char *key, size_t maxlen, const char **out);
int logi_int(const json_t *obj, const char *key, int64_t min, int64_t max, int64_t *out);
int logi_grams(const json_t *obj, const char *key, int64_t *out);
int logi_money(const json_t *obj, const char *key, int64_t *out);

/* True for a value plugins mean as "not set": NULL, null, false or "". */
int logi_absent(const json_t *v);

/*
 * Parses a non-negative decimal number written with digits and at most one
 * '.' or ',' (1..LOGI_MAX_DECIMAL bytes): 0 and *out, or -1.
 */
#define LOGI_MAX_DECIMAL 24
int logi_decimal(const char *s, size_t len, double *out);

/*
 * True for a merchant's product id (merchants_id): 1..LOGI_MAX_ID bytes,
 * no control characters. Plugins use their SKUs, which may hold spaces or
 * slashes, so this is wider than the platform's SKU ids.
 */
int logi_id_valid(const char *s);

/* Cuts s in place to at most max bytes, never inside a UTF-8 character. */
void logi_utf8_cut(char *s, size_t max);

/* A time as ISO 8601 UTC ("2024-05-01T10:00:00Z"), or null when t <= 0. A new reference. */
json_t *logi_time(int64_t t);

#endif
