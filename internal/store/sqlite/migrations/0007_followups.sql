-- An incident's follow-ups (action items): `/incident followup TEXT` and
-- thread replies starting with `action:`. One row per (incident, source),
-- so a redelivered command or event adds nothing; with FOLLOWUP_TRACKER the
-- row records the tracker's issue once it is created.
CREATE TABLE followups (
	id          TEXT PRIMARY KEY,
	incident_id TEXT NOT NULL REFERENCES incidents(id),
	source      TEXT NOT NULL,
	text        TEXT NOT NULL,
	author      TEXT NOT NULL DEFAULT '',
	tracker     TEXT NOT NULL DEFAULT '',
	state       TEXT NOT NULL,
	issue_key   TEXT NOT NULL DEFAULT '',
	issue_url   TEXT NOT NULL DEFAULT '',
	reply_ts    TEXT NOT NULL DEFAULT '',
	error       TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (incident_id, source)
);
