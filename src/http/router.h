/*
 * The router: maps (method, path) to a handler and the path's parameters.
 * Pure string matching, no libmicrohttpd, so it is unit-tested on its own.
 *
 * A pattern is a path whose segments are literals or "{name}" (one whole
 * segment) or "{name}.ext" (a segment ending in the literal ".ext"). A
 * trailing '/' in a pattern is significant ("/products/" differs from
 * "/products"). Routes are tried in the order they were added; the first
 * whose pattern and method match wins.
 */
#ifndef APO_ROUTER_H
#define APO_ROUTER_H

#include <stddef.h>

/* Limits: path parameters per route, and routes per router. */
#define ROUTER_MAX_PARAMS 6
#define ROUTER_MAX_ROUTES 160
#define ROUTER_MAX_PATH 2048

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_PUT = 1 << 3,
	HTTP_PATCH = 1 << 4,
	HTTP_DELETE = 1 << 5,
	HTTP_OPTIONS = 1 << 6,
	HTTP_OTHER = 1 << 7,
};

struct req;
struct dialect;

/* A handler answers the request through the req.h reply functions. */
typedef void (*route_fn)(struct req *r);

/* Route flags. */
#define ROUTE_NO_DB 1u /* answers without a database connection (health) */
/* Runs on the writes offload pool (http/offload.h): handlers that commit writes and so
 * wait for the disk, where more of them in flight let commits share a sync. */
#define ROUTE_OFFLOAD 2u

struct route {
	unsigned methods; /* bit set of enum http_method */
	unsigned flags;
	const char *pattern;
	route_fn fn;
	const char *name; /* stable label for logs and metrics */
	/* What every matching path starts and ends with: the pattern's text
	 * before its first '{' and after its last '}' (a quick refusal). */
	size_t head_len, tail_len;
	const char *tail;
};

struct route_match {
	const struct route *route; /* NULL when nothing matched */
	unsigned allowed;	   /* on a method miss: methods the path has */
	size_t nparams;
	const char *names[ROUTER_MAX_PARAMS]; /* point into the pattern */
	size_t name_lens[ROUTER_MAX_PARAMS];
	char *values[ROUTER_MAX_PARAMS]; /* owned; router_match_release() */
};

struct router {
	struct route routes[ROUTER_MAX_ROUTES];
	size_t nroutes;
};

/* Maps a method name ("GET") to its bit, HTTP_OTHER when unknown. */
enum http_method http_method_parse(const char *name);

/* Writes "GET, POST" for a method set into out (cap bytes). */
void http_methods_format(unsigned methods, char *out, size_t cap);

void router_init(struct router *rt);

/*
 * Adds a route; name labels it in logs (pattern when NULL). Aborts when the
 * table is full or the pattern has too many parameters: both are
 * programming errors found at start-up.
 */
void router_add(struct router *rt, unsigned methods, const char *pattern, route_fn fn,
		const char *name);

/* router_add() with route flags (ROUTE_NO_DB). */
void router_add_flags(struct router *rt, unsigned methods, const char *pattern, route_fn fn,
		      const char *name, unsigned flags);

/*
 * Matches path (no query string) for method. Returns 0 with m->route set on
 * a match; -1 with m->route NULL and m->allowed == 0 when no pattern fits the
 * path (404); -1 with m->allowed != 0 when the path fits but not the method
 * (405). Always call router_match_release() afterwards.
 */
int router_match(const struct router *rt, enum http_method method, const char *path,
		 struct route_match *m);

/* Returns the value of parameter name, or NULL. */
const char *route_match_param(const struct route_match *m, const char *name);

void router_match_release(struct route_match *m);

#endif
