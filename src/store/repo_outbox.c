/*
 * Outbox rows: queueing, claiming with a lease, and the outcomes of a
 * delivery (see repo_outbox.h). Delivery itself is outbound/outbox.c's job.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/repo_outbox.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define OUTBOX_COLS                                                                                \
	"id, kind, merchant_id, order_key, event_type, payload, state, attempts, next_at, "        \
	"lease_until, first_at, last_error, delivered_at, request_id"

static struct store_sql q_add = {
    .sql = "INSERT INTO outbox (kind, merchant_id, order_key, event_type, payload, state, "
	   "next_at, lease_until, first_at, request_id) VALUES (?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?)"};
static struct store_sql q_get = {.sql = "SELECT " OUTBOX_COLS " FROM outbox WHERE id = ?"};

/*
 * SQLite plans without statistics and would read these off outbox_state_id
 * (every pending row); the SQLite text of each query below names the
 * index it is written for. PostgreSQL picks them by itself.
 */
#define BY_DUE " INDEXED BY outbox_merchant_due"
#define BY_LEASE " INDEXED BY outbox_merchant_lease"
#define BY_ORDER " INDEXED BY outbox_order"

/*
 * A merchant "is busy" while one of its rows is leased: a leased row is
 * pending with lease_until ahead of now (settling or releasing a row sets
 * it to 0). One seek on outbox_merchant_lease.
 */
#define MERCHANT_IS_BUSY(m, hint)                                                                  \
	"EXISTS (SELECT 1 FROM outbox b" hint " WHERE b.state = 'pending' AND b.merchant_id = " m   \
	" AND b.lease_until >= ?)"
/* Row r waits behind an earlier pending row of its order_key. */
#define WAITS_BEHIND(r, hint)                                                                      \
	"EXISTS (SELECT 1 FROM outbox e" hint " WHERE e.order_key = " r ".order_key "              \
	"AND e.state = 'pending' AND e.id < " r ".id)"

/*
 * Due candidates, merchant by merchant: the merchants with pending rows
 * (walked off outbox_merchant_due one seek at a time, so a backlog of one
 * merchant costs nothing to step over), those with nothing leased right
 * now, and for each its oldest due, unleased row that is the first pending
 * of its order_key; oldest first, so no merchant waits behind another's
 * stream. The claim re-checks all of it atomically; this query only keeps
 * the claim from trying blindly.
 */
#define MERCHANTS_WITH_PENDING(due)                                                                \
	"WITH RECURSIVE m(id) AS ("                                                                  \
	"SELECT MIN(merchant_id) FROM outbox" due " WHERE state = 'pending' "                       \
	"UNION ALL SELECT (SELECT MIN(x.merchant_id) FROM outbox x" due " "                        \
	"WHERE x.state = 'pending' AND x.merchant_id > m.id) FROM m WHERE m.id IS NOT NULL) "
#define MERCHANT_HEAD(cols, due, order)                                                            \
	"SELECT " cols " FROM outbox o" due " WHERE o.state = 'pending' AND o.merchant_id = m.id "  \
	"AND o.next_at <= ? AND o.lease_until < ? AND NOT " WAITS_BEHIND("o", order) " "            \
	"ORDER BY o.next_at, o.id LIMIT 1"
/*
 * SQLite has no LATERAL: it finds each head by its id (a rowid seek).
 * PostgreSQL joins the heads laterally: given "h.id = (subquery)" it
 * hashed the whole outbox, done rows and all, on every claim.
 */
static struct store_sql q_candidates = {
    .sql = MERCHANTS_WITH_PENDING(BY_DUE) "SELECT h.id FROM m JOIN outbox h ON h.id = ("
	MERCHANT_HEAD("o.id", BY_DUE, BY_ORDER) ") "
	"WHERE m.id IS NOT NULL AND NOT " MERCHANT_IS_BUSY("m.id", BY_LEASE) " "
	"ORDER BY h.next_at, h.id LIMIT ?",
    .pg_sql = MERCHANTS_WITH_PENDING("") "SELECT h.id FROM m CROSS JOIN LATERAL ("
	MERCHANT_HEAD("o.id, o.next_at", "", "") ") h "
	"WHERE m.id IS NOT NULL AND NOT " MERCHANT_IS_BUSY("m.id", "") " "
	"ORDER BY h.next_at, h.id LIMIT ?"};

