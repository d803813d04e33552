/*
 * Unit tests for base/batch: who leads, what one batch takes, how many run
 * at once, and that every piece is done exactly once before its thread
 * goes on.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#include "base/batch.h"
#include "t.h"
#include "base/banned.h"

#define THREADS 8

/* One thread's piece: who handed it in, and how often it was run. */
struct piece {
	int owner;
	atomic_int runs;
};

/* What the batch function saw. */
static atomic_int running, most_running, calls, bad_leader;
static size_t sizes[THREADS];
static struct batcher *under_test;
/* Set: the first batch waits until every other thread is queued behind it. */
static int hold_first;

/* Pieces queued behind the running batches. */
static size_t queued(struct batcher *b)
{
	size_t n = 0;
	pthread_mutex_lock(&b->lock);
	for (struct batch_item *it = b->head; it; it = it->next)
		n++;
	pthread_mutex_unlock(&b->lock);
	return n;
}

static void run(void *ctx, struct batch_item *const *items, size_t n)
{
	int now = atomic_fetch_add(&running, 1) + 1;
	int most = atomic_load(&most_running);
	while (now > most && !atomic_compare_exchange_weak(&most_running, &most, now))
		;
	int call = atomic_fetch_add(&calls, 1);
	if (call < THREADS)
		sizes[call] = n;
	struct piece *own = items[0]->arg;
	if (own->owner != *(const int *)ctx)
		atomic_fetch_add(&bad_leader, 1);
	if (call == 0 && hold_first)
		while (queued(under_test) < THREADS - 1)
			sched_yield();
	for (size_t i = 0; i < n; i++) {
		struct piece *p = items[i]->arg;
		atomic_fetch_add(&p->runs, 1);
	}
	atomic_fetch_sub(&running, 1);
}

struct worker {
	struct batcher *b;
	struct piece piece;
	int id;
	int done_before_return; /* its piece had run when batch_run() returned */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct batch_item it = {.arg = &w->piece};
	batch_run(w->b, &it, &w->id);
	w->done_before_return = atomic_load(&w->piece.runs) == 1;
	return NULL;
}

static void reset(struct batcher *b, int hold)
{
	atomic_store(&running, 0);
	atomic_store(&most_running, 0);
	atomic_store(&calls, 0);
	atomic_store(&bad_leader, 0);
	memset(sizes, 0, sizeof(sizes));
	under_test = b;
	hold_first = hold;
}

static void start(struct worker *w, pthread_t *t, struct batcher *b, int first, int last)
{
	for (int i = first; i < last; i++) {
		w[i].b = b;
		w[i].id = i;
		w[i].piece.owner = i;
		atomic_store(&w[i].piece.runs, 0);
		pthread_create(&t[i], NULL, work, &w[i]);
	}
}

static void check_all_done(struct worker *w)
{
	for (int i = 0; i < THREADS; i++) {
		CHECK_INT(atomic_load(&w[i].piece.runs), 1);
		CHECK(w[i].done_before_return);
	}
	CHECK_INT(atomic_load(&bad_leader), 0);
}

/* The first thread leads alone; the seven queued behind it go four, then three. */
static void test_queued_work_goes_in_batches_of_at_most_max(void)
{
	static struct batcher b = BATCHER_INIT(run, 1, 4);
	struct worker w[THREADS];
	pthread_t t[THREADS];
	reset(&b, 1);
	start(w, t, &b, 0, 1);
	while (atomic_load(&calls) == 0)
		sched_yield();
	start(w, t, &b, 1, THREADS);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check_all_done(w);
	CHECK_INT(atomic_load(&calls), 3);
	CHECK_INT(sizes[0], 1);
	CHECK_INT(sizes[1], 4);
	CHECK_INT(sizes[2], 3);
	CHECK_INT(atomic_load(&most_running), 1);
	CHECK(b.head == NULL && b.tail == NULL);
	CHECK_INT(b.running, 0);
}

/* Many rounds on two lanes: never more than two batches at once, nothing lost. */
static void test_lanes_bound_the_batches_under_way(void)
{
	static struct batcher b = BATCHER_INIT(run, 2, 3);
	for (int round = 0; round < 200; round++) {
		struct worker w[THREADS];
		pthread_t t[THREADS];
		reset(&b, 0);
		start(w, t, &b, 0, THREADS);
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		check_all_done(w);
		CHECK(atomic_load(&most_running) <= 2);
		CHECK(atomic_load(&calls) >= 3); /* eight pieces, three at most in one */
		CHECK_INT(b.running, 0);
	}
}

/* A lone piece runs at once, in a batch of its own. */
static void test_a_lone_piece_runs_alone(void)
{
	static struct batcher b = BATCHER_INIT(run, 1, 16);
	struct worker w[1];
	pthread_t t[1];
	reset(&b, 0);
	start(w, t, &b, 0, 1);
	pthread_join(t[0], NULL);
	CHECK_INT(atomic_load(&w[0].piece.runs), 1);
	CHECK_INT(atomic_load(&calls), 1);
	CHECK_INT(sizes[0], 1);
}

int main(void)
{
	test_a_lone_piece_runs_alone();
	test_queued_work_goes_in_batches_of_at_most_max();
	test_lanes_bound_the_batches_under_way();
	T_DONE();
}
