/*
 * Batches of work handed in by several threads (see batch.h): a leader
 * runs what queued while the lanes were busy, then hands the lane to the
 * next queued thread.
 */
#include <errno.h>

#include "base/batch.h"
#include "base/banned.h"

/* The batch one leader runs at most; the batcher's max is capped at it. */
#define BATCH_MAX_ITEMS 64

static void wait_woken(struct batch_item *it)
{
	while (sem_wait(&it->wake) != 0 && errno == EINTR)
		;
}

/* Leads one batch, its own piece first, then hands the lane on or frees it. */
static void lead(struct batcher *b, struct batch_item *it, void *ctx)
{
	struct batch_item *items[BATCH_MAX_ITEMS];
	size_t max = b->max < BATCH_MAX_ITEMS ? b->max : BATCH_MAX_ITEMS;
	size_t n = 1;

	items[0] = it;
	pthread_mutex_lock(&b->lock);
	while (n < max && b->head) {
		items[n++] = b->head;
		b->head = b->head->next;
	}
	if (!b->head)
		b->tail = NULL;
	pthread_mutex_unlock(&b->lock);

	b->fn(ctx, items, n);

	/* The lane goes to the first queued piece, or is free. */
	struct batch_item *next = NULL;
	pthread_mutex_lock(&b->lock);
	if (b->head) {
		next = b->head;
		b->head = next->next;
		if (!b->head)
			b->tail = NULL;
		next->lead = 1;
	} else {
		b->running--;
	}
	pthread_mutex_unlock(&b->lock);
	for (size_t i = 1; i < n; i++)
		sem_post(&items[i]->wake);
	if (next)
		sem_post(&next->wake);
}

void batch_run(struct batcher *b, struct batch_item *it, void *ctx)
{
	int leading = 0;
	sem_init(&it->wake, 0, 0);
	it->lead = 0;
	it->next = NULL;
	pthread_mutex_lock(&b->lock);
	if (b->running < b->lanes) {
		b->running++;
		leading = 1;
	} else if (b->tail) {
		b->tail->next = it;
		b->tail = it;
	} else {
		b->head = b->tail = it;
	}
	pthread_mutex_unlock(&b->lock);
	if (!leading) {
		/* Woken to lead (the lane was handed over) or with its piece
		 * done; lead was written before the wake-up. */
		wait_woken(it);
		leading = it->lead;
	}
	if (leading)
		lead(b, it, ctx);
	sem_destroy(&it->wake);
}
