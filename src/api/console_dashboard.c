/*
 * Console: the dashboard — orders per hour over the last 48 hours by
 * outcome, value per day, payment outcomes of ONLINE orders, and the
 * outbox backlog and failures. Charts are inline SVG drawn here from
 * repo_admin's figures (no JavaScript, no images to fetch); every bar has
 * a <title> so a pointer shows its number, and each chart an aria-label.
 */
#include <string.h>
#include <time.h>

#include "api/console.h"
#include "http/html.h"
#include "http/req.h"
#include "store/repo_admin.h"
#include "base/buf.h"
#include "base/banned.h"

/* Chart geometry, in SVG user units (the SVG scales to its box). */
#define CH_W 720
#define CH_HALF_W 420
#define CH_H 220
#define CH_LEFT 44
#define CH_RIGHT 8
#define CH_TOP 10
#define CH_BOTTOM 26

static const char *const outcome_names[OUTCOME_N] = {"Awaiting payment", "In progress", "Delivered",
						     "Cancelled"};
/* Legend/bar colour classes (console.css .c0-.c5) per outcome. */
static const char *const outcome_class[OUTCOME_N] = {"c5", "c1", "c2", "c3"};

/* A round axis maximum at or above v: four ticks of 1, 2 or 5 × 10^k. */
static int64_t nice_max(int64_t v)
{
	for (int64_t step = 1;; step *= 10) {
		if (v <= 4 * step)
			return 4 * step;
		if (v <= 8 * step)
			return 8 * step;
		if (v <= 20 * step)
			return 20 * step;
	}
}

static void hour_label(struct buf *b, int64_t t, const char *fmt)
{
	char out[32];
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) && strftime(out, sizeof(out), fmt, &tm))
		buf_adds(b, out);
}

/* Horizontal grid lines with their values (value_fn formats a tick). */
static void grid(struct buf *b, int width, int64_t max, int money)
{
	for (int i = 0; i <= 4; i++) {
		int64_t v = max * i / 4;
		double y = CH_TOP + (double)(CH_H - CH_TOP - CH_BOTTOM) * (4 - i) / 4.0;
		buf_addf(b,
			 "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e3e7ed\"/>",
			 CH_LEFT, width - CH_RIGHT, y, y);
		buf_addf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", CH_LEFT - 6, y + 4);
		if (money) {
			int64_t rupees = v / 100;
			/* Indian units: lakh (L) from 1,00,000, thousands (k) below. */
			int64_t unit = rupees >= 100000 ? 100000 : 1000;
			const char *sym = unit == 100000 ? "L" : "k";
			if (rupees >= 1000 && rupees % unit == 0)
				buf_addf(b, "₹%lld%s", (long long)(rupees / unit), sym);
			else if (rupees >= 1000 && rupees % (unit / 10) == 0)
				buf_addf(b, "₹%lld.%lld%s", (long long)(rupees / unit),
					 (long long)(rupees / (unit / 10) % 10), sym);
			else
				buf_addf(b, "₹%lld", (long long)rupees);
		} else {
			buf_addf(b, "%lld", (long long)v);
		}
		buf_adds(b, "</text>");
	}
}

