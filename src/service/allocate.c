/*
 * Allocation of waiting orders when stock rises (see allocate.h).
 */
#include <stdlib.h>
#include <string.h>

#include "service/allocate.h"
#include "service/orders.h"
#include "app.h"
#include "core/order_state.h"
#include "store/repo_catalog.h"
#include "store/repo_orders.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Orders one pass may move; more wait for the next pass of the trigger. */
#define ALLOC_BATCH 64
/* Passes one trigger runs at most (each a transaction). */
#define ALLOC_MAX_PASSES 8
/* Attempts of a pass that lost a lock race (deadlock, lock timeout). */
#define ALLOC_TRIES 3
/*
 * Products one transaction's rises remember (an import may raise many);
 * beyond, its pass serves every waiting order that fits instead.
 */
#define ALLOC_PENDING_MAX 256
/* Orders per sweep. */
#define ALLOC_SWEEP_BATCH 32

static struct app *the_app;

/*
 * The rises of the transaction open on this thread, served when it
 * commits and forgotten when it rolls back. A connection belongs to one
 * thread, and a transaction begins and ends on it.
 */
static __thread int64_t pending[ALLOC_PENDING_MAX];
static __thread size_t npending;
static __thread int pending_overflow;
/* The order that gave units back in this transaction (an order id, or ""). */
static __thread char pending_exclude[ORDER_ID_LEN + 1];
/* Set while this thread runs a pass: its own commits are not triggers. */
static __thread int running;

static void note_rise(struct store_conn *c, int64_t pid, const char *order_id)
{
	(void)c;
	if (running)
		return;
	if (order_id && !pending_exclude[0])
		fmt_into(pending_exclude, sizeof(pending_exclude), "%s", order_id);
	for (size_t i = 0; i < npending; i++)
		if (pending[i] == pid)
			return;
	if (npending == ALLOC_PENDING_MAX)
		pending_overflow = 1;
	else
		pending[npending++] = pid;
}

static size_t allocate_ready(struct app *app, struct store_conn *c, int with_held,
			     const char *exclude);

static void on_end(struct store_conn *c, int committed)
{
	if (running || (!npending && !pending_overflow))
		return;
	size_t n = npending;
	int overflow = pending_overflow;
	int64_t pids[ALLOC_PENDING_MAX];
	char exclude[ORDER_ID_LEN + 1];
	memcpy(pids, pending, n * sizeof(*pids));
	fmt_into(exclude, sizeof(exclude), "%s", pending_exclude);
	npending = 0;
	pending_overflow = 0;
	pending_exclude[0] = '\0';
	if (!committed)
		return;
	if (overflow)
		allocate_ready(the_app, c, 1, exclude[0] ? exclude : NULL);
	else
		allocate_products(the_app, c, pids, n, exclude[0] ? exclude : NULL, NULL);
}

void allocate_init(struct app *app)
{
	the_app = app;
	stock_observe_rise(note_rise);
	store_on_end(on_end);
}

/* Queue order: when the wait started, then the row id. */
static int waiter_cmp(const void *a, const void *b)
{
	const struct order_waiter *x = a, *y = b;
	if (x->since_ms != y->since_ms)
		return x->since_ms < y->since_ms ? -1 : 1;
	return x->oid < y->oid ? -1 : x->oid > y->oid;
}

static int oid_cmp(const void *a, const void *b)
{
	const struct order *const *x = a, *const *y = b;
	return (*x)->oid < (*y)->oid ? -1 : (*x)->oid > (*y)->oid;
}

static int pid_cmp(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;
	return *x < *y ? -1 : *x > *y;
}

/* The stock a pass holds locked: one product's available units. */
struct held_stock {
	int64_t pid;
	int64_t available;
};

static struct held_stock *held_find(struct held_stock *h, size_t n, int64_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (h[i].pid == pid)
			return &h[i];
	return NULL;
}

/* Units of product pid order o still needs (every open unit not reserved). */
static int64_t order_wants(const struct order *o, int64_t pid)
{
	int64_t want = 0;
	for (size_t i = 0; i < o->nlines; i++)
		if (o->lines[i].pid == pid)
			want += order_line_open_qty(&o->lines[i]) - o->lines[i].reserved_qty;
	return want;
}

/* True when every product o needs has enough in h (of n). */
static int order_fits(const struct order *o, const struct held_stock *h, size_t n)
{
	for (size_t i = 0; i < o->nlines; i++) {
		const struct order_line *l = &o->lines[i];
		int64_t want = order_wants(o, l->pid);
		if (!l->pid || want <= 0)
			continue;
		const struct held_stock *s = held_find((struct held_stock *)h, n, l->pid);
		if (!s || s->available < want)
			return 0;
	}
	return 1;
}

