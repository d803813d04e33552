/*
 * `apotheca token --merchant ID --key PRIVATE.pem [--ttl SECONDS]`: mints an
 * RS256 JWT for curl and tests. Needs no database.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/jwt.h"
#include "cli/cli.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/banned.h"

static const char usage[] =
	"usage: apotheca token --merchant ID --key PRIVATE.pem [--ttl SECONDS] [--iat EPOCH]\n"
	"Prints an RS256 JWT for the merchant, signed with its private key.\n"
	"\n"
	"  --merchant ID     the merchant the token is for\n"
	"  --key FILE        the merchant's RSA private key (PEM)\n"
	"  --ttl SECONDS     lifetime, 1..900 (default 900; the server refuses longer ones)\n"
	"  --iat EPOCH       issued-at time (default now)\n"
	"\n"
	"Reads no environment variables and no database.\n";

int cmd_token(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{"merchant", required_argument, NULL, 'm'}, {"key", required_argument, NULL, 'k'},
		{"ttl", required_argument, NULL, 't'},	    {"iat", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	const char *merchant = NULL, *key = NULL;
	int64_t ttl = 900, iat = now_epoch();
	struct buf pem;
	int c;
	(void)cfg;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			merchant = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 't':
			if (strnum_i64z(optarg, 1, INT64_MAX / 2, &ttl))
				return cli_usage_error("token", "--ttl wants whole seconds 1..%d, got '%s'",
						       JWT_MAX_LIFETIME_S, optarg);
			if (ttl > JWT_MAX_LIFETIME_S)
				return cli_usage_error(
				    "token",
				    "--ttl %lld is over %d: the server refuses tokens whose exp - iat "
				    "exceeds %d seconds",
				    (long long)ttl, JWT_MAX_LIFETIME_S, JWT_MAX_LIFETIME_S);
			break;
		case 'i':
			if (strnum_i64z(optarg, 0, INT64_MAX / 2, &iat))
				return cli_usage_error("token", "--iat wants epoch seconds, got '%s'",
						       optarg);
			break;
		case 'h':
			printf("%s", usage);
			return 0;
		default:
			return cli_usage_error("token", NULL);
		}
	}
	if (optind != argc)
		return cli_usage_error("token", "unexpected argument '%s'", argv[optind]);
	if (!merchant || !*merchant)
		return cli_usage_error("token", "--merchant ID is required");
	if (!key || !*key)
		return cli_usage_error("token", "--key PRIVATE.pem is required");
	buf_init(&pem);
	if (cli_read_file(key, CLI_KEY_MAX, &pem)) {
		fprintf(stderr, "apotheca token: cannot read %s: %s\n", key, strerror(errno));
		buf_release(&pem);
		return 1;
	}
	char *tok = jwt_mint_rs256(pem.data, pem.len, merchant, iat, ttl);
	buf_release(&pem);
	if (!tok) {
		fprintf(stderr, "apotheca token: %s is not an RSA private key in PEM\n", key);
		return 1;
	}
	printf("%s\n", tok);
	free(tok);
	return 0;
}
