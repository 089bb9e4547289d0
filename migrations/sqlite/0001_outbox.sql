-- rentsync state database, version 1: the outbox, caches, watermarks, replicas, call log.
-- Times are BIGINT microseconds since the epoch, so the three backends agree.
CREATE TABLE IF NOT EXISTS rentsync_items (
    tenant VARCHAR(64) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    item_key VARCHAR(128) NOT NULL,
    listing TEXT NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    state VARCHAR(16) NOT NULL,
    synced_payload_hash VARCHAR(64),
    synced_state VARCHAR(16),
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_us BIGINT NOT NULL DEFAULT 0,
    lease_owner VARCHAR(128),
    lease_expires_us BIGINT,
    fencing BIGINT NOT NULL DEFAULT 0,
    last_code VARCHAR(64),
    last_error TEXT,
    warnings TEXT,
    calls BIGINT NOT NULL DEFAULT 0,
    updated_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, kind, item_key)
);
CREATE INDEX IF NOT EXISTS rentsync_items_claim ON rentsync_items (tenant, status, next_attempt_us);
CREATE TABLE IF NOT EXISTS rentsync_cache (
    tenant VARCHAR(64) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    cache_key VARCHAR(128) NOT NULL,
    value TEXT NOT NULL,
    created_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, kind, cache_key)
);
CREATE TABLE IF NOT EXISTS rentsync_watermarks (
    tenant VARCHAR(64) NOT NULL,
    view_name VARCHAR(64) NOT NULL,
    updated_at_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, view_name)
);
CREATE TABLE IF NOT EXISTS rentsync_replicas (
    owner VARCHAR(128) NOT NULL PRIMARY KEY,
    heartbeat_us BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rentsync_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant VARCHAR(64) NOT NULL,
    method VARCHAR(128) NOT NULL,
    item_key VARCHAR(128) NOT NULL,
    outcome VARCHAR(64) NOT NULL,
    latency_ms BIGINT NOT NULL,
    at_us BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS rentsync_calls_at ON rentsync_calls (at_us);
