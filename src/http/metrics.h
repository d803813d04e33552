/*
 * Request metrics for GET /metrics (Prometheus text format): requests by
 * route and status, and a latency histogram per route. Lock-free: each
 * observation is a few relaxed atomic adds, so it costs nothing on the hot
 * path. Gauges that need the database (orders by status, outbox backlog)
 * are read by the /metrics handler itself.
 */
#ifndef APO_METRICS_H
#define APO_METRICS_H

#include <stdint.h>

struct buf;
struct router;

/* Records the route table so observations can be indexed by route. */
void metrics_init(const struct router *rt);

/* Counts one finished request; route_name is the route's name or "unmatched". */
void metrics_observe(const char *route_name, unsigned status, int64_t latency_us);

/* A request started (+1) or finished (-1): the in-flight gauge. */
void metrics_inflight(int delta);

/*
 * Appends build info, the in-flight gauge, the request counters and
 * histograms, and base/counters.h's (database errors, outbound calls) in
 * Prometheus text format.
 */
void metrics_render(struct buf *out);

#endif
