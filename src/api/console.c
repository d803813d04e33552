/*
 * The console's frame (see console.h): sign-in with the admin token,
 * sessions in the database (a random cookie token, stored only as its
 * SHA-256), CSRF tokens, the page layout and stylesheet, flash messages,
 * and console_call(), the bridge that runs an admin API handler for the
 * signed-in operator. Pages live in console_dashboard.c, console_orders.c
 * and console_ops.c.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "api/admin.h"
#include "api/console.h"
#include "api/routes.h"
#include "app.h"
#include "auth/throttle.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/strnum.h"
#include "core/money.h"
#include "http/form.h"
#include "http/html.h"
#include "http/jsonx.h"
#include "http/req.h"
#include "store/repo_admin.h"
#include "core/ids.h"
#include "base/banned.h"

#define HTML_TYPE "text/html; charset=utf-8"
#define SESSION_COOKIE "apotheca_session"
#define SIGNIN_COOKIE "apotheca_signin"
#define FLASH_COOKIE "apotheca_flash"
/* A session lasts this long from sign-in. */
#define CONSOLE_SESSION_S (8 * 3600)
/* The sign-in form's own CSRF cookie lasts this long. */
#define CONSOLE_SIGNIN_S 1800
/* The longest admin token a sign-in form may carry. */
#define CONSOLE_MAX_TOKEN 512
/* The longest path a sign-in may return to. */
#define CONSOLE_MAX_NEXT 256
#define CONSOLE_MAX_ID 64

