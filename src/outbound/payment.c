/*
 * The merchant's payment API client (see payment.h): builds the request,
 * sends it through outbound/http_out and reads the answer strictly. Every
 * failure becomes APO_ERR_UPSTREAM with a short reason for the caller; the
 * transport detail goes to the log.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "outbound/payment.h"
#include "outbound/http_out.h"
#include "core/merchant.h"
#include "http/jsonx.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/banned.h"

/* The deepest JSON a payment API answer may nest (it needs 1). */
#define PAYMENT_MAX_JSON_DEPTH 8

static void log_failure(const struct merchant *m, const char *call, const char *why)
{
	struct buf b;
	buf_init(&b);
	buf_adds(&b, "\"merchant\":");
	json_quote(&b, m->id ? m->id : "");
	buf_adds(&b, ",\"call\":");
	json_quote(&b, call);
	buf_adds(&b, ",\"error\":");
	json_quote(&b, why);
	log_line(LOG_WARN, NULL, "payment API call failed", "%s", b.data);
	buf_release(&b);
}

/*
 * Sends rq; APO_OK when a 2xx arrived (body in resp), else APO_ERR_UPSTREAM
 * with err saying unreachable, timed out, garbage or the status.
 */
static enum apo_result call(const struct merchant *m, const char *what,
			    const struct http_out_req *rq, struct http_out_resp *resp, char *err,
			    size_t cap)
{
	if (http_out_send(rq, resp) != 0) {
		log_failure(m, what, resp->error);
		if (resp->outcome == HTTP_OUT_TIMEOUT)
			fmt_into(err, cap, "payment API timed out");
		else if (resp->outcome == HTTP_OUT_TOO_LARGE)
			fmt_into(err, cap, "payment API answered garbage");
		else
			fmt_into(err, cap, "payment API unreachable");
		return APO_ERR_UPSTREAM;
	}
	if (!http_out_ok_status(resp->status)) {
		fmt_into(err, cap, "payment API answered %ld", resp->status);
		log_failure(m, what, err);
		return APO_ERR_UPSTREAM;
	}
	return APO_OK;
}

