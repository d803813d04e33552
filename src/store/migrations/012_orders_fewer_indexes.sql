-- Every order insert writes one entry per index of orders, and every move
-- one per index holding status_id. Two of them only repeat a longer one:
-- orders_merchant_status (merchant_id, status_id, oid) and orders_status
-- (status_id, oid) are prefixes of orders_merchant_status_created and
-- orders_status_created (007) but for `created`, which no query needs
-- between them: the order lists filter with parameters that no index can
-- serve and page by oid off the primary key, the status counts of
-- /metrics read orders_status_created whole just as well.
DROP INDEX orders_merchant_status;
DROP INDEX orders_status;
