/*
 * The libmicrohttpd edge (see server.h). Everything about MHD's callback
 * protocol stays in this file (offload.c only suspends and resumes
 * connections): handlers see only struct req.
 *
 * A response is queued on the second callback at the earliest: MHD 0.9.75
 * closes keep-alive connections when a response is queued on the first.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "http/req.h"
#include "http/server.h"
#include "http/listen.h"
#include "http/offload.h"
#include "http/metrics.h"
#include "store/store.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/strnum.h"
#include "base/xalloc.h"
#include "base/banned.h"

/*
 * A body without a declared length (chunked) that grows past REQ_MAX_BODY
 * is read and thrown away up to this much before the 413 goes out, so the
 * client sees the 413 rather than a reset connection. A declared length
 * over the limit is answered at once instead (declared_length_or_reply).
 */
#define SERVER_MAX_DRAIN (64 * 1024 * 1024)

/*
 * Connection limits (docs/SECURITY.md). MHD closes a connection idle this
 * long, but its timer restarts on every byte, so a client trickling one
 * header line at a time would hold a connection for ever: the deadlines
 * below count from a fixed point instead, and the watcher thread closes
 * connections that miss them.
 */
#define SERVER_IDLE_TIMEOUT_S 30
#define SERVER_MAX_CONNECTIONS 4096
/* One client address holds at most this many; more are refused at accept. */
#define SERVER_MAX_CONNECTIONS_PER_IP 256
/*
 * The request line and every header must arrive within this many seconds
 * of the connection opening, or of the previous answer on a keep-alive
 * connection (so it also bounds keep-alive idling).
 */
#define SERVER_HEADER_DEADLINE_S 10
/* Then the whole body within this many seconds of the headers. */
#define SERVER_BODY_DEADLINE_S 30
/* How often the watcher looks for connections past their deadline. */
#define SERVER_WATCH_INTERVAL_MS 200
/*
 * libmicrohttpd's memory pool per connection (request line, headers, read
 * and write buffers; bodies are copied out as they arrive). Half its 32
 * KiB default: room for 8 KiB of headers, and at most 16 MB less for
 * 1,000 connections that have each carried a request.
 */
#define SERVER_CONNECTION_MEMORY (16 * 1024)

/*
 * The connection watcher: every open connection with the time by which its
 * current request must have been read (0 while a handler runs or the answer
 * goes out). A connection past its deadline has its socket shut down, which
 * MHD sees as the peer going away and closes.
 */
struct conn_watch {
	struct conn_watch *prev, *next; /* NULL while not in the list */
	MHD_socket fd;
	int64_t deadline_ns;
	int began; /* a request has begun on the connection (see request_began) */
};

static struct {
	pthread_mutex_t lock;
	struct conn_watch head;
	pthread_t thread;
} watch = {.lock = PTHREAD_MUTEX_INITIALIZER, .head = {&watch.head, &watch.head, 0, 0}};

static volatile sig_atomic_t stopping;

static int64_t seconds_from_now(int s)
{
	return now_ns() + (int64_t)s * 1000000000;
}

/* Sets the deadline of conn's current request: s seconds from now, or none (s < 0). */
static void watch_set(struct MHD_Connection *conn, int s)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_watch *w = ci ? ci->socket_context : NULL;
	if (!w)
		return;
	/* Atomic rather than under the list lock: this runs on every request,
	 * and only the connection's own thread or the watcher touch the field. */
	__atomic_store_n(&w->deadline_ns, s < 0 ? 0 : seconds_from_now(s), __ATOMIC_RELAXED);
}

