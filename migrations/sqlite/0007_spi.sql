-- rentsync state database, version 7: the operator (KA) account and the platform's SPI callbacks.
-- rentsync_ka: one row per tenant, the ka_code ka.baseinfo.sync returned, the name it was synced with,
-- and the SPI addresses registered with ka.service.create (JSON, type to URL), so a rerun that changes
-- nothing makes no call.
-- rentsync_spi_callbacks: every accepted callback, stored once. event_id is the hash of the parameters
-- that identify the event (the dedupe key), so a callback the platform repeats finds its row.
-- params: the form parameters as JSON, without sign and without the phone number. phone_enc: the
-- decrypted phone, encrypted again at rest with the data key (AES-256-GCM, base64 of nonce and ciphertext).
-- queued: 1 once its delivery task exists. A start sweeps the rows still at 0 (the process died between
-- the two writes) into tasks.
CREATE TABLE IF NOT EXISTS rentsync_ka (
    tenant VARCHAR(64) NOT NULL PRIMARY KEY,
    ka_code VARCHAR(64) NOT NULL,
    ka_name TEXT NOT NULL,
    services TEXT,
    updated_us BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS rentsync_spi_callbacks (
    tenant VARCHAR(64) NOT NULL,
    event_id VARCHAR(64) NOT NULL,
    callback_type VARCHAR(32) NOT NULL,
    params TEXT NOT NULL,
    phone_enc TEXT,
    queued BIGINT NOT NULL DEFAULT 0,
    received_us BIGINT NOT NULL,
    PRIMARY KEY (tenant, event_id)
);
CREATE INDEX IF NOT EXISTS rentsync_spi_callbacks_queued ON rentsync_spi_callbacks (queued, tenant)
