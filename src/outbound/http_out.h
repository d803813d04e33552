/*
 * Outbound HTTP: the one libcurl wrapper behind every call apotheca makes
 * to a merchant (payment API, refunds, webhooks). It is not a general HTTP
 * client: it sends one JSON request and collects a bounded answer.
 *
 * Every request: the URL checked by outbound/url.h (no user info; https, or
 * http only to this machine) and the address connected to checked again
 * (url_addr_allowed), dot-segments sent as they are, total timeout HTTP_OUT_TIMEOUT_MS, connect timeout
 * HTTP_OUT_CONNECT_TIMEOUT_MS, no signals (CURLOPT_NOSIGNAL), TLS peer and
 * host verification left on (libcurl's default; never turned off), only
 * http and https, redirects never followed (a 3xx is just an answer), the
 * merchant's auth header when configured, "Content-Type: application/json"
 * when there is a body, and X-Apotheca-Signature (outbound/sign.h) when a
 * signing secret is given.
 *
 * Threads: each thread keeps one CURL easy handle (created on first use,
 * freed when the thread exits), so consecutive calls from a thread reuse
 * connections. http_out_send() may be called from any thread.
 */
#ifndef APO_OUTBOUND_HTTP_OUT_H
#define APO_OUTBOUND_HTTP_OUT_H

#include <stddef.h>

#include "base/buf.h"

#define HTTP_OUT_TIMEOUT_MS 5000
#define HTTP_OUT_CONNECT_TIMEOUT_MS 3000
/* Larger answers are cut off and reported as HTTP_OUT_TOO_LARGE. */
#define HTTP_OUT_MAX_BODY (1024 * 1024)
/* Longest auth header name, and value, accepted from merchant settings. */
#define HTTP_OUT_MAX_HEADER_NAME 128
#define HTTP_OUT_MAX_HEADER_VALUE 4096
#define HTTP_OUT_ERR_CAP 160

struct http_out_req {
	const char *method;	    /* "GET", "POST", ... */
	const char *url;	    /* http:// or https:// */
	const char *body;	    /* JSON text, or NULL for none */
	size_t body_len;	    /* bytes of body */
	const char *auth_header;    /* header name, or NULL */
	const char *auth_value;	    /* its value (sent only with a name) */
	const char *signing_secret; /* NULL or "": no signature header */
	const char *kind;	    /* for metrics: "transaction_status", "refund", "webhook" */
};

/* How the exchange went at the transport level. */
enum http_out_outcome {
	HTTP_OUT_OK,	      /* an HTTP answer arrived (any status) */
	HTTP_OUT_UNREACHABLE, /* DNS, connect, TLS or connection failure */
	HTTP_OUT_TIMEOUT,     /* no complete answer within the timeout */
	HTTP_OUT_TOO_LARGE,   /* the answer's body exceeded HTTP_OUT_MAX_BODY */
	HTTP_OUT_FAILED,      /* a bad request on our side (URL, header) */
};

struct http_out_resp {
	enum http_out_outcome outcome;
	long status;		      /* HTTP status; 0 when none arrived */
	struct buf body;	      /* the answer's body, NUL-terminated */
	char error[HTTP_OUT_ERR_CAP]; /* short text when outcome != OK */
};

/* Sets up an empty response; release it with http_out_resp_release(). */
void http_out_resp_init(struct http_out_resp *resp);

/* Frees the body; the response is empty again. */
void http_out_resp_release(struct http_out_resp *resp);

/*
 * Sends rq and fills resp (http_out_resp_init'ed by the caller; earlier
 * contents are replaced). Blocks up to HTTP_OUT_TIMEOUT_MS. Returns 0 when
 * an answer arrived (resp->outcome HTTP_OUT_OK; look at resp->status), or
 * -1 with resp->outcome and resp->error saying what went wrong. Every call
 * is counted with its latency by rq->kind and outcome (base/counters.h).
 */
int http_out_send(const struct http_out_req *rq, struct http_out_resp *resp);

/* True when status is 2xx. */
int http_out_ok_status(long status);

/*
 * Appends s to b percent-encoded as one URL path segment: everything but
 * RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~) becomes %XX, and so
 * do the dots of "." and "..", which would otherwise climb the path.
 */
void http_out_escape_segment(struct buf *b, const char *s);

/* Appends base to b without its trailing '/'s. */
void http_out_add_base(struct buf *b, const char *base);

#endif