/*
 * The claim: one conditional UPDATE. Whoever changes the row owns it until
 * lease_until; on PostgreSQL a racing UPDATE waits for the row lock and then
 * re-checks lease_until, finding it taken.
 */
#define CLAIM(lease, order)                                                                        \
	"UPDATE outbox SET lease_until = ? WHERE id = ? AND state = 'pending' "                     \
	"AND next_at <= ? AND lease_until < ? AND NOT " WAITS_BEHIND("outbox", order) " "          \
	"AND NOT " MERCHANT_IS_BUSY("outbox.merchant_id", lease)
static struct store_sql q_claim = {.sql = CLAIM(BY_LEASE, BY_ORDER), .pg_sql = CLAIM("", "")};

#define LOGISTICS_EVENT_TYPES                                                                      \
	"('" OUTBOX_EV_ORDER_INFO_CHANGE "', '" OUTBOX_EV_ORDER_SHIPPED                            \
	"', '" OUTBOX_EV_INVENTORY_CHANGE "')"

/*
 * Rows that may join a run of head's merchant (oldest due first, as
 * outbox_merchant_due keeps them), each with the number of pending rows of
 * its order_key before it (which must all be in the run for it to join):
 * webhook rows of the event types `only` names (enum outbox_run).
 */
#define BATCH_CANDIDATES(due, order)                                                               \
	"SELECT " OUTBOX_COLS ", (SELECT COUNT(*) FROM outbox e" order " WHERE e.order_key = "      \
	"o.order_key AND e.state = 'pending' AND e.id < o.id) "                                     \
	"FROM outbox o" due " WHERE o.state = 'pending' AND o.merchant_id = ? AND o.next_at <= ? " \
	"AND o.lease_until < ? AND o.kind = '" OUTBOX_WEBHOOK "' "                                  \
	"AND (? = 0 OR (o.event_type IN " LOGISTICS_EVENT_TYPES ") = (? = 1)) AND o.id <> ? "        \
	"ORDER BY o.next_at, o.id LIMIT ?"
static struct store_sql q_batch_candidates = {.sql = BATCH_CANDIDATES(BY_DUE, BY_ORDER),
					      .pg_sql = BATCH_CANDIDATES("", "")};
/* The ids travel as one JSON array, so one statement settles a whole run. */
#define IDS_IN_SQLITE " AND id IN (SELECT value FROM json_each(?))"
#define IDS_IN_PG " AND id = ANY(ARRAY(SELECT CAST(json_array_elements_text(CAST(? AS json)) AS bigint)))"
#define DONE_ALL "UPDATE outbox SET state = 'done', delivered_at = ?, lease_until = 0, " \
		 "last_error = NULL WHERE state = 'pending'"
#define RELEASE_ALL "UPDATE outbox SET lease_until = 0 WHERE state = 'pending'"
static struct store_sql q_done_all = {.sql = DONE_ALL IDS_IN_SQLITE, .pg_sql = DONE_ALL IDS_IN_PG};
static struct store_sql q_release_all = {.sql = RELEASE_ALL IDS_IN_SQLITE,
					 .pg_sql = RELEASE_ALL IDS_IN_PG};

#define LEASE_RUN "UPDATE outbox SET lease_until = ? WHERE state = 'pending' AND next_at <= ? " \
		  "AND lease_until < ?"
static struct store_sql q_lease_run = {.sql = LEASE_RUN IDS_IN_SQLITE " RETURNING id",
				       .pg_sql = LEASE_RUN IDS_IN_PG " RETURNING id"};

static struct store_sql q_complete = {
    .sql = "UPDATE outbox SET state = 'done', delivered_at = ?, lease_until = 0, "
	   "last_error = ? WHERE id = ? AND state = 'pending'"};
