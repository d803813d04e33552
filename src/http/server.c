/*
 * The libmicrohttpd edge (see server.h). Everything about MHD's callback
 * protocol stays in this file: handlers see only struct req.
 *
 * A response is queued on the second callback at the earliest: MHD 0.9.75
 * closes keep-alive connections when a response is queued on the first.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "app.h"
#include "http/req.h"
#include "http/server.h"
#include "http/metrics.h"
#include "out/outbox.h"
#include "store/store.h"
#include "base/log.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Threads and queue depth for requests that wait on a merchant's system. */
#define SERVER_OFFLOAD_THREADS 16
#define SERVER_OFFLOAD_QUEUE 1024

/*
 * An oversized body is read and thrown away up to this much before the 413
 * goes out, so clients that send the whole body before reading the answer
 * (most do) see the 413 rather than a reset connection. Beyond it the
 * answer goes out at once and the connection closes.
 */
#define SERVER_MAX_DRAIN (64 * 1024 * 1024)

/* Idle keep-alive connections are closed after this many seconds. */
#define SERVER_IDLE_TIMEOUT_S 30
#define SERVER_MAX_CONNECTIONS 4096

static void plain_error(struct req *r, unsigned status, const char *code, const char *message)
{
	json_t *err = json_pack("{s:s?,s:s}", "code", code, "message", message);
	req_reply_json(r, status, json_pack("{s:o}", "error", err));
}

const struct dialect plain_dialect = {"plain", "/", plain_error};

extern const struct dialect pharmacy_dialect, logistics_dialect, admin_dialect;

static const struct dialect *dialect_for(const char *path)
{
	static const struct dialect *const all[] = {&pharmacy_dialect, &logistics_dialect,
						    &admin_dialect};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		size_t n = strlen(all[i]->prefix);
		if (strncmp(path, all[i]->prefix, n) == 0 && (path[n] == '/' || path[n] == '\0'))
			return all[i];
	}
	return &plain_dialect;
}

static int id_char_ok(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e;
}

static void set_request_id(struct req *r)
{
	static __thread uint64_t state;
	const char *in = req_header(r, "X-Request-ID");
	if (in) {
		size_t len = strlen(in), i;
		for (i = 0; i < len && id_char_ok((unsigned char)in[i]); i++)
			;
		if (len > 0 && len <= REQ_MAX_ID_LEN && i == len) {
			memcpy(r->request_id, in, len + 1);
			return;
		}
	}
	if (!state && getrandom(&state, sizeof(state), 0) != sizeof(state))
		state = (uint64_t)now_ns();
	/* splitmix64: unique per thread stream, unpredictable enough for ids */
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	fmt_into(r->request_id, sizeof(r->request_id), "%016llx", (unsigned long long)z);
}

static void dispatch(struct req *r)
{
	char allow[64];

	if (r->body_too_large) {
		req_fail(r, 413, "payload_too_large", "Request body exceeds 1 MiB");
		return;
	}
	if (router_match(&r->app->router, r->method, r->path, &r->match)) {
		if (r->match.allowed) {
			http_methods_format(r->match.allowed, allow, sizeof(allow));
			req_add_header(r, "Allow", allow);
			req_fail(r, 405, "method_not_allowed", "Method not allowed");
		} else {
			req_fail(r, 404, "not_found", "Not found");
		}
		return;
	}
	if (!(r->match.route->flags & ROUTE_NO_DB)) {
		r->db = store_thread_conn(r->app->store);
		if (!r->db) {
			req_add_header(r, "Retry-After", "1");
			req_fail(r, 503, "unavailable", "Database unavailable");
			return;
		}
	}
	if (r->match.route->flags & ROUTE_OFFLOAD) {
		req_offload(r, r->match.route->fn);
		return;
	}
	r->match.route->fn(r);
	if (!r->replied && !r->went_async) {
		log_line(LOG_ERROR, r->request_id, "handler did not reply", "\"route\":\"%s\"",
			 r->match.route->name);
		req_fail(r, 500, "internal", "Internal error");
	}
}

/* A streamed answer (req_reply_stream) while libmicrohttpd sends it. */
struct stream {
	int (*fill)(void *arg, struct buf *b);
	void (*done)(void *arg);
	void *arg;
	struct buf b;
	size_t off;
	int last;
};