static void *watch_main(void *arg)
{
	struct timespec ts = {0, SERVER_WATCH_INTERVAL_MS * 1000000L};
	(void)arg;
	while (!stopping) {
		int64_t now = now_ns();
		pthread_mutex_lock(&watch.lock);
		for (struct conn_watch *w = watch.head.next; w != &watch.head; w = w->next) {
			int64_t deadline = __atomic_load_n(&w->deadline_ns, __ATOMIC_RELAXED);
			if (deadline && deadline < now) {
				shutdown(w->fd, SHUT_RDWR);
				__atomic_store_n(&w->deadline_ns, 0, __ATOMIC_RELAXED);
			}
		}
		pthread_mutex_unlock(&watch.lock);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/*
 * On a stop (server_drain) the server stops accepting, then gives the
 * requests it has already begun this long to finish (an offloaded confirm may wait 5 s on a
 * merchant's payment API) before it closes what is left.
 */
#define SERVER_DRAIN_TIMEOUT_MS 20000
#define SERVER_DRAIN_POLL_MS 10

/*
 * Requests begun and not yet completed; connections accepted whose first
 * request has not begun (it may be on its way: a drain waits for it too);
 * whether the server drains.
 */
static atomic_int in_flight;
static atomic_int unstarted;
static atomic_int draining;

/*
 * Every connection gets a conn_watch as its socket context: the watcher's
 * deadline, and whether a request has begun on it (a drain waits for
 * accepted connections whose first request may be on its way).
 */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct conn_watch *w = *socket_context;
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		w = xcalloc(1, sizeof(*w));
		*socket_context = w;
		atomic_fetch_add(&unstarted, 1);
		if (!ci)
			return;
		w->fd = ci->connect_fd;
		w->deadline_ns = seconds_from_now(SERVER_HEADER_DEADLINE_S);
		pthread_mutex_lock(&watch.lock);
		w->next = watch.head.next;
		w->prev = &watch.head;
		w->next->prev = w;
		watch.head.next = w;
		pthread_mutex_unlock(&watch.lock);
		return;
	}
	if (!w)
		return;
	if (!w->began)
		atomic_fetch_sub(&unstarted, 1);
	if (w->next) {
		pthread_mutex_lock(&watch.lock);
		w->prev->next = w->next;
		w->next->prev = w->prev;
		pthread_mutex_unlock(&watch.lock);
	}
	free(w);
	*socket_context = NULL;
}

/* Called on a request's first callback (same thread as on_connection). */
static void request_began(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_watch *cs = ci ? ci->socket_context : NULL;
	atomic_fetch_add(&in_flight, 1);
	if (cs && !cs->began) {
		cs->began = 1;
		atomic_fetch_sub(&unstarted, 1);
	}
}

static void plain_error(struct req *r, unsigned status, const char *code, const char *message)
{
	json_t *err = json_pack("{s:s?,s:s}", "code", code, "message", message);
	req_reply_json(r, status, json_pack("{s:o}", "error", err));
}

const struct dialect plain_dialect = {"plain", "/", plain_error, NULL};

/*
 * The running server: the daemon, the watcher thread, and the API dialects
 * it was handed (each selected by its path prefix; plain_dialect elsewhere).
 */
struct server {
	struct app *app;
	const struct dialect *const *dialects; /* NULL-terminated */
	struct MHD_Daemon *daemon;
	pthread_t watcher;
	int listen_fd; /* handed to the daemon, which closes it at stop */
	int quiet_fd;  /* after stop_listening(): the stand-in's peer; else -1 */
};

