/*
 * The libcurl wrapper for calls to merchants (see http_out.h). One easy
 * handle per thread, reset before each request so no option leaks from one
 * call into the next while its connection cache survives.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "outbound/http_out.h"
#include "outbound/sign.h"
#include "base/clock.h"
#include "base/counters.h"
#include "outbound/url.h"
#include "base/log.h"
#include "base/banned.h"

#define HTTP_OUT_USER_AGENT "apotheca/1"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t handle_key;
static int init_ok;

static void handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		log_error("curl_global_init failed", NULL);
		return;
	}
	if (pthread_key_create(&handle_key, handle_free) != 0) {
		log_error("pthread_key_create failed", NULL);
		return;
	}
	init_ok = 1;
}

/* The calling thread's handle, reset to defaults; NULL when libcurl fails. */
static CURL *thread_handle(void)
{
	pthread_once(&init_once, global_init);
	if (!init_ok)
		return NULL;
	CURL *h = pthread_getspecific(handle_key);
	if (h) {
		curl_easy_reset(h);
		return h;
	}
	h = curl_easy_init();
	if (h && pthread_setspecific(handle_key, h) != 0) {
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}

void http_out_resp_init(struct http_out_resp *resp)
{
	resp->outcome = HTTP_OUT_OK;
	resp->status = 0;
	buf_init(&resp->body);
	resp->error[0] = '\0';
}

void http_out_resp_release(struct http_out_resp *resp)
{
	buf_release(&resp->body);
	resp->status = 0;
	resp->error[0] = '\0';
}

int http_out_ok_status(long status)
{
	return status >= 200 && status <= 299;
}

void http_out_escape_segment(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	/* "." and ".." would be dot-segments that climb the path: escape their dots too. */
	int dots_only = strspn(s, ".") == strlen(s);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || (c == '.' && !dots_only) || c == '_' || c == '~') {
			buf_addch(b, (char)c);
		} else {
			buf_addch(b, '%');
			buf_addch(b, hex[c >> 4]);
			buf_addch(b, hex[c & 0x0f]);
		}
	}
}

void http_out_add_base(struct buf *b, const char *base)
{
	size_t len = strlen(base);
	while (len && base[len - 1] == '/')
		len--;
	buf_add(b, base, len);
}

