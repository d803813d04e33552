/*
 * Outbox delivery workers (see outbox.h). Each thread loops: claim one due
 * row (store/repo_outbox.h does the leasing) — for a webhook, then lease a
 * run of more due events of the same merchant — deliver, record the
 * outcomes; when nothing is due it sleeps APOTHECA_SWEEP_MS or until
 * outbox_stop() wakes it. The workers own no business state: everything
 * that must survive a crash or be shared between processes is in the row.
 *
 * Outcomes: delivered -> done; nothing to deliver to (a webhook for a
 * merchant without a webhook URL) -> done with a note; failed -> retried
 * with exponential backoff, or parked as failed once the row has been
 * failing for the give-up window; an undeliverable row (a refund payload
 * that is not a refund request, a logistics row that is not an event, an
 * unknown kind) -> parked at once.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "outbound/outbox.h"
#include "outbound/http_out.h"
#include "outbound/payment.h"
#include "app.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "store/repo_merchants.h"
#include "store/repo_outbox.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Delivery threads per process. */
#define OUTBOX_THREADS 4
/* How long a claim holds a row: far above one call's 5 s timeout. */
#define OUTBOX_LEASE_MS 30000
/* Longest refund id and reason taken from a refund payload. */
#define OUTBOX_MAX_REFUND_ID 128
#define OUTBOX_MAX_REFUND_TEXT 1024
/* Room for a delivery error kept in last_error. */
#define OUTBOX_ERR_CAP 256

enum outcome {
	OUT_DELIVERED, /* the merchant took it */
	OUT_NOTHING,   /* nowhere to deliver; done, with a note */
	OUT_RETRY,     /* failed this time; try again later */
	OUT_BROKEN,    /* can never succeed; park for an operator */
	OUT_UNTRIED,   /* left for the next claim: not sent this time */
};

static struct {
	struct app *app;
	pthread_t threads[OUTBOX_THREADS];
	size_t nthreads;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* signalled on stop; timed on CLOCK_MONOTONIC */
	int wake_ready;
	atomic_int stopping;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* xorshift64*: jitter only, so no need for a better generator. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * UINT64_C(2685821657736338717);
}

static void log_outcome(const struct outbox_row *row, const char *msg, const char *err)
{
	struct buf b;
	buf_init(&b);
	buf_addf(&b, "\"outbox_id\":%lld,\"kind\":", (long long)row->id);
	json_quote(&b, row->kind ? row->kind : "");
	buf_adds(&b, ",\"merchant\":");
	json_quote(&b, row->merchant_id ? row->merchant_id : "");
	buf_addf(&b, ",\"attempts\":%lld", (long long)row->attempts);
	if (err) {
		buf_adds(&b, ",\"error\":");
		json_quote(&b, err);
	}
	log_line(err ? LOG_WARN : LOG_INFO, NULL, msg, "%s", b.data);
	buf_release(&b);
}

/*
 * Reads a refund row's payload {refund_id, transaction_id, order_id,
 * amount, type, reason} into rq, pointing into *json (caller decrefs).
 */
static int parse_refund(const char *payload, json_t **json, struct refund_request *rq)
{
	json_error_t e;
	int64_t amount;
	json_t *j = payload ? json_loads(payload, 0, &e) : NULL;

	*json = j;
	memset(rq, 0, sizeof(*rq));
	if (!j || !json_is_object(j))
		return -1;
	if (jx_str(j, "refund_id", OUTBOX_MAX_REFUND_ID, &rq->refund_id) != 0 || !*rq->refund_id ||
	    jx_str(j, "order_id", OUTBOX_MAX_REFUND_ID, &rq->order_id) != 0 ||
	    jx_str(j, "type", 16, &rq->type) != 0 || jx_money(j, "amount", &amount) != 0 ||
	    jx_str(j, "transaction_id", PAYMENT_MAX_TXN_ID, &rq->transaction_id) < 0 ||
	    jx_str(j, "reason", OUTBOX_MAX_REFUND_TEXT, &rq->reason) < 0)
		return -1;
	if (strcmp(rq->type, "FULL") != 0 && strcmp(rq->type, "PARTIAL") != 0)
		return -1;
	rq->amount = amount;
	return 0;
}

