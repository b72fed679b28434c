-- The matter's category (信访事项类别, 《信访工作条例》第二十九条) as registration or acceptance
-- states it: only 申诉求决类 (`claim`) matters are referred to mediation.
ALTER TABLE cases ADD COLUMN category TEXT;

-- A body's live mediations (for its deactivation).
CREATE INDEX mediations_live_body ON mediations (body_id)
    WHERE status IN ('awaiting_consent', 'consented', 'in_session');

-- 推荐调解员: the reach of every active mediator of an active body, kept by triggers, so that the
-- suggestion reads a few entries of one btree in ranking order instead of scanning the mediators
-- (or past mediations). One row per (field, township) the mediator covers, per field alone
-- (township '') and per township alone (field ''), carrying what the ranking sorts on and shows:
-- the load, the record in the row's field (kept from `mediator_field_record`), the mediator's
-- fields and townships (to tell the groups apart without a join), and the body.
CREATE TABLE mediator_reach (
    mediator_id     UUID NOT NULL REFERENCES mediators (id) ON DELETE CASCADE,
    field           TEXT NOT NULL,
    township        TEXT NOT NULL,
    open_mediations INTEGER NOT NULL,
    ended           INTEGER NOT NULL DEFAULT 0,
    agreed          INTEGER NOT NULL DEFAULT 0,
    -- (agreed + 1) / (ended + 2): the record with a prior, as the ranking compares it
    rate            FLOAT8 NOT NULL DEFAULT 0.5,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    employer_unit   TEXT,
    fields          TEXT[] NOT NULL,
    townships       TEXT[] NOT NULL,
    body_id         UUID NOT NULL,
    body_name       TEXT NOT NULL,
    PRIMARY KEY (mediator_id, field, township)
);
CREATE INDEX mediator_reach_rank
    ON mediator_reach (field, township, open_mediations, rate DESC, name, mediator_id);

CREATE FUNCTION mediator_reach_refresh(mid UUID) RETURNS void LANGUAGE sql AS $$
    DELETE FROM mediator_reach WHERE mediator_id = mid;
    INSERT INTO mediator_reach (mediator_id, field, township, open_mediations, ended, agreed, rate, name,
                                kind, employer_unit, fields, townships, body_id, body_name)
    SELECT DISTINCT ON (f.f, t.t) m.id, f.f, t.t, m.open_mediations, coalesce(r.ended, 0), coalesce(r.agreed, 0),
           (coalesce(r.agreed, 0) + 1)::float8 / (coalesce(r.ended, 0) + 2), m.name, m.kind, m.employer_unit,
           m.fields, m.townships, b.id, b.name
    FROM mediators m
    JOIN bodies b ON b.id = m.body_id AND b.active
    CROSS JOIN LATERAL (SELECT unnest(m.fields) UNION ALL SELECT '') AS f (f)
    CROSS JOIN LATERAL (SELECT unnest(m.townships) UNION ALL SELECT '') AS t (t)
    LEFT JOIN mediator_field_record r ON r.mediator_id = m.id AND r.field = f.f
    WHERE m.id = mid AND m.active AND NOT (f.f = '' AND t.t = '');
$$;

CREATE FUNCTION mediators_reach_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.fields = OLD.fields AND NEW.townships = OLD.townships
       AND NEW.active = OLD.active AND NEW.body_id = OLD.body_id AND NEW.name = OLD.name
       AND NEW.kind = OLD.kind AND NEW.employer_unit IS NOT DISTINCT FROM OLD.employer_unit THEN
        -- Only the load changed (an assignment or an ending): one statement.
        IF NEW.open_mediations <> OLD.open_mediations THEN
            UPDATE mediator_reach SET open_mediations = NEW.open_mediations WHERE mediator_id = NEW.id;
        END IF;
        RETURN NULL;
    END IF;
    PERFORM mediator_reach_refresh(NEW.id);
    RETURN NULL;
END;
$$;
CREATE TRIGGER mediators_reach AFTER INSERT OR UPDATE ON mediators
    FOR EACH ROW EXECUTE FUNCTION mediators_reach_trigger();

CREATE FUNCTION bodies_reach_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.active IS DISTINCT FROM OLD.active OR NEW.name IS DISTINCT FROM OLD.name THEN
        PERFORM mediator_reach_refresh(m.id) FROM mediators m WHERE m.body_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER bodies_reach AFTER UPDATE ON bodies
    FOR EACH ROW EXECUTE FUNCTION bodies_reach_trigger();

CREATE FUNCTION records_reach_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE mediator_reach
    SET ended = NEW.ended, agreed = NEW.agreed, rate = (NEW.agreed + 1)::float8 / (NEW.ended + 2)
    WHERE mediator_id = NEW.mediator_id AND field = NEW.field;
    RETURN NULL;
END;
$$;
CREATE TRIGGER records_reach AFTER INSERT OR UPDATE ON mediator_field_record
    FOR EACH ROW EXECUTE FUNCTION records_reach_trigger();

-- Mediators of one body (its deactivation or renaming).
CREATE INDEX mediators_body ON mediators (body_id);

-- The mediators of before this migration.
SELECT count(*) FROM (SELECT mediator_reach_refresh(id) FROM mediators) AS refreshed;
