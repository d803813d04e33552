/*
 * `apotheca serve` and `apotheca migrate`. Serve reads and checks every
 * setting (environment, then flags) before it opens the database, so a
 * typo never leaves a half-started server or a freshly migrated database
 * behind.
 */
#include <getopt.h>
#include <stdio.h>

#include "app.h"
#include "cli/cli.h"
#include "outbound/url.h"
#include "store/store.h"
#include "base/strnum.h"
#include "base/banned.h"

static const char serve_usage[] =
    "usage: apotheca serve [flags]\n"
    "Applies migrations, then serves every API until SIGINT/SIGTERM.\n"
    "\n"
    "flags (each overrides its environment variable):\n"
    "  --db PATH|URL         SQLite file or postgres:// URL (APOTHECA_DB)\n"
    "  --listen HOST:PORT    localhost:PORT, IPv4:PORT or [IPv6]:PORT; port 0 picks a free\n"
    "                        one (APOTHECA_LISTEN, default 127.0.0.1:8080)\n"
    "  --admin-token TOKEN   admin API bearer token, 16+ characters (APOTHECA_ADMIN_TOKEN)\n"
    "  --public-url URL      base of tracking URLs (APOTHECA_PUBLIC_URL, default\n"
    "                        http://HOST:PORT of the listen address)\n"
    "  --threads N           HTTP worker threads, 1..256 (APOTHECA_THREADS)\n"
    "  --sandbox             also serve a merchant sandbox under /sandbox/: a payment API\n"
    "                        and a webhook inbox for trying the APIs end to end\n"
    "  --help                this text\n"
    "\n"
    "environment:\n" CLI_ENV_DB
    "  APOTHECA_LISTEN, APOTHECA_ADMIN_TOKEN, APOTHECA_PUBLIC_URL, APOTHECA_THREADS (above)\n"
    "  APOTHECA_ACCESS_KEYS         X-Access-Key values (default 1mg_client_access_key)\n"
    "  APOTHECA_PUBLIC_ACCESS_KEYS  extra keys track accepts (default 1mg_public_access_key)\n"
    "  APOTHECA_SWEEP_MS            expiry and outbox sweep interval (default 1000)\n"
    "  APOTHECA_CACHE_CHECK_MS      PostgreSQL: trust the read cache this long (default 500)\n"
    "  APOTHECA_RETRY_BASE_MS       first refund/webhook retry delay (default 30000)\n"
    "  APOTHECA_RETRY_GIVE_UP_MS    retry this long, then park as failed (default 86400000)\n"
    "  APOTHECA_ACCESS_LOG          0 silences the per-request access log (default 1)\n"
    "  APOTHECA_TIMEZONE            IANA zone of the tracking page's times (default Asia/Kolkata)\n"
    "  APOTHECA_CARRIER_URLS        Name=https://...{code} carrier tracking links, comma-separated\n"
    "  APOTHECA_METRICS_TOKEN       bearer token /metrics then wants (default: open)\n"
    "  APOTHECA_OUTBOUND_ALLOW_PRIVATE  1: https calls may reach private addresses (default 0)\n";

static const char migrate_usage[] = "usage: apotheca migrate [--db PATH|URL]\n"
				    "Applies pending database migrations and exits.\n"
				    "\n"
				    "  --db PATH|URL         overrides APOTHECA_DB\n"
				    "\n"
				    "environment:\n" CLI_ENV_DB;

/* One of serve's own flags (cli_flag_fn). */
static int serve_flag(int c, const char *arg, struct config *cfg, void *ctx)
{
	char why[200];
	int64_t n;
	(void)ctx;
	switch (c) {
	case 'l':
		if (config_set_listen(cfg, arg, why, sizeof(why)))
			return cli_usage_error("serve", "--listen %s", why);
		break;
	case 'a':
		/* Empty or short: refused by config_check_admin_token(). */
		config_set(&cfg->admin_token, arg);
		break;
	case 'p':
		if (config_set_public_url(cfg, arg, why, sizeof(why)))
			return cli_usage_error("serve", "--public-url %s", why);
		break;
	case 't':
		if (strnum_i64z(arg, 1, CONFIG_MAX_THREADS, &n))
			return cli_usage_error("serve", "--threads wants 1..%d, got '%s'",
					       CONFIG_MAX_THREADS, arg);
		cfg->threads = (unsigned)n;
		break;
	case 's':
		cfg->sandbox = 1;
		break;
	default:
		return cli_usage_error("serve", NULL);
	}
	return 0;
}

/* Reads serve's flags into cfg; 0, 1 after --help, or the usage exit status. */
static int serve_flags(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"db", required_argument, NULL, 'd'},     {"listen", required_argument, NULL, 'l'},
	    {"admin-token", required_argument, NULL, 'a'},
	    {"public-url", required_argument, NULL, 'p'},
	    {"threads", required_argument, NULL, 't'}, {"sandbox", no_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	int rc = cli_flags("serve", serve_usage, opts, serve_flag, NULL, argc, argv, cfg);
	if (rc)
		return rc;
	if (optind < argc)
		return cli_usage_error("serve", "unexpected argument '%s'", argv[optind]);
	if (!*cfg->db)
		return cli_usage_error("serve", "--db is empty");
	return 0;
}

int cmd_serve(int argc, char **argv, struct config *cfg)
{
	struct app app = {0};
	if (config_from_env(cfg))
		return 2;
	int rc = serve_flags(argc, argv, cfg);
	if (rc)
		return rc == 1 ? 0 : rc;
	char err[200];
	if (config_check_admin_token(cfg, err, sizeof(err))) {
		fprintf(stderr, "apotheca: %s\n", err);
		return 2;
	}
	url_allow_private(cfg->outbound_allow_private);
	app.cfg = *cfg;
	app.store = cli_open_store(cfg);
	if (!app.store)
		return 1;
	rc = app_serve(&app);
	store_close(app.store);
	/* app_serve may have filled in the port and public URL: cfg owns them now. */
	*cfg = app.cfg;
	return rc ? 1 : 0;
}

int cmd_migrate(int argc, char **argv, struct config *cfg)
{
	config_db_from_env(cfg);
	int flags = cli_flags("migrate", migrate_usage, NULL, NULL, NULL, argc, argv, cfg);
	if (flags)
		return flags == 1 ? 0 : flags;
	if (optind < argc)
		return cli_usage_error("migrate", "unexpected argument '%s'", argv[optind]);
	struct store *s = cli_open_store(cfg);
	if (!s)
		return 1;
	char shown[STORE_REDACTED_CAP];
	printf("migrations applied to %s (%s)\n", store_url_redacted(cfg->db, shown, sizeof(shown)),
	       store_backend_name(s));
	store_close(s);
	return 0;
}
