-- The outbox workers pick work merchant by merchant (repo_outbox.c): which
-- merchants have pending rows, whether one of them has a row leased right
-- now, and a merchant's due rows oldest first. Each is a seek on one of
-- these two small indexes (pending rows only), however many rows a
-- backlog holds; before, telling that a busy merchant's row could not be
-- claimed read every due row of the table.
CREATE INDEX outbox_merchant_due ON outbox (merchant_id, next_at, id) WHERE state = 'pending';
CREATE INDEX outbox_merchant_lease ON outbox (merchant_id, lease_until) WHERE state = 'pending';
