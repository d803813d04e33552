/*
 * The application's life (see app.h): what it starts, in this order, and
 * the one teardown that undoes exactly what was started, in reverse.
 *
 *   1. signals     SIGINT/SIGTERM/SIGPIPE blocked in every thread; this
 *                  thread waits for them
 *   2. server      the listener, libmicrohttpd and its connection watcher
 *   3. offload     the writes and outbound pools (http/offload.h)
 *   4. sweeper     one thread running app_tasks every cfg.sweep_ms
 *   5. outbox      the delivery workers (outbound/outbox.h)
 *
 * A stop drains the server first (requests begun are answered), then
 * undoes 5..2. The offload pools stop before the server, so an offloaded
 * request resumes its connection while the daemon still runs. The signals
 * stay blocked until the process exits: a second SIGTERM during teardown
 * must not cut the drain short.
 */
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>

#include "app.h"
#include "api/admin.h"
#include "api/logistics.h"
#include "api/pharmacy.h"
#include "http/metrics.h"
#include "http/offload.h"
#include "http/server.h"
#include "outbound/outbox.h"
#include "store/store.h"
#include "base/log.h"
#include "base/banned.h"

/* The APIs whose error shape a request takes by its path prefix. */
static const struct dialect *const app_dialects[] = {&pharmacy_dialect, &logistics_dialect,
						     &admin_dialect, NULL};

/* How long the sweeper sleeps at a time, so a stop is noticed promptly. */
#define APP_SWEEP_STEP_MS 50

enum app_stage { APP_NONE, APP_SERVER, APP_OFFLOAD, APP_SWEEPER, APP_OUTBOX };

struct app_run {
	struct app *app;
	enum app_stage reached; /* the last stage that started */
	struct server *server;
	pthread_t sweeper;
	volatile sig_atomic_t stopping; /* tells the sweeper to return */
};

static void *sweeper_main(void *arg)
{
	struct app_run *run = arg;
	struct app *app = run->app;
	struct timespec ts;
	while (!run->stopping) {
		struct store_conn *c = store_thread_conn(app->store);
		if (c)
			for (size_t i = 0; app_tasks[i]; i++)
				app_tasks[i](app, c);
		for (int64_t slept = 0; slept < app->cfg.sweep_ms && !run->stopping;
		     slept += APP_SWEEP_STEP_MS) {
			int64_t step = app->cfg.sweep_ms - slept < APP_SWEEP_STEP_MS
					   ? app->cfg.sweep_ms - slept
					   : APP_SWEEP_STEP_MS;
			ts.tv_sec = 0;
			ts.tv_nsec = (long)step * 1000000L;
			nanosleep(&ts, NULL);
		}
	}
	return NULL;
}

/* Undoes every stage up to run->reached, last first. */
static void app_teardown(struct app_run *run)
{
	if (run->reached >= APP_OUTBOX)
		outbox_stop();
	if (run->reached >= APP_SWEEPER) {
		run->stopping = 1;
		pthread_join(run->sweeper, NULL);
	}
	if (run->reached >= APP_OFFLOAD)
		offload_stop();
	if (run->reached >= APP_SERVER)
		server_stop(run->server);
	run->reached = APP_NONE;
}

/* Runs stages 2..5; -1 at the first that cannot start (partly started ones undo themselves). */
static int app_start(struct app_run *run)
{
	if (!(run->server = server_start(run->app, app_dialects)))
		return -1;
	run->reached = APP_SERVER;
	if (offload_start(run->app)) {
		offload_stop();
		return -1;
	}
	run->reached = APP_OFFLOAD;
	if (pthread_create(&run->sweeper, NULL, sweeper_main, run) != 0)
		return -1;
	run->reached = APP_SWEEPER;
	if (outbox_start(run->app))
		return -1;
	run->reached = APP_OUTBOX;
	return 0;
}

int app_serve(struct app *app)
{
	struct app_run run = {.app = app};
	sigset_t set;
	int sig;

	app_routes(app);
	metrics_init(&app->router);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (app_start(&run)) {
		app_teardown(&run);
		return -1;
	}
	log_info("listening",
		 "\"host\":\"%s\",\"port\":%u,\"public_url\":\"%s\",\"threads\":%u,\"db\":\"%s\"",
		 app->cfg.listen_host, app->cfg.port, app->cfg.public_url, app->cfg.threads,
		 store_backend_name(app->store));
	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig == SIGPIPE);
	log_info("stopping", "\"signal\":%d", sig);
	server_drain(run.server);
	app_teardown(&run);
	return 0;
}
