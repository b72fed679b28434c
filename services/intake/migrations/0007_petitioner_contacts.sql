-- How a petitioner wants to be told (送达联系方式): the e-mail address, sealed like the other
-- personal data (AES-256-GCM bound to table, column and row; `xinfangctl pii rotate` re-seals it),
-- its masked form for staff, and the stated preference between SMS and e-mail. One row per
-- petitioner who gave either; the row's id is the petitioner's.
CREATE TABLE petitioner_contacts (
    id                UUID PRIMARY KEY REFERENCES petitioners (id) ON DELETE CASCADE,
    petition_id       UUID NOT NULL,
    key_version       SMALLINT NOT NULL,
    email_enc         BYTEA,
    email_mask        TEXT,
    preferred_channel TEXT CHECK (preferred_channel IN ('sms', 'email'))
);
CREATE INDEX petitioner_contacts_petition ON petitioner_contacts (petition_id);
