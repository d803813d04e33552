/*
 * Idempotency-Key for every POST, PUT, PATCH and DELETE of the three APIs
 * (SPEC §1). Scope: (merchant — or "admin" —, method, route, key); answers
 * kept at least 24 h. A replay gets the stored status and body with
 * `Idempotent-Replayed: true`; the same key with a different request is
 * 422; the same key while the first request is still running is 409 with
 * Retry-After.
 *
 * Only successful (2xx) answers are stored. Any other answer means the
 * request changed nothing, so the key is released and a retry runs afresh
 * (this covers "validation failures are not stored", and lets a merchant
 * retry a 502 from its own payment API with the same key).
 */
#ifndef APO_IDEMPOTENCY_H
#define APO_IDEMPOTENCY_H

struct req;
struct app;
struct store_conn;

#define IDEM_MAX_KEY 255
#define IDEM_RETAIN_S (48 * 3600)
#define IDEM_STALE_S 120 /* a "running" key older than this was orphaned by a crash */

/*
 * Called by each dialect's authentication helper once the caller is known.
 * Returns 0 to go on (no key, or this request now owns it); -1 when it has
 * answered (replay, 409, 422, 400 for a malformed key).
 */
int idem_begin_or_reply(struct req *r, const char *scope);

/* Sweeper task: forgets answers older than IDEM_RETAIN_S. */
void idem_purge_task(struct app *app, struct store_conn *c);

#endif
