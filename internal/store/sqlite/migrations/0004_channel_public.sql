-- Whether an incident's channel is public (incident.Public): `list all`
-- shows the incidents of public channels everywhere, those of private
-- channels only in their own. Incidents stored before this was known count
-- as private: nothing of them shows outside their channel.
ALTER TABLE incidents ADD COLUMN channel_public INTEGER NOT NULL DEFAULT 0;
