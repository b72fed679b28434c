-- Administrative review's ladder in the statistics (行政三级办理统计): one row per fact (an opinion
-- issued or delivered, a review or re-review requested or refused as late, a case final), from
-- administrative review's events, counted by period, level and outcome.
CREATE TABLE review_ladder_facts (
    event_id   UUID PRIMARY KEY,
    case_id    UUID NOT NULL,
    unit_code  TEXT NOT NULL,
    -- opinion_issued | opinion_delivered | requested | refused | finalized
    fact       TEXT NOT NULL,
    -- handling | review | re_review
    level      TEXT NOT NULL,
    outcome    TEXT,
    on_date    DATE NOT NULL
);
CREATE INDEX review_ladder_facts_date ON review_ladder_facts (on_date);
CREATE INDEX review_ladder_facts_unit ON review_ladder_facts (unit_code, on_date);
