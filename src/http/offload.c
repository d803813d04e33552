/*
 * The offload pools (see offload.h). A request handed to a pool is
 * suspended in libmicrohttpd and resumed once its handler has replied.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "http/offload.h"
#include "http/req.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/counters.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/*
 * Threads and queue depth of the pool that runs order writes (ROUTE_OFFLOAD).
 * Many in flight, so that many share each commit: SQLite's group commit
 * and its one disk sync, PostgreSQL's batches of creates (service/orders.c
 * create_batch()), which also keep the creates queued on a busy stock row
 * to two per process. With eight threads on PostgreSQL (before batches,
 * when every create waited on the row by itself) hot SKUs went faster than
 * with sixteen; with batches sixteen are as fast or faster
 * (docs/BENCHMARKS.md, Sixth pass). On SQLite, 24 to 48 make creates
 * faster and the full checkout no faster or slower, 8 make both slower
 * (Thirteenth pass).
 */
#define SERVER_OFFLOAD_THREADS 16
#define SERVER_OFFLOAD_QUEUE 1024
/*
 * The pool for requests that wait on a merchant's system: threads, queue
 * depth, and how many of one merchant's requests may be queued or running
 * at once (so SERVER_OUTBOUND_THREADS / SERVER_MERCHANT_MAX_INFLIGHT
 * merchants can be slow at the same time before anyone else waits). Each
 * thread that has run a job holds a database connection: mind PostgreSQL's
 * max_connections when raising it.
 */
#define SERVER_OUTBOUND_THREADS 32
#define SERVER_OUTBOUND_QUEUE 1024
#define SERVER_MERCHANT_MAX_INFLIGHT 8
/*
 * A merchant's requests past its share wait their turn, suspended and
 * holding no thread: at most this many, and a request that waited longer
 * than SERVER_MERCHANT_MAX_WAIT_MS by the time its turn comes is answered
 * 503 instead (its client was better off retrying). Without the wait, a
 * burst against a fast payment API on a busy machine was refused though
 * the API answered at once (docs/BENCHMARKS.md, Twelfth pass).
 */
#define SERVER_MERCHANT_MAX_WAITING 56
#define SERVER_MERCHANT_MAX_WAIT_MS 2000
/* Retry-After (seconds, as text) when a merchant's share is full. */
#define SERVER_MERCHANT_RETRY_AFTER_S "2"

/*
 * Offload pools: bounded queues under one mutex each, served by their own
 * threads. Two of them, so that waiting on merchants never holds up other
 * work (a bulkhead): `writes` runs the routes marked ROUTE_OFFLOAD (order
 * writes), `outbound` runs requests that call a merchant's system
 * (req_offload_merchant). In the outbound pool each merchant may have at
 * most SERVER_MERCHANT_MAX_INFLIGHT requests queued or running, so one
 * merchant's slow payment API can take at most that many outbound threads
 * and never any writer. Its requests past that wait in the pool's waiting
 * list (no thread, no queue slot) until one of its own leaves the share;
 * past SERVER_MERCHANT_MAX_WAITING of them, they are answered 503 at once.
 */
#define SERVER_MERCHANT_KEY_CAP 72

struct offload_job {
	struct req *r;
	route_fn fn;
	char key[SERVER_MERCHANT_KEY_CAP]; /* the merchant whose share it counts in */
	int counted;			   /* 1: it counts in key's share */
	int64_t since_ns;		   /* when it came, monotonic (waiting jobs) */
};

struct inflight {
	char key[SERVER_MERCHANT_KEY_CAP];
	unsigned n;	  /* queued + running */
	unsigned waiting; /* in the pool's waiting list; n and waiting 0: free */
};

struct pool {
	const char *name;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct offload_job *jobs;
	size_t cap, head, count;
	int stop;
	pthread_t *threads;
	size_t want, nthreads;
	struct inflight *inflight; /* cap slots, outbound pool only */
	/* Jobs past their merchant's share, oldest first; count + nwaiting <= cap. */
	struct offload_job *waiting;
	size_t nwaiting;
	struct app *app;
};