/* A refund: POST {payment_api}/refunds with the same refund_id every time. */
static enum outcome deliver_refund(const struct merchant *m, const struct outbox_row *row,
				   char refund_id[OUTBOX_MAX_REFUND_ID + 1], char *err, size_t cap)
{
	struct refund_request rq;
	json_t *j;
	enum outcome out = OUT_DELIVERED;

	if (parse_refund(row->payload, &j, &rq)) {
		fmt_into(err, cap, "payload is not a refund request");
		out = OUT_BROKEN;
	} else if (payment_refund(m, &rq, err, cap) != APO_OK) {
		out = OUT_RETRY;
	} else {
		fmt_into(refund_id, OUTBOX_MAX_REFUND_ID + 1, "%s", rq.refund_id);
	}
	json_decref(j);
	return out;
}

/*
 * A pharmacy webhook counts as delivered only when the receiver answers a
 * JSON object with a "status" member (SPEC §4.3).
 */
static int answer_has_status(const struct http_out_resp *resp)
{
	json_error_t e;
	if (json_text_depth(resp->body.data, resp->body.len) > 32)
		return 0;
	json_t *j = json_loadb(resp->body.data, resp->body.len, 0, &e);
	int ok = j && json_is_object(j) && json_object_get(j, "status");
	json_decref(j);
	return ok;
}

/*
 * POSTs body to the merchant's webhook URL with its auth header and the
 * signature over exactly those bytes. needs_status: a pharmacy webhook,
 * which also needs a "status" in the answer; any other needs a 2xx only.
 */
static enum outcome post_webhook(const struct merchant *m, const char *body, size_t len,
				 int needs_status, char *err, size_t cap)
{
	struct http_out_resp resp;
	enum outcome out = OUT_RETRY;
	struct http_out_req rq = {.method = "POST",
				  .kind = "webhook",
				  .url = m->webhook_url,
				  .body = body,
				  .body_len = len,
				  .auth_header = m->webhook_auth_header,
				  .auth_value = m->webhook_auth_value,
				  .signing_secret = m->webhook_signing_secret};
	http_out_resp_init(&resp);
	if (http_out_send(&rq, &resp) != 0) {
		if (resp.outcome == HTTP_OUT_TIMEOUT)
			fmt_into(err, cap, "webhook receiver timed out");
		else
			fmt_into(err, cap, "webhook receiver unreachable: %s", resp.error);
	} else if (!http_out_ok_status(resp.status)) {
		fmt_into(err, cap, "webhook receiver answered %ld", resp.status);
	} else if (needs_status && !answer_has_status(&resp)) {
		fmt_into(err, cap, "webhook receiver answered %ld without a JSON \"status\"",
			 resp.status);
	} else {
		out = OUT_DELIVERED;
	}
	http_out_resp_release(&resp);
	return out;
}

static int has_webhook_url(const struct merchant *m, char *err, size_t cap)
{
	if (m->webhook_url && *m->webhook_url)
		return 1;
	fmt_into(err, cap, "skipped: the merchant has no webhook URL");
	return 0;
}

/* A pharmacy webhook: the stored payload is the request body, as it is. */
static enum outcome deliver_webhook(const struct merchant *m, const struct outbox_row *row,
				    char *err, size_t cap)
{
	if (!has_webhook_url(m, err, cap))
		return OUT_NOTHING;
	return post_webhook(m, row->payload ? row->payload : "",
			    row->payload ? strlen(row->payload) : 0, 1, err, cap);
}

/* The wait before the next try, after `attempts` failed ones. */
static int64_t next_try(int64_t now, int64_t attempts, uint64_t *rng)
{
	return now + outbox_backoff_ms(pool.app->cfg.retry_base_ms, attempts, next_random(rng));
}

