/*
 * The outbox repository on a real SQLite database: which row a claim
 * picks (order per order_key, one leased row per merchant, leases that
 * expire), the outcomes of a delivery, operator retries, and the backoff.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/merchant.h"
#include "store/repo_merchants.h"
#include "store/repo_outbox.h"
#include "store/store.h"
#include "t.h"
#include "t_store.h"

static struct store_sql q_order = {
    .sql = "INSERT INTO orders (order_id, hex_id, merchant_id, merchant_order_id, dialect, "
	   "status_id, created, updated, status_changed) "
	   "VALUES ('PO00000000000001', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'm1', 'MO1', 'pharmacy', "
	   "99, 1, 1, 1)"};
static struct store_sql q_refund = {
    .sql = "INSERT INTO refunds (refund_id, oid, transaction_id, amount, type, state, created) "
	   "SELECT 'RF1', oid, 'T1', 63280, 'FULL', 'pending', 1 FROM orders"};
static struct store_sql q_refund_state = {
    .sql = "SELECT completed FROM refunds WHERE refund_id = 'RF1' AND state = 'done'"};

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t add_event(struct store_conn *c, const char *merchant, const char *key,
			 const char *kind, const char *event_type)
{
	static int64_t n;
	CHECK_INT(store_begin(c, STORE_TX_WRITE), APO_OK);
	CHECK_INT(outbox_add(c, kind, merchant, key, event_type, "{\"x\":1}"), APO_OK);
	CHECK_INT(store_commit(c), APO_OK);
	return ++n; /* ids of a fresh table count from 1 */
}

static int64_t add(struct store_conn *c, const char *merchant, const char *key, const char *kind)
{
	return add_event(c, merchant, key, kind, OUTBOX_EV_ORDER_STATUS);
}

/* Claims at now and returns the row id, or 0 when nothing was claimed. */
static int64_t claim(struct store_conn *c, int64_t now)
{
	struct outbox_row r;
	outbox_row_init(&r);
	enum apo_result rc = outbox_claim(c, now, 30000, &r);
	int64_t id = rc == APO_OK ? r.id : 0;
	if (rc == APO_OK)
		CHECK(r.lease_until == now + 30000);
	else
		CHECK_INT(rc, APO_ERR_NOT_FOUND);
	outbox_row_release(&r);
	return id;
}

/* Claims the next row at now, which must be want, and marks it delivered. */
static void deliver_next(struct store_conn *c, int64_t now, int64_t want)
{
	CHECK_INT(claim(c, now), want);
	CHECK_INT(outbox_complete(c, want, now, NULL), APO_OK);
}

static void test_claims(struct store_conn *c)
{
	int64_t a1 = add(c, "m1", "O1", OUTBOX_WEBHOOK);
	int64_t a2 = add(c, "m1", "O1", OUTBOX_WEBHOOK);
	int64_t b1 = add(c, "m2", "O2", OUTBOX_WEBHOOK);
	int64_t c1 = add(c, "m1", "O3", OUTBOX_WEBHOOK);
	int64_t now = wall_ms() + 10;
	struct outbox_row r;

	/* Oldest first; then m1 is busy, so the next claim goes to m2. */
	CHECK_INT(claim(c, now), a1);
	CHECK_INT(claim(c, now), b1);
	CHECK_INT(claim(c, now), 0);

	/* a1 fails: a2 (same order) waits for it, c1 (another order) does not. */
	CHECK_INT(outbox_reschedule(c, a1, now + 1000, "receiver answered 500"), APO_OK);
	outbox_row_init(&r);
	CHECK_INT(outbox_get(c, a1, &r), APO_OK);
	CHECK_INT(r.attempts, 1);
	CHECK_INT(r.lease_until, 0);
	CHECK_STR(r.last_error, "receiver answered 500");
	CHECK_STR(r.state, OUTBOX_PENDING);
	outbox_row_release(&r);
	deliver_next(c, now, c1);
	CHECK_INT(outbox_complete(c, b1, now, NULL), APO_OK);
	CHECK_INT(outbox_complete(c, b1, now, NULL), APO_ERR_NOT_FOUND);
	CHECK_INT(claim(c, now), 0);

	/* Once a1 is due again it goes first, and a2 only after it is done. */
	CHECK_INT(claim(c, now + 1000), a1);
	CHECK_INT(claim(c, now + 1000), 0);
	CHECK_INT(outbox_complete(c, a1, now + 1000, NULL), APO_OK);
	CHECK_INT(claim(c, now + 1000), a2);

	/* A lease that ran out (a crashed worker) lets the row be claimed again. */
	CHECK_INT(claim(c, now + 1000 + 29999), 0);
	CHECK_INT(claim(c, now + 1000 + 30001), a2);

	outbox_row_init(&r);
	CHECK_INT(outbox_get(c, a1, &r), APO_OK);
	CHECK_STR(r.state, OUTBOX_DONE);
	CHECK_INT(r.delivered_at, now + 1000);
	CHECK(r.last_error == NULL);
	outbox_row_release(&r);

	int64_t pending = -1;
	CHECK_INT(outbox_count(c, OUTBOX_PENDING, &pending), APO_OK);
	CHECK_INT(pending, 1);
}