/* The answer as a JSON object, or NULL (caller decrefs). */
static json_t *answer_object(const struct http_out_resp *resp)
{
	json_error_t e;
	if (json_text_depth(resp->body.data, resp->body.len) > PAYMENT_MAX_JSON_DEPTH)
		return NULL;
	json_t *j = json_loadb(resp->body.data, resp->body.len, 0, &e);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int parse_state(const json_t *j, enum txn_state *out)
{
	const char *s;
	if (jx_str(j, "status", 16, &s) != 0)
		return -1;
	if (strcmp(s, "SUCCESS") == 0)
		*out = TXN_SUCCESS;
	else if (strcmp(s, "PENDING") == 0)
		*out = TXN_PENDING;
	else if (strcmp(s, "FAILED") == 0)
		*out = TXN_FAILED;
	else
		return -1;
	return 0;
}

/*
 * Reads {transaction_id, amount, status}. A SUCCESS must carry both a
 * transaction id and an amount; a PENDING or FAILED one may leave them out
 * (a payment that did not happen has neither), but not send them wrong.
 */
static int parse_txn(const json_t *j, struct txn_status *out)
{
	const char *txn = NULL;
	int64_t amount = 0;
	enum txn_state st;

	if (parse_state(j, &st))
		return -1;
	int rc_amount = jx_money(j, "amount", &amount);
	int rc_txn = jx_str(j, "transaction_id", PAYMENT_MAX_TXN_ID, &txn);
	if (rc_amount < 0 || rc_txn < 0)
		return -1;
	if (st == TXN_SUCCESS && (rc_amount != 0 || rc_txn != 0 || !*txn))
		return -1;
	out->state = st;
	out->amount = rc_amount == 0 ? amount : 0;
	out->transaction_id[0] = '\0';
	if (rc_txn == 0)
		fmt_into(out->transaction_id, sizeof(out->transaction_id), "%s", txn);
	return 0;
}

static int have_payment_api(const struct merchant *m, char *err, size_t cap)
{
	if (m->payment_base_url && *m->payment_base_url)
		return 1;
	fmt_into(err, cap, "merchant has no payment API configured");
	return 0;
}

enum apo_result payment_transaction_status(const struct merchant *m, const char *merchant_order_id,
					   struct txn_status *out, char *err, size_t cap)
{
	struct http_out_resp resp;
	struct buf url;
	enum apo_result rc;

	err[0] = '\0';
	if (!have_payment_api(m, err, cap))
		return APO_ERR_UPSTREAM;
	buf_init(&url);
	http_out_add_base(&url, m->payment_base_url);
	buf_adds(&url, "/transactions/");
	http_out_escape_segment(&url, merchant_order_id);
	struct http_out_req rq = {.method = "GET",
				  .kind = "transaction_status",
				  .url = url.data,
				  .auth_header = m->payment_auth_header,
				  .auth_value = m->payment_auth_value,
				  .signing_secret = m->webhook_signing_secret};
	http_out_resp_init(&resp);
	rc = call(m, "transaction_status", &rq, &resp, err, cap);
	if (rc == APO_OK) {
		json_t *j = answer_object(&resp);
		if (!j || parse_txn(j, out)) {
			fmt_into(err, cap, "payment API answered garbage");
			log_failure(m, "transaction_status", err);
			rc = APO_ERR_UPSTREAM;
		}
		json_decref(j);
	}
	http_out_resp_release(&resp);
	buf_release(&url);
	return rc;
}

static char *refund_body(const struct refund_request *rq, size_t *len)
{
	json_t *j = json_pack("{s:s,s:o,s:s,s:o,s:s,s:o}", "refund_id", rq->refund_id,
			      "transaction_id", jx_str_or_null(rq->transaction_id), "order_id",
			      rq->order_id, "amount", jx_money_value(rq->amount), "type", rq->type,
			      "reason", jx_str_or_null(rq->reason));
	if (!j)
		return NULL;
	/* The same serialization as every apotheca answer: exact money. */
	char *s = jx_dumps(j, 15, len);
	json_decref(j);
	return s;
}

/* APO_OK when the answer is a JSON object with "status": "SUCCESS". */
static enum apo_result refund_answer(const struct merchant *m, const struct http_out_resp *resp,
				     char *err, size_t cap)
{
	const char *status;
	enum apo_result rc = APO_ERR_UPSTREAM;
	json_t *j = answer_object(resp);

	if (!j || jx_str(j, "status", 32, &status) != 0)
		fmt_into(err, cap, "payment API answered garbage");
	else if (strcmp(status, "SUCCESS") != 0)
		fmt_into(err, cap, "payment API answered refund status %s", status);
	else
		rc = APO_OK;
	if (rc != APO_OK)
		log_failure(m, "refund", err);
	json_decref(j);
	return rc;
}

enum apo_result payment_refund(const struct merchant *m, const struct refund_request *rq, char *err,
			       size_t cap)
{
	struct http_out_resp resp;
	struct buf url;
	size_t len = 0;
	enum apo_result rc;

	err[0] = '\0';
	if (!have_payment_api(m, err, cap))
		return APO_ERR_UPSTREAM;
	if (!rq->refund_id || !rq->order_id || !rq->type) {
		fmt_into(err, cap, "refund request lacks refund_id, order_id or type");
		return APO_ERR_UPSTREAM;
	}
	char *body = refund_body(rq, &len);
	if (!body) {
		fmt_into(err, cap, "cannot encode the refund request");
		return APO_ERR_UPSTREAM;
	}
	buf_init(&url);
	http_out_add_base(&url, m->payment_base_url);
	buf_adds(&url, "/refunds");
	struct http_out_req hrq = {.method = "POST",
				   .kind = "refund",
				   .url = url.data,
				   .body = body,
				   .body_len = len,
				   .auth_header = m->payment_auth_header,
				   .auth_value = m->payment_auth_value,
				   .signing_secret = m->webhook_signing_secret};
	http_out_resp_init(&resp);
	rc = call(m, "refund", &hrq, &resp, err, cap);
	if (rc == APO_OK)
		rc = refund_answer(m, &resp, err, cap);
	http_out_resp_release(&resp);
	buf_release(&url);
	free(body);
	return rc;
}