static struct store_sql q_refund_done = {
    .sql = "UPDATE refunds SET state = 'done', completed = ? WHERE refund_id = ?"};
static struct store_sql q_reschedule = {
    .sql = "UPDATE outbox SET attempts = attempts + 1, next_at = ?, lease_until = 0, "
	   "last_error = ? WHERE id = ? AND state = 'pending'"};
static struct store_sql q_park = {
    .sql = "UPDATE outbox SET attempts = attempts + 1, state = 'failed', lease_until = 0, "
	   "last_error = ? WHERE id = ? AND state = 'pending'"};
static struct store_sql q_retry = {
    .sql = "UPDATE outbox SET state = 'pending', next_at = ?, first_at = ?, "
	   "lease_until = 0 WHERE id = ? AND state = 'failed'"};
static struct store_sql q_list_state = {
    .sql = "SELECT " OUTBOX_COLS " FROM outbox WHERE state = ? AND id < ? ORDER BY id DESC LIMIT ?"};
static struct store_sql q_list_all = {.sql = "SELECT " OUTBOX_COLS
					     " FROM outbox WHERE id < ? ORDER BY id DESC LIMIT ?"};
static struct store_sql q_list_order = {
    .sql = "SELECT " OUTBOX_COLS " FROM outbox WHERE order_key = ? AND (? IS NULL OR state = ?) "
	   "AND id < ? ORDER BY id DESC LIMIT ?"};
static struct store_sql q_count = {.sql = "SELECT COUNT(*) FROM outbox WHERE state = ?"};
static struct store_sql q_oldest = {
    .sql = "SELECT COALESCE(MIN(first_at), 0) FROM outbox WHERE state = 'pending'"};

enum apo_result outbox_add(struct store_conn *c, const char *kind, const char *merchant_id,
			   const char *order_key, const char *event_type, const char *payload)
{
	int64_t now = now_ms();
	struct store_val args[] = {SV_TEXT(kind),	SV_TEXT(merchant_id), SV_TEXT(order_key),
				   SV_TEXT(event_type), SV_TEXT(payload),     SV_INT(now),
				   SV_INT(now),		SV_TEXT(log_bound_request_id())};
	return store_exec_later(c, &q_add, args, 8);
}

void outbox_row_init(struct outbox_row *r)
{
	memset(r, 0, sizeof(*r));
	r->delivered_at = -1;
}

void outbox_row_release(struct outbox_row *r)
{
	free(r->kind);
	free(r->merchant_id);
	free(r->order_key);
	free(r->event_type);
	free(r->payload);
	free(r->state);
	free(r->last_error);
	free(r->request_id);
	outbox_row_init(r);
}

static char *dup_col(struct store_rows *rows, int col)
{
	const char *s = store_text(rows, col);
	return s ? xstrdup(s) : NULL;
}

/* Reads the current row of an OUTBOX_COLS query into r. */
static void read_row(struct store_rows *rows, struct outbox_row *r)
{
	outbox_row_init(r);
	r->id = store_int(rows, 0);
	r->kind = dup_col(rows, 1);
	r->merchant_id = dup_col(rows, 2);
	r->order_key = dup_col(rows, 3);
	r->event_type = dup_col(rows, 4);
	r->payload = dup_col(rows, 5);
	r->state = dup_col(rows, 6);
	r->attempts = store_int(rows, 7);
	r->next_at = store_int(rows, 8);
	r->lease_until = store_int(rows, 9);
	r->first_at = store_int(rows, 10);
	r->last_error = dup_col(rows, 11);
	r->delivered_at = store_is_null(rows, 12) ? -1 : store_int(rows, 12);
	r->request_id = dup_col(rows, 13);
}