static void test_park_and_retry(struct store_conn *c)
{
	struct outbox_row r, *rows;
	size_t n;
	int64_t a2 = 2, now = wall_ms();

	CHECK_INT(outbox_park(c, a2, "gave up"), APO_OK);
	CHECK_INT(outbox_list(c, OUTBOX_FAILED, 10, &rows, &n), APO_OK);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_INT(rows[0].id, a2);
		CHECK_STR(rows[0].last_error, "gave up");
		CHECK_STR(rows[0].order_key, "O1");
		CHECK_STR(rows[0].payload, "{\"x\":1}");
	}
	outbox_rows_free(rows, n);
	CHECK_INT(outbox_list(c, NULL, 2, &rows, &n), APO_OK);
	CHECK_INT(n, 2);
	if (n == 2)
		CHECK(rows[0].id > rows[1].id);
	outbox_rows_free(rows, n);

	/* A parked row is not claimed; a retry makes it due with a fresh window,
	 * keeping its count of failed attempts (a receiver's retry_count). */
	CHECK_INT(claim(c, now + 100000), 0);
	outbox_row_init(&r);
	CHECK_INT(outbox_retry(c, a2, now, &r), APO_OK);
	CHECK_STR(r.state, OUTBOX_PENDING);
	CHECK_INT(r.attempts, 1);
	CHECK_INT(r.first_at, now);
	CHECK_INT(r.next_at, now);
	outbox_row_release(&r);
	CHECK_INT(outbox_retry(c, a2, now, &r), APO_ERR_STATE);
	CHECK_INT(outbox_retry(c, 9999, now, &r), APO_ERR_NOT_FOUND);
	deliver_next(c, now, a2);
}

static void test_refund_completion(struct store_conn *c)
{
	int64_t completed = 0;
	CHECK_INT(store_exec(c, &q_order, NULL, 0, NULL), APO_OK);
	CHECK_INT(store_exec(c, &q_refund, NULL, 0, NULL), APO_OK);
	int64_t id = add(c, "m1", "PO00000000000001", OUTBOX_REFUND);
	int64_t now = wall_ms() + 10;
	CHECK_INT(claim(c, now), id);
	CHECK_INT(store_query_int(c, &q_refund_state, NULL, 0, &completed), APO_ERR_NOT_FOUND);
	CHECK_INT(outbox_complete_refund(c, id, "RF1", now), APO_OK);
	CHECK_INT(store_query_int(c, &q_refund_state, NULL, 0, &completed), APO_OK);
	CHECK_INT(completed, now / 1000);
	/* Completing twice changes nothing and says so. */
	CHECK_INT(outbox_complete_refund(c, id, "RF1", now), APO_ERR_NOT_FOUND);
}

/* Claims head at now, extends it by up to max - 1 rows; returns their ids. */
static size_t batch(struct store_conn *c, int64_t now, size_t max, int64_t want_head, int64_t *ids)
{
	struct outbox_row head, *more = NULL;
	size_t n = 0;
	outbox_row_init(&head);
	CHECK_INT(outbox_claim(c, now, 30000, &head), APO_OK);
	CHECK_INT(head.id, want_head);
	CHECK_INT(outbox_claim_more(c, &head, now, 30000, max, OUTBOX_RUN_LOGISTICS, &more, &n), APO_OK);
	for (size_t i = 0; i < n; i++) {
		ids[i] = more[i].id;
		CHECK_INT(more[i].lease_until, now + 30000);
		CHECK_STR(more[i].merchant_id, "m3");
		if (i)
			CHECK(more[i].id > more[i - 1].id);
	}
	outbox_rows_free(more, n);
	outbox_row_release(&head);
	return n;
}

