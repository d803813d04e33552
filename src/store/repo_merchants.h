/*
 * Merchants in storage: load by id or name, insert, update, and the charge
 * rules that belong to a merchant. Every function takes the calling
 * thread's connection and runs in its own transaction unless noted.
 */
#ifndef APO_REPO_MERCHANTS_H
#define APO_REPO_MERCHANTS_H

#include "base/result.h"
#include "core/merchant.h"

struct store_conn;

/* Loads merchant id (with charges) into m (merchant_init'ed by caller).
 * APO_ERR_NOT_FOUND when there is none. Inactive merchants load too. */
enum apo_result merchant_load(struct store_conn *c, const char *id, struct merchant *m);

/* Same, by unique name (the track endpoint's path names merchants so). */
enum apo_result merchant_load_by_name(struct store_conn *c, const char *name, struct merchant *m);

/*
 * Inserts m, or with replace != 0 overwrites the existing row and its
 * charges. APO_ERR_CONFLICT when inserting an id or name that exists.
 */
enum apo_result merchant_save(struct store_conn *c, const struct merchant *m, int replace);

#endif
