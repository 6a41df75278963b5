-- The expert account behind an expert participant: a restarted host knows who is in a live
-- session beside the expert in charge (an expert brought in), and keeps them busy there.
ALTER TABLE participants ADD COLUMN expert_id TEXT;
