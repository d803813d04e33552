/*
 * Admin pagination and query checking (see admin_page.h).
 */
#include <stdio.h>
#include <string.h>

#include "api/admin_page.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/strnum.h"
#include "api/admin.h"
#include "http/req.h"
#include "store/repo_admin.h"
#include "base/banned.h"

/* The most parameters a list accepts besides limit and cursor. */
#define PAGE_MAX_KNOWN 16

int admin_query_int_or_reply(struct req *r, const char *name, int64_t min, int64_t max,
			     int64_t *out)
{
	const char *v = req_query(r, name);
	char msg[128];
	if (!v || !*v)
		return 0;
	if (strnum_i64z(v, min, max, out)) {
		fmt_into(msg, sizeof(msg), "%s must be an integer %lld..%lld", name, (long long)min,
			 (long long)max);
		req_fail(r, 400, "invalid", msg);
		return -1;
	}
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int cursor_decode(const char *s, char *out, size_t cap)
{
	size_t n = strlen(s);
	if (n == 0 || n % 2 || n / 2 >= cap)
		return -1;
	for (size_t i = 0; i < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		out[i / 2] = (char)(hi * 16 + lo);
	}
	out[n / 2] = '\0';
	return 0;
}

int admin_known_or_reply(struct req *r, const char *const *known)
{
	const char *bad = req_query_unknown(r, known);
	char msg[160];
	if (!bad)
		return 0;
	fmt_into(msg, sizeof(msg), "Unknown parameter: %.100s", bad);
	req_fail(r, 400, "invalid", msg);
	return -1;
}

int admin_page_or_reply(struct req *r, const char *const *known, int64_t max, struct admin_page *p)
{
	const char *all[PAGE_MAX_KNOWN + 3] = {"limit", "cursor"};
	size_t n = 2;
	for (size_t i = 0; known && known[i] && n < PAGE_MAX_KNOWN + 2; i++)
		all[n++] = known[i];
	all[n] = NULL;
	if (admin_known_or_reply(r, all))
		return -1;
	p->limit = ADMIN_PAGE_DEFAULT < max ? ADMIN_PAGE_DEFAULT : max;
	p->after[0] = '\0';
	if (admin_query_int_or_reply(r, "limit", 1, max, &p->limit))
		return -1;
	const char *c = req_query(r, "cursor");
	if (c && *c && cursor_decode(c, p->after, sizeof(p->after))) {
		req_fail(r, 400, "invalid", "cursor must be a next_cursor this list gave");
		return -1;
	}
	return 0;
}

int admin_page_id_or_reply(struct req *r, const struct admin_page *p, int64_t *id)
{
	*id = 0;
	if (!p->after[0])
		return 0;
	if (strnum_i64z(p->after, 1, INT64_MAX, id)) {
		req_fail(r, 400, "invalid", "cursor must be a next_cursor this list gave");
		return -1;
	}
	return 0;
}

json_t *admin_next_cursor(const char *last_key, int more)
{
	char hex[2 * ADMIN_CURSOR_MAX + 1];
	size_t n = last_key ? strlen(last_key) : 0;
	if (!more || n == 0 || n > ADMIN_CURSOR_MAX)
		return json_null();
	hex_encode((const unsigned char *)last_key, n, hex);
	return json_string(hex);
}

json_t *admin_next_cursor_id(int64_t last_id, int more)
{
	char id[24];
	fmt_into(id, sizeof(id), "%lld", (long long)last_id);
	return admin_next_cursor(id, more);
}

void admin_list_keys_reply(struct req *r, int what, const char *plural,
			   json_t *(*one)(struct req *r, const char *key))
{
	struct admin_page p;
	char **keys;
	size_t n;
	if (admin_auth_or_reply(r) || admin_page_or_reply(r, NULL, ADMIN_PAGE_MAX, &p))
		return;
	enum apo_result rc =
	    admin_keys_page(r->db, (enum admin_keys)what, p.after, (size_t)p.limit + 1, &keys, &n);
	if (rc != APO_OK) {
		admin_fail(r, rc, NULL);
		return;
	}
	size_t shown = n < (size_t)p.limit ? n : (size_t)p.limit;
	json_t *list = json_array();
	for (size_t i = 0; i < shown; i++) {
		json_t *j = one(r, keys[i]);
		if (j)
			json_array_append_new(list, j);
	}
	json_t *next = admin_next_cursor(shown ? keys[shown - 1] : NULL, n > shown);
	admin_keys_free(keys, n);
	req_reply_json(r, 200, json_pack("{s:o,s:o}", plural, list, "next_cursor", next));
}
