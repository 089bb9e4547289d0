-- rentsync state database, version 5: claims read each kind on its own (one platform method
-- and rate limit each), so the claim index leads with the kind.
CREATE INDEX IF NOT EXISTS rentsync_items_claim_kind ON rentsync_items (tenant, kind, status, next_attempt_us)
