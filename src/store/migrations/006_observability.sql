-- The X-Request-ID of the request that queued an outbox row, sent along
-- when the row is delivered (refunds, webhooks), so a merchant's logs and
-- ours can be joined on it. NULL for rows queued by background work.
ALTER TABLE outbox ADD COLUMN request_id TEXT;

-- GET /metrics counts flagged orders on every scrape: only they are indexed.
CREATE INDEX orders_flagged ON orders (oid) WHERE flagged IS NOT NULL;
