/*
 * The merchant's payment API (SPEC §4.1, §4.2), called with libcurl: the
 * transaction status check behind Confirm, and refunds. Every call has a
 * 5 s timeout, the merchant's configured auth header, verified TLS and the
 * X-Apotheca-Signature header (outbound/sign.h). These functions block; call
 * them outside any database transaction.
 */
#ifndef APO_OUTBOUND_PAYMENT_H
#define APO_OUTBOUND_PAYMENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/result.h"

struct merchant;

#define PAYMENT_TIMEOUT_MS 5000
#define PAYMENT_MAX_TXN_ID 128

enum txn_state { TXN_SUCCESS, TXN_PENDING, TXN_FAILED };

struct txn_status {
	enum txn_state state;
	int64_t amount; /* paise */
	char transaction_id[PAYMENT_MAX_TXN_ID + 1];
};

/*
 * GET {payment_base_url}/transactions/{merchant_order_id}, expecting
 * {order_id, transaction_id, amount, status: SUCCESS|PENDING|FAILED}.
 * APO_OK fills *out. APO_ERR_UPSTREAM when the merchant has no payment API,
 * or it is unreachable, times out, answers non-2xx or something that is not
 * that object; err (cap bytes) then says which, for the client.
 */
enum apo_result payment_transaction_status(const struct merchant *m, const char *merchant_order_id,
					   struct txn_status *out, char *err, size_t cap);

struct refund_request {
	const char *refund_id; /* the same on every retry */
	const char *transaction_id;
	const char *order_id;
	int64_t amount; /* paise */
	const char *type; /* "FULL" or "PARTIAL" */
	const char *reason;
};

/*
 * POST {payment_base_url}/refunds with the request as JSON. APO_OK only
 * when the merchant answers 2xx with "status": "SUCCESS"; anything else is
 * APO_ERR_UPSTREAM with the reason in err, and the caller retries later.
 */
enum apo_result payment_refund(const struct merchant *m, const struct refund_request *rq, char *err,
			       size_t cap);

#endif