static void hourly_chart(struct buf *b, const struct admin_dashboard *d)
{
	int64_t max = 0, total = 0;
	for (int h = 0; h < ADMIN_DASH_HOURS; h++) {
		int64_t sum = 0;
		for (int k = 0; k < OUTCOME_N; k++)
			sum += d->hourly[h][k];
		if (sum > max)
			max = sum;
		total += sum;
	}
	max = nice_max(max);
	double plot_h = CH_H - CH_TOP - CH_BOTTOM;
	double slot = (double)(CH_W - CH_LEFT - CH_RIGHT) / ADMIN_DASH_HOURS;
	buf_addf(b,
		 "<div class=\"chartwrap\"><svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" "
		 "aria-label=\"Orders per "
		 "hour over the last 48 hours: %lld in all\">",
		 CH_W, CH_H, (long long)total);
	grid(b, CH_W, max, 0);
	for (int h = 0; h < ADMIN_DASH_HOURS; h++) {
		double x = CH_LEFT + slot * h + 1, y = CH_TOP + plot_h;
		for (int k = 0; k < OUTCOME_N; k++) {
			int64_t n = d->hourly[h][k];
			if (!n)
				continue;
			double hgt = plot_h * (double)n / (double)max;
			y -= hgt;
			buf_addf(b,
				 "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				 "height=\"%.1f\"><title>",
				 outcome_class[k], x, y, slot - 2, hgt);
			hour_label(b, d->first_hour + 3600 * h, "%d %b %H:00");
			buf_addf(b, " UTC: %lld %s</title></rect>", (long long)n, outcome_names[k]);
		}
		if (h % 6 == 0) {
			buf_addf(b, "<text x=\"%.1f\" y=\"%d\">", x, CH_H - 8);
			hour_label(b, d->first_hour + 3600 * h,
				   h == 0 || h == 24 ? "%d %b" : "%H:00");
			buf_adds(b, "</text>");
		}
	}
	buf_adds(b, "</svg></div><ul class=\"legend\">");
	for (int k = 0; k < OUTCOME_N; k++)
		buf_addf(b, "<li><i class=\"%s\"></i>%s</li>", outcome_class[k], outcome_names[k]);
	buf_adds(b, "</ul>");
}

static void daily_chart(struct buf *b, const struct admin_dashboard *d)
{
	int64_t max = 0;
	for (int i = 0; i < ADMIN_DASH_DAYS; i++)
		if (d->daily_value[i] > max)
			max = d->daily_value[i];
	max = nice_max(max / 100 + 1) * 100;
	double plot_h = CH_H - CH_TOP - CH_BOTTOM;
	double slot = (double)(CH_HALF_W - CH_LEFT - CH_RIGHT) / ADMIN_DASH_DAYS;
	buf_addf(b,
		 "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Revenue "
		 "per day over the last %d days\">",
		 CH_HALF_W, CH_H, ADMIN_DASH_DAYS);
	grid(b, CH_HALF_W, max, 1);
	for (int i = 0; i < ADMIN_DASH_DAYS; i++) {
		double hgt = plot_h * (double)d->daily_value[i] / (double)max;
		double x = CH_LEFT + slot * i + 3;
		buf_addf(b,
			 "<rect class=\"c1\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			 "<title>",
			 x, CH_TOP + plot_h - hgt, slot - 6, hgt);
		hour_label(b, d->first_day + 86400 * i, "%d %b");
		buf_adds(b, ": ");
		console_money(b, d->daily_value[i]);
		buf_adds(b, "</title></rect>");
		if ((ADMIN_DASH_DAYS - 1 - i) % 3 == 0) {
			buf_addf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
				 x + (slot - 6) / 2, CH_H - 8);
			hour_label(b, d->first_day + 86400 * i, "%d %b");
			buf_adds(b, "</text>");
		}
	}
	buf_adds(b, "</svg>");
}

/* Horizontal bars: one row per (label, value, colour class). */
static void hbars(struct buf *b, const char *aria, const char *const *labels, const int64_t *values,
		  const char *const *classes, int n)
{
	int64_t max = 1;
	const int row = 30, label_w = 140, w = 420;
	for (int i = 0; i < n; i++)
		if (values[i] > max)
			max = values[i];
	buf_addf(b, "<svg class=\"chart bars\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", w,
		 row * n + 4);
	html_escape(b, aria);
	buf_adds(b, "\">");
	for (int i = 0; i < n; i++) {
		double len = (double)(w - label_w - 60) * (double)values[i] / (double)max;
		int y = row * i + 4;
		buf_addf(b, "<text x=\"0\" y=\"%d\">%s</text>", y + 16, labels[i]);
		buf_addf(b,
			 "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"20\" "
			 "rx=\"3\"><title>%s: %lld</title></rect>",
			 classes[i], label_w, y + 2, len > 0 ? len : 0.0, labels[i],
			 (long long)values[i]);
		buf_addf(b, "<text x=\"%.1f\" y=\"%d\">%lld</text>", label_w + len + 6, y + 16,
			 (long long)values[i]);
	}
	buf_adds(b, "</svg>");
}

