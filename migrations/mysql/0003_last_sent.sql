-- rentsync state database, version 3: the room as the platform last accepted it, and when
-- (for `rentsync explain`).
ALTER TABLE rentsync_items ADD COLUMN IF NOT EXISTS last_sent TEXT;
ALTER TABLE rentsync_items ADD COLUMN IF NOT EXISTS last_sent_us BIGINT;