static const char console_css[] =
    ":root{--ink:#17202c;--muted:#5b6675;--line:#e3e7ed;--bg:#f4f6f9;--card:#fff;"
    "--brand:#0b57d0;--ok:#137333;--warn:#b06000;--bad:#b3261e;--flag:#8e24aa}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--ink);"
    "font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}"
    "a{color:var(--brand);text-decoration:none}a:hover{text-decoration:underline}"
    ".top{background:#10243e;color:#fff;display:flex;flex-wrap:wrap;align-items:center;"
    "gap:.25rem 1rem;padding:.5rem 1rem}"
    ".brand{color:#fff;font-weight:700;letter-spacing:.04em;margin-right:.5rem}"
    ".top nav{display:flex;flex-wrap:wrap;gap:.25rem;flex:1 1 auto;order:3;width:100%}"
    ".top nav a{color:#c9d6ea;padding:.35rem .6rem;border-radius:6px;white-space:nowrap}"
    ".top nav a.on,.top nav a:hover{background:#1f3c63;color:#fff;text-decoration:none}"
    ".top form{margin-left:auto}"
    ".top button{background:transparent;color:#c9d6ea;border:1px solid #3a5478;"
    "padding:.3rem .7rem;border-radius:6px;font:inherit;cursor:pointer}"
    "@media(min-width:760px){.top nav{order:0;width:auto}}"
    "main{max-width:1200px;margin:0 auto;padding:1rem}"
    "h1{font-size:1.35rem;margin:.25rem 0 "
    "1rem;word-break:break-word}h1.mono{font-size:1.25rem}h2{font-size:1.05rem;margin:0 0 .75rem}"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:1rem;margin:0 0 1rem;min-width:0}"
    ".grid{display:grid;gap:1rem;grid-template-columns:1fr}"
    "@media(min-width:760px){.grid.two{grid-template-columns:1fr 1fr}"
    ".grid.three{grid-template-columns:2fr 1fr}}"
    ".grid>*{min-width:0}.grid>.card{margin:0}"
    ".scroll{overflow-x:auto}"
    "table{border-collapse:collapse;width:100%;font-size:.92rem}"
    "th,td{text-align:left;padding:.45rem .5rem;border-bottom:1px solid var(--line);"
    "vertical-align:top}"
    "th{font-size:.78rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);"
    "font-weight:600;white-space:nowrap}"
    "td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "tr:last-child td{border-bottom:0}"
    "@media(max-width:640px){table.cards thead{display:none}"
    "table.cards,table.cards tbody,table.cards tr{display:block;width:100%}"
    "table.cards tr{border-bottom:1px solid var(--line);padding:.4rem 0}"
    "table.cards tr:last-child{border-bottom:0}"
    "table.cards td{display:flex;justify-content:space-between;align-items:baseline;gap:1rem;"
    "border:0;padding:.12rem 0;text-align:right;white-space:normal}"
    "table.cards td::before{content:attr(data-label);color:var(--muted);font-size:.8rem;"
    "text-align:left;flex:none;font-family:system-ui,-apple-system,sans-serif}"
    "table.cards td:empty{display:none}}"
    ".muted{color:var(--muted)}.small{font-size:.85rem}"
    ".mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.88em}"
    ".pill{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;"
    "background:#e8eefb;color:#123a7a;white-space:nowrap}"
    ".pill.ok{background:#e6f4ea;color:var(--ok)}.pill.bad{background:#fce8e6;color:var(--bad)}"
    ".pill.warn{background:#fef7e0;color:var(--warn)}.pill.flag{background:#f3e8fd;color:var(--"
    "flag)}"
    "form.filters{display:grid;gap:.5rem;grid-template-columns:1fr 1fr}"
    "form.filters .wide{grid-column:1/-1}"
    "@media(min-width:760px){form.filters{grid-template-columns:2fr 1fr 1fr 1fr 1fr 1fr auto}"
    "form.filters .wide{grid-column:auto}}"
    "label{display:flex;flex-direction:column;gap:.2rem;font-size:.8rem;color:var(--muted)}"
    "input,select,textarea{font:inherit;color:var(--ink);padding:.45rem .55rem;"
    "border:1px solid #c5ccd6;border-radius:6px;background:#fff;width:100%;min-width:0}"
    "button,.button{font:inherit;background:var(--brand);color:#fff;border:0;border-radius:6px;"
    "padding:.5rem .9rem;cursor:pointer;white-space:nowrap;display:inline-block}"
    "button.ghost,.button.ghost{background:#fff;color:var(--brand);border:1px solid #c5ccd6}"
    "button.danger{background:var(--bad)}"
    ".actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}"
    ".actions form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;min-width:0;"
    "max-width:100%;flex:1 1 auto}.actions form:only-child{flex:0 1 auto}"
    ".actions label{flex:1 1 11rem;min-width:0}"
    ".flash{background:#e6f4ea;border:1px solid #b7dfc3;color:var(--ok);padding:.6rem .8rem;"
    "border-radius:8px;margin:0 0 1rem}"
    ".alert{background:#fce8e6;border:1px solid #f3b9b3;color:var(--bad);padding:.6rem .8rem;"
    "border-radius:8px;margin:0 0 1rem}"
    "dl.kv{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:0}"
    "dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;text-align:right;"
    "font-variant-numeric:tabular-nums;word-break:break-word}"
    "dl.kv dd.total{font-weight:700}"
    "ol.timeline{list-style:none;margin:0;padding:0}"
    "ol.timeline li{position:relative;padding:0 0 .8rem 1.3rem;border-left:2px solid var(--line);"
    "margin-left:.35rem}"
    "ol.timeline li:last-child{border-left-color:transparent;padding-bottom:0}"
    "ol.timeline li::before{content:'';position:absolute;left:-.4rem;top:.3rem;width:.7rem;"
    "height:.7rem;border-radius:50%;background:var(--brand)}"
    ".kpis{display:grid;grid-template-columns:repeat(2,1fr);gap:.75rem;margin:0 0 1rem}"
    "@media(min-width:760px){.kpis{grid-template-columns:repeat(4,1fr)}}"
    ".kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:.75rem 1rem;color:var(--ink)}"
    "a.kpi:hover{text-decoration:none;border-color:#9fb3d1}"
    ".kpi b{display:block;font-size:1.5rem}.kpi span{color:var(--muted);font-size:.85rem}"
    "svg.chart{width:100%;height:auto;display:block}"
    ".chartwrap{overflow-x:auto;direction:rtl}"
    ".chartwrap svg.chart{min-width:600px;direction:ltr}svg.chart.bars text{font-size:14px}"
    "svg.chart text{font-size:11px;fill:var(--muted)}"
    ".legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;margin:.5rem 0 0;"
    "padding:0;list-style:none}"
    ".legend i{display:inline-block;width:.75rem;height:.75rem;border-radius:2px;"
    "margin-right:.35rem;vertical-align:-1px}"
    ".c0{background:#9aa5b1;fill:#9aa5b1}.c1{background:#0b57d0;fill:#0b57d0}"
    ".c2{background:#1e8e3e;fill:#1e8e3e}.c3{background:#d93025;fill:#d93025}"
    ".c4{background:#8e24aa;fill:#8e24aa}.c5{background:#f29900;fill:#f29900}"
    ".signin{max-width:24rem;margin:10vh auto;padding:0 1rem}"
    ".signin form{display:grid;gap:.75rem}"
    ".pager{display:flex;justify-content:flex-end;gap:.5rem;margin-top:.75rem}"
    "details summary{cursor:pointer;color:var(--brand)}"
    "pre{white-space:pre-wrap;word-break:break-all;font-size:.8rem;background:#f6f8fa;"
    "padding:.5rem;border-radius:6px;margin:.5rem 0 0}";

