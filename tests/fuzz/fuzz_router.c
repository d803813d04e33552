/*
 * libFuzzer target: the router on arbitrary paths and methods against the
 * real route table. A match must name a route whose methods include the
 * request's, and every parameter value must be non-empty and slash-free.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct app app;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_match m;
	char *path;
	if (!ready) {
		app_routes(&app);
		ready = 1;
	}
	if (size < 1)
		return 0;
	enum http_method method = (enum http_method)(1u << (data[0] % 8));
	path = malloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	if (router_match(&app.router, method, path, &m) == 0) {
		if (!(m.route->methods & (method == HTTP_HEAD ? (HTTP_GET | HTTP_HEAD) : method)))
			abort();
		for (size_t i = 0; i < m.nparams; i++)
			if (!m.values[i][0] || strchr(m.values[i], '/'))
				abort();
	}
	router_match_release(&m);
	free(path);
	return 0;
}
