/*
 * Carrier tracking links (see carrier.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/carrier.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Longest tracking number put into a link. */
#define CARRIER_MAX_CODE 128

/*
 * The carriers' public tracking pages. India Post's page takes no number in
 * its address, so its link opens the form and the number is shown to copy.
 */
static const struct {
	const char *name, *tmpl;
} builtin[] = {
    {"Delhivery", "https://www.delhivery.com/track/package/{code}"},
    {"Blue Dart",
     "https://www.bluedart.com/web/guest/trackdartresultthirdparty?trackFor=0&trackNo={code}"},
    {"Blue Dart Express",
     "https://www.bluedart.com/web/guest/trackdartresultthirdparty?trackFor=0&trackNo={code}"},
    {"DTDC", "https://www.dtdc.in/tracking/tracking_results.asp?Ttype=awb_no&strCnno={code}"},
    {"Ecom Express", "https://www.ecomexpress.in/tracking/?awb_field={code}"},
    {"Xpressbees", "https://www.xpressbees.com/shipment/tracking?awbNo={code}"},
    {"India Post",
     "https://www.indiapost.gov.in/_layouts/15/dop.portal.tracking/trackconsignment.aspx"},
    {"Speed Post",
     "https://www.indiapost.gov.in/_layouts/15/dop.portal.tracking/trackconsignment.aspx"},
};

/* The matching key of a name; -1 when it has no letter or digit or is too long. */
static int carrier_key(const char *name, size_t len, char key[CARRIER_MAX_NAME + 1])
{
	size_t k = 0;
	if (len > CARRIER_MAX_NAME)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c >= 'A' && c <= 'Z')
			key[k++] = (char)(c - 'A' + 'a');
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			key[k++] = c;
	}
	key[k] = '\0';
	return k ? 0 : -1;
}

static struct carrier_url *find(const struct carrier_table *t, const char *key)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->c[i].key, key) == 0)
			return (struct carrier_url *)&t->c[i];
	return NULL;
}

static int template_ok(const char *s, size_t len)
{
	if (len > CARRIER_MAX_TEMPLATE || len <= 8 || strncmp(s, "https://", 8) != 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == '"' || s[i] == '\'' || s[i] == '<' ||
		    s[i] == '>' || s[i] == '\\' || (unsigned char)s[i] >= 0x7f)
			return 0;
	const char *mark = memmem(s, len, CARRIER_CODE_MARK, strlen(CARRIER_CODE_MARK));
	if (mark) {
		size_t rest = len - (size_t)(mark - s) - 1;
		if (memmem(mark + 1, rest, CARRIER_CODE_MARK, strlen(CARRIER_CODE_MARK)))
			return 0;
	}
	return 1;
}

/* Sets key's template (NULL: no link); -1 when the table is full. */
static int put(struct carrier_table *t, const char *key, const char *tmpl, size_t len)
{
	struct carrier_url *c = find(t, key);
	if (!c) {
		if (t->n == CARRIER_MAX)
			return -1;
		c = &t->c[t->n++];
		fmt_into(c->key, sizeof(c->key), "%s", key);
	}
	free(c->tmpl);
	c->tmpl = len ? xstrndup(tmpl, len) : NULL;
	return 0;
}

void carrier_table_init(struct carrier_table *t)
{
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		char key[CARRIER_MAX_NAME + 1];
		if (carrier_key(builtin[i].name, strlen(builtin[i].name), key) == 0)
			put(t, key, builtin[i].tmpl, strlen(builtin[i].tmpl));
	}
}

void carrier_table_release(struct carrier_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->c[i].tmpl);
	memset(t, 0, sizeof(*t));
}

int carrier_table_add_list(struct carrier_table *t, const char *list, char *err, size_t cap)
{
	struct carrier_table next = *t;
	/* Work on a copy so a bad entry leaves t as it was. */
	for (size_t i = 0; i < next.n; i++)
		next.c[i].tmpl = xstrdup(t->c[i].tmpl);
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		char key[CARRIER_MAX_NAME + 1];
		if (len == 0) {
			p += *p == ',';
			continue;
		}
		if (!eq || carrier_key(p, (size_t)(eq - p), key)) {
			fmt_into(err, cap, "entry %.*s: want Name=https://...{code}...",
				 (int)(len > 80 ? 80 : len), p);
			goto fail;
		}
		size_t tlen = len - (size_t)(eq + 1 - p);
		if (tlen && !template_ok(eq + 1, tlen)) {
			fmt_into(err, cap,
				 "carrier %s: the template must be an https:// URL of at most %d "
				 "characters, without spaces or quotes, with {code} at most once",
				 key, CARRIER_MAX_TEMPLATE);
			goto fail;
		}
		if (put(&next, key, eq + 1, tlen)) {
			fmt_into(err, cap, "more than %d carriers", CARRIER_MAX);
			goto fail;
		}
		p += len + (p[len] == ',');
	}
	carrier_table_release(t);
	*t = next;
	return 0;
fail:
	carrier_table_release(&next);
	return -1;
}

static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

int carrier_tracking_url(const struct carrier_table *t, const char *carrier, const char *code,
			 char *out, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	char key[CARRIER_MAX_NAME + 1];
	const struct carrier_url *c;
	if (!carrier || !code || !*code || strlen(code) > CARRIER_MAX_CODE ||
	    carrier_key(carrier, strlen(carrier), key) || !(c = find(t, key)) || !c->tmpl)
		return -1;
	struct buf b;
	buf_init(&b);
	const char *mark = strstr(c->tmpl, CARRIER_CODE_MARK);
	if (!mark) {
		buf_adds(&b, c->tmpl);
	} else {
		buf_add(&b, c->tmpl, (size_t)(mark - c->tmpl));
		for (const unsigned char *s = (const unsigned char *)code; *s; s++) {
			if (unreserved(*s)) {
				buf_addch(&b, (char)*s);
			} else {
				buf_addch(&b, '%');
				buf_addch(&b, hex[*s >> 4]);
				buf_addch(&b, hex[*s & 15]);
			}
		}
		buf_adds(&b, mark + strlen(CARRIER_CODE_MARK));
	}
	int rc = b.len < cap ? 0 : -1;
	if (rc == 0)
		memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	return rc;
}
