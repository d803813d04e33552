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

static void merchant_create(struct req *r)
{
	json_t *body;
	struct merchant m;
	char err[160];
	if (admin_auth_or_reply(r) || req_json_object_or_reply(r, 0, &body))
		return;
	merchant_init(&m);
	if (merchant_from_json(&m, body, 1, err, sizeof(err))) {
		merchant_release(&m);
		req_fail(r, 400, "invalid", err);
		return;
	}
	enum apo_result rc = merchant_save(r->db, &m, 0);
	if (rc == APO_ERR_CONFLICT)
		admin_fail(r, rc, "A merchant with this id or name exists");
	else if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		req_reply_json(r, 201, merchant_to_json(&m));
	merchant_release(&m);
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
	json_t *body;
	struct merchant m;
	char err[160];
	if (admin_auth_or_reply(r) || req_json_object_or_reply(r, 0, &body))
		return;
	merchant_init(&m);
	enum apo_result rc = merchant_load(r->db, req_param(r, "id"), &m);
	if (rc != APO_OK) {
		admin_fail(r, rc, rc == APO_ERR_NOT_FOUND ? "No such merchant" : NULL);
		goto out;
	}
	const json_t *id = json_object_get(body, "id");
	if (id && !(json_is_string(id) && strcmp(json_string_value(id), m.id) == 0)) {
		req_fail(r, 400, "invalid", "id cannot be changed");
		goto out;
	}
	if (merchant_from_json(&m, body, 0, err, sizeof(err))) {
		req_fail(r, 400, "invalid", err);
		goto out;
	}
	rc = merchant_save(r->db, &m, 1);
	if (rc == APO_ERR_CONFLICT)
		admin_fail(r, rc, "A merchant with this name exists");
	else if (rc != APO_OK)
		admin_fail(r, rc, NULL);
	else
		req_reply_json(r, 200, merchant_to_json(&m));
out:
	merchant_release(&m);
}

void admin_merchant_routes(struct router *rt)
{
	router_add(rt, HTTP_POST, "/admin/v1/merchants", merchant_create, "admin.merchants.create");
	router_add(rt, HTTP_GET, "/admin/v1/merchants/{id}", merchant_get, "admin.merchants.get");
	router_add(rt, HTTP_PATCH, "/admin/v1/merchants/{id}", merchant_patch,
		   "admin.merchants.patch");
}