static const struct {
	const char *code, *text;
} flashes[] = {
    {"moved", "Status changed."},      {"verified", "Prescription review recorded."},
    {"cancelled", "Order cancelled."}, {"retried", "Delivery queued again."},
    {"adjusted", "Stock adjusted."},   {"signed-out", "Signed out."},
};

int console_id_ok(const char *s)
{
	return s && ids_is_ident(s, CONSOLE_MAX_ID);
}

static void random_hex(char out[CONSOLE_TOKEN_HEX + 1])
{
	unsigned char raw[CONSOLE_TOKEN_HEX / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n <= 0) {
			log_error("getrandom failed", NULL);
			abort();
		}
		got += (size_t)n;
	}
	hex_encode(raw, sizeof(raw), out);
}

/* Cookies the console sets: HttpOnly, SameSite=Strict, under /admin;
 * Secure when the public URL is https. */
static void set_cookie(struct req *r, const char *name, const char *value, int64_t max_age)
{
	struct buf b;
	buf_init(&b);
	buf_addf(&b, "%s=%s; Path=/admin; Max-Age=%lld; HttpOnly; SameSite=Strict", name, value,
		 (long long)max_age);
	const char *pub = r->app->cfg.public_url;
	if (pub && strncmp(pub, "https://", 8) == 0)
		buf_adds(&b, "; Secure");
	req_add_header(r, "Set-Cookie", b.data);
	buf_release(&b);
}

