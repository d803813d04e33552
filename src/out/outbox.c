/*
 * Outbox delivery workers (see outbox.h). Each thread loops: claim one due
 * row (store/repo_outbox.h does the leasing), deliver it, record the
 * outcome; when nothing is due it sleeps APOTHECA_SWEEP_MS or until
 * outbox_stop() wakes it. The workers own no business state: everything
 * that must survive a crash or be shared between processes is in the row.
 *
 * Outcomes: delivered -> done; nothing to deliver to (a webhook for a
 * merchant without a webhook URL) -> done with a note; failed -> retried
 * with exponential backoff, or parked as failed once the row has been
 * failing for OUTBOX_GIVE_UP_MS; an undeliverable row (a refund payload
 * that is not a refund request, an unknown kind) -> parked at once.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "out/outbox.h"
#include "out/http_out.h"
#include "out/payment.h"
#include "app.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "store/repo_merchants.h"
#include "store/repo_outbox.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/log.h"
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

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

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
 * Pharmacy webhooks ({"event_id", "grouped_orders": [...]}) count as
 * delivered only when the receiver answers a JSON object with a "status"
 * member (SPEC §4.3); any other payload (the logistics envelope) needs
 * just a 2xx.
 */
static int wants_status_answer(const char *payload)
{
	json_error_t e;
	json_t *j = payload ? json_loads(payload, 0, &e) : NULL;
	int wants = j && json_is_object(j) && json_object_get(j, "grouped_orders");
	json_decref(j);
	return wants;
}

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
 * A webhook: POST the stored payload as it is to the merchant's webhook
 * URL, with its auth header and the signature over exactly those bytes.
 */
static enum outcome deliver_webhook(const struct merchant *m, const struct outbox_row *row,
				    char *err, size_t cap)
{
	struct http_out_resp resp;
	enum outcome out = OUT_RETRY;

	if (!m->webhook_url || !*m->webhook_url) {
		fmt_into(err, cap, "skipped: the merchant has no webhook URL");
		return OUT_NOTHING;
	}
	struct http_out_req rq = {.method = "POST",
				  .url = m->webhook_url,
				  .body = row->payload ? row->payload : "",
				  .body_len = row->payload ? strlen(row->payload) : 0,
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
	} else if (wants_status_answer(row->payload) && !answer_has_status(&resp)) {
		fmt_into(err, cap, "webhook receiver answered %ld without a JSON \"status\"",
			 resp.status);
	} else {
		out = OUT_DELIVERED;
	}
	http_out_resp_release(&resp);
	return out;
}

/* Writes the outcome of one attempt to the row. */
static void record(struct store_conn *c, const struct outbox_row *row, enum outcome out,
		   const char *refund_id, const char *err, uint64_t *rng)
{
	int64_t now = wall_ms();
	enum apo_result rc;

	/* A row that has failed for long enough is parked instead. */
	if (out == OUT_RETRY && now - row->first_at > OUTBOX_GIVE_UP_MS)
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
		rc = outbox_reschedule(c, row->id,
				       now + outbox_backoff_ms(pool.app->cfg.retry_base_ms,
							       row->attempts, next_random(rng)),
				       err);
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

/* Delivers one claimed row and records the outcome. */
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
	} else if (strcmp(row->kind, OUTBOX_WEBHOOK) == 0) {
		out = deliver_webhook(&m, row, err, sizeof(err));
	} else {
		fmt_into(err, sizeof(err), "unknown outbox kind");
		out = OUT_BROKEN;
	}
	merchant_release(&m);
	record(c, row, out, refund_id[0] ? refund_id : NULL, err, rng);
}

/* Claims and delivers one row; 0 when there was nothing to do. */
static int work_once(uint64_t *rng)
{
	struct outbox_row row;
	struct store_conn *c = store_thread_conn(pool.app->store);
	if (!c)
		return 0;
	outbox_row_init(&row);
	enum apo_result rc = outbox_claim(c, wall_ms(), OUTBOX_LEASE_MS, &row);
	if (rc != APO_OK) {
		if (rc != APO_ERR_NOT_FOUND)
			log_warn("outbox claim failed", "\"error\":\"%s\"", apo_result_name(rc));
		return 0;
	}
	deliver(c, &row, rng);
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
	    (uint64_t)wall_ms() ^ ((uint64_t)(uintptr_t)arg * UINT64_C(0x9E3779B97F4A7C15));
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
