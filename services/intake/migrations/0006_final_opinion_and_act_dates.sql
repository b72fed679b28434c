-- The final opinion a case concluded on (终结所依据的意见书), as administrative review's
-- `case.finalized.v1` carries it: {opinion_id, outcome, level, issued_on, delivered_on, issuing_unit}.
ALTER TABLE petitions ADD COLUMN final_opinion JSONB;

-- The dates of the acts of a hand-off, as entered (作出之日; the timestamps say when they were
-- entered): the receiving unit's objection, and the transferring organ's ruling on it.
ALTER TABLE hand_offs ADD COLUMN objected_on DATE;
ALTER TABLE hand_offs ADD COLUMN ruled_on DATE;