/* Block size libmicrohttpd asks the stream for. */
#define SERVER_STREAM_BLOCK (32 * 1024)

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *s = cls;
	(void)pos;
	while (s->off == s->b.len) {
		if (s->last)
			return MHD_CONTENT_READER_END_OF_STREAM;
		buf_reset(&s->b);
		s->off = 0;
		int more = s->fill(s->arg, &s->b);
		if (more < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		s->last = !more;
	}
	size_t n = s->b.len - s->off < max ? s->b.len - s->off : max;
	memcpy(out, s->b.data + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	s->done(s->arg);
	buf_release(&s->b);
	free(s);
}

static struct MHD_Response *stream_response(struct req *r)
{
	struct stream *s = xcalloc(1, sizeof(*s));
	s->fill = r->stream_fill;
	s->done = r->stream_done;
	s->arg = r->stream_arg;
	buf_init(&s->b);
	r->stream_fill = NULL;
	r->stream_done = NULL;
	r->stream_arg = NULL;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, SERVER_STREAM_BLOCK, stream_read, s, stream_free);
	if (!resp)
		stream_free(s);
	return resp;
}

static enum MHD_Result queue(struct MHD_Connection *conn, struct req *r)
{
	if (r->finish && !r->went_async)
		r->finish(r);
	struct MHD_Response *resp;
	if (r->stream_fill) {
		if (!(resp = stream_response(r)))
			return MHD_NO;
	} else {
		size_t len;
		char *body = buf_detach(&r->out, &len);
		resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(body);
			return MHD_NO;
		}
	}
	MHD_add_response_header(resp, "Content-Type",
				r->content_type ? r->content_type : "application/json");
	MHD_add_response_header(resp, "X-Request-ID", r->request_id);
	for (size_t i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * The offload pool: a bounded queue under one mutex. Only requests that
 * call out to a merchant pass through it, so the lock is off the hot path.
 */
struct offload_job {
	struct req *r;
	route_fn fn;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct offload_job jobs[SERVER_OFFLOAD_QUEUE];
	size_t head, count;
	int stop;
	pthread_t threads[SERVER_OFFLOAD_THREADS];
	size_t nthreads;
	struct app *app;
} offload = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static void *offload_main(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&offload.lock);
		while (!offload.count && !offload.stop)
			pthread_cond_wait(&offload.wake, &offload.lock);
		if (!offload.count) {
			pthread_mutex_unlock(&offload.lock);
			return NULL;
		}
		struct offload_job job = offload.jobs[offload.head];
		offload.head = (offload.head + 1) % SERVER_OFFLOAD_QUEUE;
		offload.count--;
		pthread_mutex_unlock(&offload.lock);

		struct req *r = job.r;
		r->db = store_thread_conn(offload.app->store);
		if (!r->db) {
			req_add_header(r, "Retry-After", "1");
			req_fail(r, 503, "unavailable", "Database unavailable");
		} else {
			job.fn(r);
		}
		if (!r->replied)
			req_fail(r, 500, "internal", "Internal error");
		if (r->finish && r->db)
			r->finish(r);
		__atomic_store_n(&r->done_async, 1, __ATOMIC_RELEASE);
		MHD_resume_connection(r->conn);
	}
}

static int offload_start(struct app *app)
{
	offload.app = app;
	offload.stop = 0;
	for (offload.nthreads = 0; offload.nthreads < SERVER_OFFLOAD_THREADS; offload.nthreads++)
		if (pthread_create(&offload.threads[offload.nthreads], NULL, offload_main, NULL))
			return -1;
	return 0;
}

static void offload_stop(void)
{
	pthread_mutex_lock(&offload.lock);
	offload.stop = 1;
	pthread_cond_broadcast(&offload.wake);
	pthread_mutex_unlock(&offload.lock);
	for (size_t i = 0; i < offload.nthreads; i++)
		pthread_join(offload.threads[i], NULL);
	offload.nthreads = 0;
}

