/*
 * What the CLI commands share: reporting a wrong command line, reading a
 * file, and opening the store for them.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"
#include "base/buf.h"
#include "store/store.h"
#include "base/banned.h"

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		fprintf(stderr, "apotheca %s: ", cmd);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	fprintf(stderr, "(see 'apotheca %s --help')\n", cmd);
	return 2;
}

int cli_flags(const char *cmd, const char *usage, const struct option *opts, cli_flag_fn more,
	      void *ctx, int argc, char **argv, struct config *cfg)
{
	static const struct option db_only[] = {
	    {"db", required_argument, NULL, 'd'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c, rc;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "", opts ? opts : db_only, NULL)) != -1) {
		if (c == 'd') {
			config_set(&cfg->db, optarg);
		} else if (c == 'h') {
			printf("%s", usage);
			return 1;
		} else if (c == '?' || !more) {
			return cli_usage_error(cmd, NULL);
		} else if ((rc = more(c, optarg, cfg, ctx)) != 0) {
			return rc;
		}
	}
	return 0;
}

enum cli_read cli_read_file(const char *path, size_t max, struct buf *b)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char chunk[65536];
	size_t n, start = b->len;
	enum cli_read rc = CLI_READ_OK;
	if (!f)
		return CLI_READ_OPEN;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len - start + n > max) {
			rc = CLI_READ_TOO_LARGE;
			break;
		}
		buf_add(b, chunk, n);
	}
	if (rc == CLI_READ_OK && ferror(f))
		rc = CLI_READ_IO;
	if (!is_stdin)
		fclose(f);
	return rc;
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
