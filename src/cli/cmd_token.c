/*
 * `apotheca token --merchant ID --key PRIVATE.pem [--ttl SECONDS]`: mints an
 * RS256 JWT for curl and tests. Needs no database.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "auth/jwt.h"
#include "cli/cli.h"
#include "base/buf.h"
#include "base/strnum.h"
#include "base/banned.h"

static const char usage[] =
	"usage: apotheca token --merchant ID --key PRIVATE.pem [--ttl SECONDS] [--iat EPOCH]\n"
	"Prints an RS256 JWT for the merchant, valid for --ttl seconds (default 900).\n";

/* Reads a whole small file into b; -1 when it cannot. */
static int read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b->len < 1024 * 1024)
		buf_add(b, chunk, n);
	fclose(f);
	return 0;
}

int cmd_token(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{"merchant", required_argument, NULL, 'm'}, {"key", required_argument, NULL, 'k'},
		{"ttl", required_argument, NULL, 't'},	    {"iat", required_argument, NULL, 'i'},
		{"help", no_argument, NULL, 'h'},	    {NULL, 0, NULL, 0},
	};
	const char *merchant = NULL, *key = NULL;
	int64_t ttl = 900, iat = (int64_t)time(NULL);
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
			if (strnum_i64z(optarg, 1, 86400, &ttl))
				goto out_usage;
			break;
		case 'i':
			if (strnum_i64z(optarg, 0, INT64_MAX / 2, &iat))
				goto out_usage;
			break;
		case 'h':
			printf("%s", usage);
			return 0;
		default:
			goto out_usage;
		}
	}
	if (!merchant || !key || optind != argc)
		goto out_usage;
	buf_init(&pem);
	if (read_file(key, &pem)) {
		fprintf(stderr, "apotheca: cannot read %s\n", key);
		buf_release(&pem);
		return 1;
	}
	char *tok = jwt_mint_rs256(pem.data, pem.len, merchant, iat, ttl);
	buf_release(&pem);
	if (!tok) {
		fprintf(stderr, "apotheca: %s is not an RSA private key\n", key);
		return 1;
	}
	printf("%s\n", tok);
	free(tok);
	return 0;
out_usage:
	fprintf(stderr, "%s", usage);
	return 2;
}
