/*
 * The application: configuration, storage and the route table that every
 * request and background worker shares. Built once at start by the serve
 * command and read-only while serving. src/app.c runs it: start-up, the
 * threads, signals and the one teardown.
 */
#ifndef APO_APP_H
#define APO_APP_H

#include "config.h"
#include "http/router.h"

struct store;

struct app {
	struct config cfg;
	struct store *store;
	struct router router;
};

/*
 * Registers the routes and serves until SIGINT or SIGTERM, then stops
 * gracefully: the listening socket closes at once (new connections are
 * refused), requests already begun are answered (for up to 20 s, with
 * "Connection: close"), and only then do the workers stop. Returns 0 after
 * a clean stop, -1 (logged) when something cannot start; either way
 * everything it started has stopped. Binding port 0 fills in cfg.port and
 * may fill in cfg.public_url.
 */
int app_serve(struct app *app);

/* Registers every route of every dialect and the stock-event observer (src/api/routes.c). */
void app_routes(struct app *app);

/*
 * Background work run every cfg.sweep_ms by the sweeper thread, each with
 * the sweeper's own database connection (src/api/routes.c lists them).
 */
struct store_conn;
typedef void (*app_task_fn)(struct app *app, struct store_conn *c);
extern const app_task_fn app_tasks[];

#endif
