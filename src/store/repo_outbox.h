/*
 * The durable outbox: outbound work (refunds, webhooks) written in the same
 * transaction as the change it belongs to, and delivered later by the
 * outbox workers at least once. Rows of one order_key are delivered in id
 * order: a later row waits while an earlier one of the same key is pending.
 *
 * Cross-process safety: a worker claims a row by a conditional UPDATE of its
 * lease (lease_until), so two processes never deliver the same row at the
 * same time; a crashed worker's lease simply expires.
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
 * Within the caller's write transaction: queues a row due now. payload is
 * the JSON text to deliver (for refunds, the refund request). order_key
 * orders rows (e.g. the order's order_id); may be NULL for unordered rows.
 */
enum apo_result outbox_add(struct store_conn *c, const char *kind, const char *merchant_id,
			   const char *order_key, const char *event_type, const char *payload);

#endif
