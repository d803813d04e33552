/*
 * The counters of base/counters.h: fixed label sets, so every series exists
 * from the start (at 0) and rendering needs no lock.
 */
#include <stdatomic.h>
#include <string.h>

#include "base/buf.h"
#include "base/counters.h"
#include "base/banned.h"

static const char *const db_reasons[] = {"connect", "busy", "unavailable", "internal"};
#define NDB (sizeof(db_reasons) / sizeof(db_reasons[0]))
static atomic_ullong db_errors[NDB];

/* Create batches committed and rolled back, and the creates the committed ones placed. */
static atomic_ullong batches[2], batched_creates;
/* Requests past a merchant's share: [0] waited for a place, [1] refused. */
static atomic_ullong share_overflow[2];

static const char *const out_kinds[] = {"transaction_status", "refund", "webhook", "other"};
#define NKINDS (sizeof(out_kinds) / sizeof(out_kinds[0]))
static const char *const out_outcomes[] = {"ok", "http_error", "timeout", "unreachable", "failed"};
#define NOUTCOMES (sizeof(out_outcomes) / sizeof(out_outcomes[0]))
static const int64_t out_bounds_us[] = {1000,	5000,	10000,	 25000,	  50000,  100000,
					250000, 500000, 1000000, 2500000, 5000000};
#define NOUTB (sizeof(out_bounds_us) / sizeof(out_bounds_us[0]))

static struct {
	atomic_ullong by_outcome[NOUTCOMES];
	atomic_ullong buckets[NOUTB + 1];
	atomic_ullong sum_us;
} outbound[NKINDS];

static size_t index_of(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return n;
}

void counters_db_error(enum apo_result rc)
{
	size_t i = rc == APO_ERR_BUSY	       ? 1
		   : rc == APO_ERR_UNAVAILABLE ? 2
		   : rc == APO_ERR_INTERNAL    ? 3
					       : NDB;
	if (i < NDB)
		atomic_fetch_add_explicit(&db_errors[i], 1, memory_order_relaxed);
}

void counters_db_connect_failed(void)
{
	atomic_fetch_add_explicit(&db_errors[0], 1, memory_order_relaxed);
}

void counters_outbound(const char *kind, const char *outcome, int64_t latency_us)
{
	size_t k = index_of(out_kinds, NKINDS, kind);
	size_t o = index_of(out_outcomes, NOUTCOMES, outcome);
	size_t b;
	if (k == NKINDS)
		k = NKINDS - 1;
	if (o == NOUTCOMES)
		o = NOUTCOMES - 1;
	for (b = 0; b < NOUTB && latency_us > out_bounds_us[b]; b++)
		;
	atomic_fetch_add_explicit(&outbound[k].by_outcome[o], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&outbound[k].buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&outbound[k].sum_us,
				  (unsigned long long)(latency_us > 0 ? latency_us : 0),
				  memory_order_relaxed);
}

void counters_create_batch(size_t n, int committed)
{
	atomic_fetch_add_explicit(&batches[committed ? 1 : 0], 1, memory_order_relaxed);
	if (committed)
		atomic_fetch_add_explicit(&batched_creates, n, memory_order_relaxed);
}

void counters_merchant_share(int refused)
{
	atomic_fetch_add_explicit(&share_overflow[refused ? 1 : 0], 1, memory_order_relaxed);
}

void counters_render(struct buf *out)
{
	buf_adds(out,
		 "# HELP apotheca_db_errors_total Database operations that failed, by reason.\n"
		 "# TYPE apotheca_db_errors_total counter\n");
	for (size_t i = 0; i < NDB; i++)
		buf_addf(out, "apotheca_db_errors_total{reason=\"%s\"} %llu\n", db_reasons[i],
			 atomic_load(&db_errors[i]));
	buf_addf(out,
		 "# HELP apotheca_order_create_batches_total Transactions that placed several "
		 "order creates at once, by outcome (rolled back: each create then ran alone).\n"
		 "# TYPE apotheca_order_create_batches_total counter\n"
		 "apotheca_order_create_batches_total{outcome=\"committed\"} %llu\n"
		 "apotheca_order_create_batches_total{outcome=\"rolled_back\"} %llu\n"
		 "# HELP apotheca_order_creates_batched_total Orders placed by committed batches.\n"
		 "# TYPE apotheca_order_creates_batched_total counter\n"
		 "apotheca_order_creates_batched_total %llu\n",
		 atomic_load(&batches[1]), atomic_load(&batches[0]), atomic_load(&batched_creates));
	buf_addf(out,
		 "# HELP apotheca_merchant_share_overflow_total Requests past their merchant's "
		 "share of the calls to its systems: waited for a place, or refused (503).\n"
		 "# TYPE apotheca_merchant_share_overflow_total counter\n"
		 "apotheca_merchant_share_overflow_total{outcome=\"waited\"} %llu\n"
		 "apotheca_merchant_share_overflow_total{outcome=\"refused\"} %llu\n",
		 atomic_load(&share_overflow[0]), atomic_load(&share_overflow[1]));
	buf_adds(out,
		 "# HELP apotheca_outbound_calls_total Calls to merchants' systems by kind and "
		 "outcome.\n# TYPE apotheca_outbound_calls_total counter\n");
	for (size_t k = 0; k < NKINDS; k++)
		for (size_t o = 0; o < NOUTCOMES; o++)
			buf_addf(
			    out, "apotheca_outbound_calls_total{kind=\"%s\",outcome=\"%s\"} %llu\n",
			    out_kinds[k], out_outcomes[o], atomic_load(&outbound[k].by_outcome[o]));
	buf_adds(out,
		 "# HELP apotheca_outbound_call_duration_seconds Latency of calls to merchants' "
		 "systems.\n# TYPE apotheca_outbound_call_duration_seconds histogram\n");
	for (size_t k = 0; k < NKINDS; k++) {
		unsigned long long cum = 0;
		for (size_t b = 0; b < NOUTB; b++) {
			cum += atomic_load(&outbound[k].buckets[b]);
			buf_addf(
			    out,
			    "apotheca_outbound_call_duration_seconds_bucket{kind=\"%s\",le=\"%g\"} "
			    "%llu\n",
			    out_kinds[k], (double)out_bounds_us[b] / 1e6, cum);
		}
		cum += atomic_load(&outbound[k].buckets[NOUTB]);
		buf_addf(out,
			 "apotheca_outbound_call_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} "
			 "%llu\n",
			 out_kinds[k], cum);
		buf_addf(out, "apotheca_outbound_call_duration_seconds_sum{kind=\"%s\"} %g\n",
			 out_kinds[k], (double)atomic_load(&outbound[k].sum_us) / 1e6);
		buf_addf(out, "apotheca_outbound_call_duration_seconds_count{kind=\"%s\"} %llu\n",
			 out_kinds[k], cum);
	}
}
