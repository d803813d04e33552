/*
 * Names of the result codes, for logs.
 */
#include "base/result.h"
#include "base/banned.h"

const char *apo_result_name(enum apo_result r)
{
	switch (r) {
	case APO_OK:
		return "ok";
	case APO_ERR_INVALID:
		return "invalid";
	case APO_ERR_NOT_FOUND:
		return "not_found";
	case APO_ERR_CONFLICT:
		return "conflict";
	case APO_ERR_STATE:
		return "state";
	case APO_ERR_INSUFFICIENT:
		return "insufficient";
	case APO_ERR_BUSY:
		return "busy";
	case APO_ERR_AUTH:
		return "auth";
	case APO_ERR_FORBIDDEN:
		return "forbidden";
	case APO_ERR_TOO_LARGE:
		return "too_large";
	case APO_ERR_UPSTREAM:
		return "upstream";
	case APO_ERR_UNAVAILABLE:
		return "unavailable";
	case APO_ERR_STORAGE:
		return "storage";
	case APO_ERR_INTERNAL:
		return "internal";
	}
	return "unknown";
}
