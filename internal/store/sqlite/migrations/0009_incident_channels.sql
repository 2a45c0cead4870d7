-- Incident channels (INCIDENT_CHANNELS=channel): the channel an incident
-- was declared in when it has a channel of its own (channel_id is then that
-- channel), the pointer line there, and whether the incident channel was
-- archived after the resolve. Empty and 0 in thread mode.
ALTER TABLE incidents ADD COLUMN declared_in TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN pointer_ts TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN channel_archived INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incidents_declared_in ON incidents (declared_in) WHERE declared_in <> '';

-- Who opened the app's Home recently: their Home is published again when
-- an incident of their workspace changes.
CREATE TABLE home_viewers (
    team_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    channel_id TEXT NOT NULL DEFAULT '',
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
