-- How a merchant's receiver takes logistics webhook events: 0 = one
-- envelope object per request (the logistics API's default, what shop
-- plugins decode), 1 = a JSON array of up to 100 envelopes per request.
-- New merchants start at 0. Merchants that already receive logistics
-- events (a logistics secret and a webhook URL) were being sent arrays,
-- so they keep arrays: an upgrade must not change what a working receiver
-- gets. An operator turns it off for receivers that want single events.
ALTER TABLE merchants ADD COLUMN webhook_batch INTEGER NOT NULL DEFAULT 0;
UPDATE merchants SET webhook_batch = 1
 WHERE logistics_secret_hash IS NOT NULL AND webhook_url IS NOT NULL AND webhook_url <> '';
