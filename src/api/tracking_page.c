/*
 * The public tracking page (SPEC §6): GET /t/{code} renders a small HTML5
 * page (inline CSS, no JavaScript, laid out for a phone first) and GET
 * /t/{code}.json the same facts as JSON. Anyone holding the code may look,
 * so the page shows only track_view.h's public facts — status, timeline,
 * ETA, carrier, item count — and never a name, phone number, address,
 * e-mail, price or the merchant's order id. Every value on the page goes
 * through html_escape(). No authentication; answers are never cached.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/routes.h"
#include "api/track_view.h"
#include "core/order.h"
#include "core/order_state.h"
#include "http/html.h"
#include "http/req.h"
#include "store/repo_orders.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* The longest code looked up; longer or odd-charactered ones are unknown. */
#define TRACKING_PAGE_MAX_CODE 64
#define HTML_TYPE "text/html; charset=utf-8"

static const char page_css[] =
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f3f5f7;color:#1c2430;"
    "font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    "main{max-width:34rem;margin:0 auto;padding:1rem}"
    ".brand{margin:0 0 .75rem;font-size:.85rem;font-weight:600;letter-spacing:.08em;"
    "text-transform:uppercase;color:#5b6675}"
    ".card{background:#fff;border-radius:12px;padding:1rem 1.25rem;margin:0 0 1rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.08)}"
    ".label{margin:0;font-size:.8rem;color:#5b6675;text-transform:uppercase;"
    "letter-spacing:.05em}"
    "h1{margin:.15rem 0 .25rem;font-size:1.6rem;line-height:1.2}"
    ".st-done h1{color:#137333}.st-stop h1{color:#b3261e}.st-go h1{color:#0b57d0}"
    ".code{margin:0;font-size:.85rem;color:#5b6675;word-break:break-all}"
    "dl{margin:0;display:grid;grid-template-columns:1fr;gap:.75rem}"
    "dl div{display:flex;justify-content:space-between;gap:1rem;"
    "border-bottom:1px solid #eceff3;padding-bottom:.5rem}"
    "dl div:last-child{border-bottom:0;padding-bottom:0}"
    "dt{color:#5b6675}dd{margin:0;font-weight:600;text-align:right;word-break:break-word}"
    "h2{margin:0 0 .75rem;font-size:1.05rem}"
    "ol{list-style:none;margin:0;padding:0}"
    "li{position:relative;padding:0 0 1rem 1.5rem;border-left:2px solid #d5dbe3;"
    "margin-left:.4rem}"
    "li:last-child{border-left-color:transparent;padding-bottom:0}"
    "li::before{content:'';position:absolute;left:-.45rem;top:.3rem;width:.8rem;height:.8rem;"
    "border-radius:50%;background:#d5dbe3}"
    "li.now::before{background:#0b57d0}"
    ".t{display:block;font-weight:600}"
    "time{display:block;font-size:.85rem;color:#5b6675}"
    "footer{font-size:.8rem;color:#5b6675;text-align:center;padding:.5rem 0 1.5rem}";

/* Headers of every answer: private, never cached, never framed or indexed. */
static void page_headers(struct req *r)
{
	req_add_header(r, "Cache-Control", "no-store");
	req_add_header(r, "X-Content-Type-Options", "nosniff");
	req_add_header(r, "Referrer-Policy", "no-referrer");
	req_add_header(r, "X-Robots-Tag", "noindex");
	req_add_header(r, "Content-Security-Policy",
		       "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; "
		       "form-action 'none'; frame-ancestors 'none'");
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

static void page_open(struct buf *b, const char *title, const char *status_class)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"robots\" content=\"noindex\">\n"
		    "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
	html_escape(b, title);
	buf_adds(b, " · Order tracking</title>\n<style>");
	buf_adds(b, page_css);
	buf_adds(b, "</style>\n</head>\n<body>\n<main class=\"");
	html_escape(b, status_class);
	buf_adds(b, "\">\n<p class=\"brand\">Order tracking</p>\n");
}

static void page_close(struct buf *b)
{
	buf_adds(b, "<footer>Times are shown in UTC.</footer>\n</main>\n</body>\n</html>\n");
}

static void reply_html(struct req *r, unsigned status, struct buf *b)
{
	page_headers(r);
	req_reply(r, status, HTML_TYPE, b->data, b->len);
	buf_release(b);
}

/* A small page for a code that names nothing, or for a failure. */
static void reply_html_error(struct req *r, unsigned status, const char *title, const char *message)
{
	struct buf b;
	buf_init(&b);
	page_open(&b, title, "st-stop");
	buf_adds(&b, "<section class=\"card\">\n<h1>");
	html_escape(&b, title);
	buf_adds(&b, "</h1>\n<p>");
	html_escape(&b, message);
	buf_adds(&b, "</p>\n</section>\n");
	page_close(&b);
	reply_html(r, status, &b);
}

static void utc_text(int64_t t, const char *fmt, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || strftime(out, cap, fmt, &tm) == 0)
		fmt_into(out, cap, "%lld", (long long)t);
}

/* Green when delivered, red when stopped, blue while on its way. */
static const char *status_class(int status)
{
	if (status == ST_DELIVERED || status == ST_RETURN_REFUNDED)
		return "st-done";
	if (status == ST_CANCELLED || status == ST_CANCEL_INITIATED)
		return "st-stop";
	return "st-go";
}

/* An ETA is worth showing only while the parcel is still to arrive. */
static int eta_relevant(const struct track_public *p)
{
	switch (p->status_id) {
	case ST_DELIVERED:
	case ST_CANCEL_INITIATED:
	case ST_CANCELLED:
	case ST_RETURN_REQUESTED:
	case ST_RETURN_PICKED:
	case ST_RETURN_REFUNDED:
		return 0;
	default:
		return p->eta_from || p->eta_to;
	}
}

