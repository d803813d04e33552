/*
 * `apotheca import skus|pincodes FILE`: loads a catalog CSV file into the
 * configured database, all or nothing, with the same parser, rules and
 * line-numbered errors as the admin API's import routes
 * (catalog_import_*_csv in service/catalog_import.h). FILE "-" reads stdin.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "service/catalog_import.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/banned.h"

/* The largest file an import reads (CATALOG_MAX_IMPORT_ROWS rows fit easily). */
#define IMPORT_MAX_BYTES (64u * 1024 * 1024)

static const char usage[] =
    "usage: apotheca import skus|pincodes FILE [--db PATH|URL]\n"
    "Loads a CSV file (\"-\" for stdin) into the catalog, all rows or none.\n"
    "  skus:     sku_id,name,mrp,price,pack_size_label,sku_type,prescription_required,stock\n"
    "  pincodes: pincode,serviceable,eta_min_days,eta_max_days\n"
    "\n"
    "  --db PATH|URL   overrides APOTHECA_DB\n"
    "\n"
    "environment:\n" CLI_ENV_DB;

/* Reads all of path (or stdin for "-") into b; -1 with a message on failure. */
static int read_input(const char *path, struct buf *b)
{
	switch (cli_read_file(path, IMPORT_MAX_BYTES, b)) {
	case CLI_READ_OK:
		return 0;
	case CLI_READ_OPEN:
		fprintf(stderr, "apotheca: cannot open %s\n", path);
		break;
	case CLI_READ_TOO_LARGE:
		fprintf(stderr, "apotheca: %s is larger than %u bytes\n", path, IMPORT_MAX_BYTES);
		break;
	case CLI_READ_IO:
		fprintf(stderr, "apotheca: cannot read %s\n", path);
		break;
	}
	return -1;
}

int cmd_import(int argc, char **argv, struct config *cfg)
{
	char err[320] = "";
	size_t imported = 0, created = 0;
	struct buf data;
	int skus;

	config_db_from_env(cfg);
	int flags = cli_flags("import", usage, NULL, NULL, NULL, argc, argv, cfg);
	if (flags)
		return flags == 1 ? 0 : flags;
	if (argc - optind < 1)
		return cli_usage_error("import", "what to import? skus or pincodes");
	if (strcmp(argv[optind], "skus") != 0 && strcmp(argv[optind], "pincodes") != 0)
		return cli_usage_error("import", "'%s' is neither skus nor pincodes", argv[optind]);
	if (argc - optind < 2)
		return cli_usage_error("import", "which file? give a CSV path or - for stdin");
	if (argc - optind > 2)
		return cli_usage_error("import", "unexpected argument '%s'", argv[optind + 2]);
	skus = strcmp(argv[optind], "skus") == 0;
	const char *path = argv[optind + 1];
	buf_init(&data);
	if (read_input(path, &data)) {
		buf_release(&data);
		return 1;
	}
	struct store *s = cli_open_store(cfg);
	if (!s) {
		buf_release(&data);
		return 1;
	}
	struct store_conn *conn = store_thread_conn(s);
	enum apo_result rc = APO_ERR_UNAVAILABLE;
	if (!conn)
		fmt_into(err, sizeof(err), "cannot connect to the database");
	else if (skus)
		rc = catalog_import_skus_csv(conn, data.data, data.len, &imported, &created, err,
					     sizeof(err));
	else
		rc = catalog_import_pincodes_csv(conn, data.data, data.len, &imported, &created,
						 err, sizeof(err));
	store_close(s);
	buf_release(&data);
	if (rc != APO_OK) {
		fprintf(stderr, "apotheca: %s: %s\n", path, err[0] ? err : apo_result_name(rc));
		return 1;
	}
	printf("imported %zu %s from %s (%zu new, %zu updated)\n", imported,
	       skus ? "skus" : "pincodes", path, created, imported - created);
	return 0;
}
