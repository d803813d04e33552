/*
 * Offload pools: threads that finish requests which must wait, so the HTTP
 * worker threads never block. Two pools, so that waiting on merchants never
 * holds up other work (a bulkhead):
 * - writes: the routes marked ROUTE_OFFLOAD (order writes, whose commits
 *   can then share a disk sync) and anything handed to req_offload();
 * - outbound: requests that wait on a merchant's own systems
 *   (req_offload_merchant(): confirm, which calls the payment API), with a
 *   cap on how many of one merchant's requests are queued or running; the
 *   ones past it wait their turn, holding no thread.
 *
 * The application starts the pools before it serves and stops them before
 * the HTTP daemon goes (src/app.c): a stop lets the queued requests finish
 * and resume their connections first.
 */
#ifndef APO_HTTP_OFFLOAD_H
#define APO_HTTP_OFFLOAD_H

#include "http/router.h"

struct app;
struct req;

/*
 * Starts both pools' threads; every job runs with its thread's own
 * connection to app->store. -1 when a thread cannot start (offload_stop()
 * then stops those that did).
 */
int offload_start(struct app *app);

/* Stops both pools: queued and running jobs finish first, then the threads join. */
void offload_stop(void);

/*
 * Finishes the request on the writes pool: the HTTP worker thread returns
 * at once to serve others. fn runs later with r->db set to the offload
 * thread's own connection and must reply like any handler. When the pool's
 * queue is full the request is answered 503 instead.
 */
void req_offload(struct req *r, route_fn fn);

/*
 * Like req_offload(), for work that waits on merchant_id's own systems (its
 * payment API): it runs on the outbound pool, so the wait never occupies
 * the threads that run other merchants' writes, and at most a fixed number
 * of one merchant's requests are queued or running at once. Past that, r
 * waits (suspended, no thread) until one of them leaves; r is answered 503
 * with Retry-After in its dialect's shape when too many already wait, or
 * when it has waited too long by the time its turn comes.
 */
void req_offload_merchant(struct req *r, const char *merchant_id, route_fn fn);

/*
 * Called by a job of req_offload_merchant() once it is done waiting on the
 * merchant's systems (its payment API answered): the request stops
 * counting in the merchant's share, so the database work that follows (a
 * commit waiting on a disk sync) does not turn away the merchant's next
 * requests. A no-op anywhere else, and after the first call.
 */
void offload_merchant_call_done(void);

#endif
