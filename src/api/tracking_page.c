/*
 * The public tracking page (SPEC §6): GET /t/{code} renders a small HTML5
 * page (inline CSS, no JavaScript, laid out for a phone first) and GET
 * /t/{code}.json the same facts as JSON; GET /t/ is a form to type a code
 * in. Anyone holding the code may look, so the page shows only
 * track_view.h's public facts — where the parcel is and what comes next,
 * the ETA, the carrier's link, the item count, the shop and how to reach
 * it, and for a cancelled order why and what happens to the money — and
 * never a name, phone number, address, e-mail, item price or the merchant's
 * order id. Every value on the page goes through html_escape(). Times are
 * shown in the configured zone (APOTHECA_TIMEZONE, India Standard Time by
 * default) and labelled. No authentication; answers are never cached.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/routes.h"
#include "api/track_view.h"
#include "app.h"
#include "core/merchant.h"
#include "core/money.h"
#include "core/order.h"
#include "core/order_state.h"
#include "core/tz.h"
#include "http/html.h"
#include "http/req.h"
#include "store/repo_merchants.h"
#include "store/repo_orders.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* The longest code looked up; longer or odd-charactered ones are unknown. */
#define TRACKING_PAGE_MAX_CODE 64
/* The longest ?code= text considered (a pasted link is longer than a code). */
#define TRACKING_PAGE_MAX_QUERY 512
#define HTML_TYPE "text/html; charset=utf-8"
#define TIME_CAP 64

