-- An incident's follow-ups (action items): `/incident followup TEXT` and
-- thread replies starting with `action:`. One row per (incident, source),
-- so a redelivered command or event adds nothing; with FOLLOWUP_TRACKER the
-- row records the tracker's issue once it is created.
CREATE TABLE followups (
	id          uuid PRIMARY KEY,
	incident_id uuid NOT NULL REFERENCES incidents(id),
	source      text NOT NULL,
	text        text NOT NULL,
	author      text NOT NULL DEFAULT '',
	tracker     text NOT NULL DEFAULT '',
	state       text NOT NULL,
	issue_key   text NOT NULL DEFAULT '',
	issue_url   text NOT NULL DEFAULT '',
	reply_ts    text NOT NULL DEFAULT '',
	error       text NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	UNIQUE (incident_id, source)
);
