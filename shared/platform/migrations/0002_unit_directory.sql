-- The service's copy of the units directory (单位目录副本), kept from `console.unit.changed.v1`.
-- A row is replaced only by a newer version of the same unit; `applied_seq` tells replicas that
-- reload their in-memory copy whether anything changed since they last read it.
CREATE SEQUENCE unit_directory_applied_seq;

CREATE TABLE unit_directory (
    code            TEXT PRIMARY KEY,
    division_code   TEXT NOT NULL,
    name            TEXT NOT NULL,
    short_name      TEXT NOT NULL,
    kind            TEXT NOT NULL,
    level           TEXT NOT NULL,
    parent_code     TEXT,
    supervisor_code TEXT,
    township_code   TEXT,
    active          BOOLEAN NOT NULL,
    version         BIGINT NOT NULL,
    applied_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_seq     BIGINT NOT NULL DEFAULT nextval('unit_directory_applied_seq')
);
