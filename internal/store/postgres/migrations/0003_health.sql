-- One row that Ping rewrites: the readiness check proves the store can
-- write, not only answer a read.
CREATE TABLE health (
    id         integer     PRIMARY KEY CHECK (id = 1),
    checked_at timestamptz NOT NULL
);
