/*
 * `apotheca merchant add|set`: registers a merchant, or changes one, from
 * flags or from the same JSON the admin API takes (POST and PATCH
 * /admin/v1/merchants).
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
	"                             [--logistics-secret SECRET] [--webhook-batch on|off]\n"
	"                             [--json FILE] [--db PATH|URL]\n"
	"       apotheca merchant set --id ID [--name NAME] [--public-key PEMFILE]\n"
	"                             [--logistics-secret SECRET] [--webhook-batch on|off]\n"
	"                             [--json FILE] [--db PATH|URL]\n"
	"add registers a merchant; set changes the members given of an existing one.\n"
	"--json takes the admin API's merchant object; flags override it.\n"
	"\n"
	"  --id ID                 merchant id ([A-Za-z0-9_.-])\n"
	"  --name NAME             merchant name (the track endpoint's path)\n"
	"  --public-key PEMFILE    RSA public key that verifies the merchant's JWTs\n"
	"  --logistics-secret S    password of the logistics API's Basic auth\n"
	"  --webhook-batch on|off  logistics webhooks as arrays of up to 100 events (on)\n"
	"                          or one event per request (off, the default)\n"
	"  --json FILE             the admin API's merchant object\n"
	"  --db PATH|URL           overrides APOTHECA_DB\n"
	"\n"
	"environment:\n" CLI_ENV_DB;

/* --webhook-batch's word: 1 for on, 0 for off, -1 for anything else. */
static int on_off(const char *s)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "true") == 0)
		return 1;
	if (strcmp(s, "off") == 0 || strcmp(s, "false") == 0)
		return 0;
	return -1;
}

/* Sets webhook.batch in the merchant object j, keeping its other webhook members. */
static void set_webhook_batch(json_t *j, int batch)
{
	json_t *hook = json_object_get(j, "webhook");
	if (!json_is_object(hook)) {
		hook = json_object();
		json_object_set_new(j, "webhook", hook);
	}
	json_object_set_new(hook, "batch", json_boolean(batch));
}

/* Reads --json FILE into j (members j has already win); -1 (said) on failure. */
static int merge_json_file(json_t *j, const char *path)
{
	json_error_t je;
	json_t *file = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!json_is_object(file)) {
		if (file)
			fprintf(stderr, "apotheca merchant: %s is not a JSON object\n", path);
		else
			fprintf(stderr, "apotheca merchant: %s: %s (line %d)\n", path, je.text,
				je.line);
		json_decref(file);
		return -1;
	}
	json_object_update_missing(j, file);
	json_decref(file);
	return 0;
}

/*
 * Parses the flags after the subcommand into the merchant object j.
 * Returns 0, 1 when --help was answered, or 2 (said) on a usage error.
 */
static int parse_flags(int argc, char **argv, struct config *cfg, json_t *j)
{
	static const struct option opts[] = {
		{"id", required_argument, NULL, 'i'},
		{"name", required_argument, NULL, 'n'},
		{"public-key", required_argument, NULL, 'k'},
		{"logistics-secret", required_argument, NULL, 's'},
		{"webhook-batch", required_argument, NULL, 'b'},
		{"json", required_argument, NULL, 'j'},
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct buf pem;
	int c, batch = -1, rc = 2;

	buf_init(&pem);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
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
		case 'b':
			batch = on_off(optarg);
			if (batch < 0) {
				cli_usage_error("merchant", "--webhook-batch takes on or off, not '%s'",
						optarg);
				goto out;
			}
			break;
		case 'j':
			if (merge_json_file(j, optarg))
				goto out;
			break;
		case 'd':
			config_set(&cfg->db, optarg);
			break;
		case 'h':
			printf("%s", usage);
			rc = 1;
			goto out;
		default:
			cli_usage_error("merchant", NULL);
			goto out;
		}
	}
	if (optind < argc) {
		cli_usage_error("merchant", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (batch >= 0)
		set_webhook_batch(j, batch);
	rc = 0;
out:
	buf_release(&pem);
	return rc;
}

/*
 * add: a new merchant from j (checked before the database is opened).
 * set: the members of j applied to the existing merchant j.id.
 */
static int save(struct config *cfg, int adding, const json_t *j)
{
	struct merchant m;
	struct store *s = NULL;
	char err[160];
	const char *id = json_string_value(json_object_get(j, "id"));
	enum apo_result res = APO_OK;
	int rc = 2;

	merchant_init(&m);
	if (!adding && !(id && merchant_id_valid(id))) {
		cli_usage_error("merchant", "set needs --id ID of an existing merchant");
		goto out;
	}
	if (adding && merchant_from_json(&m, j, 1, err, sizeof(err))) {
		fprintf(stderr, "apotheca merchant: %s\n", err);
		goto out;
	}
	rc = 1;
	s = cli_open_store(cfg);
	if (!s)
		goto out;
	struct store_conn *conn = store_thread_conn(s);
	if (!conn)
		res = APO_ERR_UNAVAILABLE;
	if (res == APO_OK && !adding) {
		res = merchant_load(conn, id, &m);
		if (res == APO_OK && merchant_from_json(&m, j, 0, err, sizeof(err))) {
			fprintf(stderr, "apotheca merchant: %s\n", err);
			rc = 2;
			goto out;
		}
	}
	if (res == APO_OK)
		res = merchant_save(conn, &m, !adding);
	if (res != APO_OK) {
		fprintf(stderr, "apotheca: cannot %s merchant %s (%s)\n", adding ? "add" : "change",
			adding ? m.id : id,
			res == APO_ERR_NOT_FOUND  ? "no such merchant"
			: res == APO_ERR_CONFLICT ? "id or name already exists"
						  : apo_result_name(res));
		goto out;
	}
	printf("merchant %s %s\n", m.id, adding ? "added" : "changed");
	rc = 0;
out:
	if (s)
		store_close(s);
	merchant_release(&m);
	return rc;
}

int cmd_merchant(int argc, char **argv, struct config *cfg)
{
	config_db_from_env(cfg);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("%s", usage);
		return 0;
	}
	if (argc < 2)
		return cli_usage_error("merchant", "which subcommand? 'add' or 'set'");
	int adding = strcmp(argv[1], "add") == 0;
	if (!adding && strcmp(argv[1], "set") != 0)
		return cli_usage_error("merchant", "unknown subcommand '%s' ('add' or 'set')",
				       argv[1]);
	json_t *j = json_object();
	int rc = parse_flags(argc - 1, argv + 1, cfg, j);
	if (rc == 0)
		rc = save(cfg, adding, j);
	else if (rc == 1)
		rc = 0;
	json_decref(j);
	return rc;
}
