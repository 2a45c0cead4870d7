-- Work promised after an acknowledgement (incident.Job). Times in
-- microseconds since the epoch, like the other tables.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    kind        TEXT    NOT NULL,
    job_key     TEXT    NOT NULL UNIQUE,
    payload     TEXT    NOT NULL DEFAULT '{}',
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_at      INTEGER NOT NULL,
    owner       TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX jobs_runnable ON jobs (state, run_at);
