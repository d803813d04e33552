/*
 * One result code for the whole program (like curl's CURLcode). Every layer
 * returns these; each API dialect maps them to an HTTP status in exactly one
 * place.
 */
#ifndef APO_RESULT_H
#define APO_RESULT_H

enum apo_result {
	APO_OK = 0,
	APO_ERR_INVALID,     /* the caller's input is wrong (400) */
	APO_ERR_NOT_FOUND,   /* no such thing, or not the caller's (404) */
	APO_ERR_CONFLICT,    /* a uniqueness or state rule refused it (409) */
	APO_ERR_STATE,       /* the state machine refused the move (409) */
	APO_ERR_INSUFFICIENT, /* not enough stock */
	APO_ERR_BUSY,        /* a concurrent request holds the thing; retry */
	APO_ERR_AUTH,        /* missing or bad credentials (401/403) */
	APO_ERR_FORBIDDEN,   /* authenticated but not allowed (403) */
	APO_ERR_TOO_LARGE,   /* a size limit was exceeded (413) */
	APO_ERR_UPSTREAM,    /* a merchant's system failed us (502) */
	APO_ERR_UNAVAILABLE, /* the database is unreachable (503) */
	APO_ERR_STORAGE,     /* storage cannot write: disk full, read-only, I/O error (503) */
	APO_ERR_INTERNAL,    /* a bug or an unexpected database failure (500) */
};

/* How many results there are: tables indexed by enum apo_result have this many entries. */
#define APO_RESULT_COUNT (APO_ERR_INTERNAL + 1)

/* A short stable name for logs ("not_found"). */
const char *apo_result_name(enum apo_result r);

#endif
