-- PostgreSQL checks a foreign key by locking the row it points at (FOR KEY
-- SHARE) in a query of its own, after every inserted row. On the rows every
-- order create writes, that is one extra query per row, and the locks fall
-- on rows all creates share: the merchant's, and each product's, which the
-- stock reservation is updating at the same moment (so the locks pile up
-- as multixacts). Measured on two cores: creates of 100 SKUs +19%, creates
-- on one hot SKU +54% without them (docs/BENCHMARKS.md).
--
-- They guarded against nothing the code can do: the rows they point from
-- are written in the same transaction as, or after, the rows they point to
-- (an order's lines, charges and history with the order, ledger rows with
-- the stock update of the product they name, an order for the merchant it
-- authenticated as), and no merchant, product or order is ever deleted.
-- tests/e2e/test_model.py checks after every run that nothing points
-- nowhere. The other foreign keys stay. SQLite checks in process, without
-- locks, and keeps them all.
{{postgres:
ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_merchant_id_fkey;
ALTER TABLE order_lines DROP CONSTRAINT IF EXISTS order_lines_oid_fkey;
ALTER TABLE order_lines DROP CONSTRAINT IF EXISTS order_lines_pid_fkey;
ALTER TABLE order_charges DROP CONSTRAINT IF EXISTS order_charges_oid_fkey;
ALTER TABLE order_history DROP CONSTRAINT IF EXISTS order_history_oid_fkey;
ALTER TABLE stock_ledger DROP CONSTRAINT IF EXISTS stock_ledger_pid_fkey;
}}
