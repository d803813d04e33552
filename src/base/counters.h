/*
 * Process-wide counters for what happens below the HTTP edge: database
 * errors, order creates that shared a transaction, and outbound calls to
 * merchants (by kind and outcome, with a latency histogram). Lock-free
 * (relaxed atomic adds), so any thread may count; GET /metrics renders
 * them (http/metrics.c). Not for request metrics, which the edge keeps
 * itself.
 */
#ifndef APO_COUNTERS_H
#define APO_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"

struct buf;

/* Counts a failed database operation: busy, unavailable or internal (others are not errors). */
void counters_db_error(enum apo_result rc);

/*
 * A batch of n (2 or more) order creates shared one transaction: committed
 * (all placed), or rolled back (each then ran alone).
 */
void counters_create_batch(size_t n, int committed);

/* A connection to the database could not be opened. */
void counters_db_connect_failed(void);

/*
 * A request past its merchant's share of the outbound pool (http/offload.c)
 * began to wait for a place (refused 0), or was answered 503 (refused 1):
 * at once, or when its wait ran too long.
 */
void counters_merchant_share(int refused);

/*
 * Counts one outbound call. kind: "transaction_status", "refund" or
 * "webhook" (anything else counts as "other"); outcome: "ok" (2xx),
 * "http_error" (another status), "timeout", "unreachable" (DNS, connect,
 * TLS, reset) or "failed" (our side: bad URL or header, answer too large).
 */
void counters_outbound(const char *kind, const char *outcome, int64_t latency_us);

/* Appends the counters in Prometheus text format. */
void counters_render(struct buf *out);

#endif
