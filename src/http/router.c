/*
 * Path routing (see router.h). Patterns are matched segment by segment with
 * no allocation until a match is found; parameter values are copied then.
 */
#include <stdlib.h>
#include <string.h>

#include "http/router.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

static const struct {
	const char *name;
	enum http_method m;
} method_names[] = {
	{"GET", HTTP_GET},	 {"HEAD", HTTP_HEAD},	  {"POST", HTTP_POST},	     {"PUT", HTTP_PUT},
	{"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS},
};

enum http_method http_method_parse(const char *name)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++)
		if (strcmp(name, method_names[i].name) == 0)
			return method_names[i].m;
	return HTTP_OTHER;
}

void http_methods_format(unsigned methods, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b);
	for (size_t i = 0; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
		if (!(methods & method_names[i].m))
			continue;
		if (b.len)
			buf_adds(&b, ", ");
		buf_adds(&b, method_names[i].name);
	}
	fmt_into(out, cap, "%s", b.data);
	buf_release(&b);
}

void router_init(struct router *rt)
{
	rt->nroutes = 0;
}

static size_t count_params(const char *pattern)
{
	size_t n = 0;
	for (const char *p = pattern; *p; p++)
		if (*p == '{')
			n++;
	return n;
}

void router_add(struct router *rt, unsigned methods, const char *pattern, route_fn fn,
		const char *name)
{
	router_add_flags(rt, methods, pattern, fn, name, 0);
}

void router_add_flags(struct router *rt, unsigned methods, const char *pattern, route_fn fn,
		      const char *name, unsigned flags)
{
	if (rt->nroutes == ROUTER_MAX_ROUTES || count_params(pattern) > ROUTER_MAX_PARAMS) {
		log_error("router table overflow", "\"pattern\":\"%s\"", pattern);
		abort();
	}
	struct route *r = &rt->routes[rt->nroutes++];
	r->methods = methods;
	r->pattern = pattern;
	r->fn = fn;
	r->name = name ? name : pattern;
	r->flags = flags;
	r->head_len = strcspn(pattern, "{");
	const char *close = strrchr(pattern, '}');
	r->tail = close ? close + 1 : pattern + strlen(pattern);
	r->tail_len = strlen(r->tail);
}

/* Whether path (of len bytes) has r's literal head and tail. */
static int ends_fit(const struct route *r, const char *path, size_t len)
{
	if (len < r->head_len || memcmp(path, r->pattern, r->head_len) != 0)
		return 0;
	return len >= r->tail_len && memcmp(path + len - r->tail_len, r->tail, r->tail_len) == 0;
}

/* Length of the segment starting at s (up to '/' or end). */
static size_t seg_len(const char *s)
{
	const char *slash = strchr(s, '/');
	return slash ? (size_t)(slash - s) : strlen(s);
}

/*
 * Matches one pattern segment against one path segment. On a parameter,
 * records where its value lies in the path.
 */
static int seg_match(const char *pat, size_t plen, const char *seg, size_t slen,
		     struct route_match *m, const char **vstart, size_t *vlen)
{
	if (plen >= 2 && pat[0] == '{') {
		const char *close = memchr(pat, '}', plen);
		if (!close)
			return 0;
		size_t suffix_len = plen - (size_t)(close - pat) - 1;
		const char *suffix = close + 1;
		if (slen <= suffix_len)
			return 0; /* a parameter is never empty */
		if (suffix_len && memcmp(seg + slen - suffix_len, suffix, suffix_len) != 0)
			return 0;
		if (m->nparams == ROUTER_MAX_PARAMS)
			return 0;
		m->names[m->nparams] = pat + 1;
		m->name_lens[m->nparams] = (size_t)(close - pat) - 1;
		vstart[m->nparams] = seg;
		vlen[m->nparams] = slen - suffix_len;
		m->nparams++;
		return 1;
	}
	return plen == slen && memcmp(pat, seg, plen) == 0;
}

static int pattern_match(const char *pat, const char *path, struct route_match *m,
			 const char **vstart, size_t *vlen)
{
	m->nparams = 0;
	if (*pat != '/' || *path != '/')
		return 0;
	pat++;
	path++;
	for (;;) {
		size_t pl = seg_len(pat), sl = seg_len(path);
		if (!seg_match(pat, pl, path, sl, m, vstart, vlen)) {
			/* "{x}" never matches an empty segment, but two empty
			 * segments (a trailing '/') do match as literals. */
			return 0;
		}
		pat += pl;
		path += sl;
		if (*pat == '\0' || *path == '\0')
			return *pat == '\0' && *path == '\0';
		pat++; /* both are at '/' */
		path++;
	}
}

int router_match(const struct router *rt, enum http_method method, const char *path,
		 struct route_match *m)
{
	const char *vstart[ROUTER_MAX_PARAMS];
	size_t vlen[ROUTER_MAX_PARAMS];
	unsigned want = method == HTTP_HEAD ? (HTTP_HEAD | HTTP_GET) : (unsigned)method;

	size_t len = strlen(path);
	memset(m, 0, sizeof(*m));
	if (len > ROUTER_MAX_PATH)
		return -1;
	for (size_t i = 0; i < rt->nroutes; i++) {
		const struct route *r = &rt->routes[i];
		struct route_match tmp;
		if (!ends_fit(r, path, len))
			continue;
		memset(&tmp, 0, sizeof(tmp));
		if (!pattern_match(r->pattern, path, &tmp, vstart, vlen))
			continue;
		if (!(r->methods & want)) {
			m->allowed |= r->methods;
			continue;
		}
		*m = tmp;
		m->route = r;
		m->allowed = 0;
		for (size_t p = 0; p < m->nparams; p++)
			m->values[p] = xstrndup(vstart[p], vlen[p]);
		return 0;
	}
	return -1;
}

const char *route_match_param(const struct route_match *m, const char *name)
{
	size_t len = strlen(name);
	for (size_t i = 0; i < m->nparams; i++)
		if (m->name_lens[i] == len && memcmp(m->names[i], name, len) == 0)
			return m->values[i];
	return NULL;
}

void router_match_release(struct route_match *m)
{
	for (size_t i = 0; i < m->nparams; i++) {
		free(m->values[i]);
		m->values[i] = NULL;
	}
	m->nparams = 0;
}
