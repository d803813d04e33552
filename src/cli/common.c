/*
 * What the CLI commands share: reporting a wrong command line, and opening
 * the store for them.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli/cli.h"
#include "config.h"
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
