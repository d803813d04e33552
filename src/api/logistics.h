/*
 * The logistics dialect (/2015-01-01): its error shape
 * {"success": false, "code", "message"}, the result-to-status mapping, and
 * HTTP Basic authentication of "M-<merchant_id>" with the shared secret.
 */
#ifndef APO_API_LOGISTICS_H
#define APO_API_LOGISTICS_H

#include <jansson.h>

#include "base/result.h"
#include "http/req.h"

struct merchant;

extern const struct dialect logistics_dialect;

/* {"success": false, "code": code, "message": message}. */
void logi_error(struct req *r, unsigned status, const char *code, const char *message);

/* The one place a result becomes a status in this dialect. */
unsigned logi_status(enum apo_result rc);

/*
 * Checks HTTP Basic credentials; on failure answers 403
 * {"success": false, "code": "access_denied"} and returns -1. On success
 * sets *out to the merchant, owned by r.
 */
int logi_auth_or_reply(struct req *r, const struct merchant **out);

#endif
