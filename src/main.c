/*
 * apotheca's entry point: runs one CLI command, which reads the environment
 * variables it needs (each command's --help lists them).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "version.h"
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
	fprintf(f, "usage: apotheca <command> [flags]   (apotheca <command> --help)\n"
		   "       apotheca --version\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nEach command's --help lists its flags and the environment variables it reads.\n");
}

int main(int argc, char **argv)
{
	struct config cfg;
	int rc = 2;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("apotheca %s (commit %s)\n", apotheca_version(), apotheca_commit());
		return 0;
	}
	size_t i;
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			break;
	if (i == sizeof(commands) / sizeof(commands[0])) {
		fprintf(stderr, "apotheca: unknown command '%s'\n\n", argv[1]);
		usage(stderr);
		return 2;
	}
	config_init(&cfg);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = commands[i].fn(argc - 1, argv + 1, &cfg);
	config_release(&cfg);
	curl_global_cleanup();
	return rc;
}