static struct pool writes_pool = {.name = "writes",
				  .lock = PTHREAD_MUTEX_INITIALIZER,
				  .wake = PTHREAD_COND_INITIALIZER,
				  .cap = SERVER_OFFLOAD_QUEUE,
				  .want = SERVER_OFFLOAD_THREADS};
static struct pool outbound_pool = {.name = "outbound",
				    .lock = PTHREAD_MUTEX_INITIALIZER,
				    .wake = PTHREAD_COND_INITIALIZER,
				    .cap = SERVER_OUTBOUND_QUEUE,
				    .want = SERVER_OUTBOUND_THREADS};

/* The in-flight slot of key (NULL for none); with create, a free one if new. */
static struct inflight *inflight_slot(struct pool *p, const char *key, int create)
{
	struct inflight *free_slot = NULL;
	for (size_t i = 0; i < p->cap; i++) {
		int used = p->inflight[i].n || p->inflight[i].waiting;
		if (used && strcmp(p->inflight[i].key, key) == 0)
			return &p->inflight[i];
		if (!used && !free_slot)
			free_slot = &p->inflight[i];
	}
	if (create && free_slot)
		fmt_into(free_slot->key, sizeof(free_slot->key), "%s", key);
	return create ? free_slot : NULL;
}

/* The job this pool thread runs, for offload_merchant_call_done(). */
static __thread struct offload_job *current_job;
static __thread struct pool *current_pool;

/* The answer of a request refused for its merchant's share. */
static void reply_merchant_busy(struct req *r)
{
	counters_merchant_share(1);
	req_add_header(r, "Retry-After", SERVER_MERCHANT_RETRY_AFTER_S);
	req_fail(r, 503, "busy",
		 "Too many calls to this merchant's systems in flight; retry later");
}

/* Appends job to p's queue (the caller holds p->lock and made room). */
static void enqueue(struct pool *p, const struct offload_job *job)
{
	p->jobs[(p->head + p->count) % p->cap] = *job;
	p->count++;
	pthread_cond_signal(&p->wake);
}

/*
 * Moves f's oldest waiting jobs to the queue while its share has room (all
 * of them, as refusals, when the pool stops). A job that waited longer than
 * SERVER_MERCHANT_MAX_WAIT_MS goes as a refusal that takes no share. The
 * caller holds p->lock.
 */
static void promote_waiting(struct pool *p, struct inflight *f)
{
	int64_t now = now_ns();
	size_t i = 0;
	while (f->waiting && (f->n < SERVER_MERCHANT_MAX_INFLIGHT || p->stop) && i < p->nwaiting) {
		if (strcmp(p->waiting[i].key, f->key) != 0) {
			i++;
			continue;
		}
		struct offload_job job = p->waiting[i];
		memmove(&p->waiting[i], &p->waiting[i + 1],
			(p->nwaiting - i - 1) * sizeof(*p->waiting));
		p->nwaiting--;
		f->waiting--;
		if (p->stop ||
		    now - job.since_ns > SERVER_MERCHANT_MAX_WAIT_MS * INT64_C(1000000)) {
			job.fn = reply_merchant_busy;
			job.counted = 0;
		} else {
			f->n++;
		}
		enqueue(p, &job);
	}
}

/* Takes job out of its merchant's share (once), letting the next one in. */
static void uncount(struct pool *p, struct offload_job *job)
{
	if (!job->counted)
		return;
	pthread_mutex_lock(&p->lock);
	struct inflight *f = inflight_slot(p, job->key, 0);
	if (f) {
		f->n--;
		promote_waiting(p, f);
	}
	pthread_mutex_unlock(&p->lock);
	job->counted = 0;
}

void offload_merchant_call_done(void)
{
	if (current_job && current_pool)
		uncount(current_pool, current_job);
}

static void run_job(struct pool *p, struct offload_job *job)
{
	struct req *r = job->r;
	/* A refusal for the merchant's share needs no database. */
	int needs_db = job->fn != reply_merchant_busy;
	r->db = needs_db ? store_thread_conn(p->app->store) : NULL;
	if (needs_db && !r->db) {
		req_add_header(r, "Retry-After", "1");
		req_fail(r, 503, "unavailable", "Database unavailable");
	} else {
		job->fn(r);
	}
	if (!r->replied)
		req_fail(r, 500, "internal", "Internal error");
	if (r->finish && r->db)
		r->finish(r);
}

