/*
 * The payment API client against a scripted HTTP peer on loopback: what
 * counts as a transaction status, what is "unreachable", "timed out",
 * "answered 500" or "garbage", and what goes out on the wire (path, auth
 * header, signature over "t." for a GET, the refund body).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/merchant.h"
#include "outbound/payment.h"
#include "outbound/sign.h"
#include "t.h"

/* One scripted exchange: the peer reads a request, waits, then answers. */
static struct {
	int fd;
	unsigned port;
	const char *answer; /* whole HTTP response, or NULL to answer nothing */
	int delay_ms;
	char request[8192];
} peer;

static void *serve_one(void *arg)
{
	(void)arg;
	int c = accept(peer.fd, NULL, NULL);
	if (c < 0)
		return NULL;
	size_t len = 0;
	peer.request[0] = '\0';
	for (;;) {
		ssize_t n = read(c, peer.request + len, sizeof(peer.request) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		peer.request[len] = '\0';
		char *end = strstr(peer.request, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strstr(peer.request, "Content-Length: ");
		size_t body = cl ? (size_t)strtoul(cl + 16, NULL, 10) : 0;
		if (len >= (size_t)(end + 4 - peer.request) + body)
			break;
	}
	if (peer.delay_ms)
		usleep((useconds_t)peer.delay_ms * 1000);
	if (peer.answer && write(c, peer.answer, strlen(peer.answer)) < 0)
		perror("write");
	close(c);
	return NULL;
}

static void peer_start(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	peer.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (peer.fd < 0 || bind(peer.fd, (struct sockaddr *)&a, sizeof(a)) || listen(peer.fd, 8) ||
	    getsockname(peer.fd, (struct sockaddr *)&a, &alen)) {
		perror("peer");
		exit(1);
	}
	peer.port = ntohs(a.sin_port);
}

/* Runs one status call against a peer answering `answer`. */
static enum apo_result status_call(struct merchant *m, const char *answer, int delay_ms,
				   struct txn_status *st, char *err, size_t cap)
{
	pthread_t t;
	peer.answer = answer;
	peer.delay_ms = delay_ms;
	pthread_create(&t, NULL, serve_one, NULL);
	enum apo_result rc = payment_transaction_status(m, "MO-1/x", st, err, cap);
	pthread_join(t, NULL);
	return rc;
}

#define OK_JSON(body)                                                                              \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" body

static void test_status(struct merchant *m)
{
	struct txn_status st;
	char err[128];

	CHECK_INT(status_call(m,
			      OK_JSON("{\"order_id\":\"MO-1/x\",\"transaction_id\":\"T9\","
				      "\"amount\":\"632.80\",\"status\":\"SUCCESS\"}"),
			      0, &st, err, sizeof(err)),
		  APO_OK);
	CHECK_INT(st.state, TXN_SUCCESS);
	CHECK_INT(st.amount, 63280);
	CHECK_STR(st.transaction_id, "T9");

	/* What went out: the escaped path, the auth header, a GET signature. */
	CHECK(strncmp(peer.request, "GET /pay/transactions/MO-1%2Fx HTTP/1.1\r\n", 41) == 0);
	CHECK(strstr(peer.request, "\r\nX-Pay-Key: secret-key\r\n") != NULL);
	const char *sig = strstr(peer.request, "\r\nX-Apotheca-Signature: t=");
	CHECK(sig != NULL);
	if (sig) {
		char t[32] = "", want[SIGN_VALUE_CAP];
		size_t tl = strcspn(sig + 26, ",");
		if (tl < sizeof(t))
			memcpy(t, sig + 26, tl);
		int64_t ts = strtoll(t, NULL, 10);
		CHECK_INT(sign_header_value("whsec", ts, NULL, 0, want, sizeof(want)), 0);
		CHECK(strncmp(sig + 24, want, strlen(want)) == 0);
	}

	CHECK_INT(status_call(m,
			      OK_JSON("{\"transaction_id\":\"T9\",\"amount\":53.38,"
				      "\"status\":\"PENDING\"}"),
			      0, &st, err, sizeof(err)),
		  APO_OK);
	CHECK_INT(st.state, TXN_PENDING);
	CHECK_INT(st.amount, 5338);
	CHECK_INT(status_call(m, OK_JSON("{\"status\":\"FAILED\"}"), 0, &st, err, sizeof(err)),
		  APO_OK);
	CHECK_INT(st.state, TXN_FAILED);

	static const char *const garbage[] = {
	    OK_JSON("not json"),
	    OK_JSON("[1,2]"),
	    OK_JSON("{\"transaction_id\":\"T9\",\"amount\":\"632.80\",\"status\":\"DONE\"}"),
	    OK_JSON("{\"transaction_id\":\"T9\",\"status\":\"SUCCESS\"}"),
	    OK_JSON("{\"amount\":\"632.80\",\"status\":\"SUCCESS\"}"),
	    OK_JSON("{\"transaction_id\":\"T9\",\"amount\":\"6.325\",\"status\":\"SUCCESS\"}"),
	    OK_JSON("{\"transaction_id\":7,\"amount\":1,\"status\":\"SUCCESS\"}"),
	    OK_JSON("{\"transaction_id\":\"T9\",\"amount\":-1,\"status\":\"SUCCESS\"}"),
	};
	for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
		CHECK_INT(status_call(m, garbage[i], 0, &st, err, sizeof(err)), APO_ERR_UPSTREAM);
		CHECK_STR(err, "payment API answered garbage");
	}

	CHECK_INT(status_call(m,
			      "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 2\r\n"
			      "Connection: close\r\n\r\n{}",
			      0, &st, err, sizeof(err)),
		  APO_ERR_UPSTREAM);
	CHECK_STR(err, "payment API answered 500");
	/* A redirect is an answer, not something to follow. */
	CHECK_INT(status_call(m,
			      "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\n"
			      "Content-Length: 0\r\nConnection: close\r\n\r\n",
			      0, &st, err, sizeof(err)),
		  APO_ERR_UPSTREAM);
	CHECK_STR(err, "payment API answered 302");
	/* Connection closed without an answer. */
	CHECK_INT(status_call(m, NULL, 0, &st, err, sizeof(err)), APO_ERR_UPSTREAM);
	CHECK_STR(err, "payment API unreachable");
	/* No answer within 5 s. */
	CHECK_INT(status_call(m, OK_JSON("{}"), PAYMENT_TIMEOUT_MS + 700, &st, err, sizeof(err)),
		  APO_ERR_UPSTREAM);
	CHECK_STR(err, "payment API timed out");
}

static void test_unreachable_and_unconfigured(struct merchant *m)
{
	struct txn_status st;
	char err[128];
	char *saved = m->payment_base_url;

	/* A port nobody listens on (bound, never listened). */
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t alen = sizeof(a);
	char url[64];
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	      getsockname(fd, (struct sockaddr *)&a, &alen) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", ntohs(a.sin_port));
	m->payment_base_url = url;
	CHECK_INT(payment_transaction_status(m, "MO-1", &st, err, sizeof(err)), APO_ERR_UPSTREAM);
	CHECK_STR(err, "payment API unreachable");
	close(fd);

	m->payment_base_url = NULL;
	CHECK_INT(payment_transaction_status(m, "MO-1", &st, err, sizeof(err)), APO_ERR_UPSTREAM);
	CHECK(strstr(err, "no payment API") != NULL);
	m->payment_base_url = saved;
}

static enum apo_result refund_call(struct merchant *m, const char *answer, char *err, size_t cap)
{
	pthread_t t;
	struct refund_request rq = {.refund_id = "RF1",
				    .transaction_id = "T9",
				    .order_id = "PO00000000000001",
				    .amount = 63280,
				    .type = "FULL",
				    .reason = "As per Your Request"};
	peer.answer = answer;
	peer.delay_ms = 0;
	pthread_create(&t, NULL, serve_one, NULL);
	enum apo_result rc = payment_refund(m, &rq, err, cap);
	pthread_join(t, NULL);
	return rc;
}

static void test_refund(struct merchant *m)
{
	char err[128];
	static const char body[] = "{\"refund_id\":\"RF1\",\"transaction_id\":\"T9\","
				   "\"order_id\":\"PO00000000000001\",\"amount\":632.8,"
				   "\"type\":\"FULL\",\"reason\":\"As per Your Request\"}";

	CHECK_INT(refund_call(m, OK_JSON("{\"status\":\"SUCCESS\"}"), err, sizeof(err)), APO_OK);
	CHECK(strncmp(peer.request, "POST /pay/refunds HTTP/1.1\r\n", 28) == 0);
	CHECK(strstr(peer.request, "\r\nContent-Type: application/json\r\n") != NULL);
	const char *got = strstr(peer.request, "\r\n\r\n");
	CHECK(got && strcmp(got + 4, body) == 0);
	const char *sig = strstr(peer.request, "\r\nX-Apotheca-Signature: t=");
	if (sig && got) {
		char want[SIGN_VALUE_CAP];
		int64_t ts = strtoll(sig + 26, NULL, 10);
		CHECK_INT(sign_header_value("whsec", ts, body, strlen(body), want, sizeof(want)),
			  0);
		CHECK(strncmp(sig + 24, want, strlen(want)) == 0);
	} else {
		CHECK(sig != NULL);
	}

	CHECK_INT(refund_call(m, OK_JSON("{\"status\":\"FAILED\"}"), err, sizeof(err)),
		  APO_ERR_UPSTREAM);
	CHECK(strstr(err, "FAILED") != NULL);
	CHECK_INT(refund_call(m, OK_JSON("{\"refund_id\":\"RF1\"}"), err, sizeof(err)),
		  APO_ERR_UPSTREAM);
	CHECK_STR(err, "payment API answered garbage");
	CHECK_INT(refund_call(m,
			      "HTTP/1.1 503 Unavailable\r\nContent-Length: 0\r\n"
			      "Connection: close\r\n\r\n",
			      err, sizeof(err)),
		  APO_ERR_UPSTREAM);
	CHECK_STR(err, "payment API answered 503");
}

int main(void)
{
	struct merchant m;
	char base[64];

	peer_start();
	snprintf(base, sizeof(base), "http://127.0.0.1:%u/pay/", peer.port);
	merchant_init(&m);
	m.id = "m1";
	m.payment_base_url = base;
	m.payment_auth_header = "X-Pay-Key";
	m.payment_auth_value = "secret-key";
	m.webhook_signing_secret = "whsec";
	test_status(&m);
	test_unreachable_and_unconfigured(&m);
	test_refund(&m);
	close(peer.fd);
	T_DONE();
}