/* Writes the outcome of one attempt to the row. */
static void record(struct store_conn *c, const struct outbox_row *row, enum outcome out,
		   const char *refund_id, const char *err, uint64_t *rng)
{
	int64_t now = now_ms();
	enum apo_result rc;

	/* A row that has failed for long enough is parked instead. */
	if (out == OUT_RETRY && now - row->first_at > pool.app->cfg.retry_give_up_ms)
		out = OUT_BROKEN;
	switch (out) {
	case OUT_DELIVERED:
		if (refund_id)
			rc = outbox_complete_refund(c, row->id, refund_id, now);
		else
			rc = outbox_complete(c, row->id, now, NULL);
		log_outcome(row, "outbox delivered", NULL);
		break;
	case OUT_NOTHING:
		rc = outbox_complete(c, row->id, now, err);
		break;
	case OUT_RETRY:
		rc = outbox_reschedule(c, row->id, next_try(now, row->attempts, rng), err);
		log_outcome(row, "outbox delivery failed; will retry", err);
		break;
	case OUT_BROKEN:
	default:
		rc = outbox_park(c, row->id, err);
		log_outcome(row, "outbox delivery parked as failed", err);
		break;
	}
	/* The lease runs out on its own and the row is delivered again. */
	if (rc != APO_OK)
		log_outcome(row, "cannot record an outbox outcome", apo_result_name(rc));
}

/* Delivers one claimed row that is not a webhook and records the outcome. */
static void deliver(struct store_conn *c, const struct outbox_row *row, uint64_t *rng)
{
	char err[OUTBOX_ERR_CAP] = "";
	char refund_id[OUTBOX_MAX_REFUND_ID + 1] = "";
	struct merchant m;
	enum outcome out;

	merchant_init(&m);
	enum apo_result rc = merchant_load(c, row->merchant_id, &m);
	if (rc != APO_OK) {
		fmt_into(err, sizeof(err), "cannot load merchant: %s", apo_result_name(rc));
		out = OUT_RETRY;
	} else if (strcmp(row->kind, OUTBOX_REFUND) == 0) {
		out = deliver_refund(&m, row, refund_id, err, sizeof(err));
	} else {
		fmt_into(err, sizeof(err), "unknown outbox kind");
		out = OUT_BROKEN;
	}
	merchant_release(&m);
	record(c, row, out, refund_id[0] ? refund_id : NULL, err, rng);
}

/*
 * The logistics envelope of one stored event {"event_id", "event_type",
 * "ts", "payload"}: {event_id, webhook_id, event_type, ts, retry_count,
 * payload}, retry_count being the failed attempts of this event so far.
 * NULL when the row holds no such event.
 */
static json_t *envelope(const struct outbox_row *row, const char *webhook_id)
{
	json_error_t e;
	json_t *ev = row->payload ? json_loads(row->payload, 0, &e) : NULL;
	json_t *out = NULL;
	const char *event_id = json_string_value(json_object_get(ev, "event_id"));
	const char *ts = json_string_value(json_object_get(ev, "ts"));
	json_t *payload = json_object_get(ev, "payload");

	if (event_id && *event_id && ts && json_is_object(payload))
		out = json_pack("{s:s,s:s,s:s,s:s,s:I,s:O}", "event_id", event_id, "webhook_id",
				webhook_id, "event_type", row->event_type, "ts", ts, "retry_count",
				(json_int_t)row->attempts, "payload", payload);
	json_decref(ev);
	return out;
}

/*
 * Binds the row's ids to this thread's log lines and outbound calls: the
 * queuing request's X-Request-ID, the merchant, the order, and the event
 * or refund id from the payload.
 */
static void log_bind_row(const struct outbox_row *row, struct log_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	log_bind(row->request_id, ctx);
	log_ctx_put(LOG_CTX_MERCHANT_ID, row->merchant_id);
	if (row->order_key && strncmp(row->order_key, "product:", 8) != 0)
		log_ctx_put(LOG_CTX_ORDER_ID, row->order_key);
	json_t *j = row->payload ? json_loads(row->payload, 0, NULL) : NULL;
	log_ctx_put(LOG_CTX_EVENT_ID, json_string_value(json_object_get(j, "event_id")));
	log_ctx_put(LOG_CTX_REFUND_ID, json_string_value(json_object_get(j, "refund_id")));
	json_decref(j);
}

/*
 * Sends logistics events (ascending ids) in one request: with the
 * merchant's webhook.batch on, a JSON array of envelopes; off, the one
 * event's envelope object itself (n is 1 then). Fills fates[i] for every
 * row: broken rows are parked on their own, the others share the
 * request's outcome.
 */
