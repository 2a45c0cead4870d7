CREATE TABLE incidents (
    id                 TEXT PRIMARY KEY,
    team_id            TEXT    NOT NULL,
    number             INTEGER NOT NULL,
    title              TEXT    NOT NULL,
    vendor             TEXT    NOT NULL DEFAULT '',
    vendor_name        TEXT    NOT NULL DEFAULT '',
    severity           TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    commander          TEXT    NOT NULL DEFAULT '',
    created_by         TEXT    NOT NULL DEFAULT '',
    channel_id         TEXT    NOT NULL DEFAULT '',
    message_ts         TEXT    NOT NULL DEFAULT '',
    diagnosis          TEXT,
    summary            TEXT    NOT NULL DEFAULT '',
    declared_at        INTEGER NOT NULL,
    acknowledged_at    INTEGER,
    mitigated_at       INTEGER,
    resolved_at        INTEGER,
    next_update_at     INTEGER,
    updated_at         INTEGER NOT NULL,
    postmortem         TEXT    NOT NULL DEFAULT '',
    postmortem_file_id TEXT    NOT NULL DEFAULT '',
    postmortem_link    TEXT    NOT NULL DEFAULT '',
    version            INTEGER NOT NULL,
    UNIQUE (team_id, number)
);
CREATE INDEX incidents_message ON incidents (channel_id, message_ts);
CREATE INDEX incidents_open ON incidents (team_id, status);

CREATE TABLE entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT    NOT NULL REFERENCES incidents (id),
    kind        TEXT    NOT NULL,
    author      TEXT    NOT NULL DEFAULT '',
    text        TEXT    NOT NULL DEFAULT '',
    at          INTEGER NOT NULL,
    slack_ts    TEXT    NOT NULL DEFAULT '',
    event_id    TEXT    NOT NULL DEFAULT '',
    dedup_key   TEXT    NOT NULL DEFAULT '',
    edited      INTEGER NOT NULL DEFAULT 0,
    deleted     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX entries_incident ON entries (incident_id, at, id);
CREATE UNIQUE INDEX entries_dedup ON entries (incident_id, dedup_key) WHERE dedup_key <> '';
CREATE UNIQUE INDEX entries_event ON entries (event_id) WHERE event_id <> '';

CREATE TABLE slack_events (
    event_id TEXT PRIMARY KEY,
    seen_at  INTEGER NOT NULL
);
