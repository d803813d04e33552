/*
 * Admin: merchants (POST /merchants, GET|PATCH /merchants/{id}). Secrets
 * (the logistics secret, payment and webhook credentials) are accepted but
 * never echoed back; the logistics secret is stored only as a hash.
 */
#include <stdlib.h>
#include <string.h>

#include "api/admin.h"
#include "api/admin_merchant_json.h"
#include "api/routes.h"
#include "core/merchant.h"
#include "store/repo_merchants.h"
#include "base/banned.h"

/*
 * The merchant a PATCH changes, loaded into m: 0, or -1 after answering
 * (no such merchant, or a body that tries to change its id).
 */
static int patch_target_or_reply(struct req *r, const json_t *body, struct merchant *m)
{
	enum apo_result rc = merchant_load(r->db, req_param(r, "id"), m);
	if (rc != APO_OK) {
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such merchant" : NULL);
		return -1;
	}
	const json_t *id = json_object_get(body, "id");
	if (id && !(json_is_string(id) && strcmp(json_string_value(id), m->id) == 0)) {
		req_fail(r, 400, "invalid", "id cannot be changed");
		return -1;
	}
	return 0;
}

/*
 * Create (replace 0: answered 201) and patch (replace 1: the merchant of
 * the path, changed by the body's members, answered 200).
 */
static void merchant_write(struct req *r, int replace)
{
	json_t *body;
	struct merchant m;
	char err[160];
	if (admin_auth_or_reply(r) || req_json_object_or_reply(r, 0, &body))
		return;
	merchant_init(&m);
	if (replace && patch_target_or_reply(r, body, &m))
		goto out;
	if (merchant_from_json(&m, body, !replace, err, sizeof(err))) {
		req_fail(r, 400, "invalid", err);
		goto out;
	}
	enum apo_result rc = merchant_save(r->db, &m, replace);
	if (rc == APO_ERR_CONFLICT)
		admin_fail(r, rc,
			   replace ? "A merchant with this name exists"
				   : "A merchant with this id or name exists");
	else if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		req_reply_json(r, replace ? 200 : 201, merchant_to_json(&m));
out:
	merchant_release(&m);
}

static void merchant_create(struct req *r)
{
	merchant_write(r, 0);
}

static void merchant_get(struct req *r)
{
	struct merchant m;
	if (admin_auth_or_reply(r))
		return;
	merchant_init(&m);
	enum apo_result rc = merchant_load(r->db, req_param(r, "id"), &m);
	if (rc != APO_OK)
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such merchant" : NULL);
	else
		req_reply_json(r, 200, merchant_to_json(&m));
	merchant_release(&m);
}

static void merchant_patch(struct req *r)
{
	merchant_write(r, 1);
}

void admin_merchant_routes(struct router *rt)
{
	router_add(rt, HTTP_POST, "/admin/v1/merchants", merchant_create, "admin.merchants.create");
	router_add(rt, HTTP_GET, "/admin/v1/merchants/{id}", merchant_get, "admin.merchants.get");
	router_add(rt, HTTP_PATCH, "/admin/v1/merchants/{id}", merchant_patch,
		   "admin.merchants.patch");
}
