-- One row that Ping rewrites: the readiness check proves the store can
-- write, not only answer a read.
CREATE TABLE health (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
);
