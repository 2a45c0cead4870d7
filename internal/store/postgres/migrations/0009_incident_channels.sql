-- Incident channels (INCIDENT_CHANNELS=channel): the channel an incident
-- was declared in when it has a channel of its own (channel_id is then that
-- channel), the pointer line there, and whether the incident channel was
-- archived after the resolve. Empty and false in thread mode.
ALTER TABLE incidents ADD COLUMN declared_in text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN pointer_ts text NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN channel_archived boolean NOT NULL DEFAULT false;
CREATE INDEX incidents_declared_in ON incidents (declared_in) WHERE declared_in <> '';

-- Who opened the app's Home recently: their Home is published again when
-- an incident of their workspace changes.
CREATE TABLE home_viewers (
    team_id    text NOT NULL,
    user_id    text NOT NULL,
    channel_id text NOT NULL DEFAULT '',
    seen_at    timestamptz NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
