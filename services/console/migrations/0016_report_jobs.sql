-- Report jobs of the oversight pages (报告生成任务): the annual report or a monthly 通报 generated in
-- the background and read through a progress page. In the database, not in one process's memory,
-- so that any console replica behind the load balancer answers the progress page and the download.
CREATE TABLE report_jobs (
    id          UUID PRIMARY KEY,
    owner       UUID NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('annual', 'monthly')),
    period      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- running | done | failed
    state       TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    step        INTEGER NOT NULL DEFAULT 0,
    markdown    TEXT,
    html        TEXT,
    error       TEXT
);
CREATE INDEX report_jobs_started ON report_jobs (started_at);