static const struct dialect *dialect_for(const struct server *s, const char *path)
{
	for (size_t i = 0; s->dialects[i]; i++) {
		size_t n = strlen(s->dialects[i]->prefix);
		if (strncmp(path, s->dialects[i]->prefix, n) == 0 &&
		    (path[n] == '/' || path[n] == '\0'))
			return s->dialects[i];
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
	unsigned char bytes[8];
	for (int i = 7; i >= 0; i--, z >>= 8)
		bytes[i] = (unsigned char)z;
	_Static_assert(sizeof(((struct req *)0)->request_id) > 16, "room for 16 hex digits");
	hex_encode(bytes, sizeof(bytes), r->request_id);
}

/* What the route's path names goes into the request's log context. */
static void log_path_ids(struct req *r)
{
	const char *order = req_param(r, "order_id");
	/* Only the logistics order routes call an order "{id}". */
	if (!order && strncmp(r->match.route->pattern, "/2015-01-01/orders/", 19) == 0)
		order = req_param(r, "id");
	log_ctx_put(LOG_CTX_MERCHANT_ID, req_param(r, "merchant_id"));
	log_ctx_put(LOG_CTX_ORDER_ID, order);
	log_ctx_put(LOG_CTX_MERCHANT_ORDER_ID, req_param(r, "merchant_order_id"));
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
	log_path_ids(r);
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
	/* A client that kept its connection open goes elsewhere next time. */
	if (atomic_load(&draining))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * A declared Content-Length that does not parse (400) or exceeds
 * REQ_MAX_BODY (413) is answered before any of the body is read: -1 with
 * the answer written. MHD itself refuses most malformed lengths first.
 */
static int declared_length_or_reply(struct req *r)
{
	const char *cl = req_header(r, "Content-Length");
	int64_t n = 0;
	if (!cl)
		return 0;
	if (strnum_i64z(cl, 0, INT64_MAX, &n)) {
		req_fail(r, 400, "bad_request", "Content-Length does not parse");
		return -1;
	}
	if (n <= REQ_MAX_BODY)
		return 0;
	r->body_too_large = 1;
	req_fail(r, 413, "payload_too_large", "Request body exceeds 1 MiB");
	return -1;
}

/* Sends the answer already written and closes: the body was never read. */
static enum MHD_Result queue_and_close(struct MHD_Connection *conn, struct req *r)
{
	req_add_header(r, "Connection", "close");
	r->queued = 1;
	return queue(conn, r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct server *s = cls;
	struct req *r = *con_cls;
	(void)version;

	if (!r) {
		r = xmalloc(sizeof(*r));
		req_init(r);
		metrics_inflight(1);
		r->app = s->app;
		r->conn = conn;
		r->method_name = method;
		r->method = http_method_parse(method);
		r->path = xstrdup(url);
		r->dialect = dialect_for(s, url);
		request_began(conn);
		set_request_id(r);
		watch_set(conn, SERVER_BODY_DEADLINE_S);
		*con_cls = r;
		if (declared_length_or_reply(r))
			return queue_and_close(conn, r);
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
		log_bind(r->request_id, &r->log);
		watch_set(conn, -1);
		dispatch(r);
		log_bind(NULL, NULL);
		if (r->went_async)
			return MHD_YES;
	}
	r->queued = 1;
	return queue(conn, r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	const struct server *s = cls;
	struct req *r = *con_cls;
	if (!r)
		return;
	/* The next request on a kept-alive connection starts its clock now. */
	watch_set(conn, SERVER_HEADER_DEADLINE_S);
	int64_t us = (now_ns() - r->start_ns) / 1000;
	const char *route = r->match.route ? r->match.route->name : "unmatched";
	metrics_observe(route, r->status, us);
	metrics_inflight(-1);
	/* A 5xx always says why, whether or not the access log is on. */
	if (s->app->cfg.access_log || r->status >= 500) {
		struct buf b;
		enum log_level level = r->status >= 500 ? (r->status == 500 ? LOG_ERROR : LOG_WARN)
							: LOG_INFO;
		buf_init(&b);
		buf_adds(&b, "\"method\":");
		json_quote(&b, r->method_name);
		buf_adds(&b, ",\"path\":");
		json_quote(&b, r->path);
		buf_addf(&b, ",\"route\":\"%s\",\"status\":%u,\"latency_us\":%lld,\"completed\":%s",
			 route, r->status, (long long)us,
			 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "true" : "false");
		if (r->reason[0]) {
			buf_adds(&b, ",\"error\":");
			json_quote(&b, r->reason);
		}
		log_bind(r->request_id, &r->log);
		log_line(level, r->request_id, "access", "%s", b.data);
		log_bind(NULL, NULL);
		buf_release(&b);
	}
	req_free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&in_flight, 1);
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/*
 * Stops accepting: new connections are refused from here on. The
 * listening socket is replaced, under its descriptor number, by one end of
 * a socket pair that never becomes readable (the other end stays open, in
 * quiet_fd, until the daemon has stopped): closing the listener drops it
 * from every worker's epoll set and resets what waited in its backlog, and
 * the daemon keeps a valid descriptor to close at stop.
 * MHD_quiesce_daemon() is not used for this while anything else works: with
 * a pool of epoll workers it races them to remove the listener from their
 * epoll sets, and when it loses, libmicrohttpd aborts the process (an open
 * libmicrohttpd defect; seen as a SIGABRT on SIGTERM here). A worker
 * still removes the listener itself if a connection it accepted while the
 * socket changed hands brings it to its connection limit; that one narrow
 * case is left.
 */
static void stop_listening(struct server *s)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) == 0) {
		if (dup3(pair[0], s->listen_fd, O_CLOEXEC) >= 0) {
			close(pair[0]);
			s->quiet_fd = pair[1];
			return;
		}
		close(pair[0]);
		close(pair[1]);
	}
	log_warn("cannot replace the listening socket; quiescing", NULL);
	MHD_socket listener = MHD_quiesce_daemon(s->daemon);
	if (listener != MHD_INVALID_SOCKET)
		close(listener);
}

void server_drain(struct server *s)
{
	stop_listening(s);
	atomic_store(&draining, 1);
	int64_t waited = 0;
	while ((atomic_load(&in_flight) > 0 || atomic_load(&unstarted) > 0) &&
	       waited < SERVER_DRAIN_TIMEOUT_MS) {
		sleep_ms(SERVER_DRAIN_POLL_MS);
		waited += SERVER_DRAIN_POLL_MS;
	}
	log_info("drained", "\"in_flight\":%d,\"unstarted\":%d,\"waited_ms\":%lld",
		 atomic_load(&in_flight), atomic_load(&unstarted), (long long)waited);
}

struct server *server_start(struct app *app, const struct dialect *const *dialects)
{
	char why[200];
	int fd = listen_open(&app->cfg, why, sizeof(why));
	if (fd < 0) {
		log_error("cannot listen", "\"host\":\"%s\",\"port\":%u,\"error\":\"%s\"",
			  app->cfg.listen_host, app->cfg.port, why);
		return NULL;
	}
	struct server *s = xcalloc(1, sizeof(*s));
	s->app = app;
	s->dialects = dialects;
	s->listen_fd = fd;
	s->quiet_fd = -1;
	stopping = 0;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
			 MHD_ALLOW_SUSPEND_RESUME;
	s->daemon = MHD_start_daemon(
		flags, (uint16_t)app->cfg.port, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, app->cfg.threads, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)SERVER_IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)SERVER_MAX_CONNECTIONS, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)SERVER_MAX_CONNECTIONS_PER_IP, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)SERVER_CONNECTION_MEMORY, MHD_OPTION_END);
	if (!s->daemon) {
		close(fd);
		log_error("cannot listen", "\"host\":\"%s\",\"port\":%u", app->cfg.listen_host,
			  app->cfg.port);
		free(s);
		return NULL;
	}
	if (pthread_create(&s->watcher, NULL, watch_main, NULL) != 0) {
		MHD_stop_daemon(s->daemon);
		free(s);
		return NULL;
	}
	return s;
}

void server_stop(struct server *s)
{
	MHD_stop_daemon(s->daemon);
	if (s->quiet_fd >= 0)
		close(s->quiet_fd);
	stopping = 1;
	pthread_join(s->watcher, NULL);
	free(s);
}
