/*
 * apotheca's entry point: reads the environment and runs one CLI command.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "out/url.h"
#include "base/banned.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv, struct config *cfg);
	const char *help;
} commands[] = {
	{"serve", cmd_serve, "serve the HTTP APIs"},
	{"migrate", cmd_migrate, "apply database migrations and exit"},
	{"demo", cmd_demo, "load the demo merchant, SKUs, coupon, charges and pincodes"},
	{"merchant", cmd_merchant, "merchant add: register a merchant"},
	{"import", cmd_import, "import skus|pincodes FILE: load a CSV"},
	{"token", cmd_token, "token --merchant ID --key PRIVATE.pem: mint a JWT"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: apotheca <command> [flags]   (apotheca <command> --help)\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nenvironment: APOTHECA_DB, APOTHECA_LISTEN, APOTHECA_ADMIN_TOKEN, "
		   "APOTHECA_PUBLIC_URL,\n  APOTHECA_ACCESS_KEYS, APOTHECA_THREADS, "
		   "APOTHECA_SWEEP_MS, APOTHECA_RETRY_BASE_MS,\n  APOTHECA_RETRY_GIVE_UP_MS, "
		   "APOTHECA_METRICS_TOKEN, APOTHECA_OUTBOUND_ALLOW_PRIVATE\n");
}

int main(int argc, char **argv)
{
	struct config cfg;
	int rc = 2;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (config_from_env(&cfg))
		return 2;
	url_allow_private(cfg.outbound_allow_private);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	size_t i;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "apotheca: unknown command '%s'\n", argv[1]);
		usage(stderr);
	} else {
		rc = commands[i].fn(argc - 1, argv + 1, &cfg);
	}
	config_release(&cfg);
	curl_global_cleanup();
	return rc;
}
