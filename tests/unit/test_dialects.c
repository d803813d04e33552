/*
 * Unit tests for the dialects' result -> HTTP status tables: every result
 * has a status in every dialect, and the statuses the dialects differ on
 * stay as SPEC and the seeds have them.
 */
#include "api/admin.h"
#include "api/logistics.h"
#include "api/pharmacy.h"
#include "http/server.h"
#include "t.h"
#include "base/banned.h"

static void test_every_result_has_a_status(void)
{
	const struct dialect *all[] = {&pharmacy_dialect, &logistics_dialect, &admin_dialect};
	for (size_t d = 0; d < sizeof(all) / sizeof(all[0]); d++)
		for (int rc = 0; rc < APO_RESULT_COUNT; rc++) {
			unsigned s = all[d]->status[rc];
			CHECK(s >= 200 && s <= 599);
		}
}

static void test_statuses(void)
{
	/* The same everywhere. */
	CHECK_INT(pharm_status(APO_OK), 200);
	CHECK_INT(logi_status(APO_ERR_NOT_FOUND), 404);
	CHECK_INT(admin_status(APO_ERR_TOO_LARGE), 413);
	CHECK_INT(pharm_status(APO_ERR_UPSTREAM), 502);
	CHECK_INT(admin_status(APO_ERR_STORAGE), 503);
	CHECK_INT(logi_status(APO_ERR_UNAVAILABLE), 503);
	CHECK_INT(admin_status(APO_ERR_INTERNAL), 500);
	/* Pharmacy: business refusals are 400, as in the seeds. */
	CHECK_INT(pharm_status(APO_ERR_CONFLICT), 400);
	CHECK_INT(pharm_status(APO_ERR_BUSY), 400);
	CHECK_INT(pharm_status(APO_ERR_INSUFFICIENT), 400);
	CHECK_INT(pharm_status(APO_ERR_STATE), 409);
	CHECK_INT(pharm_status(APO_ERR_AUTH), 401);
	/* Logistics: conflicts are 409, and every auth failure is 403. */
	CHECK_INT(logi_status(APO_ERR_CONFLICT), 409);
	CHECK_INT(logi_status(APO_ERR_BUSY), 409);
	CHECK_INT(logi_status(APO_ERR_INSUFFICIENT), 400);
	CHECK_INT(logi_status(APO_ERR_AUTH), 403);
	/* Admin: conflicts 409, a bad token 401. */
	CHECK_INT(admin_status(APO_ERR_BUSY), 409);
	CHECK_INT(admin_status(APO_ERR_AUTH), 401);
	CHECK_INT(admin_status(APO_ERR_FORBIDDEN), 403);
	/* A dialect without a table, and a result out of range. */
	CHECK_INT(dialect_status(&plain_dialect, APO_OK), 500);
	CHECK_INT(dialect_status(&admin_dialect, (enum apo_result)APO_RESULT_COUNT), 500);
}

int main(void)
{
	test_every_result_has_a_status();
	test_statuses();
	T_DONE();
}
