/*
 * The merchant sandbox (`apotheca serve --sandbox`): under /sandbox/, what a
 * merchant would run on its side, so the pharmacy API can be tried end to
 * end on one machine — a payment API (SPEC §4.1, §4.2) and a webhook
 * receiver (§4.3) that checks X-Apotheca-Signature and keeps the latest
 * events in memory for a person to look at.
 *
 *   GET  /sandbox/merchants/{merchant_id}/transactions/{merchant_order_id}
 *        SUCCESS with the order's payable amount; a merchant_order_id
 *        ending in -pending or -failed answers PENDING or FAILED
 *   POST /sandbox/merchants/{merchant_id}/refunds      always SUCCESS
 *   POST /sandbox/merchants/{merchant_id}/webhooks     the receiver
 *   GET  /sandbox/webhooks        the latest events, newest first (HTML)
 *   GET  /sandbox/webhooks.json   the same as JSON, each with signature_valid
 *
 * Not for production: it answers anyone and approves every payment. The
 * routes exist only when the server was started with --sandbox. Events are
 * kept per process (a restart forgets them).
 */
#ifndef APO_API_SANDBOX_H
#define APO_API_SANDBOX_H

struct router;

/* Events the webhook receiver keeps; older ones are dropped. */
#define SANDBOX_MAX_EVENTS 100
/* A kept event's body is cut at this many bytes (the rest is not shown). */
#define SANDBOX_MAX_EVENT_BYTES (256 * 1024)
/* A signature older or newer than this many seconds is not valid. */
#define SANDBOX_SIGNATURE_TOLERANCE_S 300

/* Adds the /sandbox/ routes. */
void sandbox_routes(struct router *rt);

#endif