static void settle_all(struct store_conn *c, const int64_t *ids, size_t n, enum outbox_fate fate,
		       int64_t now, int64_t next_at)
{
	struct outbox_settlement s[8];
	for (size_t i = 0; i < n && i < 8; i++)
		s[i] = (struct outbox_settlement){ids[i], fate, next_at,
						  fate == OUTBOX_FATE_DONE ? NULL : "batch failed"};
	CHECK_INT(outbox_settle(c, s, n, now), APO_OK);
}

static void test_batches(struct store_conn *c)
{
	const char *info = OUTBOX_EV_ORDER_INFO_CHANGE, *stock = OUTBOX_EV_INVENTORY_CHANGE;
	int64_t ids[OUTBOX_BATCH_MAX], now = wall_ms() + 100000;
	struct outbox_row r;
	size_t n;

	t_merchant(c, "m3");
	t_merchant(c, "m4");
	CHECK(outbox_event_is_logistics(OUTBOX_EV_ORDER_SHIPPED));
	CHECK(outbox_event_is_logistics(stock));
	CHECK(!outbox_event_is_logistics(OUTBOX_EV_ORDER_STATUS));
	CHECK(!outbox_event_is_logistics(NULL));

	int64_t l1 = add_event(c, "m3", "L-A", OUTBOX_WEBHOOK, info);
	int64_t s1 = add_event(c, "m3", "P-1", OUTBOX_WEBHOOK, OUTBOX_EV_ORDER_STATUS);
	int64_t l2 = add_event(c, "m3", "L-B", OUTBOX_WEBHOOK, info);
	int64_t l3 = add_event(c, "m3", "L-A", OUTBOX_WEBHOOK, OUTBOX_EV_ORDER_SHIPPED);
	int64_t x1 = add_event(c, "m4", "L-X", OUTBOX_WEBHOOK, info);
	int64_t l4 = add_event(c, "m3", "product:m3:S1", OUTBOX_WEBHOOK, stock);
	int64_t l5 = add_event(c, "m3", "product:m3:S1", OUTBOX_WEBHOOK, stock);
	int64_t l6 = add_event(c, "m3", NULL, OUTBOX_WEBHOOK, stock);
	int64_t r1 = add_event(c, "m3", "L-C", OUTBOX_REFUND, info);

	/* l4 is backing off: l5 (same product) must wait behind it. */
	CHECK_INT(outbox_reschedule(c, l4, now + 5000, "receiver answered 500"), APO_OK);

	/* One merchant's logistics events, in id order; not its pharmacy
	 * event, not its refund, not another merchant's, not l5. */
	n = batch(c, now, OUTBOX_BATCH_MAX, l1, ids);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(ids[0], l2);
		CHECK_INT(ids[1], l3);
		CHECK_INT(ids[2], l6);
	}
	/* The merchant has a batch in flight: its other rows wait. */
	CHECK_INT(claim(c, now), x1);
	CHECK_INT(claim(c, now), 0);

	/* The batch fails and is rescheduled together. */
	int64_t all[] = {l1, l2, l3, l6};
	settle_all(c, all, 4, OUTBOX_FATE_RETRY, now, now + 1000);
	for (size_t i = 0; i < 4; i++) {
		outbox_row_init(&r);
		CHECK_INT(outbox_get(c, all[i], &r), APO_OK);
		CHECK_INT(r.attempts, 1);
		CHECK_INT(r.next_at, now + 1000);
		CHECK_INT(r.lease_until, 0);
		CHECK_STR(r.last_error, "batch failed");
		outbox_row_release(&r);
	}
	/* Meanwhile s1 and r1 go alone. */
	deliver_next(c, now, s1);
	deliver_next(c, now, r1);
	CHECK_INT(outbox_complete(c, x1, now, NULL), APO_OK);

	/* A batch has at most max rows; the rest make the next one. */
	n = batch(c, now + 1000, 2, l1, ids);
	CHECK_INT(n, 1);
	CHECK_INT(ids[0], l2);
	int64_t first[] = {l1, l2};
	settle_all(c, first, 2, OUTBOX_FATE_DONE, now + 1000, 0);
	outbox_row_init(&r);
	CHECK_INT(outbox_get(c, l2, &r), APO_OK);
	CHECK_STR(r.state, OUTBOX_DONE);
	CHECK_INT(r.delivered_at, now + 1000);
	CHECK(r.last_error == NULL);
	outbox_row_release(&r);

	/* l4 due again: it heads a batch and l5 may follow it in it. */
	n = batch(c, now + 5000, OUTBOX_BATCH_MAX, l3, ids);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(ids[0], l4);
		CHECK_INT(ids[1], l5);
		CHECK_INT(ids[2], l6);
	}
	int64_t rest[] = {l3, l4, l5, l6};
	/* A row another worker settled already is left alone. */
	CHECK_INT(outbox_park(c, l6, "parked elsewhere"), APO_OK);
	settle_all(c, rest, 4, OUTBOX_FATE_DONE, now + 5000, 0);
	outbox_row_init(&r);
	CHECK_INT(outbox_get(c, l6, &r), APO_OK);
	CHECK_STR(r.state, OUTBOX_FAILED);
	outbox_row_release(&r);
	CHECK_INT(claim(c, now + 5000), 0);
}

