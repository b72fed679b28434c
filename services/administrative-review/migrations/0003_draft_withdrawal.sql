-- A draft opinion (意见书草稿) may be edited or withdrawn (撤回) before it is issued; an issued one
-- never changes. A withdrawn draft stays on record, with who withdrew it, when and why.
ALTER TABLE opinions DROP CONSTRAINT opinions_status_check;
ALTER TABLE opinions ADD CONSTRAINT opinions_status_check
    CHECK (status IN ('draft', 'approved', 'issued', 'withdrawn'));
ALTER TABLE opinions ADD COLUMN withdrawn_by TEXT;
ALTER TABLE opinions ADD COLUMN withdrawn_at TIMESTAMPTZ;
ALTER TABLE opinions ADD COLUMN withdrawal_reason TEXT;