static void page_headers(struct req *r)
{
	req_page_headers(r, "same-origin",
			 "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			 "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
}

void console_reply_page(struct req *r, unsigned status, struct buf *b)
{
	page_headers(r);
	req_reply(r, status, HTML_TYPE, b->data, b->len);
	buf_release(b);
}

void console_redirect(struct req *r, const char *location, const char *flash)
{
	if (flash)
		set_cookie(r, FLASH_COOKIE, flash, 60);
	req_add_header(r, "Location", location);
	req_add_header(r, "Cache-Control", "no-store");
	req_reply(r, 303, HTML_TYPE, "", 0);
}

static void session_hash(const char *token, char out[SHA256_HEX_LEN + 1])
{
	sha256_hex(token, strlen(token), out);
}

static int token_shape_ok(const char *t)
{
	if (!t || strlen(t) != CONSOLE_TOKEN_HEX)
		return 0;
	for (const char *p = t; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static void disabled_page(struct req *r)
{
	console_reply_error(r, NULL, 403, "Console closed",
			    "The console is closed because APOTHECA_ADMIN_TOKEN is not set.");
}

/* Where a signed-out visitor goes: sign-in, coming back here after. */
static void to_signin(struct req *r)
{
	struct buf loc;
	buf_init(&loc);
	buf_adds(&loc, "/admin/sign-in");
	if (r->method == HTTP_GET && strlen(r->path) <= CONSOLE_MAX_NEXT &&
	    strcmp(r->path, "/admin/") != 0) {
		buf_adds(&loc, "?next=");
		for (const char *p = r->path; *p; p++)
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			    (*p >= '0' && *p <= '9') || strchr("/-_.", *p))
				buf_addch(&loc, *p);
			else
				buf_addf(&loc, "%%%02X", (unsigned char)*p);
	}
	console_redirect(r, loc.data, NULL);
	buf_release(&loc);
}

int console_session_or_redirect(struct req *r, struct console *cx)
{
	char hash[SHA256_HEX_LEN + 1];
	const char *token = req_cookie(r, SESSION_COOKIE);
	memset(cx, 0, sizeof(*cx));
	if (!r->app->cfg.admin_token) {
		disabled_page(r);
		return -1;
	}
	if (!token_shape_ok(token)) {
		to_signin(r);
		return -1;
	}
	session_hash(token, hash);
	enum apo_result rc = admin_session_find(r->db, hash, now_epoch(), cx->csrf, sizeof(cx->csrf));
	if (rc == APO_ERR_NOT_FOUND) {
		to_signin(r);
		return -1;
	}
	if (rc != APO_OK) {
		console_reply_error(r, NULL, 503, "Database unavailable", "Try again in a moment.");
		return -1;
	}
	const char *flash = req_cookie(r, FLASH_COOKIE);
	for (size_t i = 0; flash && i < sizeof(flashes) / sizeof(flashes[0]); i++)
		if (strcmp(flash, flashes[i].code) == 0) {
			fmt_into(cx->flash, sizeof(cx->flash), "%s", flashes[i].text);
			set_cookie(r, FLASH_COOKIE, "", 0);
		}
	return 0;
}

int console_field(struct req *r, const char *name, char *out, size_t cap)
{
	return form_get(r->body.data, r->body.len, name, out, cap) == 0 ? 0 : -1;
}

int console_form_or_reply(struct req *r, struct console *cx)
{
	char csrf[CONSOLE_TOKEN_HEX + 1];
	if (console_session_or_redirect(r, cx))
		return -1;
	if (console_field(r, "csrf", csrf, sizeof(csrf)) ||
	    !str_ct_equal(csrf, strlen(csrf), cx->csrf, strlen(cx->csrf))) {
		console_reply_error(r, cx, 403, "Form expired",
				    "This form was not sent by this session. Go back, reload the "
				    "page and try again.");
		return -1;
	}
	return 0;
}

static void csrf_field(struct buf *b, const char *csrf)
{
	buf_adds(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_escape(b, csrf);
	buf_adds(b, "\">");
}

void console_form_open(struct buf *b, const char *before, const char *id, const char *after,
		       const char *csrf)
{
	buf_adds(b, "<form method=\"post\" action=\"");
	buf_adds(b, before);
	if (id)
		html_escape(b, id);
	if (after)
		buf_adds(b, after);
	buf_adds(b, "\">");
	csrf_field(b, csrf);
}

static const struct {
	const char *path, *label;
} nav[] = {
    {"/admin/", "Dashboard"},
    {"/admin/orders", "Orders"},
    {"/admin/deliveries", "Deliveries"},
    {"/admin/stock", "Stock"},
    {"/admin/merchants", "Merchants"},
};

void console_page_open(struct buf *b, const struct console *cx, const char *title,
		       const char *active)
{
	buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<meta name=\"robots\" content=\"noindex\">\n<title>");
	html_escape(b, title);
	buf_adds(b, " · apotheca console</title>\n"
		    "<link rel=\"stylesheet\" href=\"/admin/console.css\">\n</head>\n<body>\n");
	if (cx && cx->csrf[0]) {
		buf_adds(b, "<header class=\"top\"><a class=\"brand\" href=\"/admin/\">apotheca</a>"
			    "<nav aria-label=\"Console\">");
		for (size_t i = 0; i < sizeof(nav) / sizeof(nav[0]); i++)
			buf_addf(b, "<a href=\"%s\"%s>%s</a>", nav[i].path,
				 active && strcmp(active, nav[i].path) == 0 ? " class=\"on\"" : "",
				 nav[i].label);
		buf_adds(b, "</nav>");
		console_form_open(b, "/admin/sign-out", NULL, NULL, cx->csrf);
		buf_adds(b, "<button type=\"submit\">Sign out</button></form></header>\n");
	}
	buf_adds(b, "<main>\n");
	if (cx && cx->flash[0]) {
		buf_adds(b, "<p class=\"flash\" role=\"status\">");
		html_escape(b, cx->flash);
		buf_adds(b, "</p>\n");
	}
}

void console_page_close(struct buf *b)
{
	buf_adds(b, "</main>\n</body>\n</html>\n");
}

void console_reply_error(struct req *r, const struct console *cx, unsigned status,
			 const char *title, const char *message)
{
	struct buf b;
	buf_init(&b);
	console_page_open(&b, cx, title, NULL);
	buf_adds(&b, "<h1>");
	html_escape(&b, title);
	buf_adds(&b, "</h1>\n<p class=\"alert\">");
	html_escape(&b, message);
	buf_adds(&b, "</p>\n<p><a href=\"/admin/\">Back to the dashboard</a></p>\n");
	console_page_close(&b);
	console_reply_page(r, status, &b);
}

void console_time(struct buf *b, int64_t t)
{
	char out[40];
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&tt, &tm) ||
	    strftime(out, sizeof(out), "%Y-%m-%d %H:%M", &tm) == 0) {
		buf_adds(b, "—");
		return;
	}
	buf_addf(b, "<time datetime=\"%lld\">%s</time>", (long long)t, out);
}

