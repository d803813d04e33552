/*
 * Liveness, readiness and metrics: /healthz answers while the process runs,
 * /readyz only while the database answers and can write (with the reason
 * when not), /metrics in Prometheus
 * text format (behind a bearer token when APOTHECA_METRICS_TOKEN is set).
 */
#include <string.h>
#include <strings.h>

#include "api/routes.h"
#include "app.h"
#include "http/metrics.h"
#include "http/req.h"
#include "store/repo_orders.h"
#include "store/repo_outbox.h"
#include "store/store.h"
#include "base/strnum.h"
#include "base/banned.h"

static void healthz(struct req *r)
{
	req_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(struct req *r)
{
	char reason[STORE_REASON_CAP];
	if (!store_probe(r->app->store, reason, sizeof(reason))) {
		req_add_header(r, "Retry-After", "1");
		req_reply_json(r, 503,
			       json_pack("{s:s,s:s,s:s}", "status", "unavailable", "database",
					 store_backend_name(r->app->store), "reason", reason));
		return;
	}
	req_reply_json(r, 200,
		       json_pack("{s:s,s:s}", "status", "ready", "database",
				 store_backend_name(r->app->store)));
}

static void count_status(int status, int64_t count, void *ctx)
{
	buf_addf(ctx, "apotheca_orders{status_id=\"%d\"} %lld\n", status, (long long)count);
}

/* Gauges read from the database; skipped (not failed) while it is down. */
static void render_db_gauges(struct req *r, struct buf *b)
{
	static const char *const states[] = {"pending", "failed"};
	struct store_conn *c = store_thread_conn(r->app->store);
	int64_t n;
	if (!c)
		return;
	buf_adds(b, "# HELP apotheca_orders Orders by status.\n# TYPE apotheca_orders gauge\n");
	order_count_by_status(c, count_status, b);
	buf_adds(b, "# HELP apotheca_outbox_rows Outbox deliveries by state.\n"
		    "# TYPE apotheca_outbox_rows gauge\n");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (outbox_count(c, states[i], &n) == APO_OK)
			buf_addf(b, "apotheca_outbox_rows{state=\"%s\"} %lld\n", states[i],
				 (long long)n);
	if (outbox_oldest_pending_ms(c, &n) == APO_OK) {
		int64_t age = n > 0 ? now_ms() - n : 0;
		buf_addf(b,
			 "# HELP apotheca_outbox_oldest_pending_seconds Age of the oldest pending "
			 "webhook or refund (0 when none): how far deliveries lag.\n"
			 "# TYPE apotheca_outbox_oldest_pending_seconds gauge\n"
			 "apotheca_outbox_oldest_pending_seconds %.3f\n",
			 (double)(age > 0 ? age : 0) / 1000.0);
	}
	if (order_count_flagged(c, &n) == APO_OK)
		buf_addf(b,
			 "# HELP apotheca_orders_flagged Orders flagged for an operator (payment "
			 "amount mismatch).\n# TYPE apotheca_orders_flagged gauge\n"
			 "apotheca_orders_flagged %lld\n",
			 (long long)n);
}

/* With APOTHECA_METRICS_TOKEN set, /metrics wants it as a bearer token. */
static int metrics_auth_or_reply(struct req *r)
{
	const char *want = r->app->cfg.metrics_token;
	const char *h = req_header(r, "Authorization");
	if (!want)
		return 0;
	if (h && strncasecmp(h, "Bearer ", 7) == 0 &&
	    str_ct_equal(h + 7, strlen(h + 7), want, strlen(want)))
		return 0;
	req_add_header(r, "WWW-Authenticate", "Bearer");
	req_fail(r, 401, "unauthorized", "/metrics needs the metrics bearer token");
	return -1;
}

static void metrics(struct req *r)
{
	struct buf b;
	if (metrics_auth_or_reply(r))
		return;
	buf_init(&b);
	metrics_render(&b);
	render_db_gauges(r, &b);
	req_reply(r, 200, "text/plain; version=0.0.4", b.data, b.len);
	buf_release(&b);
}

/* docs/openapi.json, embedded at build time (scripts/embed-file.sh). */
extern const char openapi_json[];
extern const unsigned long openapi_json_len;

static void openapi(struct req *r)
{
	req_reply(r, 200, "application/json", openapi_json, openapi_json_len);
}

void health_routes(struct router *rt)
{
	router_add_flags(rt, HTTP_GET, "/healthz", healthz, "healthz", ROUTE_NO_DB);
	router_add_flags(rt, HTTP_GET, "/readyz", readyz, "readyz", ROUTE_NO_DB);
	router_add_flags(rt, HTTP_GET, "/metrics", metrics, "metrics", ROUTE_NO_DB);
	router_add_flags(rt, HTTP_GET, "/openapi.json", openapi, "openapi", ROUTE_NO_DB);
}
