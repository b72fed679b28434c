-- Mediation's read model (调解统计): one row per mediation and per registered dispute, kept from
-- mediation's events, for the figures by body, mediator, field and township and the warning when
-- a mediation is about to outlast the handling period.

CREATE TABLE mediation_facts (
    mediation_id UUID PRIMARY KEY,
    petition_id  UUID,
    dispute_id   UUID,
    stage        TEXT NOT NULL,
    body_id      UUID NOT NULL,
    body_unit    TEXT NOT NULL,
    mediator_id  UUID,
    field        TEXT NOT NULL,
    township     TEXT NOT NULL,
    referred_on  DATE NOT NULL,
    agreed_on    DATE,
    ended_on     DATE,
    outcome      TEXT,
    -- NULL until an agreement; then pending | performed | not_performed
    performance  TEXT
);
CREATE INDEX mediation_facts_referred ON mediation_facts (referred_on);
CREATE INDEX mediation_facts_live ON mediation_facts (petition_id) WHERE ended_on IS NULL;

CREATE TABLE mediation_disputes (
    dispute_id    UUID PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    township      TEXT NOT NULL,
    field         TEXT NOT NULL,
    registered_on DATE NOT NULL,
    resolved_on   DATE
);
CREATE INDEX mediation_disputes_registered ON mediation_disputes (registered_on);
