/*
 * Batches: work that threads hand in one piece at a time and that is cheaper
 * done together (several order creates sharing one database transaction and
 * one commit). A thread that hands in work either leads a batch — it takes
 * its own piece and what others queued, up to the batcher's limit, and runs
 * them all with one call — or waits while a leader runs its piece. At most
 * `lanes` batches run at once. When a leader is done and work is queued, the
 * first queued thread leads the next batch; otherwise the lane is free.
 *
 * Nothing waits on a timer: a batch is whatever queued while the batches
 * before it ran, so a lone piece of work runs at once, in a batch of one,
 * and batches grow only with the load. Not for work that may block on
 * another piece of the same batcher (a leader runs the pieces it took one
 * after another, on its own thread).
 */
#ifndef APO_BATCH_H
#define APO_BATCH_H

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>

/* One piece of work; on the handing-in thread's stack while it waits. */
struct batch_item {
	void *arg; /* the caller's: what the batch function works on */
	/* The batcher's own. */
	sem_t wake;
	int lead; /* woken to lead a batch, not because its piece is done */
	struct batch_item *next;
};

/*
 * Runs items[0..n-1] (n >= 1, items[0] the leader's own piece) on the
 * leader's thread; ctx is what the leader passed to batch_run(). When it
 * returns, every piece is done: each waiting thread then reads its result
 * from its own arg.
 */
typedef void (*batch_fn)(void *ctx, struct batch_item *const *items, size_t n);

struct batcher {
	pthread_mutex_t lock;
	struct batch_item *head, *tail; /* pieces waiting for a lane */
	size_t running;			/* batches under way */
	size_t lanes;			/* the most batches under way at once */
	size_t max;			/* the most pieces in one batch */
	batch_fn fn;
};

/* A batcher running fn, for a static declaration. lanes and max at least 1. */
#define BATCHER_INIT(fn_, lanes_, max_)                                                            \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER, .lanes = (lanes_), .max = (max_), .fn = (fn_)   \
	}

/*
 * Hands in it (it->arg set by the caller) and returns once its piece is
 * done, run by this thread or by another's batch. ctx is given to the batch
 * function when this thread leads: what belongs to the thread (its own
 * database connection).
 */
void batch_run(struct batcher *b, struct batch_item *it, void *ctx);

#endif