static void send_batch(const struct merchant *m, const struct outbox_row *const *batch, size_t n,
		       enum outcome *fates, char *err, size_t cap)
{
	char webhook_id[OUTBOX_WEBHOOK_ID_CAP];
	json_t *list = json_array();
	enum outcome out = OUT_NOTHING;

	outbox_webhook_id(m->id, webhook_id, sizeof(webhook_id));
	for (size_t i = 0; i < n; i++) {
		json_t *env = envelope(batch[i], webhook_id);
		fates[i] = env ? OUT_RETRY : OUT_BROKEN;
		if (env)
			json_array_append_new(list, env);
	}
	if (json_array_size(list) && has_webhook_url(m, err, cap)) {
		const json_t *doc = m->webhook_batch ? list : json_array_get(list, 0);
		size_t len;
		char *body = jx_dumps(doc, 15, &len);
		out = post_webhook(m, body, len, 0, err, cap);
		free(body);
	}
	for (size_t i = 0; i < n; i++)
		if (fates[i] != OUT_BROKEN)
			fates[i] = out;
	json_decref(list);
}

/*
 * Records a batch's outcomes in one transaction (see outbox_settle()).
 * as_one: the batch went as one request, so one line tells its outcome
 * (a run of single requests logged each as it went).
 */
static void record_batch(struct store_conn *c, const struct outbox_row *const *batch, size_t n,
			 const enum outcome *fates, const char *err, int as_one, uint64_t *rng)
{
	struct outbox_settlement *s = xcalloc(n, sizeof(*s));
	int64_t now = now_ms(), attempts = 0;
	size_t failed = 0, parked = 0;

	/* Failed rows back off together, as far as the most-tried of them. */
	for (size_t i = 0; i < n; i++)
		if (fates[i] == OUT_RETRY && batch[i]->attempts > attempts)
			attempts = batch[i]->attempts;
	int64_t next_at = next_try(now, attempts, rng);
	for (size_t i = 0; i < n; i++) {
		enum outcome out = fates[i];
		if (out == OUT_RETRY && now - batch[i]->first_at > pool.app->cfg.retry_give_up_ms)
			out = OUT_BROKEN;
		s[i].id = batch[i]->id;
		s[i].next_at = next_at;
		s[i].note = out == OUT_DELIVERED || out == OUT_UNTRIED ? NULL
			    : fates[i] == OUT_BROKEN			 ? "payload is not a logistics event"
									 : err;
		s[i].fate = out == OUT_RETRY	 ? OUTBOX_FATE_RETRY
			    : out == OUT_BROKEN	 ? OUTBOX_FATE_PARK
			    : out == OUT_UNTRIED ? OUTBOX_FATE_RELEASE
						 : OUTBOX_FATE_DONE;
		failed += out == OUT_RETRY || out == OUT_BROKEN;
		parked += out == OUT_BROKEN;
	}
	enum apo_result rc = outbox_settle(c, s, n, now);
	free(s);
	if (!as_one && rc == APO_OK)
		return;
	struct buf b;
	buf_init(&b);
	buf_addf(&b, "\"outbox_id\":%lld,\"merchant\":", (long long)batch[0]->id);
	json_quote(&b, batch[0]->merchant_id ? batch[0]->merchant_id : "");
	buf_addf(&b, ",\"events\":%zu,\"failed\":%zu,\"parked\":%zu", n, failed, parked);
	if (failed) {
		buf_adds(&b, ",\"error\":");
		json_quote(&b, err);
	}
	if (rc != APO_OK)
		buf_addf(&b, ",\"record_error\":\"%s\"", apo_result_name(rc));
	log_line(failed || rc != APO_OK ? LOG_WARN : LOG_INFO, NULL,
		 rc != APO_OK ? "cannot record a webhook batch outcome"
		 : failed     ? "webhook batch failed"
			      : "webhook batch delivered",
		 "%s", b.data);
	buf_release(&b);
}