void console_money(struct buf *b, int64_t paise)
{
	char fixed[MONEY_FMT_CAP];
	int64_t abs_paise = paise < 0 ? -paise : paise;
	money_format_fixed(abs_paise, fixed);
	/* Group the rupees in threes (1,234,567.50). */
	const char *dot = strchr(fixed, '.');
	size_t whole = dot ? (size_t)(dot - fixed) : strlen(fixed);
	buf_adds(b, paise < 0 ? "−₹" : "₹");
	for (size_t i = 0; i < whole; i++) {
		if (i && (whole - i) % 3 == 0)
			buf_addch(b, ',');
		buf_addch(b, fixed[i]);
	}
	if (dot)
		buf_adds(b, dot);
}

int64_t console_paise(const json_t *obj, const char *key)
{
	int64_t v = 0;
	if (json_object_get(obj, key) && !json_is_null(json_object_get(obj, key)) &&
	    jx_money(obj, key, &v) != 0)
		v = 0;
	return v;
}

const char *console_error_text(const json_t *answer)
{
	const char *m =
	    json_string_value(json_object_get(json_object_get(answer, "error"), "message"));
	return m ? m : "The request failed.";
}

json_t *console_get_or_reply(struct req *r, const struct console *cx, const char *param,
			     const char *base, const char *what, const char *failed_title,
			     const char **id)
{
	char path[128], title[64], text[96];
	json_t *answer = NULL;
	*id = req_param(r, param);
	fmt_into(title, sizeof(title), "No such %s", what);
	if (!console_id_ok(*id)) {
		fmt_into(text, sizeof(text), "There is no %s with that id.", what);
		console_reply_error(r, cx, 404, title, text);
		return NULL;
	}
	fmt_into(path, sizeof(path), "%s/%s", base, *id);
	unsigned st = console_call(r, HTTP_GET, path, NULL, NULL, &answer);
	if (st == 200)
		return answer;
	console_reply_error(r, cx, st, st == 404 || !failed_title ? title : failed_title,
			    console_error_text(answer));
	json_decref(answer);
	return NULL;
}

