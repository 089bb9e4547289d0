-- rentsync state database, version 6: tasks, the outbox of everything that leaves besides rooms
-- (deliveries of platform callbacks to the operator, lease and bill syncs, booking feedback, KA calls).
-- Same life as an item: pending, leased (owner, expiry, fencing token), done, retry at next_attempt_us,
-- failed (refused, or out of attempts: dead, shown by status), invalid (breaks a rule, never sent).
-- payload: the JSON the handler works from. content_hash: of the payload, so a newer payload queued while
-- the task is leased is worked again instead of being marked done. note: the handler's own memory across
-- attempts (e.g. the trade_id a retried bill call reuses).
CREATE TABLE IF NOT EXISTS rentsync_tasks (
    tenant VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    task_key VARCHAR(128) NOT NULL,
    payload TEXT NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_us BIGINT NOT NULL DEFAULT 0,
    lease_owner VARCHAR(128),
    lease_expires_us BIGINT,
    fencing BIGINT NOT NULL DEFAULT 0,
    note TEXT,
    last_code VARCHAR(64),
    last_error TEXT,
    created_us BIGINT NOT NULL,
    updated_us BIGINT NOT NULL,
    done_us BIGINT,
    PRIMARY KEY (tenant, kind, task_key)
);
CREATE INDEX IF NOT EXISTS rentsync_tasks_claim ON rentsync_tasks (tenant, kind, status, next_attempt_us)
