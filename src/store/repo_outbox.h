/*
 * The durable outbox: outbound work (refunds, webhooks) written in the same
 * transaction as the change it belongs to, and delivered later by the
 * outbox workers at least once. Rows of one order_key are delivered in id
 * order: a later row waits while an earlier one of the same key is pending.
 * Writers of one key are serialised by the row they change (the order, the
 * product), so ids of one key grow in commit order on both backends.
 *
 * Cross-process safety: a worker claims a row by a conditional UPDATE of its
 * lease (lease_until), so two processes never deliver the same row at the
 * same time; a crashed worker's lease simply expires.
 *
 * Times: next_at, lease_until, first_at and delivered_at are epoch
 * MILLISECONDS (retry delays in tests are 100 ms). States: 'pending' (to
 * deliver), 'done' (delivered, or nothing to deliver to), 'failed' (parked
 * after the give-up window of failures, waiting for an operator's retry).
 * attempts counts the failed attempts of the row over its whole life; it
 * is what a logistics envelope calls retry_count.
 *
 * Every function takes the calling thread's connection and runs in its own
 * transaction (or single statement) unless noted.
 */
#ifndef APO_REPO_OUTBOX_H
#define APO_REPO_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"

struct store_conn;

/* Kinds of outbox rows. */
#define OUTBOX_REFUND "refund"
#define OUTBOX_WEBHOOK "webhook"

/*
 * Event types of webhook rows. An OUTBOX_EV_ORDER_STATUS row (a pharmacy
 * order's move) holds the request body itself and is sent alone. The
 * logistics types hold one event {"event_id", "event_type", "ts",
 * "payload"}; the workers wrap each in the logistics envelope and send it
 * alone, or up to OUTBOX_BATCH_MAX of one merchant in one request for a
 * merchant whose receiver takes arrays (webhook.batch).
 */
#define OUTBOX_EV_ORDER_STATUS "order.status"
#define OUTBOX_EV_ORDER_INFO_CHANGE "order.info.change"
#define OUTBOX_EV_ORDER_SHIPPED "order.shipped"
#define OUTBOX_EV_INVENTORY_CHANGE "product.inventory.change"

/* The most logistics events one webhook request carries, and the most
 * events one worker sends a merchant one after another on one claim. */
#define OUTBOX_BATCH_MAX 100

/* True when a webhook row of event_type is a logistics event (enveloped). */
int outbox_event_is_logistics(const char *event_type);

/* States of outbox rows. */
#define OUTBOX_PENDING "pending"
#define OUTBOX_DONE "done"
#define OUTBOX_FAILED "failed"

/* The longest wait between two attempts. */
#define OUTBOX_MAX_DELAY_MS (3600 * INT64_C(1000))
/* Due rows one claim considers before giving up for this round. */
#define OUTBOX_CLAIM_SCAN 16
/* The most rows outbox_list() returns. */
#define OUTBOX_LIST_MAX 1000

/*
 * Within the caller's write transaction: queues a row due now. payload is
 * the JSON text to deliver (for refunds, the refund request). order_key
 * orders rows (e.g. the order's order_id); may be NULL for unordered rows.
 * The request id bound to the calling thread (log_bound_request_id) is
 * kept with the row and sent as X-Request-ID when it is delivered. The
 * INSERT rides with the transaction's next statement or its COMMIT
 * (store_exec_later): a failure surfaces there.
 */
enum apo_result outbox_add(struct store_conn *c, const char *kind, const char *merchant_id,
			   const char *order_key, const char *event_type, const char *payload);

/* One outbox row; strings are owned (NULL for SQL NULL). */
struct outbox_row {
	int64_t id;
	char *kind;
	char *merchant_id;
	char *order_key;
	char *event_type;
	char *payload;
	char *state;
	char *last_error;
	int64_t attempts;
	int64_t next_at;
	int64_t lease_until;
	int64_t first_at;
	int64_t delivered_at; /* -1 until delivered */
	char *request_id;     /* X-Request-ID of the request that queued it, or NULL */
};

/* Zeroes a row. */
void outbox_row_init(struct outbox_row *r);

/* Frees the row's strings; it is zeroed again. */
void outbox_row_release(struct outbox_row *r);

/* Loads row id into out (outbox_row_init'ed). APO_ERR_NOT_FOUND if none. */
enum apo_result outbox_get(struct store_conn *c, int64_t id, struct outbox_row *out);

/*
 * Claims the next due row for delivery and loads it into out: a row that is
 * pending, due (next_at <= now_ms), not leased, the lowest pending id of its
 * order_key, and whose merchant has no other row leased at the moment (so a
 * slow merchant holds at most one worker). The claim sets lease_until to
 * now_ms + lease_ms by a conditional UPDATE; only one of several workers
 * racing for a row wins it. APO_ERR_NOT_FOUND when nothing can be claimed.
 *
 * On PostgreSQL the merchant rule is best effort across processes (two
 * processes may each lease a different row of one merchant in the same
 * instant); the one-worker-per-row rule is exact everywhere.
 */
enum apo_result outbox_claim(struct store_conn *c, int64_t now_ms, int64_t lease_ms,
			     struct outbox_row *out);

