-- The matter's category (信访事项类别, 《信访工作条例》第二十九条) as registration or acceptance
-- states it: only 申诉求决类 (`claim`) matters are referred to mediation.
ALTER TABLE cases ADD COLUMN category TEXT;

-- A body's live mediations (for its deactivation).
CREATE INDEX mediations_live_body ON mediations (body_id)
    WHERE status IN ('awaiting_consent', 'consented', 'in_session');
