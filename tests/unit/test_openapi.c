/*
 * The OpenAPI document describes exactly the routes the server has: every
 * registered (pattern, method) is in it, and every documented operation is
 * routable to a handler.
 */
#include <ctype.h>
#include <jansson.h>

#include "app.h"
#include "t.h"

extern const char openapi_json[];
extern const unsigned long openapi_json_len;

static const struct {
	unsigned bit;
	const char *name;
} methods[] = {{HTTP_GET, "get"},     {HTTP_POST, "post"},	 {HTTP_PUT, "put"},
	       {HTTP_PATCH, "patch"}, {HTTP_DELETE, "delete"}};

/* "/a/{x}/b/{y}.json" -> "/a/p/b/p.json" */
static void concrete(const char *pattern, char *out, size_t cap)
{
	size_t n = 0;
	for (const char *p = pattern; *p && n + 2 < cap; p++) {
		if (*p == '{') {
			out[n++] = 'p';
			while (*p && *p != '}')
				p++;
			continue;
		}
		out[n++] = *p;
	}
	out[n] = '\0';
}

int main(void)
{
	static struct app app;
	json_error_t err;
	json_t *doc = json_loadb(openapi_json, openapi_json_len, 0, &err);
	CHECK(doc != NULL);
	json_t *paths = json_object_get(doc, "paths");
	CHECK(json_is_object(paths));
	CHECK_STR(json_string_value(json_object_get(doc, "openapi")), "3.1.0");

	app.cfg.sandbox = 1; /* the sandbox's routes are documented too */
	app_routes(&app);
	CHECK(app.router.nroutes > 30);
	for (size_t i = 0; i < app.router.nroutes; i++) {
		const struct route *rt = &app.router.routes[i];
		json_t *item = json_object_get(paths, rt->pattern);
		for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
			if (!(rt->methods & methods[k].bit))
				continue;
			int ok = item && json_object_get(item, methods[k].name);
			if (!ok)
				fprintf(stderr, "undocumented: %s %s\n", methods[k].name, rt->pattern);
			CHECK(ok);
		}
	}

	const char *path;
	json_t *item;
	json_object_foreach(paths, path, item)
	{
		const char *m;
		json_t *opv;
		char url[512];
		concrete(path, url, sizeof(url));
		json_object_foreach(item, m, opv)
		{
			unsigned bit = 0;
			for (size_t k = 0; k < sizeof(methods) / sizeof(methods[0]); k++)
				if (strcmp(m, methods[k].name) == 0)
					bit = methods[k].bit;
			struct route_match match;
			int found = router_match(&app.router, (enum http_method)bit, url, &match) == 0 &&
				    strcmp(match.route->pattern, path) == 0;
			if (!found)
				fprintf(stderr, "documented but not routed: %s %s\n", m, path);
			CHECK(found);
			router_match_release(&match);
		}
	}
	json_decref(doc);
	T_DONE();
}
