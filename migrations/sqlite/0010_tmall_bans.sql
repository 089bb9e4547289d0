-- rentsync state database, version 10: Tmall flow-control bans shared by every replica, and which
-- followed lease orders came from the contract view rentsync_tmall_leases (listed = 1: dropped when the view
-- no longer lists them, unlike those added by hand with `rentsync tmall lease watch`).
-- A ban is the
-- gateway's answer to an app (app_key) calling a method too often, so every process calling with that app
-- must hold back until until_us (the state database's clock). stopped: 1 when the ban is longer than
-- the configured cap and the method is stopped rather than waited out.
CREATE TABLE IF NOT EXISTS rentsync_tmall_bans (
    app_key VARCHAR(64) NOT NULL,
    method VARCHAR(128) NOT NULL,
    until_us BIGINT NOT NULL,
    stopped BIGINT NOT NULL,
    PRIMARY KEY (app_key, method)
);
ALTER TABLE rentsync_tmall_watch ADD COLUMN listed BIGINT NOT NULL DEFAULT 0
