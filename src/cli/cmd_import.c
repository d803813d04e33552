/*
 * `apotheca import skus|pincodes FILE` and `apotheca demo`.
 */
#include <stdio.h>

#include "cli/cli.h"
#include "base/banned.h"

int cmd_import(int argc, char **argv, struct config *cfg)
{
	(void)argc;
	(void)argv;
	(void)cfg;
	fprintf(stderr, "apotheca: import is not available yet\n");
	return 2;
}

int cmd_demo(int argc, char **argv, struct config *cfg)
{
	(void)argc;
	(void)argv;
	(void)cfg;
	fprintf(stderr, "apotheca: demo is not available yet\n");
	return 2;
}