static void kpi(struct buf *b, const char *label, int64_t value, const char *href)
{
	buf_addf(b, "<a class=\"kpi\" href=\"%s\"><b>%lld</b><span>%s</span></a>", href,
		 (long long)value, label);
}

void console_dashboard_page(struct req *r)
{
	struct console cx;
	struct admin_dashboard d;
	if (console_session_or_redirect(r, &cx))
		return;
	int64_t now = now_epoch();
	if (admin_dashboard_load(r->db, now, &d) != APO_OK) {
		console_reply_error(r, &cx, 503, "Database unavailable", "Try again in a moment.");
		return;
	}
	int64_t last24 = 0, open = 0;
	for (int h = 0; h < ADMIN_DASH_HOURS; h++)
		for (int k = 0; k < OUTCOME_N; k++) {
			if (h >= ADMIN_DASH_HOURS - 24)
				last24 += d.hourly[h][k];
			if (k == OUTCOME_OPEN || k == OUTCOME_AWAITING)
				open += d.hourly[h][k];
		}
	struct buf b;
	buf_init(&b);
	console_page_open(&b, &cx, "Dashboard", "/admin/");
	buf_adds(&b, "<h1>Dashboard</h1>\n<div class=\"kpis\">");
	kpi(&b, "orders in the last 24 h", last24, "/admin/orders");
	kpi(&b, "open orders of the last 48 h", open, "/admin/orders");
	kpi(&b, "payments flagged (14 days)", d.pay_flagged, "/admin/orders?flagged=true");
	kpi(&b, "deliveries failed", d.outbox_failed[0] + d.outbox_failed[1],
	    "/admin/deliveries?state=failed");
	buf_adds(&b, "</div>\n<section class=\"card\"><h2>Orders per hour, last 48 hours (UTC), "
		     "by outcome</h2>");
	hourly_chart(&b, &d);
	buf_adds(&b, "</section>\n<div class=\"grid two\"><section class=\"card\"><h2>Revenue "
		     "per day, last 14 days</h2>");
	daily_chart(&b, &d);
	buf_adds(&b,
		 "<p class=\"muted small\">What the orders created each day are worth (payable), "
		 "cancelled ones left out.</p></section>\n<div><section class=\"card\"><h2>Payment "
		 "outcomes, "
		 "ONLINE orders, last 14 days</h2>");
	{
		static const char *const labels[] = {"Confirmed", "Pending", "Failed", "Flagged"};
		static const char *const classes[] = {"c2", "c5", "c3", "c4"};
		int64_t v[] = {d.pay_confirmed, d.pay_pending, d.pay_failed, d.pay_flagged};
		hbars(&b, "Payment outcomes", labels, v, classes, 4);
	}
	buf_adds(&b, "<p class=\"muted small\">Failed: never paid (cancelled or expired). "
		     "Flagged: the amount paid did not match.</p></section>\n"
		     "<section class=\"card\"><h2>Outbox</h2>");
	{
		static const char *const labels[] = {"Webhooks pending", "Refunds pending",
						     "Webhooks failed", "Refunds failed"};
		static const char *const classes[] = {"c5", "c5", "c3", "c3"};
		int64_t v[] = {d.outbox_pending[0], d.outbox_pending[1], d.outbox_failed[0],
			       d.outbox_failed[1]};
		hbars(&b, "Outbox backlog and failures", labels, v, classes, 4);
	}
	buf_adds(&b, "<p class=\"muted small\">Oldest pending: ");
	if (d.outbox_oldest_pending)
		console_time(&b, d.outbox_oldest_pending);
	else
		buf_adds(&b, "none");
	buf_adds(&b, " · <a href=\"/admin/deliveries?state=failed\">Failed deliveries</a></p>"
		     "</section></div></div>\n<p class=\"muted small\">Figures as of ");
	console_time(&b, now);
	buf_adds(&b, " UTC.</p>\n");
	console_page_close(&b);
	console_reply_page(r, 200, &b);
}