static const char page_css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f2f4f7;color:#1c2430;"
    "font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    "a{color:#0b57d0}"
    ".wrap{max-width:46rem;margin:0 auto}"
    ".top{background:#fff;border-bottom:1px solid #e3e7ec}"
    ".top .wrap{display:flex;align-items:baseline;justify-content:space-between;gap:1rem;"
    "padding:.8rem 1rem}"
    ".shop{font-weight:700;font-size:1.05rem;overflow-wrap:anywhere}"
    ".sub{font-size:.75rem;color:#5b6675;text-transform:uppercase;letter-spacing:.06em;"
    "white-space:nowrap}"
    "main{padding:1rem;--c:#0b57d0;--cs:#e8f0fe}"
    ".ph-done{--c:#137333;--cs:#e6f4ea}.ph-stop{--c:#b3261e;--cs:#fce8e6}"
    ".ph-warn{--c:#a04e00;--cs:#fef0dc}"
    ".card{background:#fff;border-radius:14px;padding:1.1rem 1.25rem;margin:0 0 1rem;"
    "box-shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.1)}"
    ".hero{border-top:5px solid var(--c)}"
    ".pill{display:inline-block;font-size:.72rem;font-weight:700;text-transform:uppercase;"
    "letter-spacing:.05em;padding:.15rem .6rem;border-radius:999px;background:var(--cs);"
    "color:var(--c)}"
    "h1{margin:.2rem 0 .3rem;font-size:1.75rem;line-height:1.2;color:var(--c)}"
    ".detail{margin:0 0 1rem;color:#3c4655}"
    ".eta{display:flex;flex-wrap:wrap;align-items:baseline;gap:.1rem .75rem;"
    "background:var(--cs);border-radius:10px;padding:.7rem 1rem;margin:0 0 1.25rem}"
    ".eta span{font-size:.85rem;color:#3c4655}"
    ".eta strong{font-size:1.3rem;color:var(--c)}"
    ".steps{list-style:none;margin:0;padding:0;display:flex}"
    ".steps li{flex:1 1 0;position:relative;text-align:center;font-size:.75rem;"
    "line-height:1.25;min-width:0}"
    ".steps li::before{content:'';position:absolute;top:.55rem;left:-50%;width:100%;"
    "height:3px;background:#d5dbe3}"
    ".steps li:first-child::before{display:none}"
    ".steps li.done::before,.steps li.current::before{background:var(--c)}"
    ".dot{position:relative;z-index:1;display:block;width:1.35rem;height:1.35rem;"
    "margin:0 auto .45rem;border-radius:50%;background:#fff;border:3px solid #d5dbe3}"
    ".done .dot{background:var(--c);border-color:var(--c)}"
    ".done .dot::after{content:'\\2713';position:absolute;inset:0;color:#fff;"
    "font-size:.7rem;font-weight:700;line-height:.95rem;text-align:center}"
    ".current .dot{border-color:var(--c);box-shadow:0 0 0 4px var(--cs)}"
    ".current .dot::after{content:'';position:absolute;inset:3px;border-radius:50%;"
    "background:var(--c)}"
    ".sl{display:block;font-weight:600}"
    ".todo .sl{font-weight:400;color:#6b7685}"
    ".steps time,.steps .sd{display:block;color:#6b7685;font-size:.72rem;min-height:1em}"
    ".vh{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "white-space:nowrap}"
    ".ret{margin-top:1.25rem;padding-top:1rem;border-top:1px solid #eceff3}"
    ".ret h2{font-size:.95rem}"
    "h2{margin:0 0 .8rem;font-size:1.05rem}"
    "dl{margin:0}"
    "dl div{display:flex;justify-content:space-between;gap:1rem;padding:.55rem 0;"
    "border-bottom:1px solid #eceff3}"
    "dl div:first-child{padding-top:0}dl div:last-child{border-bottom:0;padding-bottom:0}"
    "dt{color:#5b6675}dd{margin:0;font-weight:600;text-align:right;overflow-wrap:anywhere}"
    ".history{list-style:none;margin:0;padding:0}"
    ".history li{position:relative;padding:0 0 1rem 1.6rem}"
    ".history li:last-child{padding-bottom:0}"
    ".history li::before{content:'';position:absolute;left:.33rem;top:1rem;bottom:-.2rem;"
    "width:2px;background:#e3e7ec}"
    ".history li:last-child::before{display:none}"
    ".history li::after{content:'';position:absolute;left:0;top:.38rem;width:.75rem;"
    "height:.75rem;border-radius:50%;background:#c4ccd6}"
    ".history li.now::after{background:var(--c);box-shadow:0 0 0 3px var(--cs)}"
    ".history li.stop::after{background:#b3261e}"
    ".t{display:block;font-weight:600}"
    ".history time{display:block;font-size:.85rem;color:#5b6675}"
    ".money{margin-top:1rem;padding:.8rem 1rem;border-radius:10px;background:var(--cs)}"
    ".money .row{display:flex;flex-wrap:wrap;justify-content:space-between;"
    "align-items:center;gap:.25rem 1rem}"
    ".amount{display:block;font-size:1.4rem;font-weight:700;color:#1c2430}"
    ".money p{margin:0;color:#3c4655}"
    ".money .pill{background:#fff}"
    ".ok{--c:#137333;--cs:#e6f4ea}.wait{--c:#a04e00;--cs:#fef0dc}.none{--cs:#f2f4f7}"
    ".when{margin:.25rem 0 0;font-size:.85rem;color:#5b6675}"
    ".cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(17rem,1fr));gap:0 "
    "1rem;align-items:start}"
    ".ext{font-weight:400;text-decoration:none}"
    ".contact{list-style:none;margin:.6rem 0 0;padding:0;display:flex;flex-wrap:wrap;"
    "gap:.5rem}"
    ".contact a{display:inline-block;padding:.45rem .9rem;border:1px solid #c9d3e0;"
    "border-radius:999px;text-decoration:none;font-weight:600;font-size:.9rem;"
    "overflow-wrap:anywhere}"
    ".help p{margin:0;color:#3c4655}"
    ".find label{display:block;font-weight:600;margin:0 0 .35rem}"
    ".find .row{display:flex;gap:.5rem}"
    ".find input{flex:1;min-width:0;font:inherit;padding:.6rem .75rem;"
    "border:1px solid #b9c3d0;border-radius:10px;background:#fff;color:inherit}"
    ".find button{font:inherit;font-weight:600;padding:.6rem 1.2rem;border:0;"
    "border-radius:10px;background:#0b57d0;color:#fff;cursor:pointer}"
    ".find p{margin:.5rem 0 0;font-size:.85rem;color:#5b6675}"
    "footer{font-size:.8rem;color:#5b6675;text-align:center;padding:.25rem 1rem 2rem}"
    "footer p{margin:.25rem 0}";

/* Headers of every answer: private, never cached, never framed or indexed. */
static void page_headers(struct req *r)
{
	req_page_headers(r, "no-referrer",
			 "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
			 "form-action 'self'; frame-ancestors 'none'");
	req_add_header(r, "X-Robots-Tag", "noindex");
}

