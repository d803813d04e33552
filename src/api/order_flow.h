/*
 * Order status changes as the whole program makes them: every caller —
 * the pharmacy and logistics dialects, the admin API, the payment-window
 * sweeper — moves orders through flow_move(), so each move is recorded,
 * has its stock effects and (SPEC §4.3) announces itself in the outbox, in
 * the caller's transaction.
 */
#ifndef APO_ORDER_FLOW_H
#define APO_ORDER_FLOW_H

#include <stddef.h>

#include "base/result.h"

struct order;
struct store_conn;
struct app;

/* Who moves an order, for its history. */
#define ACTOR_MERCHANT "merchant"
#define ACTOR_OPERATOR "operator"
#define ACTOR_SYSTEM "system"

/*
 * In the caller's write transaction: order_move() plus the webhook event
 * that announces the move (an outbox row keyed by the order, so events of
 * one order are delivered in order). Same results as order_move().
 *
 * The event's payload depends on the order's dialect. A pharmacy order's is
 * the request body itself: {"event_id", "grouped_orders": [{order_id,
 * merchant_order_id, order_status {status_id, title, subtitle},
 * status_changed, updated, eta {eta_from, eta_to}, shipment_detail
 * {delivery_partner_name, tracking_code, tracking_url}}]}. A logistics
 * order's is one event {"event_id", "event_type", "ts", "payload"} that the
 * delivery worker wraps in the logistics envelope (adding webhook_id and
 * retry_count) and may batch with others.
 */
enum apo_result flow_move(struct app *app, struct store_conn *c, struct order *o, int to,
			  const char *subtitle, const char *actor, const char *note);

/* The public tracking URL of a code into out (cap bytes). */
void flow_tracking_url(const struct app *app, const char *code, char *out, size_t cap);

/*
 * In the caller's write transaction: gives a confirmed order its public
 * tracking code (SPEC §6) unless it has one.
 */
enum apo_result flow_ensure_tracking(struct store_conn *c, struct order *o);

/*
 * The payment-window sweeper task: cancels ONLINE orders still awaiting
 * payment after their merchant's window ("Payment not received"),
 * releasing their stock. Safe with several processes: each order moves by
 * compare-and-set, so only one process wins it.
 */
void flow_expire_task(struct app *app, struct store_conn *c);

#endif
