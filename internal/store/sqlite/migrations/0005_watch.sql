-- The vendor watch (/incident watch): which channels watch which vendor,
-- and the watcher's record of each vendor: its last observed state (JSON,
-- incident.VendorState), the status document's validators, when to check
-- it next, the back-off, and the lease that lets one replica check it at a
-- time. Times are Unix microseconds; 0 is none.
CREATE TABLE watches (
    team_id    TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    vendor     TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (team_id, channel_id, vendor)
);
CREATE INDEX watches_vendor ON watches (vendor);

CREATE TABLE vendor_watches (
    vendor        TEXT PRIMARY KEY,
    state         TEXT NOT NULL DEFAULT '{}',
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    next_check_at INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    owner         TEXT NOT NULL DEFAULT '',
    lease_until   INTEGER NOT NULL DEFAULT 0,
    version       INTEGER NOT NULL DEFAULT 0,
    checked_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX vendor_watches_due ON vendor_watches (next_check_at);
