-- The vendor watch (/incident watch): which channels watch which vendor,
-- and the watcher's record of each vendor: its last observed state (JSON,
-- incident.VendorState), the status document's validators, when to check
-- it next, the back-off, and the lease that lets one replica check it at a
-- time.
CREATE TABLE watches (
    team_id    text NOT NULL,
    channel_id text NOT NULL,
    vendor     text NOT NULL,
    created_by text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    PRIMARY KEY (team_id, channel_id, vendor)
);
CREATE INDEX watches_vendor ON watches (vendor);

CREATE TABLE vendor_watches (
    vendor        text PRIMARY KEY,
    state         jsonb NOT NULL DEFAULT '{}',
    etag          text NOT NULL DEFAULT '',
    last_modified text NOT NULL DEFAULT '',
    next_check_at timestamptz NOT NULL,
    errors        integer NOT NULL DEFAULT 0,
    owner         text NOT NULL DEFAULT '',
    lease_until   timestamptz,
    version       integer NOT NULL DEFAULT 0,
    checked_at    timestamptz
);
CREATE INDEX vendor_watches_due ON vendor_watches (next_check_at);