enum apo_result outbox_get(struct store_conn *c, int64_t id, struct outbox_row *out)
{
	struct store_rows *rows;
	struct store_val arg = SV_INT(id);
	enum apo_result rc = store_exec(c, &q_get, &arg, 1, &rows);
	if (rc != APO_OK)
		return rc;
	if (store_next(rows))
		read_row(rows, out);
	else
		rc = APO_ERR_NOT_FOUND;
	store_rows_free(rows);
	return rc;
}

enum apo_result outbox_claim(struct store_conn *c, int64_t now_ms, int64_t lease_ms,
			     struct outbox_row *out)
{
	int64_t ids[OUTBOX_CLAIM_SCAN];
	size_t n;
	struct store_val cargs[] = {SV_INT(now_ms), SV_INT(now_ms), SV_INT(now_ms),
				    SV_INT(OUTBOX_CLAIM_SCAN)};
	/* Read whole (the cursor is gone) before the UPDATEs run on this connection. */
	enum apo_result rc =
	    store_query_int_column(c, &q_candidates, cargs, 4, ids, OUTBOX_CLAIM_SCAN, &n);
	if (rc != APO_OK)
		return rc;

	for (size_t i = 0; i < n; i++) {
		struct store_val args[] = {SV_INT(now_ms + lease_ms), SV_INT(ids[i]), SV_INT(now_ms),
					   SV_INT(now_ms), SV_INT(now_ms)};
		rc = store_exec(c, &q_claim, args, 5, NULL);
		if (rc == APO_ERR_BUSY)
			continue;
		if (rc != APO_OK)
			return rc;
		if (store_changes(c) != 1)
			continue;
		rc = outbox_get(c, ids[i], out);
		return rc;
	}
	return APO_ERR_NOT_FOUND;
}

int outbox_event_is_logistics(const char *event_type)
{
	return event_type && (strcmp(event_type, OUTBOX_EV_ORDER_INFO_CHANGE) == 0 ||
			      strcmp(event_type, OUTBOX_EV_ORDER_SHIPPED) == 0 ||
			      strcmp(event_type, OUTBOX_EV_INVENTORY_CHANGE) == 0);
}

/* How many rows of key the batch holds (NULL keys order nothing). */
static size_t batch_count(const struct outbox_row *head, const struct outbox_row *rows, size_t n,
			  const char *key)
{
	size_t k = head->order_key && strcmp(head->order_key, key) == 0;
	for (size_t i = 0; i < n; i++)
		k += rows[i].order_key && strcmp(rows[i].order_key, key) == 0;
	return k;
}

/* A candidate row's id and where it sits in the list read. */
struct candidate {
	int64_t id;
	size_t at;
};

