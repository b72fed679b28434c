-- What the bureau found (发现的问题) that led to a recommendation (三项建议, 第四十条): it opens the
-- 三项建议书 the unit receives. Recommendations made before this column default to the finding
-- article 40 names for their kind (see `RecommendationKind::default_findings`).
ALTER TABLE recommendations ADD COLUMN findings TEXT NOT NULL DEFAULT '';