static struct store_sql q_set_lease = {.sql = "UPDATE outbox SET lease_until = ? WHERE id = ?"};

static void set_lease(struct store_conn *c, int64_t id, int64_t until)
{
	struct store_val args[] = {SV_INT(until), SV_INT(id)};
	CHECK_INT(store_exec(c, &q_set_lease, args, 2, NULL), APO_OK);
}

static void test_batch_behind_a_lease(struct store_conn *c)
{
	const char *info = OUTBOX_EV_ORDER_INFO_CHANGE;
	int64_t now = wall_ms() + 200000;
	struct outbox_row r, *more = NULL;
	size_t n = 0;

	int64_t a1 = add_event(c, "m3", "K-1", OUTBOX_WEBHOOK, info);
	int64_t b1 = add_event(c, "m3", "K-2", OUTBOX_WEBHOOK, info);
	int64_t a2 = add_event(c, "m3", "K-1", OUTBOX_WEBHOOK, info);
	int64_t b2 = add_event(c, "m3", "K-2", OUTBOX_WEBHOOK, info);

	/* Another process holds b1 (two processes may each hold a row of one
	 * merchant on PostgreSQL); this worker holds a1 as its head. */
	set_lease(c, b1, now + 30000);
	set_lease(c, a1, now + 30000);
	outbox_row_init(&r);
	CHECK_INT(outbox_get(c, a1, &r), APO_OK);
	/* a2 follows its sibling a1 in the batch; b2 must not overtake b1. */
	CHECK_INT(outbox_claim_more(c, &r, now, 30000, OUTBOX_BATCH_MAX, OUTBOX_RUN_LOGISTICS, &more, &n), APO_OK);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(more[0].id, a2);
	outbox_rows_free(more, n);
	outbox_row_release(&r);
	int64_t done[] = {a1, a2, b1, b2};
	settle_all(c, done, 4, OUTBOX_FATE_DONE, now, 0);
}

/*
 * A run of single requests: every webhook row of the merchant (pharmacy and
 * logistics), chains kept, never its refund; untried rows are released
 * with nothing else changed; a busy merchant's backlog does not hide the
 * next merchant's row from the claim.
 */
