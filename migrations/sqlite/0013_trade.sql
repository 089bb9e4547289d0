-- rentsync state database, version 13: what the lease, bill and booking-feedback syncs last did per
-- subject (docs/TRADE.md). subject: lease (content_hash of the lease.order.sync fields but its status,
-- state = the lease_status the platform holds), bill (content_hash of the bill as pushed), booking (the
-- decision sent, state = its reserve_status) and booking_view (the view row last queued, so a decision
-- given with `rentsync booking feedback` is not overwritten until the view row itself changes).
-- A scan compares the contract views with these rows: only what differs is queued again.
CREATE TABLE IF NOT EXISTS rentsync_trade_sent (
    tenant VARCHAR(64) NOT NULL,
    subject VARCHAR(16) NOT NULL,
    subject_key VARCHAR(128) NOT NULL,
    content_hash VARCHAR(64) NOT NULL,
    state VARCHAR(32),
    sent_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, subject, subject_key)
)
