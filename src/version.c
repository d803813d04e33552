/*
 * The build's identity (see version.h); the values come from the header
 * scripts/gen-build-info.sh writes at build time.
 */
#include "build_info.h"
#include "version.h"
#include "base/banned.h"

const char *apotheca_version(void)
{
	return APOTHECA_VERSION;
}

const char *apotheca_commit(void)
{
	return APOTHECA_COMMIT;
}