unsigned console_call(struct req *r, enum http_method method, const char *path, json_t *query,
		      json_t *body, json_t **answer)
{
	struct route_match saved = r->match, match;
	json_t *saved_json = r->json;
	size_t saved_headers = r->nheaders;
	unsigned status;

	*answer = NULL;
	memset(&match, 0, sizeof(match));
	if (router_match(&r->app->router, method, path, &match) || !match.route) {
		router_match_release(&match);
		json_decref(body);
		json_decref(query);
		return 404;
	}
	r->match = match;
	r->query_override = query ? query : json_object();
	r->json = body;
	admin_trust(r);
	match.route->fn(r);
	status = r->replied ? r->status : 500;
	if (r->replied && r->out.len)
		*answer = json_loadb(r->out.data, r->out.len, 0, NULL);

	/* Undo the answer so the console can answer r with its page. */
	r->replied = 0;
	r->status = 0;
	r->content_type = NULL;
	buf_reset(&r->out);
	while (r->nheaders > saved_headers) {
		r->nheaders--;
		free(r->headers[r->nheaders].name);
		free(r->headers[r->nheaders].value);
	}
	r->principal = NULL;
	json_decref(r->query_override);
	r->query_override = NULL;
	router_match_release(&r->match);
	r->match = saved;
	json_decref(r->json);
	r->json = saved_json;
	return status;
}

void console_forward(struct req *r, enum http_method method, const char *path, json_t *query)
{
	struct route_match saved = r->match, match;
	memset(&match, 0, sizeof(match));
	if (router_match(&r->app->router, method, path, &match) || !match.route) {
		router_match_release(&match);
		json_decref(query);
		console_reply_error(r, NULL, 404, "Not found", "No such page.");
		return;
	}
	r->match = match;
	r->query_override = query ? query : json_object();
	admin_trust(r);
	match.route->fn(r);
	r->principal = NULL;
	json_decref(r->query_override);
	r->query_override = NULL;
	router_match_release(&r->match);
	r->match = saved;
}

static void css(struct req *r)
{
	req_add_header(r, "Cache-Control", "public, max-age=3600");
	req_add_header(r, "X-Content-Type-Options", "nosniff");
	req_reply(r, 200, "text/css; charset=utf-8", console_css, sizeof(console_css) - 1);
}

static void root_redirect(struct req *r)
{
	console_redirect(r, "/admin/", NULL);
}

/* A safe place to go after sign-in: a console path, never another site. */
static void next_path(const char *next, char *out, size_t cap)
{
	fmt_into(out, cap, "/admin/");
	if (!next || strncmp(next, "/admin/", 7) != 0 || strlen(next) >= cap)
		return;
	for (const char *p = next; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr("/-_.", *p)))
			return;
	if (strstr(next, "//") || strstr(next, ".."))
		return;
	fmt_into(out, cap, "%s", next);
}

static void signin_form(struct req *r, unsigned status, const char *error, const char *next)
{
	char csrf[CONSOLE_TOKEN_HEX + 1], go[CONSOLE_MAX_NEXT + 1];
	struct buf b;
	random_hex(csrf);
	set_cookie(r, SIGNIN_COOKIE, csrf, CONSOLE_SIGNIN_S);
	next_path(next, go, sizeof(go));
	buf_init(&b);
	console_page_open(&b, NULL, "Sign in", NULL);
	buf_adds(&b, "<div class=\"signin\"><div class=\"card\"><h1>apotheca console</h1>");
	const char *flash = req_cookie(r, FLASH_COOKIE);
	if (!error && flash && strcmp(flash, "signed-out") == 0) {
		buf_adds(&b, "<p class=\"flash\" role=\"status\">Signed out.</p>");
		set_cookie(r, FLASH_COOKIE, "", 0);
	}
	if (error) {
		buf_adds(&b, "<p class=\"alert\" role=\"alert\">");
		html_escape(&b, error);
		buf_adds(&b, "</p>");
	}
	console_form_open(&b, "/admin/sign-in", NULL, NULL, csrf);
	buf_adds(&b, "<input type=\"hidden\" name=\"next\" value=\"");
	html_escape(&b, go);
	buf_adds(&b, "\"><label>Admin token<input type=\"password\" name=\"token\" "
		     "autocomplete=\"current-password\" required autofocus></label>"
		     "<button type=\"submit\">Sign in</button></form>"
		     "<p class=\"muted small\">The token is the server's "
		     "APOTHECA_ADMIN_TOKEN. A session lasts 8 hours.</p></div></div>\n");
	console_page_close(&b);
	console_reply_page(r, status, &b);
}

