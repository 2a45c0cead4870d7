-- The schema of the Postgres store: the same tables as the SQLite store, in
-- Postgres types (uuid ids, timestamptz times, jsonb diagnosis).

CREATE TABLE incidents (
    id                 uuid        PRIMARY KEY,
    team_id            text        NOT NULL,
    number             integer     NOT NULL,
    title              text        NOT NULL,
    vendor             text        NOT NULL DEFAULT '',
    vendor_name        text        NOT NULL DEFAULT '',
    severity           text        NOT NULL,
    status             text        NOT NULL,
    commander          text        NOT NULL DEFAULT '',
    created_by         text        NOT NULL DEFAULT '',
    channel_id         text        NOT NULL DEFAULT '',
    message_ts         text        NOT NULL DEFAULT '',
    diagnosis          jsonb,
    summary            text        NOT NULL DEFAULT '',
    declared_at        timestamptz NOT NULL,
    acknowledged_at    timestamptz,
    mitigated_at       timestamptz,
    resolved_at        timestamptz,
    next_update_at     timestamptz,
    updated_at         timestamptz NOT NULL,
    postmortem         text        NOT NULL DEFAULT '',
    postmortem_file_id text        NOT NULL DEFAULT '',
    postmortem_link    text        NOT NULL DEFAULT '',
    version            integer     NOT NULL,
    UNIQUE (team_id, number)
);
CREATE INDEX incidents_message ON incidents (channel_id, message_ts);
CREATE INDEX incidents_open ON incidents (team_id, status);

-- The last incident number given in each workspace. CreateIncident bumps it
-- in the transaction that inserts the incident, so the row lock hands out
-- numbers one at a time across every process sharing the database.
CREATE TABLE incident_numbers (
    team_id text    PRIMARY KEY,
    last    integer NOT NULL
);

CREATE TABLE entries (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id uuid        NOT NULL REFERENCES incidents (id),
    kind        text        NOT NULL,
    author      text        NOT NULL DEFAULT '',
    text        text        NOT NULL DEFAULT '',
    at          timestamptz NOT NULL,
    slack_ts    text        NOT NULL DEFAULT '',
    event_id    text        NOT NULL DEFAULT '',
    dedup_key   text        NOT NULL DEFAULT '',
    edited      boolean     NOT NULL DEFAULT false,
    deleted     boolean     NOT NULL DEFAULT false
);
CREATE INDEX entries_incident ON entries (incident_id, at, id);
CREATE UNIQUE INDEX entries_dedup ON entries (incident_id, dedup_key) WHERE dedup_key <> '';
CREATE UNIQUE INDEX entries_event ON entries (event_id) WHERE event_id <> '';

CREATE TABLE slack_events (
    event_id text        PRIMARY KEY,
    seen_at  timestamptz NOT NULL
);
