/*
 * Outbox delivery workers: a small pool of threads, separate from the HTTP
 * workers and the sweeper, that claim due outbox rows (store/repo_outbox.h)
 * and deliver them — refunds to the merchant's payment API, webhooks to
 * its receiver — retrying with exponential backoff and jitter from
 * APOTHECA_RETRY_BASE_MS for APOTHECA_RETRY_GIVE_UP_MS (24 h), then
 * parking them as failed for an operator's retry.
 *
 * Webhooks (SPEC §4.3; docs/api/webhooks.md is the merchant's view):
 * - a pharmacy order's event is POSTed alone, its stored payload as the
 *   body; delivered when the receiver answers 2xx with a JSON object that
 *   has a "status" member;
 * - logistics events (order.info.change, order.shipped,
 *   product.inventory.change) are POSTed in the envelope {event_id,
 *   webhook_id, event_type, ts, retry_count, payload}: one envelope object
 *   per request by default, or, for a merchant with webhook.batch on, a
 *   JSON array of 1 to OUTBOX_BATCH_MAX envelopes of that merchant in
 *   outbox id order; any 2xx delivers the whole request, anything else
 *   reschedules it whole.
 * Every request carries the merchant's auth header and X-Apotheca-Signature.
 *
 * A worker that claims a webhook takes a run of that merchant's due events
 * with it (up to OUTBOX_BATCH_MAX) and sends them one after another, or as
 * one array; one claim and one settling transaction serve the run.
 *
 * A slow or dead receiver costs one worker at most: a merchant has one
 * delivery in flight at a time (the claim's rule), each call gives up after
 * HTTP_OUT_TIMEOUT_MS, a run ends at its first failure, and the HTTP
 * workers never wait for deliveries.
 */
#ifndef APO_OUTBOUND_OUTBOX_H
#define APO_OUTBOUND_OUTBOX_H

#include <stddef.h>

struct app;

/* Room for a webhook_id: "wh_" + a merchant id + NUL. */
#define OUTBOX_WEBHOOK_ID_CAP 72

/* Starts the delivery threads; -1 (logged) when they cannot start. */
int outbox_start(struct app *app);

/* Asks the threads to stop and joins them (in-flight calls finish first). */
void outbox_stop(void);

/*
 * The webhook_id of a merchant's webhook subscription in logistics
 * envelopes: "wh_<merchant id>". A merchant has one subscription (its
 * webhook settings), so the id is stable for its whole life, whatever the
 * URL or secrets become.
 */
void outbox_webhook_id(const char *merchant_id, char *out, size_t cap);

#endif
