-- Alert groups (incident.Store.OpenAlertIncident): each (workspace, source,
-- grouping key) points at the group's latest incident. The primary key is
-- what makes alerts of one group, handled at the same time, open one
-- incident; a firing alert whose group's incident was resolved points the
-- group at a new one.
CREATE TABLE alert_groups (
    team_id     TEXT NOT NULL,
    source      TEXT NOT NULL,
    group_key   TEXT NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    PRIMARY KEY (team_id, source, group_key)
);
