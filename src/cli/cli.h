/*
 * The command-line interface: `apotheca <command> [flags]`. Each command is
 * a function taking the arguments after its name and the configuration read
 * from the environment; it returns the process exit status.
 */
#ifndef APO_CLI_H
#define APO_CLI_H

#include <stddef.h>

struct buf;
struct config;
struct option;

int cmd_serve(int argc, char **argv, struct config *cfg);
int cmd_migrate(int argc, char **argv, struct config *cfg);
int cmd_demo(int argc, char **argv, struct config *cfg);
int cmd_merchant(int argc, char **argv, struct config *cfg);
int cmd_import(int argc, char **argv, struct config *cfg);
int cmd_token(int argc, char **argv, struct config *cfg);

/*
 * Reports a wrong command line: prints "apotheca CMD: <message>" and a
 * pointer to `apotheca CMD --help` on stderr; returns 2, the exit status
 * for usage errors. With fmt NULL, only the pointer (getopt has already
 * said what was wrong).
 */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The environment variables every database command reads, for --help. */
#define CLI_ENV_DB "  APOTHECA_DB          SQLite file or postgres:// URL (default ./apotheca.db)\n"

/* A command's own flag c (with its argument): 0, or the exit status to stop with. */
typedef int (*cli_flag_fn)(int c, const char *arg, struct config *cfg, void *ctx);

/*
 * Reads a command's flags with getopt_long: opts (NULL: only --db and
 * --help) maps --db to 'd', which sets cfg->db, and --help to 'h', which
 * prints usage; every other flag goes to more(c, optarg, cfg, ctx).
 * Returns 0 with optind at the first other argument, 1 after --help, or
 * the exit status to stop with (cli_usage_error()'s 2 for an unknown flag).
 */
int cli_flags(const char *cmd, const char *usage, const struct option *opts, cli_flag_fn more,
	      void *ctx, int argc, char **argv, struct config *cfg);

/* Why cli_read_file() failed. */
enum cli_read {
	CLI_READ_OK = 0,
	CLI_READ_OPEN,	    /* the file cannot be opened (errno says why) */
	CLI_READ_TOO_LARGE, /* it holds more than the caller's limit */
	CLI_READ_IO,	    /* reading it failed (errno says why) */
};

/* The most a key file (PEM) may hold. */
#define CLI_KEY_MAX (1024 * 1024)

/*
 * Appends all of path ("-": standard input) to b, refusing more than max
 * bytes. b stays the caller's to release, whatever the answer. Prints
 * nothing: each command words its own message.
 */
enum cli_read cli_read_file(const char *path, size_t max, struct buf *b);

/*
 * Opens and migrates the configured store, which the caller closes with
 * store_close(); NULL (printed) on failure.
 */
struct store *cli_open_store(const struct config *cfg);

#endif