static void fact(struct buf *b, const char *label, const char *value)
{
	buf_adds(b, "<div><dt>");
	html_escape(b, label);
	buf_adds(b, "</dt><dd>");
	html_escape(b, value);
	buf_adds(b, "</dd></div>\n");
}

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* "24–26 Nov 2026", "30 Nov – 2 Dec 2026", or one day: short enough for a phone. */
static void eta_text(int64_t from, int64_t to, char *out, size_t cap)
{
	time_t f = (time_t)from, t = (time_t)to;
	struct tm a, z;
	if (!gmtime_r(&f, &a) || !gmtime_r(&t, &z)) {
		fmt_into(out, cap, "%lld", (long long)to);
		return;
	}
	const char *am = month_names[a.tm_mon], *zm = month_names[z.tm_mon];
	int ay = a.tm_year + 1900, zy = z.tm_year + 1900;
	if (ay == zy && a.tm_yday == z.tm_yday)
		fmt_into(out, cap, "%d %s %d", z.tm_mday, zm, zy);
	else if (ay == zy && a.tm_mon == z.tm_mon)
		fmt_into(out, cap, "%d\xe2\x80\x93%d %s %d", a.tm_mday, z.tm_mday, zm, zy);
	else if (ay == zy)
		fmt_into(out, cap, "%d %s \xe2\x80\x93 %d %s %d", a.tm_mday, am, z.tm_mday, zm, zy);
	else
		fmt_into(out, cap, "%d %s %d \xe2\x80\x93 %d %s %d", a.tm_mday, am, ay, z.tm_mday,
			 zm, zy);
}

static void render_facts(struct buf *b, const struct track_public *p)
{
	char text[160];
	buf_adds(b, "<section class=\"card\">\n<dl>\n");
	if (eta_relevant(p)) {
		eta_text(p->eta_from ? p->eta_from : p->eta_to, p->eta_to ? p->eta_to : p->eta_from,
			 text, sizeof(text));
		fact(b, "Estimated delivery", text);
	}
	if (p->carrier || p->carrier_code) {
		fact(b, "Carrier", p->carrier ? p->carrier : "Assigned");
		if (p->carrier_code)
			fact(b, "Carrier tracking number", p->carrier_code);
	}
	fmt_into(text, sizeof(text), "%lld", (long long)p->item_count);
	fact(b, p->item_count == 1 ? "Item" : "Items", text);
	buf_adds(b, "</dl>\n</section>\n");
}

/* The timeline, newest first, so the latest step is at the top on a phone. */
static void render_timeline(struct buf *b, const struct track_public *p)
{
	char iso[32], human[48];
	buf_adds(b, "<section class=\"card\">\n<h2>Timeline</h2>\n<ol>\n");
	for (size_t k = p->ntimeline; k-- > 0;) {
		const struct order_event *e = &p->timeline[k];
		utc_text(e->at, "%Y-%m-%dT%H:%M:%SZ", iso, sizeof(iso));
		utc_text(e->at, "%d %b %Y, %H:%M UTC", human, sizeof(human));
		buf_adds(b, k + 1 == p->ntimeline ? "<li class=\"now\">" : "<li>");
		buf_adds(b, "<span class=\"t\">");
		html_escape(b, order_status_title(e->to));
		buf_adds(b, "</span><time datetime=\"");
		html_escape(b, iso);
		buf_adds(b, "\">");
		html_escape(b, human);
		buf_adds(b, "</time></li>\n");
	}
	buf_adds(b, "</ol>\n</section>\n");
}

static void render_page(struct req *r, const struct track_public *p)
{
	struct buf b;
	buf_init(&b);
	page_open(&b, p->title, status_class(p->status_id));
	buf_adds(&b, "<section class=\"card\">\n<p class=\"label\">Status</p>\n<h1>");
	html_escape(&b, p->title);
	buf_adds(&b, "</h1>\n<p class=\"code\">Tracking code ");
	html_escape(&b, p->tracking_code);
	buf_adds(&b, "</p>\n</section>\n");
	render_facts(&b, p);
	render_timeline(&b, p);
	page_close(&b);
	reply_html(r, 200, &b);
}

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
		rc = track_load(r->db, ORDER_BY_TRACKING, NULL, code, o, x);
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
		reply_html_error(r, 404, "Tracking code not found",
				 "We could not find a parcel with this tracking code. Please check "
				 "the link you were sent.");
	else if (as_json)
		req_fail(r, status, status == 503 ? "unavailable" : "internal",
			 "Tracking is unavailable, please retry");
	else
		reply_html_error(r, status, "Tracking is unavailable",
				 "Something went wrong on our side. Please try again in a moment.");
	return -1;
}

static void serve(struct req *r, int as_json)
{
	struct order *o = order_new();
	struct order_extras x;
	struct track_public p;

	if (load_or_reply(r, as_json, o, &x))
		goto out_free_order;
	track_public_facts(o, &x, &p);
	if (as_json) {
		page_headers(r);
		req_reply_json(r, 200, track_public_json(&p));
	} else {
		render_page(r, &p);
	}
	order_extras_release(&x);
out_free_order:
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

void tracking_page_routes(struct router *rt)
{
	/* The .json form first: the router tries routes in order. */
	router_add(rt, HTTP_GET | HTTP_HEAD, "/t/{code}.json", tracking_json, "tracking.json");
	router_add(rt, HTTP_GET | HTTP_HEAD, "/t/{code}", tracking_html, "tracking.page");
}
