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

/* The one place a result becomes a status in this dialect. */
unsigned admin_status(enum apo_result rc);

/* Answers {"error": {"code": result name, "message": message}} with rc's status. */
void admin_fail(struct req *r, enum apo_result rc, const char *message);

/* Checks the admin bearer token; on failure answers 401/403 and returns -1. */
int admin_auth_or_reply(struct req *r);

#endif
