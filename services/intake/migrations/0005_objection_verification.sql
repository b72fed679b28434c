-- Art 23 ¶3: a receiving unit's objection is verified by the transferring organ (核实同意), and only
-- on agreement does the material return. 'objected' now means "awaiting verification".
ALTER TABLE hand_offs DROP CONSTRAINT hand_offs_status_check;
ALTER TABLE hand_offs ADD CONSTRAINT hand_offs_status_check
    CHECK (status IN ('pending', 'accepted', 'objected', 'objection_agreed', 'objection_rejected'));
-- The organ that made the hand-off (转送、交办机关); NULL for a case transferred in from outside
-- the system and registered by the receiving unit itself (上级转送、交办件).
ALTER TABLE hand_offs ADD COLUMN from_unit TEXT;
ALTER TABLE hand_offs ADD COLUMN ruled_by TEXT;
ALTER TABLE hand_offs ADD COLUMN ruled_at TIMESTAMPTZ;
ALTER TABLE hand_offs ADD COLUMN ruling_reason TEXT;
CREATE UNIQUE INDEX hand_offs_one_objection ON hand_offs (petition_id) WHERE status = 'objected';
