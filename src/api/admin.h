/*
 * The operators' admin API (/admin/v1): plain JSON, errors as
 * {"error": {"code", "message"}}, bearer-token authentication against
 * APOTHECA_ADMIN_TOKEN (unset: every admin route answers 403).
 */
#ifndef APO_API_ADMIN_H
#define APO_API_ADMIN_H

#include "base/result.h"
#include "http/req.h"

extern const struct dialect admin_dialect;

/* rc as an HTTP status in this dialect (the table in its struct dialect). */
unsigned admin_status(enum apo_result rc);

/* Answers {"error": {"code": result name, "message": message}} with rc's status. */
void admin_fail(struct req *r, enum apo_result rc, const char *message);

/*
 * Marks r as made by the console for an operator it has signed in (see
 * console.c): admin_auth_or_reply() then lets it through without a bearer
 * token, so console actions run the admin handlers themselves.
 */
void admin_trust(struct req *r);

/* Checks the admin bearer token; on failure answers 401/403 (401 with
 * WWW-Authenticate: Bearer) and returns -1. */
int admin_auth_or_reply(struct req *r);

/*
 * The failed-login throttle of every admin sign-in (the API's bearer token,
 * the console's form): writes the client's address into addr (cap
 * REQ_ADDR_CAP, for throttle_fail()) and returns 1, with Retry-After added
 * to r, when that address must wait; the caller answers in its own shape.
 */
int admin_throttled(struct req *r, char *addr);

#endif
