/*
 * Allocation of orders waiting for stock (status 20: pharmacy "Awaiting
 * Stock", logistics waiting_products): when a product's available units
 * rise, the orders waiting for it are served first come, first served —
 * in the order they started waiting — each only when every one of its
 * lines can be reserved in full. An order that cannot be served yet is
 * passed over and keeps its place, so one large order does not hold up
 * smaller ones behind it. Each allocated order moves 20 -> 120 through
 * the order service (orders_move: the reservation, history, tracking
 * code, webhook), all orders of one pass in one transaction.
 *
 * What triggers a pass:
 * - every stock rise (repo_stock's rise observer: an operator's
 *   adjustment or import, units an order gives back on cancel or delete,
 *   a merchant product's goods received), noted inside the rising
 *   transaction and served right after it commits (store_on_end), on the
 *   same thread, in new transactions: the rising one is never lengthened;
 *   A transaction raising more products than a thread remembers (a large
 *   import) is followed instead by a pass over every waiting order that
 *   fits;
 * - the sweeper task allocate_task(), a safety net for a process that died
 *   between the commit and its pass, and for stock raised by another
 *   process without the hook (the CLI's import).
 *
 * An order an operator moves to 20 by hand (120 -> 20) is never allocated
 * again from the units it just gave back in that same step: the pass that
 * follows the move leaves it out, and it is "held": it queues behind the
 * orders already waiting and is allocated by the next stock rise of one
 * of its products, never by the sweeper. The operator can still move it
 * 20 -> 120 by hand.
 *
 * Concurrency: a pass locks the order rows it may move (ascending oid,
 * before any stock row), re-checks each is still waiting under that lock,
 * then locks the stock rows of every product they need in ascending
 * product id (the rule every stock change follows) and decides on those
 * counters; on PostgreSQL two processes receiving stock at once therefore
 * allocate each unit once, and on SQLite the write transaction is alone.
 */
#ifndef APO_SERVICE_ALLOCATE_H
#define APO_SERVICE_ALLOCATE_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"
#include "core/order.h"

struct app;
struct store_conn;

/* History note of an allocation. */
#define ALLOCATE_NOTE "stock arrived: allocated"

/*
 * Registers the stock-rise observer and the end-of-transaction hook that
 * runs the passes; call once at start, before any thread changes stock.
 */
void allocate_init(struct app *app);

/*
 * One allocation for the n products pids[]: the orders waiting for any of
 * them (held ones too), except the order named exclude (an order id, or
 * NULL), served first come, first served in one transaction (retried
 * when the database gave up on a lock). *allocated (may be NULL) counts
 * the orders moved to 120.
 */
enum apo_result allocate_products(struct app *app, struct store_conn *c, const int64_t *pids,
				  size_t n, const char *exclude, size_t *allocated);

/* The sweeper task: allocates waiting orders (not held) that fit now. */
void allocate_task(struct app *app, struct store_conn *c);

/* One order of a product's waiting queue, for operators. */
struct allocate_entry {
	size_t position;  /* 1-based place in the queue */
	int64_t since_ms; /* when it started waiting, epoch ms */
	int hold;	  /* moved there by an operator (see above) */
	int64_t wants;	  /* units of this product it still needs */
	int fits;	  /* every line could be reserved in full right now */
	const struct order *o;
};

/*
 * The queue of product pid (held orders too), first come first served:
 * calls fn for each of at most limit orders after skipping the first
 * `offset`. *more is set when more follow.
 */
enum apo_result allocate_queue(struct store_conn *c, int64_t pid, size_t offset, size_t limit,
			       void (*fn)(const struct allocate_entry *e, void *ctx), void *ctx,
			       int *more);

#endif
