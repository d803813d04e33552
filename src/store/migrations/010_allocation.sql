-- Orders waiting for stock (status 20) are allocated first come, first
-- served when stock rises (service/allocate.c). waiting_since is when the
-- order last started waiting, in epoch milliseconds (the queue's order,
-- ties broken by oid); alloc_hold is 1 when an operator moved it there by
-- hand, so only a later stock rise (not the sweeper) allocates it.
ALTER TABLE orders ADD COLUMN waiting_since BIGINT;
ALTER TABLE orders ADD COLUMN alloc_hold INTEGER NOT NULL DEFAULT 0;
-- Orders already waiting queue by the time of their last move to 20.
UPDATE orders SET waiting_since = (SELECT MAX(h.at) * 1000 FROM order_history h
	WHERE h.oid = orders.oid AND h.to_status = 20) WHERE status_id = 20;
UPDATE orders SET waiting_since = status_changed * 1000
	WHERE status_id = 20 AND waiting_since IS NULL;
-- The queue, read straight off one small index.
CREATE INDEX orders_waiting ON orders (waiting_since, oid) WHERE status_id = 20;