static void take(const struct order *o, struct held_stock *h, size_t n)
{
	int64_t done[ORDER_MAX_LINES];
	size_t ndone = 0;
	for (size_t i = 0; i < o->nlines; i++) {
		int64_t pid = o->lines[i].pid;
		size_t k;
		for (k = 0; k < ndone && done[k] != pid; k++)
			;
		if (!pid || k < ndone)
			continue;
		done[ndone++] = pid;
		struct held_stock *s = held_find(h, n, pid);
		if (s)
			s->available -= order_wants(o, pid);
	}
}

/*
 * In the caller's write transaction: locks the stock rows of every
 * product the n orders need, in ascending pid, into *h (*nh of them).
 */
static enum apo_result lock_stock(struct store_conn *c, struct order **os, size_t n,
				  struct held_stock **h, size_t *nh)
{
	size_t cap = 0, k = 0;
	int64_t *pids = NULL;
	enum apo_result rc = APO_OK;
	for (size_t i = 0; i < n; i++)
		cap += os[i]->nlines;
	pids = xmalloc((cap ? cap : 1) * sizeof(*pids));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < os[i]->nlines; j++)
			if (os[i]->lines[j].pid)
				pids[k++] = os[i]->lines[j].pid;
	qsort(pids, k, sizeof(*pids), pid_cmp);
	*h = xmalloc((k ? k : 1) * sizeof(**h));
	*nh = 0;
	for (size_t i = 0; i < k && rc == APO_OK; i++) {
		int64_t on_hand, reserved;
		if (i && pids[i] == pids[i - 1])
			continue;
		rc = stock_lock(c, pids[i], &on_hand, &reserved);
		(*h)[*nh].pid = pids[i];
		(*h)[(*nh)++].available = on_hand - reserved;
	}
	free(pids);
	return rc;
}

/*
 * In the caller's write transaction: the pass over the waiters w[0..n)
 * (in queue order). Locks their rows in oid order, keeps those still
 * waiting (except `exclude`), locks their stock, and moves those that fit.
 */
static enum apo_result pass_in_tx(struct app *app, struct store_conn *c,
				  const struct order_waiter *w, size_t n, const char *exclude,
				  size_t *allocated)
{
	struct order *os[ALLOC_BATCH], *by_oid[ALLOC_BATCH];
	struct held_stock *h = NULL;
	size_t nos = 0, nh = 0;
	enum apo_result rc = APO_OK;

	for (size_t i = 0; i < n && i < ALLOC_BATCH; i++) {
		os[i] = order_new();
		os[i]->oid = w[i].oid;
		by_oid[i] = os[i];
		nos++;
	}
	/* Order rows first, in one order for every pass: no two passes wait
	 * for each other's rows, and no stock row is held while waiting. */
	qsort(by_oid, nos, sizeof(*by_oid), oid_cmp);
	for (size_t i = 0; i < nos && rc == APO_OK; i++)
		rc = order_lock(c, by_oid[i]);
	if (rc != APO_OK)
		goto out;
	/* Keep only the orders still waiting now that they are locked. */
	size_t keep = 0;
	for (size_t i = 0; i < nos; i++) {
		struct order *o = os[i];
		if (o->status_id == ST_ALLOCATION_FAILED &&
		    !(exclude && strcmp(o->order_id, exclude) == 0))
			os[keep++] = o;
		else
			order_free(o);
	}
	nos = keep;
	if ((rc = lock_stock(c, os, nos, &h, &nh)) != APO_OK)
		goto out;
	for (size_t i = 0; i < nos && rc == APO_OK; i++) {
		if (!order_fits(os[i], h, nh))
			continue;
		take(os[i], h, nh);
		rc = orders_move(app, c, os[i], ST_ALLOCATION, NULL, ACTOR_SYSTEM, ALLOCATE_NOTE,
				 NULL);
		if (rc == APO_OK) {
			(*allocated)++;
			log_info("order allocated", "\"order_id\":\"%s\"", os[i]->order_id);
		}
	}
out:
	for (size_t i = 0; i < nos; i++)
		order_free(os[i]);
	free(h);
	return rc;
}

/* One pass over w[0..n) in its own transaction, retried after a lost lock race. */
static enum apo_result pass(struct app *app, struct store_conn *c, const struct order_waiter *w,
			    size_t n, const char *exclude, size_t *allocated)
{
	enum apo_result rc = APO_ERR_BUSY;
	size_t got = 0;
	for (int t = 0; t < ALLOC_TRIES && rc == APO_ERR_BUSY; t++) {
		got = 0;
		if ((rc = store_begin(c, STORE_TX_WRITE)) != APO_OK)
			continue;
		rc = pass_in_tx(app, c, w, n, exclude, &got);
		if (rc == APO_OK)
			rc = store_commit(c);
		if (rc != APO_OK)
			store_rollback(c);
		if (order_move_lost(c, rc))
			rc = APO_ERR_BUSY;
	}
	if (rc == APO_OK)
		*allocated += got;
	else
		log_warn("allocation pass failed", "\"orders\":%zu,\"result\":\"%s\"", n,
			 apo_result_name(rc));
	return rc;
}

