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
	"Registers a merchant. --json takes the admin API's merchant object; flags override it.\n";

static int slurp(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(b, chunk, n);
	fclose(f);
	return 0;
}

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

	if (argc < 2 || strcmp(argv[1], "add") != 0) {
		fprintf(stderr, "%s", usage);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
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
			if (slurp(optarg, &pem)) {
				fprintf(stderr, "apotheca: cannot read %s\n", optarg);
				goto out;
			}
			json_object_set_new(j, "jwt_public_key", json_string(pem.data));
			break;
		case 's':
			json_object_set_new(j, "logistics_secret", json_string(optarg));
			break;
		case 'j': {
			json_t *file = json_load_file(optarg, JSON_REJECT_DUPLICATES, NULL);
			if (!json_is_object(file)) {
				json_decref(file);
				fprintf(stderr, "apotheca: %s is not a JSON object\n", optarg);
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
			fprintf(stderr, "%s", usage);
			goto out;
		}
	}
	if (merchant_from_json(&m, j, 1, err, sizeof(err))) {
		fprintf(stderr, "apotheca: %s\n", err);
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