void req_offload(struct req *r, route_fn fn)
{
	pthread_mutex_lock(&offload.lock);
	if (offload.count == SERVER_OFFLOAD_QUEUE || offload.stop) {
		pthread_mutex_unlock(&offload.lock);
		req_add_header(r, "Retry-After", "1");
		req_fail(r, 503, "busy", "Too many requests waiting on merchant systems");
		return;
	}
	r->went_async = 1;
	MHD_suspend_connection(r->conn);
	offload.jobs[(offload.head + offload.count) % SERVER_OFFLOAD_QUEUE] =
		(struct offload_job){r, fn};
	offload.count++;
	pthread_cond_signal(&offload.wake);
	pthread_mutex_unlock(&offload.lock);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct req *r = *con_cls;
	(void)version;

	if (!r) {
		r = xmalloc(sizeof(*r));
		req_init(r);
		r->app = cls;
		r->conn = conn;
		r->method_name = method;
		r->method = http_method_parse(method);
		r->path = xstrdup(url);
		r->dialect = dialect_for(url);
		set_request_id(r);
		const char *cl = req_header(r, "Content-Length");
		int64_t n;
		if (cl && (strnum_i64z(cl, 0, INT64_MAX, &n) || n > REQ_MAX_BODY))
			r->body_too_large = 1;
		if (r->body_too_large && (!cl || n > SERVER_MAX_DRAIN))
			r->drained = SERVER_MAX_DRAIN; /* answer at the next call */
		*con_cls = r;
		return MHD_YES;
	}
	if (r->queued) {
		*upload_data_size = 0; /* already answered (413): discard the rest */
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->body_too_large && r->body.len + *upload_data_size <= REQ_MAX_BODY)
			buf_add(&r->body, upload_data, *upload_data_size);
		else
			r->body_too_large = 1;
		if (r->body_too_large)
			r->drained += *upload_data_size;
		*upload_data_size = 0;
		if (r->drained < SERVER_MAX_DRAIN)
			return MHD_YES;
	}
	if (r->went_async) {
		/* Resumed by the offload thread once it replied. */
		if (!__atomic_load_n(&r->done_async, __ATOMIC_ACQUIRE))
			return MHD_YES;
	} else {
		dispatch(r);
		if (r->went_async)
			return MHD_YES;
	}
	r->queued = 1;
	return queue(conn, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct app *app = cls;
	struct req *r = *con_cls;
	(void)conn;
	if (!r)
		return;
	int64_t us = (now_ns() - r->start_ns) / 1000;
	const char *route = r->match.route ? r->match.route->name : "unmatched";
	metrics_observe(route, r->status, us);
	if (app->cfg.access_log) {
		struct buf b;
		buf_init(&b);
		buf_adds(&b, "\"method\":");
		json_quote(&b, r->method_name);
		buf_adds(&b, ",\"path\":");
		json_quote(&b, r->path);
		buf_addf(&b, ",\"route\":\"%s\",\"status\":%u,\"latency_us\":%lld,\"completed\":%s",
			 route, r->status, (long long)us,
			 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false");
		log_line(LOG_INFO, r->request_id, "access", "%s", b.data);
		buf_release(&b);
	}
	req_free(r);
	*con_cls = NULL;
}

static volatile sig_atomic_t stopping;

struct sweeper {
	struct app *app;
	pthread_t thread;
};

static void *sweeper_main(void *arg)
{
	struct sweeper *sw = arg;
	struct timespec ts;
	while (!stopping) {
		struct store_conn *c = store_thread_conn(sw->app->store);
		if (c)
			for (size_t i = 0; app_tasks[i]; i++)
				app_tasks[i](sw->app, c);
		/* Sleep in short steps so a stop is noticed promptly. */
		for (int64_t slept = 0; slept < sw->app->cfg.sweep_ms && !stopping; slept += 50) {
			int64_t step = sw->app->cfg.sweep_ms - slept < 50 ? sw->app->cfg.sweep_ms - slept : 50;
			ts.tv_sec = 0;
			ts.tv_nsec = (long)step * 1000000L;
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

int server_run(struct app *app)
{
	struct sockaddr_in addr;
	sigset_t set;
	int sig;
	struct sweeper sw = {.app = app};

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)app->cfg.port);
	if (inet_pton(AF_INET, app->cfg.listen_host, &addr.sin_addr) != 1) {
		log_error("listen address must be an IPv4 address", "\"host\":\"%s\"",
			  app->cfg.listen_host);
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, (uint16_t)app->cfg.port, NULL, NULL, on_request, app, MHD_OPTION_SOCK_ADDR, &addr,
		MHD_OPTION_THREAD_POOL_SIZE, app->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)SERVER_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)SERVER_MAX_CONNECTIONS, MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_END);
	if (!d) {
		log_error("cannot listen", "\"host\":\"%s\",\"port\":%u", app->cfg.listen_host,
			  app->cfg.port);
		return -1;
	}
	if (offload_start(app) || pthread_create(&sw.thread, NULL, sweeper_main, &sw) != 0) {
		offload_stop();
		MHD_stop_daemon(d);
		return -1;
	}
	if (outbox_start(app)) {
		stopping = 1;
		pthread_join(sw.thread, NULL);
		MHD_stop_daemon(d);
		return -1;
	}
	log_info("listening", "\"host\":\"%s\",\"port\":%u,\"threads\":%u,\"db\":\"%s\"",
		 app->cfg.listen_host, app->cfg.port, app->cfg.threads,
		 store_backend_name(app->store));
	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig == SIGPIPE);
	log_info("stopping", "\"signal\":%d", sig);
	stopping = 1;
	/* Offloaded requests finish (and resume) before the daemon goes. */
	offload_stop();
	MHD_stop_daemon(d);
	pthread_join(sw.thread, NULL);
	outbox_stop();
	return 0;
}
