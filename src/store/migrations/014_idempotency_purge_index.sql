-- The sweeper forgets stored answers older than two days, every second in
-- every process: DELETE FROM idempotency_keys WHERE state = 'done' AND
-- created < ?. Without an index on created that read every key on record
-- each time, on SQLite while holding the one writer every write waits
-- for. With it, the purge reads the expired keys only. Not partial on
-- state: storing an answer (state 'done') then changes no indexed column,
-- so PostgreSQL keeps that UPDATE on the row's page (HOT).
CREATE INDEX idempotency_keys_created ON idempotency_keys (created);
