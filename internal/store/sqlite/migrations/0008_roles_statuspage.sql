-- The roles next to the commander (comms, scribe), the impact the declare
-- form describes, and the customer status page: the draft, its message in
-- the thread, and the incident on the company's Atlassian Statuspage once
-- published (later updates change that one).
ALTER TABLE incidents ADD COLUMN comms TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN scribe TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN impact TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN statuspage_draft TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN statuspage_ts TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN statuspage_id TEXT NOT NULL DEFAULT '';
