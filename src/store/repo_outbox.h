/*
 * The durable outbox: outbound work (refunds, webhooks) written in the same
 * transaction as the change it belongs to, and delivered later by the
 * outbox workers at least once. Rows of one order_key are delivered in id
 * order: a later row waits while an earlier one of the same key is pending.
 *
 * Cross-process safety: a worker claims a row by a conditional UPDATE of its
 * lease (lease_until), so two processes never deliver the same row at the
 * same time; a crashed worker's lease simply expires.
 *
 * Times: next_at, lease_until, first_at and delivered_at are epoch
 * MILLISECONDS (retry delays in tests are 100 ms). States: 'pending' (to
 * deliver), 'done' (delivered, or nothing to deliver to), 'failed' (parked
 * after OUTBOX_GIVE_UP_MS of failures, waiting for an operator's retry).
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

/* States of outbox rows. */
#define OUTBOX_PENDING "pending"
#define OUTBOX_DONE "done"
#define OUTBOX_FAILED "failed"

/* A row that has failed for longer than this is parked as failed. */
#define OUTBOX_GIVE_UP_MS (24 * 3600 * INT64_C(1000))
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

/* Releases and frees an array from outbox_list(). */
void outbox_rows_free(struct outbox_row *rows, size_t n);

/* Counts rows in state (for metrics: the pending backlog). */
enum apo_result outbox_count(struct store_conn *c, const char *state, int64_t *out);

/*
 * An operator's retry of a parked row: failed -> pending, due now, with
 * attempts reset and first_at = now_ms so it gets another
 * OUTBOX_GIVE_UP_MS of retries. Loads the row after the change into out.
 * APO_ERR_NOT_FOUND for no such row, APO_ERR_STATE when it is not failed.
 */
enum apo_result outbox_retry(struct store_conn *c, int64_t id, int64_t now_ms,
			     struct outbox_row *out);

#endif
