/*
 * Flags shared by the CLI commands and opening the store for them.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "store/store.h"
#include "base/strnum.h"
#include "base/banned.h"

int cli_common_flags(int argc, char **argv, struct config *cfg, const char *usage)
{
	static const struct option opts[] = {
		{"db", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"admin-token", required_argument, NULL, 'a'},
		{"public-url", required_argument, NULL, 'p'},
		{"threads", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int64_t n;
	int c;

	optind = 1;
	opterr = 1;
	/* '+': stop at the first non-flag so sub-commands keep their words. */
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			config_set(&cfg->db, optarg);
			break;
		case 'l':
			if (config_set_listen(cfg, optarg)) {
				fprintf(stderr, "apotheca: --listen wants HOST:PORT\n");
				return -1;
			}
			break;
		case 'a':
			config_set(&cfg->admin_token, optarg);
			break;
		case 'p':
			config_set(&cfg->public_url, optarg);
			break;
		case 't':
			if (strnum_i64z(optarg, 1, 256, &n)) {
				fprintf(stderr, "apotheca: --threads wants 1..256\n");
				return -1;
			}
			cfg->threads = (unsigned)n;
			break;
		case 'h':
			printf("%s", usage);
			return -2;
		default:
			fprintf(stderr, "%s", usage);
			return -1;
		}
	}
	return optind;
}

struct store *cli_open_store(const struct config *cfg)
{
	char shown[STORE_REDACTED_CAP];
	struct store *s = store_open(cfg->db);
	if (!s) {
		fprintf(stderr, "apotheca: cannot open database %s\n",
			store_url_redacted(cfg->db, shown, sizeof(shown)));
		return NULL;
	}
	enum apo_result rc = store_migrate(s);
	if (rc != APO_OK) {
		fprintf(stderr, "apotheca: migrations failed on %s (%s)\n",
			store_url_redacted(cfg->db, shown, sizeof(shown)), apo_result_name(rc));
		store_close(s);
		return NULL;
	}
	return s;
}