/*
 * Adds waiter x to w (*n of cap) unless it is there; when w is full, x
 * takes the place of the last in queue order if it comes before it, so w
 * keeps the first cap waiters of everything added.
 */
static void add_waiter(struct order_waiter *w, size_t *n, size_t cap, const struct order_waiter *x)
{
	size_t last = 0;
	for (size_t i = 0; i < *n; i++) {
		if (w[i].oid == x->oid)
			return;
		if (waiter_cmp(&w[i], &w[last]) > 0)
			last = i;
	}
	if (*n < cap)
		w[(*n)++] = *x;
	else if (waiter_cmp(x, &w[last]) < 0)
		w[last] = *x;
}

static int any_fits(const struct order_waiter *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i].fits)
			return 1;
	return 0;
}

enum apo_result allocate_products(struct app *app, struct store_conn *c, const int64_t *pids,
				  size_t n, const char *exclude, size_t *allocated)
{
	struct order_waiter w[ALLOC_BATCH], got[ALLOC_BATCH], after;
	size_t total = 0;
	enum apo_result rc = APO_OK;
	int was_running = running, have_after = 0;

	running = 1;
	for (int p = 0; p < ALLOC_MAX_PASSES && rc == APO_OK; p++) {
		size_t nw = 0;
		/* Each product's queue from where the last pass ended, merged
		 * into one queue; read outside any transaction. */
		for (size_t i = 0; i < n && rc == APO_OK; i++) {
			size_t k = 0;
			rc = order_waiting_on(c, pids[i], 1, have_after ? &after : NULL, got,
					      ALLOC_BATCH, &k);
			for (size_t j = 0; j < k; j++)
				add_waiter(w, &nw, ALLOC_BATCH, &got[j]);
		}
		if (rc != APO_OK || nw == 0)
			break;
		qsort(w, nw, sizeof(*w), waiter_cmp);
		/* A pass only takes units, so an order passed over stays so for
		 * this trigger: the next pass starts after the last one seen. */
		after = w[nw - 1];
		have_after = 1;
		/* No write transaction when none of them could fit even alone:
		 * a rise after that read runs a pass of its own. */
		if (any_fits(w, nw))
			rc = pass(app, c, w, nw, exclude, &total);
	}
	running = was_running;
	if (allocated)
		*allocated = total;
	return rc;
}

/* One pass over the waiting orders (held ones too when with_held) that fit now. */
static size_t allocate_ready(struct app *app, struct store_conn *c, int with_held,
			     const char *exclude)
{
	struct order_waiter w[ALLOC_SWEEP_BATCH];
	size_t n = 0, total = 0;
	int was_running = running;
	if (order_waiting_ready(c, with_held, w, ALLOC_SWEEP_BATCH, &n) != APO_OK || n == 0)
		return 0;
	running = 1;
	pass(app, c, w, n, exclude, &total);
	running = was_running;
	return total;
}

void allocate_task(struct app *app, struct store_conn *c)
{
	size_t total = allocate_ready(app, c, 0, NULL);
	if (total)
		log_info("allocation: the sweeper allocated waiting orders", "\"orders\":%zu",
			 total);
}

enum apo_result allocate_queue(struct store_conn *c, int64_t pid, size_t offset, size_t limit,
			       void (*fn)(const struct allocate_entry *e, void *ctx), void *ctx,
			       int *more)
{
	struct order_waiter w[ALLOC_BATCH];
	struct order_waiter last;
	size_t seen = 0, shown = 0, n = 0;
	int have_last = 0;
	enum apo_result rc;
	struct order *o = order_new();

	*more = 0;
	do {
		rc = order_waiting_on(c, pid, 1, have_last ? &last : NULL, w, ALLOC_BATCH, &n);
		for (size_t i = 0; rc == APO_OK && i < n; i++, seen++) {
			if (seen < offset)
				continue;
			if (shown == limit) {
				*more = 1;
				goto out;
			}
			o->oid = w[i].oid;
			rc = order_reload(c, o);
			if (rc == APO_ERR_NOT_FOUND) {
				rc = APO_OK;
				continue;
			}
			if (rc != APO_OK)
				break;
			int fits = 1;
			for (size_t j = 0; j < o->nlines && fits; j++) {
				int64_t on_hand, reserved, pl = o->lines[j].pid;
				if (!pl || order_wants(o, pl) <= 0)
					continue;
				rc = stock_counts(c, pl, &on_hand, &reserved);
				if (rc != APO_OK)
					break;
				fits = on_hand - reserved >= order_wants(o, pl);
			}
			if (rc != APO_OK)
				break;
			struct allocate_entry e = {.position = seen + 1,
						   .since_ms = w[i].since_ms,
						   .hold = w[i].hold,
						   .wants = order_wants(o, pid),
						   .fits = fits,
						   .o = o};
			fn(&e, ctx);
			shown++;
		}
		if (n) {
			last = w[n - 1];
			have_last = 1;
		}
	} while (rc == APO_OK && n == ALLOC_BATCH);
out:
	order_free(o);
	return rc;
}
