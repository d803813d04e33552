/*
 * Idempotency keys at the HTTP edge (see idempotency.h). The claim is a
 * committed row before the handler runs; the answer is stored by the
 * request's finish hook just before it is sent.
 */
#include <stdlib.h>
#include <string.h>

#include "api/idempotency.h"
#include "app.h"
#include "http/req.h"
#include "store/repo_idem.h"
#include "store/store.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "base/banned.h"

struct idem_state {
	char *scope, *method, *route, *key;
};

static void state_free(void *p)
{
	struct idem_state *s = p;
	free(s->scope);
	free(s->method);
	free(s->route);
	free(s->key);
	free(s);
}

static void key_of(const struct idem_state *s, struct idem_key *k)
{
	k->merchant_id = s->scope;
	k->method = s->method;
	k->route = s->route;
	k->key = s->key;
}

static void request_hash(struct req *r, char out[SHA256_HEX_LEN + 1])
{
	/* NUL-terminated method and path keep the parts from running together. */
	const void *parts[] = {r->method_name, r->path, r->body.data};
	size_t lens[] = {strlen(r->method_name) + 1, strlen(r->path) + 1, r->body.len};
	sha256_hex_parts(parts, lens, 3, out);
}

/* Runs just before the answer goes out: keep a success, release otherwise. */
static void finish(struct req *r)
{
	struct idem_state *s = r->idem;
	struct idem_key k;
	enum apo_result rc;
	if (!s || !r->db)
		return;
	key_of(s, &k);
	if (r->status >= 200 && r->status < 300)
		rc = idem_store(r->db, &k, (int)r->status, r->out.data);
	else
		rc = idem_forget(r->db, &k);
	if (rc != APO_OK)
		log_line(LOG_WARN, r->request_id, "idempotency key not settled",
			 "\"result\":\"%s\"", apo_result_name(rc));
}

static int key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > IDEM_MAX_KEY)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)k[i] < 0x21 || (unsigned char)k[i] > 0x7e)
			return 0;
	return 1;
}

int idem_begin_or_reply(struct req *r, const char *scope)
{
	const char *key = req_header(r, "Idempotency-Key");
	struct idem_found found;
	struct idem_key k;
	char hash[SHA256_HEX_LEN + 1];
	enum apo_result rc;

	if (!key || !(r->method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE)) || !r->match.route)
		return 0;
	if (!key_ok(key)) {
		req_fail(r, 400, "invalid_idempotency_key",
			 "Idempotency-Key must be 1-255 printable characters");
		return -1;
	}
	struct idem_state *s = xmalloc(sizeof(*s));
	s->scope = xstrdup(scope);
	s->method = xstrdup(r->method_name);
	s->route = xstrdup(r->match.route->pattern);
	s->key = xstrdup(key);
	key_of(s, &k);
	request_hash(r, hash);
	rc = idem_claim(r->db, &k, hash, now_epoch(), IDEM_STALE_S, &found);
	if (rc == APO_OK) {
		r->idem = s;
		r->idem_free = state_free;
		r->finish = finish;
		return 0;
	}
	state_free(s);
	if (rc == APO_ERR_CONFLICT && found.done && found.same_request) {
		req_add_header(r, "Idempotent-Replayed", "true");
		req_reply(r, (unsigned)found.status, "application/json", found.body ? found.body : "",
			  found.body ? strlen(found.body) : 0);
	} else if (rc == APO_ERR_CONFLICT && !found.same_request) {
		req_fail(r, 422, "idempotency_key_reused",
			 "Idempotency-Key was already used with a different request");
	} else if (rc == APO_ERR_CONFLICT || rc == APO_ERR_BUSY) {
		req_add_header(r, "Retry-After", "1");
		req_fail(r, 409, "idempotency_key_in_flight",
			 "A request with this Idempotency-Key is still in progress");
	} else {
		req_add_header(r, "Retry-After", "1");
		req_fail(r, 503, "unavailable", "Database unavailable");
	}
	free(found.body);
	return -1;
}

void idem_purge_task(struct app *app, struct store_conn *c)
{
	(void)app;
	idem_purge(c, now_epoch() - IDEM_RETAIN_S);
}