/* RFC 9110 token characters: what a header name may consist of. */
static int header_name_ok(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > HTTP_OUT_MAX_HEADER_NAME)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-.^_`|~", c)))
			return 0;
	}
	return 1;
}

/* No control characters, so a value cannot smuggle another header. */
static int header_value_ok(const char *s)
{
	if (strlen(s) > HTTP_OUT_MAX_HEADER_VALUE)
		return 0;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

struct sink {
	struct buf *body;
	int too_large;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	size_t len = size * n;
	if (len > HTTP_OUT_MAX_BODY - s->body->len) {
		s->too_large = 1;
		return 0; /* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	buf_add(s->body, data, len);
	return len;
}

static struct curl_slist *add_line(struct curl_slist *list, const char *line, int *failed)
{
	struct curl_slist *next = curl_slist_append(list, line);
	if (!next) {
		*failed = 1;
		return list;
	}
	return next;
}

static struct curl_slist *add_header(struct curl_slist *list, const char *name, const char *value,
				     int *failed)
{
	struct buf line;
	buf_init(&line);
	/* "Name:" alone would make libcurl drop the header; "Name;" sends it empty. */
	if (*value)
		buf_addf(&line, "%s: %s", name, value);
	else
		buf_addf(&line, "%s;", name);
	list = add_line(list, line.data, failed);
	buf_release(&line);
	return list;
}

/* Builds the request headers; NULL with resp->error set when one is bad. */
static struct curl_slist *build_headers(const struct http_out_req *rq, struct http_out_resp *resp,
					int *failed)
{
	struct curl_slist *h = NULL;
	char sig[SIGN_VALUE_CAP];
	const char *rid = log_bound_request_id();

	*failed = 0;
	h = add_header(h, "Accept", "application/json", failed);
	/* The merchant's logs and ours join on the id of the request behind the call. */
	if (rid && *rid && header_value_ok(rid))
		h = add_header(h, "X-Request-ID", rid, failed);
	/* No "Expect: 100-continue" round trip before a body. */
	h = add_line(h, "Expect:", failed);
	if (rq->body)
		h = add_header(h, "Content-Type", "application/json", failed);
	if (rq->auth_header && *rq->auth_header) {
		const char *v = rq->auth_value ? rq->auth_value : "";
		if (!header_name_ok(rq->auth_header) || !header_value_ok(v)) {
			fmt_into(resp->error, sizeof(resp->error), "invalid auth header setting");
			*failed = 1;
			return h;
		}
		h = add_header(h, rq->auth_header, v, failed);
	}
	if (rq->signing_secret && *rq->signing_secret) {
		if (sign_header_value(rq->signing_secret, now_epoch(), rq->body,
				      rq->body ? rq->body_len : 0, sig, sizeof(sig))) {
			fmt_into(resp->error, sizeof(resp->error), "cannot sign the request");
			*failed = 1;
			return h;
		}
		h = add_header(h, SIGN_HEADER, sig, failed);
	}
	if (*failed && !resp->error[0])
		fmt_into(resp->error, sizeof(resp->error), "out of memory for headers");
	return h;
}

/* What the connect-time check decided, for the error message. */
struct guard {
	int https;
	int refused;
};

/* Called by libcurl instead of socket(2), with the address it resolved. */
static curl_socket_t open_checked(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct guard *g = arg;
	(void)purpose;
	if (!url_addr_allowed(&a->addr, g->https)) {
		g->refused = 1;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static void set_options(CURL *h, const struct http_out_req *rq, struct curl_slist *headers,
			struct sink *sink, char *errbuf, struct guard *guard)
{
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	/* Ids are escaped into paths; never let libcurl squash dot-segments. */
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_checked);
	curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, guard);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)HTTP_OUT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)HTTP_OUT_CONNECT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h, CURLOPT_USERAGENT, HTTP_OUT_USER_AGENT);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if (strcmp(rq->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else {
		if (strcmp(rq->method, "POST") != 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(rq->body ? rq->body_len : 0));
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	}
}

static void classify(CURLcode cc, const struct sink *sink, const char *errbuf,
		     struct http_out_resp *resp)
{
	const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		resp->outcome = HTTP_OUT_TIMEOUT;
		fmt_into(resp->error, sizeof(resp->error), "timed out after %d ms",
			 HTTP_OUT_TIMEOUT_MS);
		return;
	case CURLE_WRITE_ERROR:
		if (sink->too_large) {
			resp->outcome = HTTP_OUT_TOO_LARGE;
			fmt_into(resp->error, sizeof(resp->error), "answer larger than %d bytes",
				 HTTP_OUT_MAX_BODY);
			return;
		}
		break;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		resp->outcome = HTTP_OUT_FAILED;
		fmt_into(resp->error, sizeof(resp->error), "bad URL: %s", why);
		return;
	default:
		break;
	}
	resp->outcome = HTTP_OUT_UNREACHABLE;
	fmt_into(resp->error, sizeof(resp->error), "%s", why);
}

static int send_once(const struct http_out_req *rq, struct http_out_resp *resp)
{
	char errbuf[CURL_ERROR_SIZE];
	struct sink sink = {&resp->body, 0};
	struct curl_slist *headers;
	struct guard guard = {0, 0};
	char why[HTTP_OUT_ERR_CAP];
	int failed;
	CURLcode cc;

	buf_reset(&resp->body);
	resp->status = 0;
	resp->error[0] = '\0';
	errbuf[0] = '\0';
	resp->outcome = HTTP_OUT_FAILED;
	if (!rq->url || !*rq->url || !rq->method) {
		fmt_into(resp->error, sizeof(resp->error), "no URL configured");
		return -1;
	}
	if (url_check(rq->url, &guard.https, why, sizeof(why))) {
		fmt_into(resp->error, sizeof(resp->error), "bad URL: %s", why);
		return -1;
	}
	CURL *h = thread_handle();
	if (!h) {
		fmt_into(resp->error, sizeof(resp->error), "libcurl unavailable");
		return -1;
	}
	headers = build_headers(rq, resp, &failed);
	if (failed) {
		curl_slist_free_all(headers);
		return -1;
	}
	set_options(h, rq, headers, &sink, errbuf, &guard);
	cc = curl_easy_perform(h);
	/* Drop pointers into this frame before the handle outlives it. */
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (cc != CURLE_OK) {
		classify(cc, &sink, errbuf, resp);
		if (guard.refused)
			fmt_into(resp->error, sizeof(resp->error),
				 "refused to connect: the host resolved to a non-public address");
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->outcome = HTTP_OUT_OK;
	return 0;
}

static const char *outcome_name(int rc, const struct http_out_resp *resp)
{
	if (rc == 0)
		return http_out_ok_status(resp->status) ? "ok" : "http_error";
	switch (resp->outcome) {
	case HTTP_OUT_TIMEOUT:
		return "timeout";
	case HTTP_OUT_UNREACHABLE:
		return "unreachable";
	default:
		return "failed";
	}
}

int http_out_send(const struct http_out_req *rq, struct http_out_resp *resp)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = send_once(rq, resp);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int64_t us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000;
	counters_outbound(rq->kind, outcome_name(rc, resp), us);
	return rc;
}