/* Codes are URL-safe ids; anything else cannot be one. */
static int code_plausible(const char *code)
{
	size_t n = code ? strlen(code) : 0;
	if (n == 0 || n > TRACKING_PAGE_MAX_CODE)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

static const struct tz_zone *zone_of(const struct req *r)
{
	return r->app && r->app->cfg.tz ? r->app->cfg.tz : tz_default();
}

/* ---- times and money as people read them ---- */

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const day_names[7] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

static int local_of(const struct tz_zone *z, int64_t t, struct tz_local *l)
{
	return tz_local(z, t, l);
}

/* "1 Dec 2026, 10:35 AM IST" */
static void when_text(const struct tz_zone *z, int64_t t, char *out, size_t cap)
{
	struct tz_local l;
	if (local_of(z, t, &l)) {
		fmt_into(out, cap, "%lld", (long long)t);
		return;
	}
	int h = l.tm.tm_hour % 12;
	fmt_into(out, cap, "%d %s %d, %d:%02d %s %s", l.tm.tm_mday, month_names[l.tm.tm_mon],
		 l.tm.tm_year + 1900, h ? h : 12, l.tm.tm_min, l.tm.tm_hour < 12 ? "AM" : "PM",
		 l.abbr);
}

/* The machine-readable form of a local time: "2026-12-01T10:35:00+05:30". */
static void iso_text(const struct tz_zone *z, int64_t t, char *out, size_t cap)
{
	struct tz_local l;
	char off[16];
	if (local_of(z, t, &l)) {
		fmt_into(out, cap, "%lld", (long long)t);
		return;
	}
	tz_offset_text(l.utoff, off, sizeof(off));
	fmt_into(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%s", l.tm.tm_year + 1900, l.tm.tm_mon + 1,
		 l.tm.tm_mday, l.tm.tm_hour, l.tm.tm_min, l.tm.tm_sec, off);
}

/* "Thu, 3 Dec", "3–5 Dec", "30 Nov – 2 Dec": short enough for a phone. */
static void eta_text(const struct tz_zone *z, int64_t from, int64_t to, char *out, size_t cap)
{
	struct tz_local a, b;
	if (local_of(z, from, &a) || local_of(z, to, &b)) {
		fmt_into(out, cap, "%lld", (long long)to);
		return;
	}
	const char *am = month_names[a.tm.tm_mon], *bm = month_names[b.tm.tm_mon];
	if (a.tm.tm_year == b.tm.tm_year && a.tm.tm_yday == b.tm.tm_yday)
		fmt_into(out, cap, "%s, %d %s", day_names[b.tm.tm_wday], b.tm.tm_mday, bm);
	else if (a.tm.tm_year == b.tm.tm_year && a.tm.tm_mon == b.tm.tm_mon)
		fmt_into(out, cap, "%d\xe2\x80\x93%d %s", a.tm.tm_mday, b.tm.tm_mday, bm);
	else
		fmt_into(out, cap, "%d %s \xe2\x80\x93 %d %s", a.tm.tm_mday, am, b.tm.tm_mday, bm);
}

/* "3 Dec", under a step of the progress view. */
static void day_text(const struct tz_zone *z, int64_t t, char *out, size_t cap)
{
	struct tz_local l;
	if (local_of(z, t, &l))
		fmt_into(out, cap, "%lld", (long long)t);
	else
		fmt_into(out, cap, "%d %s", l.tm.tm_mday, month_names[l.tm.tm_mon]);
}

/* Rupees as India writes them: "₹1,23,456.70". */
static void inr_text(int64_t paise, char *out, size_t cap)
{
	char plain[MONEY_FMT_CAP], grouped[2 * MONEY_FMT_CAP];
	money_format_fixed(paise < 0 ? -paise : paise, plain);
	const char *dot = strchr(plain, '.');
	size_t ndigits = dot ? (size_t)(dot - plain) : strlen(plain), k = 0;
	for (size_t i = 0; i < ndigits; i++) {
		size_t left = ndigits - i; /* digits from here to the point */
		if (i > 0 && (left == 3 || (left > 3 && (left - 3) % 2 == 0)))
			grouped[k++] = ',';
		grouped[k++] = plain[i];
	}
	grouped[k] = '\0';
	fmt_into(out, cap, "%s\xe2\x82\xb9%s%s", paise < 0 ? "-" : "", grouped, dot ? dot : "");
}

/* ---- page parts ---- */

static void page_open(struct buf *b, const char *title, const char *shop, const char *phase)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"robots\" content=\"noindex\">\n"
		    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	html_escape(b, title);
	buf_adds(b, " · Order tracking</title>\n<style>");
	buf_adds(b, page_css);
	buf_adds(b, "</style>\n</head>\n<body>\n<header class=\"top\"><div class=\"wrap\">"
		    "<span class=\"shop\">");
	html_escape(b, shop ? shop : "Order tracking");
	buf_adds(b, "</span>");
	if (shop)
		buf_adds(b, "<span class=\"sub\">Order tracking</span>");
	buf_adds(b, "</div></header>\n<main class=\"wrap ");
	html_escape(b, phase);
	buf_adds(b, "\">\n");
}

