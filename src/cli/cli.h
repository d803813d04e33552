/*
 * The command-line interface: `apotheca <command> [flags]`. Each command is
 * a function taking the arguments after its name and the configuration read
 * from the environment; it returns the process exit status.
 */
#ifndef APO_CLI_H
#define APO_CLI_H

struct config;

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

/* Opens and migrates the configured store; NULL (printed) on failure. */
struct store *cli_open_store(const struct config *cfg);

#endif