/*
 * Extends the claim of head (a webhook row this worker has just claimed)
 * to a run of its merchant: leases, like outbox_claim(), up to max - 1 more
 * pending, due, unleased webhook rows of head's merchant of the event
 * types `only` names, oldest due first, and loads them into *more (ascending id; free
 * with outbox_rows_free) and their count into *n. A row joins only when
 * every pending row of its order_key with a lower id is in the run (head
 * included), so a run never overtakes an event that is waiting, backing
 * off or leased elsewhere, and sent in id order it keeps each key's
 * order. Runs in one transaction; on failure nothing more is leased (*n is
 * 0) and head may still be delivered alone.
 */
/* Which webhook rows may join a run (outbox_claim_more()). */
enum outbox_run {
	OUTBOX_RUN_ANY = 0,	  /* every event type */
	OUTBOX_RUN_LOGISTICS = 1, /* logistics events: one request carries them as an array */
	OUTBOX_RUN_PHARMACY = 2,  /* all but logistics events (they go as arrays apart) */
};

enum apo_result outbox_claim_more(struct store_conn *c, const struct outbox_row *head,
				  int64_t now_ms, int64_t lease_ms, size_t max, enum outbox_run only,
				  struct outbox_row **more, size_t *n);

/* What became of one row after an attempt (see outbox_settle()). */
enum outbox_fate {
	OUTBOX_FATE_DONE,  /* delivered, or nothing to deliver to: done */
	OUTBOX_FATE_RETRY, /* failed: attempts + 1, due again at next_at */
	OUTBOX_FATE_PARK,  /* failed for good: attempts + 1, state 'failed' */
	OUTBOX_FATE_RELEASE, /* not tried: the lease dropped, nothing else changes */
};

struct outbox_settlement {
	int64_t id;
	enum outbox_fate fate;
	int64_t next_at;  /* OUTBOX_FATE_RETRY: when to try again (ms) */
	const char *note; /* kept as last_error; may be NULL */
};

/*
 * Records the outcome of one attempt for n rows at once, in one
 * transaction (a batch completes or is rescheduled together), dropping
 * their leases; done rows get delivered_at = now_ms. A row that is no
 * longer pending is left as it is.
 */
enum apo_result outbox_settle(struct store_conn *c, const struct outbox_settlement *s, size_t n,
			      int64_t now_ms);

/*
 * Marks a pending row done at now_ms and drops its lease; note (may be
 * NULL) is kept as last_error, e.g. why there was nothing to deliver.
 */
enum apo_result outbox_complete(struct store_conn *c, int64_t id, int64_t now_ms, const char *note);

/*
 * In one transaction: marks refund row id done (as outbox_complete) and the
 * refund refund_id completed (refunds.state 'done', completed = now in
 * epoch seconds, like every other refunds time).
 */
enum apo_result outbox_complete_refund(struct store_conn *c, int64_t id, const char *refund_id,
				       int64_t now_ms);

/*
 * Records a failed attempt: attempts + 1, next try at next_at_ms, lease
 * dropped, error kept as last_error. Only a pending row changes.
 */
enum apo_result outbox_reschedule(struct store_conn *c, int64_t id, int64_t next_at_ms,
				  const char *error);

/* Records a failed attempt and parks the row as 'failed' (operators retry it). */
enum apo_result outbox_park(struct store_conn *c, int64_t id, const char *error);

/*
 * The wait before the next attempt after `attempts` failed ones:
 * base_ms * 2^attempts capped at OUTBOX_MAX_DELAY_MS, with "equal jitter"
 * (half of it fixed, half drawn from rnd) so retries of many rows spread
 * out. Pure; never less than 1 ms.
 */
int64_t outbox_backoff_ms(int64_t base_ms, int64_t attempts, uint64_t rnd);

/*
 * Rows in state (NULL: any state), newest first, at most limit (clamped to
 * 1..OUTBOX_LIST_MAX). *rows (free with outbox_rows_free) receives *n rows.
 */
enum apo_result outbox_list(struct store_conn *c, const char *state, int64_t limit,
			    struct outbox_row **rows, size_t *n);

/* outbox_list() of the rows with ids below before_id (a page's cursor),
 * only those of order_key unless it is NULL; limit may be one more than
 * OUTBOX_LIST_MAX (a page and the row that says another follows). */
enum apo_result outbox_list_before(struct store_conn *c, const char *state, const char *order_key,
				   int64_t before_id, int64_t limit, struct outbox_row **rows,
				   size_t *n);

/* Releases and frees an array from outbox_list(). */
void outbox_rows_free(struct outbox_row *rows, size_t n);

/* Counts rows in state (for metrics: the pending backlog). */
enum apo_result outbox_count(struct store_conn *c, const char *state, int64_t *out);

/* When (Unix ms) the oldest pending row was first due; 0 when none is pending. */
enum apo_result outbox_oldest_pending_ms(struct store_conn *c, int64_t *first_at_ms);

/*
 * An operator's retry of a parked row: failed -> pending, due now, with
 * first_at = now_ms so it gets another give-up window of retries. attempts
 * is kept: a receiver's retry_count never goes back, and the next failures
 * back off from where the row was. Loads the row after the change into out.
 * APO_ERR_NOT_FOUND for no such row, APO_ERR_STATE when it is not failed.
 */
enum apo_result outbox_retry(struct store_conn *c, int64_t id, int64_t now_ms,
			     struct outbox_row *out);

#endif
