/*
 * `apotheca demo [--dir DIR]`: makes a database ready for the seed
 * requests as printed — a demo merchant with an RSA key pair on disk, the
 * seed pages' SKUs, a coupon, a handling fee and a few pincodes.
 *
 * Idempotent: running it again brings everything back to the demo state
 * (prices, charges, and each SKU's available units) without making a
 * second anything. An existing DIR/merchant.pem is kept and its public key
 * registered, so tokens minted with it stay valid.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/admin_merchant_json.h"
#include "cli/cli.h"
#include "config.h"
#include "core/catalog.h"
#include "core/merchant.h"
#include "store/repo_catalog.h"
#include "store/repo_merchants.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "base/banned.h"

#define DEMO_MERCHANT_ID "demo"
#define DEMO_MERCHANT_NAME "demo_pharmacy"
#define DEMO_LOGISTICS_SECRET "demo-logistics-secret"
#define DEMO_COUPON "SEED66"
#define DEMO_WEBHOOK_SECRET "demo-webhook-signing-secret"
#define DEMO_URL_MAX 1024
#define DEMO_RSA_BITS 2048
#define DEMO_PATH_MAX 4096

static const char usage[] =
    "usage: apotheca demo [--dir DIR] [--db PATH|URL] [--listen HOST:PORT] [--sandbox-url URL]\n"
    "Loads the demo merchant \"demo\" (key pair in DIR, default ./demo), the seed SKUs,\n"
    "coupon SEED66, a handling fee and pincodes 560103, 110001 and 999999. The merchant's\n"
    "payment API and webhook point at the sandbox of `apotheca serve --sandbox`.\n"
    "\n"
    "  --dir DIR           where the merchant's key pair lives (default ./demo)\n"
    "  --db PATH|URL       overrides APOTHECA_DB\n"
    "  --listen HOST:PORT  where the server will listen, for the sandbox URL\n"
    "                      (overrides APOTHECA_LISTEN, default 127.0.0.1:8080)\n"
    "  --sandbox-url URL   the sandbox's base URL (default http://HOST:PORT/sandbox of the\n"
    "                      listen address, on loopback)\n"
    "\n"
    "environment:\n" CLI_ENV_DB
    "  APOTHECA_LISTEN      the server's listen address (above)\n";

/* The seed pages' SKUs; money in paise. */
static const struct demo_sku {
	const char *sku_id, *name;
	int64_t mrp, price;
	const char *pack, *type;
	int rx;
	int64_t stock;
} demo_skus[] = {
    /* Inventory check seed: 10 units at 157, 66% off, is 53.38 each. */
    {"248941", "Evion 400 Capsule", 15700, 15700, "strip of 10 capsules", "allopathy", 0, 100},
    /* Create order seed. */
    {"117004", "Dolo 650 Tablet", 3300, 3069, "strip of 15 tablets", "allopathy", 0, 200},
    {"139559", "Crocin Advance Tablet", 2090, 1902, "strip of 15 tablets", "otc", 0, 150},
    {"340278", "Volini Pain Relief Gel", 14000, 13300, "tube of 30 gm Gel", "otc", 0, 80},
    {"367281", "Augmentin 625 Duo Tablet", 22342, 20108, "strip of 10 tablets", "allopathy", 1, 60},
    {"528051", "Shelcal 500 Tablet", 12950, 11655, "strip of 15 tablets", "allopathy", 0, 120},
    /* Track seed, exactly as the page shows them. */
    {"747985", "A to Z NS+ Tablet with Lycopene, Multivitamins & Multiminerals", 15500, 14100,
     "strip of 15 tablets", "otc", 0, 50},
    {"9187", "Allegra 180mg Tablet", 27511, 25300, "strip of 10 tablets", "allopathy", 0, 50},
    {"63412", "Ascoril LS Syrup", 12900, 12800, "bottle of 100 ml Syrup", "allopathy", 0, 50},
    {"324155", "Azee 500 Tablet", 13193, 12500, "strip of 5 tablets", "allopathy", 0, 50},
    {"325250", "PAN 40 Tablet", 16500, 16000, "strip of 15 tablets", "allopathy", 0, 50},
};