static void signin_get(struct req *r)
{
	if (!r->app->cfg.admin_token) {
		disabled_page(r);
		return;
	}
	signin_form(r, 200, NULL, req_query(r, "next"));
}

static void signin_post(struct req *r)
{
	char token[CONSOLE_MAX_TOKEN + 1], csrf[CONSOLE_TOKEN_HEX + 1], next[CONSOLE_MAX_NEXT + 1];
	char session[CONSOLE_TOKEN_HEX + 1], session_csrf[CONSOLE_TOKEN_HEX + 1];
	char hash[SHA256_HEX_LEN + 1], go[CONSOLE_MAX_NEXT + 1];
	const char *want = r->app->cfg.admin_token;
	const char *pre = req_cookie(r, SIGNIN_COOKIE);

	if (!want) {
		disabled_page(r);
		return;
	}
	if (console_field(r, "next", next, sizeof(next)))
		next[0] = '\0';
	if (console_field(r, "csrf", csrf, sizeof(csrf)) || !pre ||
	    !str_ct_equal(csrf, strlen(csrf), pre, strlen(pre))) {
		signin_form(r, 403, "The sign-in form expired; please try again.", next);
		return;
	}
	char addr[REQ_ADDR_CAP];
	if (admin_throttled(r, addr)) {
		signin_form(r, 429, "Too many failed sign-ins from this address; try again in a minute.",
			    next);
		return;
	}
	if (console_field(r, "token", token, sizeof(token)) ||
	    !str_ct_equal(token, strlen(token), want, strlen(want))) {
		throttle_fail(addr, now_epoch());
		log_line(LOG_WARN, r->request_id, "console sign-in refused", NULL);
		signin_form(r, 401, "That is not the admin token.", next);
		return;
	}
	random_hex(session);
	random_hex(session_csrf);
	session_hash(session, hash);
	int64_t now = now_epoch();
	if (admin_session_create(r->db, hash, session_csrf, now, now + CONSOLE_SESSION_S) !=
	    APO_OK) {
		console_reply_error(r, NULL, 503, "Database unavailable", "Try again in a moment.");
		return;
	}
	set_cookie(r, SESSION_COOKIE, session, CONSOLE_SESSION_S);
	set_cookie(r, SIGNIN_COOKIE, "", 0);
	next_path(next, go, sizeof(go));
	console_redirect(r, go, NULL);
}

static void signout_post(struct req *r)
{
	struct console cx;
	char hash[SHA256_HEX_LEN + 1];
	if (console_form_or_reply(r, &cx))
		return;
	session_hash(req_cookie(r, SESSION_COOKIE), hash);
	if (admin_session_delete(r->db, hash) != APO_OK) {
		console_reply_error(r, &cx, 503, "Database unavailable", "Try again in a moment.");
		return;
	}
	set_cookie(r, SESSION_COOKIE, "", 0);
	console_redirect(r, "/admin/sign-in", "signed-out");
}

void console_routes(struct router *rt)
{
	router_add_flags(rt, HTTP_GET, "/admin/console.css", css, "console.css", ROUTE_NO_DB);
	router_add_flags(rt, HTTP_GET, "/admin", root_redirect, "console.root", ROUTE_NO_DB);
	router_add(rt, HTTP_GET, "/admin/", console_dashboard_page, "console.dashboard");
	router_add(rt, HTTP_GET, "/admin/sign-in", signin_get, "console.signin");
	router_add_flags(rt, HTTP_POST, "/admin/sign-in", signin_post, "console.signin",
			 ROUTE_OFFLOAD);
	router_add_flags(rt, HTTP_POST, "/admin/sign-out", signout_post, "console.signout",
			 ROUTE_OFFLOAD);
	console_order_routes(rt);
	console_ops_routes(rt);
}
