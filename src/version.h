/*
 * What this binary is: the release version (the VERSION file) and the git
 * commit it was built from, for `apotheca --version` and the
 * apotheca_build_info metric.
 */
#ifndef APO_VERSION_H
#define APO_VERSION_H

/* "0.1.0" */
const char *apotheca_version(void);

/* Short git commit id, "+dirty" when built from a changed tree; "unknown". */
const char *apotheca_commit(void);

#endif