static const struct pincode_entry demo_pincodes[] = {
    {"560103", 1, 2, 4},
    {"110001", 1, 1, 2},
    {"999999", 0, CATALOG_NONE, CATALOG_NONE},
};

/* Writes the PEM public key of key into a new malloc'ed string. */
static char *public_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *out = NULL, *data;
	if (bio && PEM_write_bio_PUBKEY(bio, key) == 1) {
		long n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			out = xstrndup(data, (size_t)n);
	}
	BIO_free(bio);
	return out;
}

static EVP_PKEY *read_private_key(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (key && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

/* Creates path (which must not exist) as a 0600 PEM private key file. */
static int write_private_key(const char *path, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "wb");
	if (!f) {
		close(fd);
		return -1;
	}
	int ok =
	    fchmod(fd, 0600) == 0 && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int write_text(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	if (fclose(f) != 0)
		ok = 0;
	return ok && chmod(path, mode) == 0 ? 0 : -1;
}

/*
 * Makes sure dir holds merchant.pem and merchant.pub.pem: keeps an existing
 * private key, else generates one. *pub receives the public key PEM.
 */
static int demo_keys(const char *dir, char **pub, int *kept)
{
	char priv_path[DEMO_PATH_MAX], pub_path[DEMO_PATH_MAX];
	EVP_PKEY *key;

	if (fmt_into(priv_path, sizeof(priv_path), "%s/merchant.pem", dir) ||
	    fmt_into(pub_path, sizeof(pub_path), "%s/merchant.pub.pem", dir)) {
		fprintf(stderr, "apotheca: --dir is too long\n");
		return -1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "apotheca: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	*kept = access(priv_path, F_OK) == 0;
	if (*kept) {
		key = read_private_key(priv_path);
		if (!key) {
			fprintf(stderr,
				"apotheca: %s is not an RSA private key in PEM; move it away to "
				"have a new one made\n",
				priv_path);
			return -1;
		}
	} else {
		key = EVP_RSA_gen(DEMO_RSA_BITS);
		if (!key || write_private_key(priv_path, key)) {
			fprintf(stderr, "apotheca: cannot create %s: %s\n", priv_path,
				key ? strerror(errno) : "RSA key generation failed");
			EVP_PKEY_free(key);
			return -1;
		}
	}
	*pub = public_pem(key);
	EVP_PKEY_free(key);
	if (!*pub || write_text(pub_path, *pub, 0644)) {
		fprintf(stderr, "apotheca: cannot write %s\n", pub_path);
		free(*pub);
		*pub = NULL;
		return -1;
	}
	return 0;
}

/* Registers the demo merchant, or brings the existing one back to the demo state. */
static int demo_merchant(struct store_conn *c, const char *pub, const char *sandbox)
{
	struct merchant m;
	char err[160], pay_url[DEMO_URL_MAX + 64], hook_url[DEMO_URL_MAX + 64];
	int rc = -1;

	fmt_into(pay_url, sizeof(pay_url), "%s/merchants/%s", sandbox, DEMO_MERCHANT_ID);
	fmt_into(hook_url, sizeof(hook_url), "%s/merchants/%s/webhooks", sandbox, DEMO_MERCHANT_ID);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:{s:s,s:s},s:[{s:s,s:s,s:i}],s:b}",
			      "id", DEMO_MERCHANT_ID, "name", DEMO_MERCHANT_NAME, "display_name",
			      "Demo Pharmacy", "jwt_public_key", pub, "logistics_secret",
			      DEMO_LOGISTICS_SECRET, "payment_api", "base_url", pay_url, "aggregator",
			      "EKACARE", "webhook", "url", hook_url, "signing_secret",
			      DEMO_WEBHOOK_SECRET, "charges", "type", "handling_fee", "display_text",
			      "REDISTRIBUTIONTEST", "amount", 99, "active", 1);
	merchant_init(&m);
	enum apo_result found = merchant_load(c, DEMO_MERCHANT_ID, &m);
	if (found != APO_OK && found != APO_ERR_NOT_FOUND) {
		fprintf(stderr, "apotheca: cannot read merchants (%s)\n", apo_result_name(found));
		goto out;
	}
	if (merchant_from_json(&m, j, found == APO_ERR_NOT_FOUND, err, sizeof(err))) {
		fprintf(stderr, "apotheca: demo merchant: %s\n", err);
		goto out;
	}
	enum apo_result saved = merchant_save(c, &m, found == APO_OK);
	if (saved != APO_OK) {
		fprintf(stderr, "apotheca: cannot save the demo merchant (%s)\n",
			saved == APO_ERR_CONFLICT ? "another merchant is named " DEMO_MERCHANT_NAME
						  : apo_result_name(saved));
		goto out;
	}
	rc = 0;
out:
	merchant_release(&m);
	json_decref(j);
	return rc;
}

/* Upserts one SKU so that its available units are the demo's stock. */
static int demo_sku(struct store_conn *c, const struct demo_sku *d)
{
	struct product p, old;
	int created;
	product_init(&p);
	product_init(&old);
	int64_t reserved = product_load(c, "", d->sku_id, &old) == APO_OK ? old.reserved : 0;
	product_release(&old);
	p.merchant_id = xstrdup("");
	p.sku_id = xstrdup(d->sku_id);
	p.name = xstrdup(d->name);
	p.mrp = d->mrp;
	p.price = d->price;
	p.pack_size_label = xstrdup(d->pack);
	p.sku_type = xstrdup(d->type);
	p.rx_required = d->rx;
	p.on_hand = reserved + d->stock;
	enum apo_result rc = product_upsert(c, &p, 1, &created);
	product_release(&p);
	if (rc != APO_OK)
		fprintf(stderr, "apotheca: cannot save SKU %s (%s)\n", d->sku_id,
			apo_result_name(rc));
	return rc == APO_OK ? 0 : -1;
}

static int demo_pricing(struct store_conn *c)
{
	struct coupon cp;
	int created;
	coupon_init(&cp);
	cp.code = xstrdup(DEMO_COUPON);
	cp.kind = COUPON_PERCENT;
	cp.value = 6600;
	enum apo_result rc = coupon_save(c, &cp, &created);
	coupon_release(&cp);
	for (size_t i = 0; rc == APO_OK && i < sizeof(demo_pincodes) / sizeof(demo_pincodes[0]);
	     i++)
		rc = pincode_save(c, &demo_pincodes[i], &created);
	if (rc != APO_OK)
		fprintf(stderr, "apotheca: cannot save the coupon and pincodes (%s)\n",
			apo_result_name(rc));
	return rc == APO_OK ? 0 : -1;
}

static void demo_report(const struct config *cfg, const char *dir, int kept, const char *sandbox)
{
	char shown[STORE_REDACTED_CAP];
	printf("demo merchant \"%s\" (name %s) is ready in %s\n", DEMO_MERCHANT_ID,
	       DEMO_MERCHANT_NAME, store_url_redacted(cfg->db, shown, sizeof(shown)));
	printf("  private key  %s/merchant.pem (%s)\n", dir, kept ? "kept" : "new, mode 0600");
	printf("  public key   %s/merchant.pub.pem (registered)\n", dir);
	printf("  logistics    Basic auth M-%s : %s\n", DEMO_MERCHANT_ID, DEMO_LOGISTICS_SECRET);
	printf("  catalog      %zu SKUs, coupon %s (66%% off), handling_fee 99\n",
	       sizeof(demo_skus) / sizeof(demo_skus[0]), DEMO_COUPON);
	printf("  pincodes     560103 (2-4 days), 110001 (1-2 days), 999999 (not serviceable)\n");
	printf("  payment API  %s/merchants/%s (apotheca serve --sandbox)\n", sandbox,
	       DEMO_MERCHANT_ID);
	printf("  webhooks     %s/merchants/%s/webhooks, seen at %s/webhooks\n", sandbox,
	       DEMO_MERCHANT_ID, sandbox);
	printf("  token        apotheca token --merchant %s --key %s/merchant.pem\n",
	       DEMO_MERCHANT_ID, dir);
}

/*
 * The sandbox's base URL on loopback for the listen address: a wildcard
 * address is reached through the loopback address of its family.
 */
static void sandbox_default(const struct config *cfg, char *out, size_t cap)
{
	const char *host = cfg->listen_host;
	if (cfg->listen_ipv6)
		fmt_into(out, cap, "http://[%s]:%u/sandbox", strcmp(host, "::") == 0 ? "::1" : host,
			 cfg->port);
	else
		fmt_into(out, cap, "http://%s:%u/sandbox",
			 strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host, cfg->port);
}

/* What demo's own flags set. */
struct demo_flags {
	const char *dir;
	char *sandbox; /* DEMO_URL_MAX bytes */
};

/* One of demo's own flags (cli_flag_fn). */
static int demo_flag(int c, const char *arg, struct config *cfg, void *ctx)
{
	struct demo_flags *f = ctx;
	char why[200];
	switch (c) {
	case 'D':
		f->dir = arg;
		break;
	case 'l':
		if (config_set_listen(cfg, arg, why, sizeof(why)))
			return cli_usage_error("demo", "--listen %s", why);
		break;
	case 's':
		if (fmt_into(f->sandbox, DEMO_URL_MAX, "%s", arg))
			return cli_usage_error("demo", "--sandbox-url is longer than %d",
					       DEMO_URL_MAX - 1);
		break;
	default:
		return cli_usage_error("demo", NULL);
	}
	return 0;
}

int cmd_demo(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
	    {"dir", required_argument, NULL, 'D'},
	    {"db", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"sandbox-url", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *dir = "./demo", *v;
	char *pub = NULL;
	char sandbox[DEMO_URL_MAX], why[200];
	int c, kept = 0, rc = 1;

	config_db_from_env(cfg);
	if ((v = getenv("APOTHECA_LISTEN")) && *v && config_set_listen(cfg, v, why, sizeof(why))) {
		fprintf(stderr, "apotheca demo: APOTHECA_LISTEN %s\n", why);
		return 2;
	}
	sandbox[0] = '\0';
	struct demo_flags f = {.dir = dir, .sandbox = sandbox};
	c = cli_flags("demo", usage, opts, demo_flag, &f, argc, argv, cfg);
	if (c)
		return c == 1 ? 0 : c;
	dir = f.dir;
	if (optind != argc)
		return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
	if (!*dir)
		return cli_usage_error("demo", "--dir is empty");
	if (!sandbox[0])
		sandbox_default(cfg, sandbox, sizeof(sandbox));
	for (size_t n = strlen(sandbox); n && sandbox[n - 1] == '/'; n--)
		sandbox[n - 1] = '\0';
	if (demo_keys(dir, &pub, &kept))
		return 1;
	struct store *s = cli_open_store(cfg);
	if (!s)
		goto out;
	struct store_conn *conn = store_thread_conn(s);
	if (!conn) {
		char shown[STORE_REDACTED_CAP];
		fprintf(stderr, "apotheca: cannot connect to %s\n",
			store_url_redacted(cfg->db, shown, sizeof(shown)));
		goto out_close;
	}
	if (demo_merchant(conn, pub, sandbox))
		goto out_close;
	for (size_t i = 0; i < sizeof(demo_skus) / sizeof(demo_skus[0]); i++)
		if (demo_sku(conn, &demo_skus[i]))
			goto out_close;
	if (demo_pricing(conn))
		goto out_close;
	demo_report(cfg, dir, kept, sandbox);
	rc = 0;
out_close:
	store_close(s);
out:
	free(pub);
	return rc;
}
