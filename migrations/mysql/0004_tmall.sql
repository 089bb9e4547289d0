-- rentsync state database, version 4: Tmall Haofang lease tracking.
-- rentsync_tmall_watch: the lease orders the poller follows, with the last state it saw (JSON of
--   tmall::history::Snapshot), so a restart diffs against what was recorded, not against nothing.
CREATE TABLE IF NOT EXISTS rentsync_tmall_watch (
    tenant VARCHAR(64) NOT NULL,
    lease_order_no VARCHAR(64) NOT NULL,
    added_us BIGINT NOT NULL,
    polled_us BIGINT,
    snapshot TEXT,
    PRIMARY KEY (tenant, lease_order_no)
);
-- One row per change seen: subject lease, close_reason, cancel, bill or settlement, and subject_key is
-- the bill or settlement number ('' for the lease). Money in fen.
CREATE TABLE IF NOT EXISTS rentsync_tmall_history (
    tenant VARCHAR(64) NOT NULL,
    lease_order_no VARCHAR(64) NOT NULL,
    at_us BIGINT NOT NULL,
    subject VARCHAR(16) NOT NULL,
    subject_key VARCHAR(64) NOT NULL,
    bill_type BIGINT,
    old_value VARCHAR(64),
    new_value VARCHAR(64) NOT NULL,
    amount_fen BIGINT,
    PRIMARY KEY (tenant, lease_order_no, at_us, subject, subject_key)
);
