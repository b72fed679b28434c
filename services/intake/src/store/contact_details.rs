//! The petitioners' e-mail addresses and stated delivery preference (送达联系方式), in their own
//! table beside `petitioners`: the address sealed with the same vault and additional data bound to
//! this table, column and row, masked for staff, written in the registration's transaction.

use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_platform::pii::{Aad, PiiError, PiiVault};

use crate::domain::{contact::mask_email, petition::NewPetitioner};

/// The table's name, as the additional data of its sealed values says it.
pub const TABLE: &str = "petitioner_contacts";

/// One petitioner's contact details, sealed, ready to insert.
#[derive(Clone)]
pub struct SealedContactDetail {
    pub id: Uuid,
    pub email_enc: Option<Vec<u8>>,
    pub email_mask: Option<String>,
    pub preferred_channel: Option<&'static str>,
}

impl SealedContactDetail {
    /// Seal what `person` gave (row `id` is the petitioner's row); `None` when they gave neither an
    /// address nor a preference.
    pub fn seal(
        vault: &PiiVault,
        id: Uuid,
        person: &NewPetitioner,
    ) -> Result<Option<SealedContactDetail>, PiiError> {
        if person.email.is_none() && person.preferred_channel.is_none() {
            return Ok(None);
        }
        let email = person.email.as_ref().map(|e| e.pii());
        let email_enc = email
            .map(|v| {
                vault.seal(
                    v,
                    Aad {
                        table: TABLE,
                        column: "email",
                        row_id: id,
                    },
                )
            })
            .transpose()?
            .map(|s| s.bytes);
        Ok(Some(SealedContactDetail {
            id,
            email_enc,
            email_mask: email.map(|v| mask_email(v.expose())),
            preferred_channel: person.preferred_channel.map(|p| p.as_str()),
        }))
    }
}

/// A stored row.
#[derive(Debug, sqlx::FromRow)]
pub struct ContactDetailRecord {
    pub id: Uuid,
    pub petition_id: Uuid,
    pub key_version: i16,
    pub email_enc: Option<Vec<u8>>,
    pub email_mask: Option<String>,
    pub preferred_channel: Option<String>,
}

impl ContactDetailRecord {
    /// The address in clear (for delivery, or a viewer with the right).
    pub fn open_email(&self, vault: &PiiVault) -> Result<Option<String>, PiiError> {
        self.email_enc
            .as_deref()
            .map(|bytes| {
                vault
                    .open(
                        self.key_version,
                        bytes,
                        Aad {
                            table: TABLE,
                            column: "email",
                            row_id: self.id,
                        },
                    )
                    .map(|plain| plain.expose().to_string())
            })
            .transpose()
    }
}

/// Insert the contact details of the registrations being written, by petition id (one statement).
pub async fn insert(
    conn: &mut PgConnection,
    key_version: i16,
    items: &[(Uuid, &[SealedContactDetail])],
) -> Result<(), sqlx::Error> {
    let rows: Vec<(Uuid, &SealedContactDetail)> = items
        .iter()
        .flat_map(|(petition_id, details)| details.iter().map(move |d| (*petition_id, d)))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO petitioner_contacts (id, petition_id, key_version, email_enc, email_mask, preferred_channel)
         SELECT t.id, t.petition_id, $3, t.enc, t.mask, t.pref
         FROM unnest($1::uuid[], $2::uuid[], $4::bytea[], $5::text[], $6::text[]) AS t(id, petition_id, enc, mask, pref)",
    )
    .bind(rows.iter().map(|(_, d)| d.id).collect::<Vec<_>>())
    .bind(rows.iter().map(|(p, _)| *p).collect::<Vec<_>>())
    .bind(key_version)
    .bind(rows.iter().map(|(_, d)| d.email_enc.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, d)| d.email_mask.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|(_, d)| d.preferred_channel).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// The contact details of a petition's petitioners.
pub async fn for_petition(
    conn: &mut PgConnection,
    petition_id: Uuid,
) -> Result<Vec<ContactDetailRecord>, sqlx::Error> {
    for_petitions(conn, &[petition_id]).await
}

/// The contact details of the petitioners of several petitions.
pub async fn for_petitions(
    conn: &mut PgConnection,
    petition_ids: &[Uuid],
) -> Result<Vec<ContactDetailRecord>, sqlx::Error> {
    sqlx::query_as::<_, ContactDetailRecord>(
        "SELECT id, petition_id, key_version, email_enc, email_mask, preferred_channel
         FROM petitioner_contacts WHERE petition_id = ANY($1)",
    )
    .bind(petition_ids)
    .fetch_all(conn)
    .await
}
