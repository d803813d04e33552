/*
 * The application: configuration, storage and the route table that every
 * request and background worker shares. Built once at start by the serve
 * command and read-only while serving.
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