static void page_close(struct buf *b, const struct tz_zone *z, int with_zone)
{
	buf_adds(b, "</main>\n<footer>");
	if (with_zone) {
		struct tz_local l;
		char off[16];
		if (tz_local(z, now_epoch(), &l) == 0) {
			tz_offset_text(l.utoff, off, sizeof(off));
			buf_adds(b, "<p>Times are in ");
			html_escape(b, tz_display(z));
			if (strncmp(l.abbr, "UTC", 3) != 0)
				html_escapef(b, " (%s, UTC%s)", l.abbr, off);
			else
				html_escapef(b, " (UTC%s)", l.utoff ? off : "");
			buf_adds(b, ".</p>");
		}
		buf_adds(b, "<p><a href=\"/t/\">Track another order</a></p>");
	}
	buf_adds(b, "</footer>\n</body>\n</html>\n");
}

static void reply_html(struct req *r, unsigned status, struct buf *b)
{
	page_headers(r);
	req_reply(r, status, HTML_TYPE, b->data, b->len);
	buf_release(b);
}

/* The form to type a tracking code in, pre-filled with value (may be NULL). */
static void code_form(struct buf *b, const char *value)
{
	buf_adds(b, "<form class=\"find\" method=\"get\" action=\"/t/\">\n"
		    "<label for=\"code\">Tracking code</label>\n<div class=\"row\">"
		    "<input id=\"code\" name=\"code\" type=\"text\" autocomplete=\"off\" "
		    "autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"");
	buf_addf(b, "%d", TRACKING_PAGE_MAX_QUERY);
	buf_adds(b, "\" value=\"");
	html_escape(b, value ? value : "");
	buf_adds(b, "\"><button type=\"submit\">Track</button></div>\n"
		    "<p>The code is the last part of the tracking link you were sent; you can "
		    "paste the whole link.</p>\n</form>\n");
}

/* A page with a message and the form: the lookup page, a miss, a failure. */
static void reply_html_form(struct req *r, unsigned status, const char *title, const char *message,
			    const char *value)
{
	struct buf b;
	buf_init(&b);
	page_open(&b, title, NULL, status == 200 ? "" : "ph-stop");
	buf_adds(&b, "<section class=\"card hero\">\n<h1>");
	html_escape(&b, title);
	buf_adds(&b, "</h1>\n<p class=\"detail\">");
	html_escape(&b, message);
	buf_adds(&b, "</p>\n");
	code_form(&b, value);
	buf_adds(&b, "</section>\n");
	page_close(&b, zone_of(r), 0);
	reply_html(r, status, &b);
}

static void reply_unknown(struct req *r, const char *code)
{
	reply_html_form(r, 404, "Tracking code not found",
			"We could not find an order with this tracking code. Please check the "
			"code or the link you were sent, and try again.",
			code);
}

static const char *phase_class(const struct track_public *p)
{
	if (p->phase == TRACK_PHASE_CANCELLED)
		return "ph-stop";
	if (p->notice != TRACK_NOTICE_NONE)
		return "ph-warn";
	if (p->phase != TRACK_PHASE_IN_PROGRESS)
		return "ph-done";
	return "";
}

/* A word above the headline for what is off the usual path. */
static const char *pill_text(const struct track_public *p)
{
	switch (p->status_id) {
	case ST_RX_REQUIRED:
		return "Action needed";
	case ST_RX_REVIEW:
		return "In review";
	case ST_ALLOCATION_FAILED:
	case ST_REATTEMPT:
		return "Delayed";
	case ST_CANCEL_INITIATED:
	case ST_CANCELLED:
		return "Cancelled";
	case ST_RETURN_REQUESTED:
	case ST_RETURN_PICKED:
		return "Return";
	default:
		return NULL;
	}
}

static void render_steps(struct buf *b, const struct tz_zone *z, const struct track_step *steps,
			 size_t n, const char *label)
{
	static const char *const cls[] = {"done", "current", "todo"};
	char day[TIME_CAP], iso[TIME_CAP];
	buf_adds(b, "<ol class=\"steps\" aria-label=\"");
	html_escape(b, label);
	buf_adds(b, "\">\n");
	for (size_t i = 0; i < n; i++) {
		const struct track_step *s = &steps[i];
		buf_addf(b, "<li class=\"%s\"%s><span class=\"dot\"></span><span class=\"sl\">",
			 cls[s->state],
			 s->state == TRACK_STEP_CURRENT ? " aria-current=\"step\"" : "");
		html_escape(b, s->label);
		buf_adds(b, s->state == TRACK_STEP_CURRENT ? "<span class=\"vh\"> (now)</span>"
			    : s->state == TRACK_STEP_UPCOMING
				? "<span class=\"vh\"> (to come)</span>"
				: "");
		buf_adds(b, "</span>");
		if (s->at && s->state != TRACK_STEP_UPCOMING) {
			day_text(z, s->at, day, sizeof(day));
			iso_text(z, s->at, iso, sizeof(iso));
			buf_adds(b, "<time datetime=\"");
			html_escape(b, iso);
			buf_adds(b, "\">");
			html_escape(b, day);
			buf_adds(b, "</time>");
		} else {
			buf_adds(b, "<span class=\"sd\"></span>");
		}
		buf_adds(b, "</li>\n");
	}
	buf_adds(b, "</ol>\n");
}

/* True when the local day of t is after the local day of ref. */
static int day_after(const struct tz_zone *z, int64_t t, int64_t ref)
{
	struct tz_local a, b;
	if (local_of(z, t, &a) || local_of(z, ref, &b))
		return 0;
	return a.tm.tm_year > b.tm.tm_year ||
	       (a.tm.tm_year == b.tm.tm_year && a.tm.tm_yday > b.tm.tm_yday);
}

/* The ETA while the parcel is to come (and whether it is late), or when it arrived. */
static void render_eta(struct buf *b, const struct tz_zone *z, const struct track_public *p)
{
	char text[TIME_CAP];
	if (p->status_id == ST_OUT_FOR_DELIVERY) {
		buf_adds(b, "<div class=\"eta\"><span>Estimated delivery</span>"
			    "<strong>Today</strong></div>\n");
	} else if (p->eta_relevant) {
		int64_t last = p->eta_to ? p->eta_to : p->eta_from;
		eta_text(z, p->eta_from ? p->eta_from : p->eta_to, last, text, sizeof(text));
		buf_adds(b, "<div class=\"eta\"><span>");
		/* Past the window's last day: say so rather than show a date gone by. */
		buf_adds(b, day_after(z, now_epoch(), last) ? "Running late \xc2\xb7 expected"
								      : "Estimated delivery");
		buf_adds(b, "</span><strong>");
		html_escape(b, text);
		buf_adds(b, "</strong></div>\n");
	} else if (p->delivered_at) {
		when_text(z, p->delivered_at, text, sizeof(text));
		buf_adds(b, "<div class=\"eta\"><span>Delivered on</span><strong>");
		html_escape(b, text);
		buf_adds(b, "</strong></div>\n");
	}
}

/* What happens to the money of a cancelled or refunded order. */
static void render_money(struct buf *b, const struct tz_zone *z, const struct track_public *p)
{
	char amount[64], done[64], when[TIME_CAP];
	if (!p->refund_total) {
		if (p->nothing_charged)
			buf_adds(
			    b, "<div class=\"money none\"><p>No payment was taken for this order, "
			       "so there is nothing to refund.</p></div>\n");
		return;
	}
	int finished = p->refund_pending == 0;
	inr_text(p->refund_total, amount, sizeof(amount));
	buf_adds(b, finished ? "<div class=\"money ok\">" : "<div class=\"money wait\">");
	buf_adds(b, "<div class=\"row\"><div><p>Refund</p><span class=\"amount\">");
	html_escape(b, amount);
	buf_adds(b, "</span></div><span class=\"pill\">");
	buf_adds(b, finished ? "Refunded" : "On its way");
	buf_adds(b, "</span></div>\n<p class=\"when\">");
	if (finished) {
		buf_adds(b, "Refunded to the account you paid from");
		if (p->refund_done_at) {
			when_text(z, p->refund_done_at, when, sizeof(when));
			buf_adds(b, " on ");
			html_escape(b, when);
		}
		buf_adds(b, ".");
	} else {
		if (p->refund_done) {
			inr_text(p->refund_done, done, sizeof(done));
			inr_text(p->refund_pending, amount, sizeof(amount));
			html_escapef(b, "%s has been refunded and %s is on its way. ", done,
				     amount);
		}
		buf_adds(b, "It goes back to the account you paid from.");
	}
	buf_adds(b, "</p>\n</div>\n");
}

static void render_hero(struct buf *b, const struct tz_zone *z, const struct track_public *p)
{
	char when[TIME_CAP];
	const char *pill = pill_text(p);
	buf_adds(b, "<section class=\"card hero\">\n");
	if (pill) {
		buf_adds(b, "<span class=\"pill\">");
		html_escape(b, pill);
		buf_adds(b, "</span>\n");
	}
	buf_adds(b, "<h1>");
	html_escape(b, p->headline);
	buf_adds(b, "</h1>\n<p class=\"detail\">");
	html_escape(b, p->detail);
	buf_adds(b, "</p>\n");
	if (p->phase == TRACK_PHASE_CANCELLED) {
		if (p->cancelled_at) {
			when_text(z, p->cancelled_at, when, sizeof(when));
			buf_adds(b, "<p class=\"when\">Cancelled on ");
			html_escape(b, when);
			buf_adds(b, "</p>\n");
		}
		render_money(b, z, p);
	} else {
		render_eta(b, z, p);
		render_steps(b, z, p->steps, p->nsteps, "Delivery progress");
		if (p->nreturn_steps) {
			buf_adds(b, "<div class=\"ret\"><h2>Return</h2>\n");
			render_steps(b, z, p->return_steps, p->nreturn_steps, "Return progress");
			buf_adds(b, "</div>\n");
		}
		if (p->refund_total)
			render_money(b, z, p);
	}
	buf_adds(b, "</section>\n");
}

static void fact(struct buf *b, const char *label, const char *value)
{
	buf_adds(b, "<div><dt>");
	html_escape(b, label);
	buf_adds(b, "</dt><dd>");
	html_escape(b, value);
	buf_adds(b, "</dd></div>\n");
}

static void render_facts(struct buf *b, const struct track_public *p)
{
	char text[64];
	buf_adds(b, "<section class=\"card\">\n<h2>Details</h2>\n<dl>\n");
	if (p->carrier || p->carrier_code)
		fact(b, "Carrier", p->carrier ? p->carrier : "Assigned");
	if (p->carrier_code && p->carrier_url[0]) {
		buf_adds(b, "<div><dt>Carrier tracking number</dt><dd><a href=\"");
		html_escape(b, p->carrier_url);
		buf_adds(b, "\" rel=\"noopener noreferrer\" title=\"");
		html_escapef(b, "Track it on %s's site", p->carrier ? p->carrier : "the carrier");
		buf_adds(b, "\">");
		html_escape(b, p->carrier_code);
		buf_adds(b, "</a> <span class=\"ext\" aria-hidden=\"true\">\xe2\x86\x97</span>"
			    "</dd></div>\n");
	} else if (p->carrier_code) {
		fact(b, "Carrier tracking number", p->carrier_code);
	}
	fmt_into(text, sizeof(text), "%lld", (long long)p->item_count);
	fact(b, p->item_count == 1 ? "Item" : "Items", text);
	fact(b, "Tracking code", p->tracking_code);
	buf_adds(b, "</dl>\n</section>\n");
}

/*
 * The history, newest first, in the customer's words. Waiting for payment
 * happened before the customer had this page and is left out; the newest
 * step is marked as now unless the order was cancelled, where the
 * cancellation is marked as the stop it is.
 */
static void render_history(struct buf *b, const struct tz_zone *z, const struct track_public *p)
{
	char iso[TIME_CAP], human[TIME_CAP];
	int first = 1;
	buf_adds(b, "<section class=\"card\">\n<h2>History</h2>\n<ol class=\"history\">\n");
	for (size_t k = p->ntimeline; k-- > 0;) {
		const struct order_event *e = &p->timeline[k];
		if (e->to == ST_AWAITING_CONFIRMATION)
			continue;
		const char *cls = e->to == ST_CANCELLED || e->to == ST_CANCEL_INITIATED ? "stop"
				  : first && p->phase != TRACK_PHASE_CANCELLED		? "now"
											: NULL;
		first = 0;
		iso_text(z, e->at, iso, sizeof(iso));
		when_text(z, e->at, human, sizeof(human));
		buf_adds(b, "<li");
		if (cls)
			buf_addf(b, " class=\"%s\"", cls);
		buf_adds(b, "><span class=\"t\">");
		html_escape(b, track_status_label(e->to));
		buf_adds(b, "</span><time datetime=\"");
		html_escape(b, iso);
		buf_adds(b, "\">");
		html_escape(b, human);
		buf_adds(b, "</time></li>\n");
	}
	buf_adds(b, "</ol>\n</section>\n");
}

static void contact_link(struct buf *b, const char *scheme, const char *target, const char *text)
{
	buf_adds(b, "<li><a href=\"");
	html_escape(b, scheme);
	html_escape(b, target);
	buf_adds(b, "\" rel=\"noopener noreferrer\">");
	html_escape(b, text);
	buf_adds(b, "</a></li>\n");
}

static void render_help(struct buf *b, const struct track_public *p)
{
	char dial[MERCHANT_MAX_PHONE + 1];
	if (!p->merchant_name && !p->help_url && !p->help_email && !p->help_phone)
		return;
	buf_adds(b, "<section class=\"card help\">\n<h2>Need help?</h2>\n<p>");
	if (p->help_url || p->help_email || p->help_phone) {
		html_escapef(b, "Questions about this order? Contact %s:",
			     p->merchant_name ? p->merchant_name : "the shop");
		buf_adds(b, "</p>\n<ul class=\"contact\">\n");
		if (p->help_phone) {
			merchant_help_phone_dial(p->help_phone, dial, sizeof(dial));
			contact_link(b, "tel:", dial, p->help_phone);
		}
		if (p->help_email)
			contact_link(b, "mailto:", p->help_email, p->help_email);
		if (p->help_url)
			contact_link(b, "", p->help_url, "Help centre");
		buf_adds(b, "</ul>\n");
	} else {
		html_escapef(b, "Questions about this order? Contact %s, where you placed it.",
			     p->merchant_name);
		buf_adds(b, "</p>\n");
	}
	buf_adds(b, "</section>\n");
}

static void render_page(struct req *r, const struct track_public *p)
{
	const struct tz_zone *z = zone_of(r);
	struct buf b;
	buf_init(&b);
	page_open(&b, p->headline, p->merchant_name, phase_class(p));
	render_hero(&b, z, p);
	/* Side by side where there is room (a desktop), one above the other on a phone. */
	buf_adds(&b, "<div class=\"cols\">\n");
	render_facts(&b, p);
	render_help(&b, p);
	buf_adds(&b, "</div>\n");
	render_history(&b, z, p);
	page_close(&b, z, 1);
	reply_html(r, 200, &b);
}

/* ---- handlers ---- */

/* How a failed load is answered: 404 for no such order, else 503 or 500. */
static unsigned load_status(enum apo_result rc)
{
	if (rc == APO_ERR_NOT_FOUND)
		return 404;
	if (rc == APO_ERR_UNAVAILABLE || rc == APO_ERR_BUSY || rc == APO_ERR_STORAGE)
		return 503;
	return 500;
}

/* Loads the order behind the code; answers a miss or failure itself. */
static int load_or_reply(struct req *r, int as_json, struct order *o, struct order_extras *x)
{
	const char *code = req_param(r, "code");
	enum apo_result rc = APO_ERR_NOT_FOUND;
	if (code_plausible(code))
		rc = track_load(r->db, ORDERS_BY_TRACKING, NULL, code, o, x);
	if (rc == APO_OK)
		return 0;
	unsigned status = load_status(rc);
	if (status == 503)
		req_add_header(r, "Retry-After", "1");
	if (as_json)
		page_headers(r);
	if (status == 404 && as_json)
		req_fail(r, 404, "not_found", "Unknown tracking code");
	else if (status == 404)
		reply_unknown(r, code_plausible(code) ? code : NULL);
	else if (as_json)
		req_fail(r, status, status == 503 ? "unavailable" : "internal",
			 "Tracking is unavailable, please retry");
	else
		reply_html_form(r, status, "Tracking is unavailable",
				"Something went wrong on our side. Please try again in a moment.",
				code_plausible(code) ? code : NULL);
	return -1;
}

static void serve(struct req *r, int as_json)
{
	struct order *o = order_new();
	struct order_extras x;
	struct track_public p;
	struct merchant m;

	merchant_init(&m);
	if (load_or_reply(r, as_json, o, &x))
		goto out_free_order;
	/* Without its merchant the page still tells where the parcel is. */
	int have_merchant = o->merchant_id && merchant_load(r->db, o->merchant_id, &m) == APO_OK;
	track_public_facts(o, &x, have_merchant ? &m : NULL, &r->app->cfg.carriers, &p);
	if (as_json) {
		page_headers(r);
		req_reply_json(r, 200, track_public_json(&p));
	} else {
		render_page(r, &p);
	}
	order_extras_release(&x);
out_free_order:
	merchant_release(&m);
	order_free(o); /* also what a failed load left behind */
}

static void tracking_json(struct req *r)
{
	serve(r, 1);
}

static void tracking_html(struct req *r)
{
	serve(r, 0);
}

/*
 * The code a customer typed or pasted: surrounding spaces go, and of a
 * pasted tracking link only its last path segment counts (without a query
 * or fragment a messaging app may have added).
 */
static void typed_code(const char *in, char *out, size_t cap)
{
	const char *start = in, *end = in + strcspn(in, "?#");
	while (start < end && (*start == ' ' || *start == '\t'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '/'))
		end--;
	for (const char *s = start; s < end; s++)
		if (*s == '/')
			start = s + 1;
	fmt_into(out, cap, "%.*s", (int)(end - start), start);
}

/* GET /t/ and /t/?code=...: the form, or on to the code's page. */
static void tracking_lookup(struct req *r)
{
	const char *q = req_query(r, "code");
	char code[TRACKING_PAGE_MAX_QUERY + 1], location[TRACKING_PAGE_MAX_CODE + 8];
	if (!q || !*q) {
		reply_html_form(r, 200, "Track your order",
				"Enter the tracking code of your order to see where it is.", NULL);
		return;
	}
	if (strlen(q) > TRACKING_PAGE_MAX_QUERY) {
		reply_unknown(r, NULL);
		return;
	}
	typed_code(q, code, sizeof(code));
	if (!code_plausible(code)) {
		reply_unknown(r, code);
		return;
	}
	fmt_into(location, sizeof(location), "/t/%s", code);
	page_headers(r);
	req_add_header(r, "Location", location);
	req_reply(r, 303, HTML_TYPE, "", 0);
}

static void tracking_bare(struct req *r)
{
	page_headers(r);
	req_add_header(r, "Location", "/t/");
	req_reply(r, 308, HTML_TYPE, "", 0);
}

void tracking_page_routes(struct router *rt)
{
	router_add(rt, HTTP_GET | HTTP_HEAD, "/t", tracking_bare, "tracking.bare");
	router_add(rt, HTTP_GET | HTTP_HEAD, "/t/", tracking_lookup, "tracking.lookup");
	/* The .json form first: the router tries routes in order. */
	router_add(rt, HTTP_GET | HTTP_HEAD, "/t/{code}.json", tracking_json, "tracking.json");
	router_add(rt, HTTP_GET | HTTP_HEAD, "/t/{code}", tracking_html, "tracking.page");
}