/* One webhook row as its own request: a pharmacy body or one envelope. */
static enum outcome send_one(const struct merchant *m, const struct outbox_row *row,
			     const char *webhook_id, char *err, size_t cap)
{
	if (!outbox_event_is_logistics(row->event_type))
		return deliver_webhook(m, row, err, cap);
	if (!has_webhook_url(m, err, cap))
		return OUT_NOTHING;
	json_t *env = envelope(row, webhook_id);
	if (!env)
		return OUT_BROKEN;
	size_t len;
	char *body = jx_dumps(env, 15, &len);
	enum outcome out = post_webhook(m, body, len, 0, err, cap);
	free(body);
	json_decref(env);
	return out;
}

/*
 * A run of one merchant's events, each its own request, one after another
 * (ascending ids; the merchant still has one request in flight). The
 * first failure ends the run: the rest are left untried for the next
 * claim, so nothing overtakes a failed event of its order and a dead
 * receiver costs one timeout per claim, as a single row did. So does half
 * the lease: a slow receiver never lets the lease run out under a run.
 * err receives the failure's reason.
 */
static void send_each(const struct merchant *m, const struct outbox_row *const *run, size_t n,
		      enum outcome *fates, char *err, size_t cap)
{
	char webhook_id[OUTBOX_WEBHOOK_ID_CAP];
	int64_t until = now_ms() + OUTBOX_LEASE_MS / 2;
	int stopped = 0;
	struct log_ctx ctx;

	outbox_webhook_id(m->id, webhook_id, sizeof(webhook_id));
	for (size_t i = 0; i < n; i++) {
		if (stopped || now_ms() > until) {
			fates[i] = OUT_UNTRIED;
			continue;
		}
		char why[OUTBOX_ERR_CAP] = "";
		log_bind_row(run[i], &ctx);
		fates[i] = send_one(m, run[i], webhook_id, why, sizeof(why));
		if (fates[i] == OUT_DELIVERED)
			log_outcome(run[i], "outbox delivered", NULL);
		else if (fates[i] == OUT_BROKEN)
			log_outcome(run[i], "outbox delivery parked as failed",
				    "payload is not a logistics event");
		if (fates[i] == OUT_RETRY) {
			log_outcome(run[i], "outbox delivery failed; will retry", why);
			stopped = 1;
		}
		if (fates[i] == OUT_RETRY || fates[i] == OUT_NOTHING)
			fmt_into(err, cap, "%s", why);
		log_bind(NULL, NULL);
	}
}

/*
 * A claimed webhook row, and with it a run of its merchant's due events
 * (store/repo_outbox.h keeps each order's order): for a merchant whose
 * receiver takes arrays (webhook.batch) and a logistics head, up to
 * OUTBOX_BATCH_MAX logistics events in one request; otherwise up to as
 * many events, each its own request, one after another (send_each). The
 * claim's rules (one merchant's rows leased by one worker, the lowest
 * pending id of each order_key) keep each order's order either way; one
 * claim and one settling transaction serve the whole run.
 */
static void deliver_webhooks(struct store_conn *c, const struct outbox_row *head, uint64_t *rng)
{
	char err[OUTBOX_ERR_CAP] = "";
	struct outbox_row *more = NULL;
	size_t nmore = 0, n = 0;
	struct merchant m;

	merchant_init(&m);
	enum apo_result loaded = merchant_load(c, head->merchant_id, &m);
	int logistics = outbox_event_is_logistics(head->event_type);
	int as_one = loaded == APO_OK && m.webhook_batch && logistics;
	/* A merchant taking arrays gets its logistics events only in arrays. */
	enum outbox_run only = !m.webhook_batch ? OUTBOX_RUN_ANY
			       : logistics	? OUTBOX_RUN_LOGISTICS
						: OUTBOX_RUN_PHARMACY;
	if (loaded == APO_OK) {
		enum apo_result rc = outbox_claim_more(c, head, now_ms(), OUTBOX_LEASE_MS,
						       OUTBOX_BATCH_MAX, only, &more, &nmore);
		if (rc != APO_OK)
			log_warn("cannot claim more webhook events", "\"error\":\"%s\"",
				 apo_result_name(rc));
	}
	const struct outbox_row **batch = xcalloc(nmore + 1, sizeof(*batch));
	enum outcome *fates = xcalloc(nmore + 1, sizeof(*fates));
	/* In id order: head goes where its id falls among the others. */
	for (size_t i = 0; i <= nmore; i++) {
		if (head && (i == nmore || more[i].id > head->id)) {
			batch[n++] = head;
			head = NULL;
		}
		if (i < nmore)
			batch[n++] = &more[i];
	}

	if (loaded != APO_OK) {
		fmt_into(err, sizeof(err), "cannot load merchant: %s", apo_result_name(loaded));
		for (size_t i = 0; i < n; i++)
			fates[i] = OUT_RETRY;
		as_one = 1;
	} else if (as_one) {
		send_batch(&m, batch, n, fates, err, sizeof(err));
	} else {
		send_each(&m, batch, n, fates, err, sizeof(err));
	}
	merchant_release(&m);
	record_batch(c, batch, n, fates, err, as_one, rng);
	free(fates);
	free(batch);
	outbox_rows_free(more, nmore);
}

