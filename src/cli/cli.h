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
 * Parses the flags every database command shares (--db, --listen, ...)
 * into cfg, starting at argv[0]; returns the index of the first argument
 * that is not such a flag, or -1 (after printing usage) on a bad flag.
 * "--help" prints usage and returns -2.
 */
int cli_common_flags(int argc, char **argv, struct config *cfg, const char *usage);

/* Opens and migrates the configured store; NULL (printed) on failure. */
struct store *cli_open_store(const struct config *cfg);

#endif