static void *pool_main(void *arg)
{
	struct pool *p = arg;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->count && !p->stop)
			pthread_cond_wait(&p->wake, &p->lock);
		if (!p->count) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		struct offload_job job = p->jobs[p->head];
		p->head = (p->head + 1) % p->cap;
		p->count--;
		pthread_mutex_unlock(&p->lock);

		struct req *r = job.r;
		log_bind(r->request_id, &r->log);
		current_job = &job;
		current_pool = p;
		run_job(p, &job);
		current_job = NULL;
		current_pool = NULL;
		uncount(p, &job);
		log_bind(NULL, NULL);
		__atomic_store_n(&r->done_async, 1, __ATOMIC_RELEASE);
		MHD_resume_connection(r->conn);
	}
}

static int pool_start(struct pool *p, struct app *app)
{
	p->app = app;
	p->stop = 0;
	p->head = p->count = 0;
	p->jobs = xcalloc(p->cap, sizeof(*p->jobs));
	p->inflight = xcalloc(p->cap, sizeof(*p->inflight));
	p->waiting = xcalloc(p->cap, sizeof(*p->waiting));
	p->nwaiting = 0;
	p->threads = xcalloc(p->want, sizeof(*p->threads));
	for (p->nthreads = 0; p->nthreads < p->want; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, pool_main, p))
			return -1;
	return 0;
}

static void pool_stop(struct pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	/* Waiting requests are answered (refused) before the threads go. */
	for (size_t i = 0; p->inflight && i < p->cap; i++)
		if (p->inflight[i].waiting)
			promote_waiting(p, &p->inflight[i]);
	pthread_cond_broadcast(&p->wake);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
	free(p->threads);
	free(p->jobs);
	free(p->inflight);
	free(p->waiting);
	p->threads = NULL;
	p->jobs = NULL;
	p->inflight = NULL;
	p->waiting = NULL;
	p->nwaiting = 0;
}

int offload_start(struct app *app)
{
	return pool_start(&writes_pool, app) || pool_start(&outbound_pool, app) ? -1 : 0;
}

void offload_stop(void)
{
	pool_stop(&outbound_pool);
	pool_stop(&writes_pool);
}

/*
 * Queues r on p, or with key's share full makes it wait its turn; answers
 * 503 (in r's dialect) when p is full or key has too many waiting.
 */
static void pool_submit(struct pool *p, struct req *r, route_fn fn, const char *key)
{
	struct inflight *f = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->count + p->nwaiting == p->cap || p->stop || !p->jobs) {
		pthread_mutex_unlock(&p->lock);
		req_add_header(r, "Retry-After", "1");
		req_fail(r, 503, "busy",
			 p == &outbound_pool ? "Too many requests waiting on merchant systems"
				     : "Too many writes waiting; retry shortly");
		return;
	}
	struct offload_job job = {.r = r, .fn = fn};
	fmt_into(job.key, sizeof(job.key), "%s", key ? key : "");
	if (key) {
		f = inflight_slot(p, key, 1);
		if (!f || (f->n >= SERVER_MERCHANT_MAX_INFLIGHT &&
			   f->waiting >= SERVER_MERCHANT_MAX_WAITING)) {
			pthread_mutex_unlock(&p->lock);
			reply_merchant_busy(r);
			return;
		}
	}
	r->went_async = 1;
	MHD_suspend_connection(r->conn);
	if (f && f->n >= SERVER_MERCHANT_MAX_INFLIGHT) {
		job.counted = 1;
		job.since_ns = now_ns();
		p->waiting[p->nwaiting++] = job;
		f->waiting++;
		counters_merchant_share(0);
	} else {
		job.counted = f != NULL;
		if (f)
			f->n++;
		enqueue(p, &job);
	}
	pthread_mutex_unlock(&p->lock);
}

void req_offload(struct req *r, route_fn fn)
{
	pool_submit(&writes_pool, r, fn, NULL);
}

void req_offload_merchant(struct req *r, const char *merchant_id, route_fn fn)
{
	pool_submit(&outbound_pool, r, fn, merchant_id ? merchant_id : "");
}
