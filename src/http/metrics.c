/*
 * Lock-free request counters (see metrics.h). Route names are the router's
 * static strings, so a route is found by pointer first and by text only for
 * "unmatched".
 */
#include <stdatomic.h>
#include <string.h>

#include "http/metrics.h"
#include "http/router.h"
#include "version.h"
#include "base/counters.h"
#include "base/buf.h"
#include "base/banned.h"

static const unsigned statuses[] = {200, 201, 400, 401, 403, 404, 405, 409,
				    413, 415, 422, 500, 502, 503, 0 /* other */};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]))
static const int64_t bounds_us[] = {100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
				    250000, 500000, 1000000, 5000000};
#define NBUCKETS (sizeof(bounds_us) / sizeof(bounds_us[0]))
#define NSLOTS (ROUTER_MAX_ROUTES + 1) /* the last one is "unmatched" */

struct route_stats {
	atomic_ullong by_status[NSTATUS];
	atomic_ullong buckets[NBUCKETS + 1];
	atomic_ullong sum_us;
};

static const struct router *routes;
static atomic_llong inflight;

void metrics_inflight(int delta)
{
	atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}
static struct route_stats stats[NSLOTS];

void metrics_init(const struct router *rt)
{
	routes = rt;
}

static size_t slot_of(const char *name)
{
	if (routes)
		for (size_t i = 0; i < routes->nroutes; i++)
			if (routes->routes[i].name == name)
				return i;
	return NSLOTS - 1;
}

void metrics_observe(const char *route_name, unsigned status, int64_t latency_us)
{
	struct route_stats *s = &stats[slot_of(route_name)];
	size_t si, bi;
	for (si = 0; si < NSTATUS - 1 && statuses[si] != status; si++)
		;
	for (bi = 0; bi < NBUCKETS && latency_us > bounds_us[bi]; bi++)
		;
	atomic_fetch_add_explicit(&s->by_status[si], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->buckets[bi], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, (unsigned long long)(latency_us > 0 ? latency_us : 0),
				  memory_order_relaxed);
}

static const char *slot_name(size_t i)
{
	return i == NSLOTS - 1 || !routes || i >= routes->nroutes ? "unmatched"
								 : routes->routes[i].name;
}

void metrics_render(struct buf *out)
{
	buf_adds(out, "# HELP apotheca_build_info The running build: version and git commit.\n"
		      "# TYPE apotheca_build_info gauge\n");
	buf_addf(out, "apotheca_build_info{version=\"%s\",commit=\"%s\"} 1\n", apotheca_version(),
		 apotheca_commit());
	buf_addf(out,
		 "# HELP apotheca_http_requests_in_flight Requests received and not yet answered.\n"
		 "# TYPE apotheca_http_requests_in_flight gauge\n"
		 "apotheca_http_requests_in_flight %lld\n",
		 atomic_load(&inflight));
	counters_render(out);
	buf_adds(out, "# HELP apotheca_http_requests_total Requests by route and status.\n"
		      "# TYPE apotheca_http_requests_total counter\n");
	for (size_t i = 0; i < NSLOTS; i++)
		for (size_t s = 0; s < NSTATUS; s++) {
			unsigned long long n = atomic_load(&stats[i].by_status[s]);
			if (!n)
				continue;
			if (statuses[s])
				buf_addf(out,
					 "apotheca_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
					 slot_name(i), statuses[s], n);
			else
				buf_addf(out,
					 "apotheca_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
					 slot_name(i), n);
		}
	buf_adds(out, "# HELP apotheca_http_request_duration_seconds Request latency.\n"
		      "# TYPE apotheca_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < NSLOTS; i++) {
		unsigned long long cum = 0;
		for (size_t b = 0; b <= NBUCKETS; b++)
			cum += atomic_load(&stats[i].buckets[b]);
		if (!cum)
			continue;
		unsigned long long total = cum;
		cum = 0;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += atomic_load(&stats[i].buckets[b]);
			buf_addf(out,
				 "apotheca_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
				 slot_name(i), (double)bounds_us[b] / 1e6, cum);
		}
		buf_addf(out,
			 "apotheca_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
			 slot_name(i), total);
		buf_addf(out, "apotheca_http_request_duration_seconds_sum{route=\"%s\"} %g\n",
			 slot_name(i), (double)atomic_load(&stats[i].sum_us) / 1e6);
		buf_addf(out, "apotheca_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
			 slot_name(i), total);
	}
}