void outbox_webhook_id(const char *merchant_id, char *out, size_t cap)
{
	fmt_into(out, cap, "wh_%s", merchant_id ? merchant_id : "");
}

/* Claims and delivers one row; 0 when there was nothing to do. */
static int work_once(uint64_t *rng)
{
	struct log_ctx ctx;
	struct outbox_row row;
	struct store_conn *c = store_thread_conn(pool.app->store);
	if (!c)
		return 0;
	outbox_row_init(&row);
	enum apo_result rc = outbox_claim(c, now_ms(), OUTBOX_LEASE_MS, &row);
	if (rc != APO_OK) {
		if (rc != APO_ERR_NOT_FOUND)
			log_warn("outbox claim failed", "\"error\":\"%s\"", apo_result_name(rc));
		return 0;
	}
	log_bind_row(&row, &ctx);
	if (strcmp(row.kind, OUTBOX_WEBHOOK) == 0)
		deliver_webhooks(c, &row, rng);
	else
		deliver(c, &row, rng);
	log_bind(NULL, NULL);
	outbox_row_release(&row);
	return 1;
}

/* Sleeps up to ms, returning early when outbox_stop() is called. */
static void idle_wait(int64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool.lock);
	if (!atomic_load(&pool.stopping))
		pthread_cond_timedwait(&pool.wake, &pool.lock, &ts);
	pthread_mutex_unlock(&pool.lock);
}

static void *worker_main(void *arg)
{
	uint64_t rng =
	    (uint64_t)now_ms() ^ ((uint64_t)(uintptr_t)arg * UINT64_C(0x9E3779B97F4A7C15));
	if (!rng)
		rng = 1;
	while (!atomic_load(&pool.stopping)) {
		if (!work_once(&rng))
			idle_wait(pool.app->cfg.sweep_ms > 0 ? pool.app->cfg.sweep_ms : 1000);
	}
	return NULL;
}

int outbox_start(struct app *app)
{
	pthread_condattr_t attr;

	pool.app = app;
	atomic_store(&pool.stopping, 0);
	pool.nthreads = 0;
	if (pthread_condattr_init(&attr) || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&pool.wake, &attr)) {
		log_error("cannot set up outbox workers", NULL);
		return -1;
	}
	pthread_condattr_destroy(&attr);
	pool.wake_ready = 1;
	for (size_t i = 0; i < OUTBOX_THREADS; i++) {
		if (pthread_create(&pool.threads[i], NULL, worker_main,
				   (void *)(uintptr_t)(i + 1))) {
			log_error("cannot start an outbox worker", NULL);
			outbox_stop();
			return -1;
		}
		pool.nthreads++;
	}
	return 0;
}

void outbox_stop(void)
{
	pthread_mutex_lock(&pool.lock);
	atomic_store(&pool.stopping, 1);
	if (pool.wake_ready)
		pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	for (size_t i = 0; i < pool.nthreads; i++)
		pthread_join(pool.threads[i], NULL);
	pool.nthreads = 0;
	if (pool.wake_ready)
		pthread_cond_destroy(&pool.wake);
	pool.wake_ready = 0;
}