static void test_runs(struct store_conn *c)
{
	const char *info = OUTBOX_EV_ORDER_INFO_CHANGE, *status = OUTBOX_EV_ORDER_STATUS;
	int64_t now = wall_ms() + 300000;
	struct outbox_row head, r, *more = NULL;
	size_t n = 0;

	t_merchant(c, "m5");
	t_merchant(c, "m6");
	int64_t p1 = add_event(c, "m5", "R-1", OUTBOX_WEBHOOK, status);
	int64_t q1 = add_event(c, "m5", "R-2", OUTBOX_WEBHOOK, info);
	int64_t p2 = add_event(c, "m5", "R-1", OUTBOX_WEBHOOK, status);
	int64_t f1 = add_event(c, "m5", "R-3", OUTBOX_REFUND, status);
	int64_t backlog[40];
	for (size_t i = 0; i < 40; i++)
		backlog[i] = add_event(c, "m5", "R-9", OUTBOX_WEBHOOK, status);
	int64_t o1 = add_event(c, "m6", "S-1", OUTBOX_WEBHOOK, status);

	outbox_row_init(&head);
	CHECK_INT(outbox_claim(c, now, 30000, &head), APO_OK);
	CHECK_INT(head.id, p1);
	CHECK_INT(outbox_claim_more(c, &head, now, 30000, 4, OUTBOX_RUN_ANY, &more, &n), APO_OK);
	/* Oldest due first, ascending ids: q1 and p2 (behind p1, in the run),
	 * then the first of the backlog; not the refund. */
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(more[0].id, q1);
		CHECK_INT(more[1].id, p2);
		CHECK_INT(more[2].id, backlog[0]);
	}
	/* m5 is busy: the claim passes over its backlog to m6, then to its
	 * refund only once m5 is free again. */
	CHECK_INT(claim(c, now), o1);
	CHECK_INT(claim(c, now), 0);

	/* p1 delivered, q1 failed, p2 and the backlog's head untried. */
	struct outbox_settlement s[] = {{p1, OUTBOX_FATE_DONE, 0, NULL},
					{q1, OUTBOX_FATE_RETRY, now + 1000, "receiver answered 500"},
					{p2, OUTBOX_FATE_RELEASE, 0, NULL},
					{backlog[0], OUTBOX_FATE_RELEASE, 0, NULL}};
	CHECK_INT(outbox_settle(c, s, 4, now), APO_OK);
	outbox_row_init(&r);
	CHECK_INT(outbox_get(c, p2, &r), APO_OK);
	CHECK_STR(r.state, OUTBOX_PENDING);
	CHECK_INT(r.attempts, 0);
	CHECK_INT(r.lease_until, 0);
	CHECK(r.last_error == NULL);
	outbox_row_release(&r);
	outbox_rows_free(more, n);
	outbox_row_release(&head);

	/* Free again: p2 is next (q1 backs off), then the refund heads alone. */
	deliver_next(c, now, p2);
	deliver_next(c, now, f1);
	CHECK_INT(outbox_complete(c, o1, now, NULL), APO_OK);
	for (size_t i = 0; i < 40; i++) {
		deliver_next(c, now, backlog[i]);
	}
	deliver_next(c, now + 1000, q1);
	CHECK_INT(claim(c, now + 1000), 0);

	/* For a merchant taking arrays, a pharmacy head's run leaves its
	 * logistics events to an array of their own. */
	int64_t h1 = add_event(c, "m6", "T-1", OUTBOX_WEBHOOK, status);
	int64_t l1 = add_event(c, "m6", "T-2", OUTBOX_WEBHOOK, info);
	int64_t h2 = add_event(c, "m6", "T-3", OUTBOX_WEBHOOK, status);
	outbox_row_init(&head);
	CHECK_INT(outbox_claim(c, now + 1000, 30000, &head), APO_OK);
	CHECK_INT(head.id, h1);
	CHECK_INT(outbox_claim_more(c, &head, now + 1000, 30000, 4, OUTBOX_RUN_PHARMACY, &more, &n),
		  APO_OK);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(more[0].id, h2);
	outbox_rows_free(more, n);
	outbox_row_release(&head);
	int64_t all[] = {h1, h2, l1};
	settle_all(c, all, 3, OUTBOX_FATE_DONE, now + 1000, 0);
}

static void test_backoff(void)
{
	for (uint64_t rnd = 0; rnd < 1000; rnd += 7) {
		int64_t d0 = outbox_backoff_ms(100, 0, rnd);
		int64_t d3 = outbox_backoff_ms(100, 3, rnd);
		int64_t dbig = outbox_backoff_ms(100, 60, rnd);
		CHECK(d0 >= 50 && d0 <= 100);
		CHECK(d3 >= 400 && d3 <= 800);
		CHECK(dbig >= OUTBOX_MAX_DELAY_MS / 2 && dbig <= OUTBOX_MAX_DELAY_MS);
	}
	CHECK(outbox_backoff_ms(100, 0, 0) != outbox_backoff_ms(100, 0, 31));
	CHECK(outbox_backoff_ms(30000, 1000000, 5) <= OUTBOX_MAX_DELAY_MS);
	CHECK(outbox_backoff_ms(0, 0, 0) >= 1);
}

int main(void)
{
	char path[T_STORE_PATH_CAP];
	struct store *s = t_store_open("outbox", path);
	if (!s)
		return 1;
	struct store_conn *c = store_thread_conn(s);
	CHECK(c != NULL);
	if (c) {
		t_merchant(c, "m1");
		t_merchant(c, "m2");
		test_claims(c);
		test_park_and_retry(c);
		test_refund_completion(c);
		test_batches(c);
		test_batch_behind_a_lease(c);
		test_runs(c);
	}
	test_backoff();
	t_store_close(s, path);
	T_DONE();
}
