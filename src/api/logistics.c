/*
 * The logistics dialect's errors and Basic authentication (see
 * logistics.h). Endpoint handlers live in logistics_*.c.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/logistics.h"
#include "api/idempotency.h"
#include "app.h"
#include "auth/secret.h"
#include "core/merchant.h"
#include "store/repo_merchants.h"
#include "base/xalloc.h"
#include "base/banned.h"

/* Longest "Authorization: Basic ..." value we decode. */
#define LOGI_MAX_BASIC 512

void logi_error(struct req *r, unsigned status, const char *code, const char *message)
{
	json_t *body = json_pack("{s:b,s:s}", "success", 0, "code", code ? code : "error");
	if (message)
		json_object_set_new(body, "message", json_string(message));
	req_reply_json(r, status, body);
}

static void dialect_error(struct req *r, unsigned status, const char *code, const char *message)
{
	logi_error(r, status, code, message);
}

const struct dialect logistics_dialect = {"logistics", "/2015-01-01", dialect_error};

unsigned logi_status(enum apo_result rc)
{
	switch (rc) {
	case APO_OK:
		return 200;
	case APO_ERR_INVALID:
	case APO_ERR_INSUFFICIENT:
		return 400;
	case APO_ERR_NOT_FOUND:
		return 404;
	case APO_ERR_CONFLICT:
	case APO_ERR_STATE:
	case APO_ERR_BUSY:
		return 409;
	case APO_ERR_AUTH:
	case APO_ERR_FORBIDDEN:
		return 403;
	case APO_ERR_TOO_LARGE:
		return 413;
	case APO_ERR_UPSTREAM:
		return 502;
	case APO_ERR_UNAVAILABLE:
		return 503;
	case APO_ERR_INTERNAL:
		break;
	}
	return 500;
}

static void free_merchant(void *p)
{
	merchant_release(p);
	free(p);
}

static int denied(struct req *r)
{
	req_add_header(r, "WWW-Authenticate", "Basic realm=\"apotheca\"");
	logi_error(r, 403, "access_denied", NULL);
	return -1;
}

int logi_auth_or_reply(struct req *r, const struct merchant **out)
{
	const char *h = req_header(r, "Authorization");
	unsigned char decoded[LOGI_MAX_BASIC];
	if (!h || strncasecmp(h, "Basic ", 6) != 0)
		return denied(r);
	h += 6;
	while (*h == ' ')
		h++;
	size_t len = strlen(h);
	if (len == 0 || len % 4 || len / 4 * 3 >= sizeof(decoded))
		return denied(r);
	int n = EVP_DecodeBlock(decoded, (const unsigned char *)h, (int)len);
	if (n < 0)
		return denied(r);
	while (n > 0 && h[len - 1] == '=' && decoded[n - 1] == '\0') {
		n--; /* EVP_DecodeBlock counts padding as zero bytes */
		len--;
	}
	decoded[n] = '\0';
	if (memchr(decoded, '\0', (size_t)n))
		return denied(r);
	char *colon = strchr((char *)decoded, ':');
	if (!colon || strncmp((char *)decoded, "M-", 2) != 0)
		return denied(r);
	*colon = '\0';
	const char *id = (char *)decoded + 2, *secret = colon + 1;
	if (!merchant_id_valid(id))
		return denied(r);

	struct merchant *m = xmalloc(sizeof(*m));
	merchant_init(m);
	enum apo_result rc = merchant_load(r->db, id, m);
	if (rc != APO_OK && rc != APO_ERR_NOT_FOUND) {
		free_merchant(m);
		logi_error(r, logi_status(rc), "internal_error", "Database unavailable");
		return -1;
	}
	if (rc != APO_OK || !m->active || !secret_verify(secret, m->logistics_secret_hash)) {
		free_merchant(m);
		return denied(r);
	}
	r->principal = m;
	r->principal_free = free_merchant;
	*out = m;
	return idem_begin_or_reply(r, m->id);
}
