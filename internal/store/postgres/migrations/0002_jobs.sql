-- Work promised after an acknowledgement (incident.Job).
CREATE TABLE jobs (
    id          uuid        PRIMARY KEY,
    kind        text        NOT NULL,
    job_key     text        NOT NULL UNIQUE,
    payload     text        NOT NULL DEFAULT '{}',
    state       text        NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0,
    run_at      timestamptz NOT NULL,
    owner       text        NOT NULL DEFAULT '',
    lease_until timestamptz,
    last_error  text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE INDEX jobs_runnable ON jobs (state, run_at);