static int by_candidate_id(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* ids of rows as a JSON array, for IDS_IN_*. */
static void ids_json(struct buf *b, const struct outbox_row *rows, size_t n, const int *pick)
{
	size_t k = 0;
	buf_addch(b, '[');
	for (size_t i = 0; i < n; i++)
		if (!pick || pick[i])
			buf_addf(b, "%s%lld", k++ ? "," : "", (long long)rows[i].id);
	buf_addch(b, ']');
}

/*
 * Leases the chosen run (list, ascending ids) in one statement. A row
 * another worker took meanwhile (possible only across processes) leaves
 * the run, and so do its later siblings, whose leases are dropped again.
 */
static enum apo_result lease_run(struct store_conn *c, int64_t now_ms, int64_t lease_ms,
				 struct outbox_row *list, size_t *n)
{
	struct store_rows *rows;
	struct buf ids;
	int *got = xcalloc(*n, sizeof(*got)), *keep = xcalloc(*n, sizeof(*keep));
	size_t kept = 0, dropped = 0;

	buf_init(&ids);
	ids_json(&ids, list, *n, NULL);
	struct store_val args[] = {SV_INT(now_ms + lease_ms), SV_INT(now_ms), SV_INT(now_ms),
				   SV_TEXT(ids.data)};
	enum apo_result rc = store_exec(c, &q_lease_run, args, 4, &rows);
	if (rc == APO_OK) {
		while (store_next(rows)) {
			int64_t id = store_int(rows, 0);
			for (size_t i = 0; i < *n; i++)
				if (list[i].id == id)
					got[i] = 1;
		}
		store_rows_free(rows);
	}
	for (size_t i = 0; rc == APO_OK && i < *n; i++) {
		/* A sibling before it left the run: it must wait too. */
		int behind = 0;
		for (size_t j = 0; j < i && list[i].order_key; j++)
			behind |= !keep[j] && list[j].order_key &&
				  strcmp(list[j].order_key, list[i].order_key) == 0;
		keep[i] = got[i] && !behind;
		dropped += got[i] && !keep[i];
	}
	if (rc == APO_OK && dropped) {
		int *release = xcalloc(*n, sizeof(*release));
		for (size_t i = 0; i < *n; i++)
			release[i] = got[i] && !keep[i];
		buf_reset(&ids);
		ids_json(&ids, list, *n, release);
		struct store_val rel = SV_TEXT(ids.data);
		rc = store_exec(c, &q_release_all, &rel, 1, NULL);
		free(release);
	}
	for (size_t i = 0; i < *n; i++) {
		if (keep[i] && rc == APO_OK)
			list[kept++] = list[i];
		else
			outbox_row_release(&list[i]);
	}
	*n = kept;
	buf_release(&ids);
	free(got);
	free(keep);
	return rc;
}

/* Within the claim transaction: picks and leases the rows of the batch. */
static enum apo_result lease_more(struct store_conn *c, const struct outbox_row *head,
				  int64_t now_ms, int64_t lease_ms, size_t max, enum outbox_run only,
				  struct outbox_row *list, size_t *n)
{
	struct store_rows *rows;
	size_t ncand = 0;
	/* Rows refused for their order_key are skipped, so look past them. */
	struct store_val args[] = {SV_TEXT(head->merchant_id), SV_INT(now_ms), SV_INT(now_ms),
				   SV_INT(only),	       SV_INT(only),   SV_INT(head->id),
				   SV_INT(2 * max)};
	enum apo_result rc = store_exec(c, &q_batch_candidates, args, 7, &rows);
	if (rc != APO_OK)
		return rc;
	struct outbox_row *cand = xcalloc(2 * max, sizeof(*cand));
	int64_t *before = xcalloc(2 * max, sizeof(*before));
	struct candidate *order = xcalloc(2 * max, sizeof(*order));
	while (ncand < 2 * max && store_next(rows)) {
		read_row(rows, &cand[ncand]);
		order[ncand] = (struct candidate){cand[ncand].id, ncand};
		before[ncand++] = store_int(rows, 14);
	}
	store_rows_free(rows);

	/* Ascending ids: a row's earlier siblings are decided before it. The
	 * run is chosen as if every lease will hold, then leased at once. */
	qsort(order, ncand, sizeof(*order), by_candidate_id);
	for (size_t k = 0; k < ncand && *n + 1 < max; k++) {
		size_t i = order[k].at;
		struct outbox_row *r = &cand[i];
		if (r->order_key && (int64_t)batch_count(head, list, *n, r->order_key) != before[i])
			continue;
		r->lease_until = now_ms + lease_ms;
		list[(*n)++] = *r;
		outbox_row_init(r);
	}
	outbox_rows_free(cand, ncand);
	free(before);
	free(order);
	return *n ? lease_run(c, now_ms, lease_ms, list, n) : APO_OK;
}

enum apo_result outbox_claim_more(struct store_conn *c, const struct outbox_row *head,
				  int64_t now_ms, int64_t lease_ms, size_t max, enum outbox_run only,
				  struct outbox_row **more, size_t *n)
{
	*more = NULL;
	*n = 0;
	if (max < 2 || !head->merchant_id)
		return APO_OK;
	struct outbox_row *list = xcalloc(max, sizeof(*list));
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc == APO_OK)
		rc = lease_more(c, head, now_ms, lease_ms, max, only, list, n);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK) {
		store_rollback(c);
		outbox_rows_free(list, *n);
		*n = 0;
		return rc;
	}
	*more = list;
	return APO_OK;
}

