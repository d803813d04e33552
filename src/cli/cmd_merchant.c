/*
 * `apotheca merchant add`: registers a merchant from flags or from the same
 * JSON the admin API takes.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "api/admin_merchant_json.h"
#include "cli/cli.h"
#include "config.h"
#include "core/merchant.h"
#include "store/repo_merchants.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/banned.h"

static const char usage[] =
	"usage: apotheca merchant add --id ID --name NAME [--public-key PEMFILE]\n"
	"                             [--logistics-secret SECRET] [--json FILE] [--db PATH|URL]\n"
	"Registers a merchant. --json takes the admin API's merchant object; flags override it.\n"
	"\n"
	"  --id ID                 merchant id ([A-Za-z0-9_.-])\n"
	"  --name NAME             merchant name (the track endpoint's path)\n"
	"  --public-key PEMFILE    RSA public key that verifies the merchant's JWTs\n"
	"  --logistics-secret S    password of the logistics API's Basic auth\n"
	"  --json FILE             the admin API's merchant object\n"
	"  --db PATH|URL           overrides APOTHECA_DB\n"
	"\n"
	"environment:\n" CLI_ENV_DB;

int cmd_merchant(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{"id", required_argument, NULL, 'i'},
		{"name", required_argument, NULL, 'n'},
		{"public-key", required_argument, NULL, 'k'},
		{"logistics-secret", required_argument, NULL, 's'},
		{"json", required_argument, NULL, 'j'},
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	json_t *j = NULL;
	struct merchant m;
	struct buf pem;
	char err[160];
	int c, rc = 2;

	config_db_from_env(cfg);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("%s", usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage_error("merchant", "which subcommand? only 'add' exists");
	if (strcmp(argv[1], "add") != 0)
		return cli_usage_error("merchant", "unknown subcommand '%s' (only 'add' exists)",
				       argv[1]);
	buf_init(&pem);
	merchant_init(&m);
	j = json_object();
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			json_object_set_new(j, "id", json_string(optarg));
			break;
		case 'n':
			json_object_set_new(j, "name", json_string(optarg));
			break;
		case 'k':
			buf_reset(&pem);
			if (cli_read_file(optarg, CLI_KEY_MAX, &pem)) {
				fprintf(stderr, "apotheca merchant: cannot read %s\n", optarg);
				goto out;
			}
			json_object_set_new(j, "jwt_public_key", json_string(pem.data));
			break;
		case 's':
			json_object_set_new(j, "logistics_secret", json_string(optarg));
			break;
		case 'j': {
			json_error_t je;
			json_t *file = json_load_file(optarg, JSON_REJECT_DUPLICATES, &je);
			if (!json_is_object(file)) {
				if (file)
					fprintf(stderr, "apotheca merchant: %s is not a JSON object\n",
						optarg);
				else
					fprintf(stderr, "apotheca merchant: %s: %s (line %d)\n", optarg,
						je.text, je.line);
				json_decref(file);
				goto out;
			}
			json_object_update_missing(j, file);
			json_decref(file);
			break;
		}
		case 'd':
			config_set(&cfg->db, optarg);
			break;
		case 'h':
			printf("%s", usage);
			rc = 0;
			goto out;
		default:
			cli_usage_error("merchant", NULL);
			goto out;
		}
	}
	if (optind + 1 < argc) {
		cli_usage_error("merchant", "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	if (merchant_from_json(&m, j, 1, err, sizeof(err))) {
		fprintf(stderr, "apotheca merchant: %s\n", err);
		goto out;
	}
	struct store *s = cli_open_store(cfg);
	if (!s) {
		rc = 1;
		goto out;
	}
	struct store_conn *conn = store_thread_conn(s);
	enum apo_result res = conn ? merchant_save(conn, &m, 0) : APO_ERR_UNAVAILABLE;
	store_close(s);
	if (res != APO_OK) {
		fprintf(stderr, "apotheca: cannot add merchant %s (%s)\n", m.id,
			res == APO_ERR_CONFLICT ? "id or name already exists" : apo_result_name(res));
		rc = 1;
		goto out;
	}
	printf("merchant %s added\n", m.id);
	rc = 0;
out:
	json_decref(j);
	merchant_release(&m);
	buf_release(&pem);
	return rc;
}
