/*
 * `apotheca serve` and `apotheca migrate`.
 */
#include <stdio.h>

#include "app.h"
#include "cli/cli.h"
#include "http/metrics.h"
#include "http/server.h"
#include "store/store.h"
#include "base/banned.h"

#define COMMON_FLAGS                                                                           \
	"  --db PATH|URL        SQLite file or postgres:// URL (APOTHECA_DB)\n"                \
	"  --listen HOST:PORT   listen address (APOTHECA_LISTEN)\n"                            \
	"  --admin-token TOKEN  admin API bearer token, 16+ chars (APOTHECA_ADMIN_TOKEN)\n"    \
	"  --public-url URL     base of tracking URLs (APOTHECA_PUBLIC_URL)\n"                 \
	"  --threads N          HTTP worker threads (APOTHECA_THREADS)\n"

static const char serve_usage[] = "usage: apotheca serve [flags]\n"
				  "Applies migrations, then serves every API until SIGINT/SIGTERM.\n" COMMON_FLAGS;
static const char migrate_usage[] = "usage: apotheca migrate [flags]\n"
				    "Applies pending database migrations and exits.\n" COMMON_FLAGS;

int cmd_serve(int argc, char **argv, struct config *cfg)
{
	struct app app = {0};
	int i = cli_common_flags(argc, argv, cfg, serve_usage);
	if (i < 0)
		return i == -2 ? 0 : 2;
	if (i < argc) {
		fprintf(stderr, "%s", serve_usage);
		return 2;
	}
	char err[200];
	if (config_check_admin_token(cfg, err, sizeof(err))) {
		fprintf(stderr, "apotheca: %s\n", err);
		return 2;
	}
	app.cfg = *cfg;
	app.store = cli_open_store(cfg);
	if (!app.store)
		return 1;
	app_routes(&app);
	metrics_init(&app.router);
	int rc = server_run(&app);
	store_close(app.store);
	return rc ? 1 : 0;
}

int cmd_migrate(int argc, char **argv, struct config *cfg)
{
	int i = cli_common_flags(argc, argv, cfg, migrate_usage);
	if (i < 0)
		return i == -2 ? 0 : 2;
	struct store *s = cli_open_store(cfg);
	if (!s)
		return 1;
	char shown[STORE_REDACTED_CAP];
	printf("migrations applied to %s (%s)\n", store_url_redacted(cfg->db, shown, sizeof(shown)),
	       store_backend_name(s));
	store_close(s);
	return 0;
}