/* Runs a pending row's outcome UPDATE; NOT_FOUND when it was not pending. */
static enum apo_result update_one(struct store_conn *c, struct store_sql *q,
				  const struct store_val *args, size_t n)
{
	enum apo_result rc = store_exec(c, q, args, n, NULL);
	if (rc == APO_OK && store_changes(c) != 1)
		rc = APO_ERR_NOT_FOUND;
	return rc;
}

enum apo_result outbox_complete(struct store_conn *c, int64_t id, int64_t now_ms, const char *note)
{
	struct store_val args[] = {SV_INT(now_ms), SV_TEXT(note), SV_INT(id)};
	return update_one(c, &q_complete, args, 3);
}

enum apo_result outbox_complete_refund(struct store_conn *c, int64_t id, const char *refund_id,
				       int64_t now_ms)
{
	struct store_val done[] = {SV_INT(now_ms), SV_NULL, SV_INT(id)};
	struct store_val refund[] = {SV_INT(now_ms / 1000), SV_TEXT(refund_id)};
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	if (rc != APO_OK)
		return rc;
	rc = update_one(c, &q_complete, done, 3);
	if (rc == APO_OK)
		rc = store_exec(c, &q_refund_done, refund, 2, NULL);
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

enum apo_result outbox_reschedule(struct store_conn *c, int64_t id, int64_t next_at_ms,
				  const char *error)
{
	struct store_val args[] = {SV_INT(next_at_ms), SV_TEXT(error), SV_INT(id)};
	return update_one(c, &q_reschedule, args, 3);
}

enum apo_result outbox_park(struct store_conn *c, int64_t id, const char *error)
{
	struct store_val args[] = {SV_TEXT(error), SV_INT(id)};
	return update_one(c, &q_park, args, 2);
}

/*
 * Runs q once over the ids of the rows of s settled as fate without a
 * note; q's first argument is *now_ms when now_ms is given.
 */
static enum apo_result settle_each_at_once(struct store_conn *c, struct store_sql *q,
					   const struct outbox_settlement *s, size_t n,
					   enum outbox_fate fate, const int64_t *now_ms)
{
	struct buf ids;
	size_t k = 0;
	buf_init(&ids);
	buf_addch(&ids, '[');
	for (size_t i = 0; i < n; i++)
		if (s[i].fate == fate && !s[i].note)
			buf_addf(&ids, "%s%lld", k++ ? "," : "", (long long)s[i].id);
	buf_addch(&ids, ']');
	enum apo_result rc = APO_OK;
	if (k) {
		struct store_val args[] = {now_ms ? SV_INT(*now_ms) : SV_NULL, SV_TEXT(ids.data)};
		rc = now_ms ? store_exec(c, q, args, 2, NULL) : store_exec(c, q, &args[1], 1, NULL);
	}
	buf_release(&ids);
	return rc;
}

enum apo_result outbox_settle(struct store_conn *c, const struct outbox_settlement *s, size_t n,
			      int64_t now_ms)
{
	enum apo_result rc = store_begin(c, STORE_TX_WRITE);
	/* Delivered and untried rows, the bulk of a run, in one statement each;
	 * a row no longer pending (its lease ran out and another worker
	 * settled it) is left as it is. */
	if (rc == APO_OK)
		rc = settle_each_at_once(c, &q_done_all, s, n, OUTBOX_FATE_DONE, &now_ms);
	if (rc == APO_OK)
		rc = settle_each_at_once(c, &q_release_all, s, n, OUTBOX_FATE_RELEASE, NULL);
	for (size_t i = 0; rc == APO_OK && i < n; i++) {
		switch (s[i].fate) {
		case OUTBOX_FATE_DONE:
			if (s[i].note)
				rc = outbox_complete(c, s[i].id, now_ms, s[i].note);
			break;
		case OUTBOX_FATE_RETRY:
			rc = outbox_reschedule(c, s[i].id, s[i].next_at, s[i].note);
			break;
		case OUTBOX_FATE_RELEASE:
			break;
		case OUTBOX_FATE_PARK:
		default:
			rc = outbox_park(c, s[i].id, s[i].note);
			break;
		}
		if (rc == APO_ERR_NOT_FOUND)
			rc = APO_OK;
	}
	if (rc == APO_OK)
		rc = store_commit(c);
	if (rc != APO_OK)
		store_rollback(c);
	return rc;
}

int64_t outbox_backoff_ms(int64_t base_ms, int64_t attempts, uint64_t rnd)
{
	int64_t delay = base_ms > 0 ? base_ms : 1;
	if (delay > OUTBOX_MAX_DELAY_MS)
		delay = OUTBOX_MAX_DELAY_MS;
	for (int64_t i = 0; i < attempts && delay < OUTBOX_MAX_DELAY_MS; i++)
		delay *= 2;
	if (delay > OUTBOX_MAX_DELAY_MS)
		delay = OUTBOX_MAX_DELAY_MS;
	int64_t half = delay / 2;
	int64_t wait = delay - half + (int64_t)(rnd % (uint64_t)(half + 1));
	return wait > 0 ? wait : 1;
}

enum apo_result outbox_list(struct store_conn *c, const char *state, int64_t limit,
			    struct outbox_row **out, size_t *n)
{
	return outbox_list_before(c, state, NULL, INT64_MAX, limit, out, n);
}

enum apo_result outbox_list_before(struct store_conn *c, const char *state, const char *order_key,
				   int64_t before_id, int64_t limit, struct outbox_row **out,
				   size_t *n)
{
	struct store_rows *rows;
	size_t cap = 16;
	enum apo_result rc;

	*out = NULL;
	*n = 0;
	if (limit < 1)
		limit = 1;
	if (limit > OUTBOX_LIST_MAX + 1) /* a page and the one row that says more follows */
		limit = OUTBOX_LIST_MAX + 1;
	if (order_key) {
		struct store_val args[] = {SV_TEXT(order_key), SV_TEXT(state), SV_TEXT(state),
					   SV_INT(before_id), SV_INT(limit)};
		rc = store_exec(c, &q_list_order, args, 5, &rows);
	} else if (state) {
		struct store_val args[] = {SV_TEXT(state), SV_INT(before_id), SV_INT(limit)};
		rc = store_exec(c, &q_list_state, args, 3, &rows);
	} else {
		struct store_val args[] = {SV_INT(before_id), SV_INT(limit)};
		rc = store_exec(c, &q_list_all, args, 2, &rows);
	}
	if (rc != APO_OK)
		return rc;
	struct outbox_row *list = xcalloc(cap, sizeof(*list));
	while (store_next(rows)) {
		if (*n == cap) {
			cap *= 2;
			list = xrealloc(list, cap * sizeof(*list));
		}
		read_row(rows, &list[(*n)++]);
	}
	store_rows_free(rows);
	*out = list;
	return APO_OK;
}

void outbox_rows_free(struct outbox_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		outbox_row_release(&rows[i]);
	free(rows);
}

enum apo_result outbox_count(struct store_conn *c, const char *state, int64_t *out)
{
	struct store_val arg = SV_TEXT(state);
	return store_query_int(c, &q_count, &arg, 1, out);
}

enum apo_result outbox_oldest_pending_ms(struct store_conn *c, int64_t *first_at_ms)
{
	return store_query_int(c, &q_oldest, NULL, 0, first_at_ms);
}

enum apo_result outbox_retry(struct store_conn *c, int64_t id, int64_t now_ms,
			     struct outbox_row *out)
{
	struct store_val args[] = {SV_INT(now_ms), SV_INT(now_ms), SV_INT(id)};
	enum apo_result rc = store_exec(c, &q_retry, args, 3, NULL);
	if (rc != APO_OK)
		return rc;
	int changed = store_changes(c) == 1;
	rc = outbox_get(c, id, out);
	if (rc == APO_OK && !changed) {
		outbox_row_release(out);
		rc = APO_ERR_STATE;
	}
	return rc;
}
