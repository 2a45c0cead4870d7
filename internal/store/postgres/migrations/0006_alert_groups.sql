-- Alert groups (incident.Store.OpenAlertIncident): each (workspace, source,
-- grouping key) points at the group's latest incident. The primary key is
-- what makes alerts of one group, handled at the same time, open one
-- incident (the row is locked while the incident is created); a firing
-- alert whose group's incident was resolved points the group at a new one.
CREATE TABLE alert_groups (
    team_id     text NOT NULL,
    source      text NOT NULL,
    group_key   text NOT NULL,
    incident_id uuid REFERENCES incidents (id),
    PRIMARY KEY (team_id, source, group_key)
);
