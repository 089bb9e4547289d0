-- rentsync state database, version 2: the item lifecycle. SQLite has no ADD COLUMN IF NOT EXISTS:
-- the runner skips a "duplicate column" error, so a rerun after a crash half-way still completes.
-- invalid_reason: the rule breaks of the queued listing, kept while the row is leased, so a break that
--   arrives mid-call is never dropped by the worker's finish.
-- source_version: the source row updated_at_us. A feed write only lands on an equal or older version,
--   so a slow full scan on one replica never overwrites a newer row queued by another's poll.
ALTER TABLE rentsync_items ADD COLUMN invalid_reason TEXT;
ALTER TABLE rentsync_items ADD COLUMN source_version BIGINT NOT NULL DEFAULT 0;
-- Delists held by the mass-delist guard, per tenant and view, until confirmed or the rows come back.
CREATE TABLE IF NOT EXISTS rentsync_delist_holds (
    tenant VARCHAR(64) NOT NULL,
    view_name VARCHAR(64) NOT NULL,
    gone BIGINT NOT NULL,
    live BIGINT NOT NULL,
    since_us BIGINT NOT NULL,
    confirmed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant, view_name)
);
