//! Petitions (信访件): the rows a registration writes (personal data sealed and blind-indexed),
//! the walk-in visit it resolves, the case file as read back, the list, and the final conclusion
//! reported by administrative review.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;
use xinfang_platform::{
    pii::{mask_id_number, mask_phone, Aad, PiiError, PiiVault, PlainPii},
    Actor,
};

use crate::domain::{
    petition::{Attachment, IdNumber, NewPetition, Phone},
    repeat::Candidate,
    text::search_tokens,
    IntakeError,
};

/// One registration to write, worked out before the transaction.
pub struct Registration {
    pub id: Uuid,
    pub petition: NewPetition,
    pub registering_unit: String,
    pub registered_by: String,
    /// The walk-in visit log entry (来访登记) this registration resolves.
    pub visit_id: Option<Uuid>,
    /// The matter's scope ([`crate::domain::text::scope_of`]).
    pub scope: String,
    pub search_tokens: Vec<i32>,
    pub candidates: Vec<Candidate>,
}

/// A petitioner's row, personal data sealed (加密存储), blind-indexed and masked.
pub struct SealedPetitioner {
    id: Uuid,
    ordinal: i16,
    name: String,
    id_number_enc: Option<Vec<u8>>,
    id_number_bidx: Option<Vec<u8>>,
    id_number_mask: Option<String>,
    phone_enc: Option<Vec<u8>>,
    phone_bidx: Option<Vec<u8>>,
    phone_mask: Option<String>,
    address_enc: Option<Vec<u8>>,
}

/// The rows of one registration that are not in the [`Registration`] itself.
pub struct RegistrationRows {
    pub query_code_hash: String,
    pub registered_at: DateTime<Utc>,
    pub correlation_id: Uuid,
    petitioners: Vec<SealedPetitioner>,
    /// E-mail addresses and stated preferences ([`super::contact_details`]).
    pub contact_details: Vec<super::contact_details::SealedContactDetail>,
    attachment_ids: Vec<Uuid>,
}

impl RegistrationRows {
    /// Seal the petitioners' personal data, each value bound to its row and column.
    pub fn seal(
        vault: &PiiVault,
        registration: &Registration,
        query_code_hash: String,
        registered_at: DateTime<Utc>,
        correlation_id: Uuid,
    ) -> Result<RegistrationRows, PiiError> {
        let people = &registration.petition.petitioners;
        let mut petitioners = Vec::with_capacity(people.len());
        let mut contact_details = Vec::new();
        for (ordinal, person) in people.iter().enumerate() {
            let row_id = Uuid::now_v7();
            contact_details.extend(super::contact_details::SealedContactDetail::seal(
                vault, row_id, person,
            )?);
            let seal = |column: &'static str, value: &PlainPii| {
                vault
                    .seal(
                        value,
                        Aad {
                            table: "petitioners",
                            column,
                            row_id,
                        },
                    )
                    .map(|sealed| sealed.bytes)
            };
            let id_number = person.id_number.as_ref().map(IdNumber::pii);
            let phone = person.phone.as_ref().map(Phone::pii);
            petitioners.push(SealedPetitioner {
                id: row_id,
                ordinal: ordinal as i16,
                name: person.name.as_str().to_string(),
                id_number_enc: id_number.map(|v| seal("id_number", v)).transpose()?,
                id_number_bidx: id_number.map(|v| vault.blind_index("id_number", v.expose())),
                id_number_mask: id_number.map(|v| mask_id_number(v.expose())),
                phone_enc: phone.map(|v| seal("phone", v)).transpose()?,
                phone_bidx: phone.map(|v| vault.blind_index("phone", v.expose())),
                phone_mask: phone.map(|v| mask_phone(v.expose())),
                address_enc: person
                    .address
                    .as_ref()
                    .map(|v| seal("address", v))
                    .transpose()?,
            });
        }
        Ok(RegistrationRows {
            query_code_hash,
            registered_at,
            correlation_id,
            petitioners,
            contact_details,
            attachment_ids: new_attachment_ids(&registration.petition),
        })
    }
}

fn new_attachment_ids(petition: &NewPetition) -> Vec<Uuid> {
    petition
        .attachments
        .iter()
        .map(|_| Uuid::now_v7())
        .collect()
}

struct AttachmentRow<'a> {
    petition_id: Uuid,
    id: Uuid,
    ordinal: i16,
    attachment: &'a Attachment,
}

/// Insert the content signatures of `items` (内容特征: scope and tokens, for repeat detection and
/// full-text search) with one statement. They need no case number, so the registrar writes them
/// before it takes the year's counter, and their GIN index is not written under that lock; their
/// foreign key to the petition is checked at the commit.
#[tracing::instrument(skip_all, fields(registrations = items.len()))]
pub async fn insert_signatures(
    conn: &mut PgConnection,
    items: &[(&Registration, &RegistrationRows)],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO content_signatures (petition_id, scope, token_count, tokens)
         SELECT t.id, t.scope, cardinality(t.tokens::int4[]), t.tokens::int4[]
         FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, tokens, scope)",
    )
    .bind(items.iter().map(|(g, _)| g.id).collect::<Vec<_>>())
    .bind(token_literals(items))
    .bind(
        items
            .iter()
            .map(|(g, _)| g.scope.as_str())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Each registration's tokens as an array literal (only integers): the lists differ in length, so
/// they cannot go as one two-dimensional array.
fn token_literals(items: &[(&Registration, &RegistrationRows)]) -> Vec<String> {
    items
        .iter()
        .map(|(g, _)| {
            let t: Vec<String> = g.search_tokens.iter().map(i32::to_string).collect();
            format!("{{{}}}", t.join(","))
        })
        .collect()
}

/// Insert the petitions, their petitioners, attachments and repeat candidates with one statement
/// for all of `items` (data-modifying CTEs, one array per column), after their content signatures
/// ([`insert_signatures`], in the same transaction).
///
/// `numbers`: the case numbers already reserved for them ([`super::numbering::reserve`]), in the
/// order of `items`; `None` writes them under the placeholder `pending:<id>` until
/// [`super::numbering::number`] numbers them (which rewrites every row: the case number is
/// indexed, so that update is never HOT).
#[tracing::instrument(skip_all, fields(registrations = items.len()))]
pub async fn insert(
    conn: &mut PgConnection,
    division_code: &str,
    key_version: i16,
    items: &[(&Registration, &RegistrationRows)],
    numbers: Option<&[String]>,
) -> Result<(), sqlx::Error> {
    let numbers: Vec<Option<&str>> = match numbers {
        Some(n) if n.len() == items.len() => n.iter().map(|n| Some(n.as_str())).collect(),
        Some(n) => {
            return Err(sqlx::Error::Protocol(format!(
                "{} case numbers for {} petitions",
                n.len(),
                items.len()
            )))
        }
        None => vec![None; items.len()],
    };
    let ids: Vec<Uuid> = items.iter().map(|(g, _)| g.id).collect();
    let petitions: Vec<&NewPetition> = items.iter().map(|(g, _)| &g.petition).collect();
    let people: Vec<(Uuid, &SealedPetitioner)> = items
        .iter()
        .flat_map(|(g, r)| r.petitioners.iter().map(move |person| (g.id, person)))
        .collect();
    let files: Vec<AttachmentRow<'_>> = items
        .iter()
        .flat_map(|(g, r)| {
            r.attachment_ids
                .iter()
                .zip(&g.petition.attachments)
                .enumerate()
                .map(move |(ordinal, (id, attachment))| AttachmentRow {
                    petition_id: g.id,
                    id: *id,
                    ordinal: ordinal as i16,
                    attachment,
                })
        })
        .collect();
    let candidates: Vec<(Uuid, &Candidate)> = items
        .iter()
        .flat_map(|(g, _)| g.candidates.iter().map(move |c| (g.id, c)))
        .collect();
    sqlx::query(
        "WITH p AS (
             INSERT INTO petitions (id, case_number, query_code_hash, channel, received_on, registered_at, registering_unit,
                                    registered_by, division_code, summary, petitioner_count, anonymous, contactable, status, correlation_id,
                                    facts, requests, category, field, subfield, township, village, respondent_unit, group_visit, visit_id,
                                    upstream_reference, upstream_organ, upstream_due_on)
             SELECT t.id, coalesce(t.num, 'pending:' || t.id), t.qch, t.channel, t.received_on, t.registered_at, t.unit,
                    t.by_user, $9, t.summary, t.pcount, t.anonymous, t.contactable, 'registered', t.correlation_id,
                    t.facts, t.requests, t.category, t.field, t.subfield, t.township, t.village, t.respondent, t.group_visit, t.visit_id,
                    t.up_ref, t.up_organ, t.up_due
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::timestamptz[], $6::text[], $7::text[],
                         $8::text[], $10::int4[], $11::bool[], $12::bool[], $13::uuid[], $14::text[], $15::text[],
                         $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::bool[],
                         $23::uuid[], $24::text[], $25::text[], $26::date[], $27::text[])
                  AS t(id, qch, channel, received_on, registered_at, unit, by_user, summary, pcount, anonymous,
                       contactable, correlation_id, facts, requests, category, field, subfield, township, village,
                       respondent, group_visit, visit_id, up_ref, up_organ, up_due, num)),
         pe AS (
             INSERT INTO petitioners (id, petition_id, ordinal, name, key_version, id_number_enc, id_number_bidx, id_number_mask,
                                      phone_enc, phone_bidx, phone_mask, address_enc)
             SELECT t.id, t.petition_id, t.ordinal, t.name, $28, t.id_enc, t.id_bidx, t.id_mask, t.ph_enc, t.ph_bidx, t.ph_mask, t.addr_enc
             FROM unnest($29::uuid[], $30::uuid[], $31::int2[], $32::text[], $33::bytea[], $34::bytea[], $35::text[],
                         $36::bytea[], $37::bytea[], $38::text[], $39::bytea[])
                  AS t(id, petition_id, ordinal, name, id_enc, id_bidx, id_mask, ph_enc, ph_bidx, ph_mask, addr_enc)),
         a AS (
             INSERT INTO attachments (id, petition_id, ordinal, kind, file_name, content_type, size_bytes, sha256)
             SELECT * FROM unnest($40::uuid[], $41::uuid[], $42::int2[], $43::text[], $44::text[], $45::text[], $46::int8[], $47::text[]))
         INSERT INTO repeat_candidates (petition_id, candidate_id, score, reasons)
         SELECT t.p, t.c, t.s, string_to_array(t.r, ',')
         FROM unnest($48::uuid[], $49::uuid[], $50::real[], $51::text[]) AS t(p, c, s, r)",
    )
    .bind(&ids)
    .bind(items.iter().map(|(_, r)| r.query_code_hash.as_str()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.channel.as_str()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.received_on).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, r)| r.registered_at).collect::<Vec<_>>())
    .bind(items.iter().map(|(g, _)| g.registering_unit.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|(g, _)| g.registered_by.as_str()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.summary.as_str()).collect::<Vec<_>>())
    .bind(division_code)
    .bind(petitions.iter().map(|p| p.petitioner_count as i32).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.anonymous()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.contactable()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, r)| r.correlation_id).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.facts.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.requests.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.category.map(|c| c.as_str())).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.field.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.subfield.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.township.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.village.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.respondent_unit.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.group_visit).collect::<Vec<_>>())
    .bind(items.iter().map(|(g, _)| g.visit_id).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.upstream_reference.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.upstream_organ.as_deref()).collect::<Vec<_>>())
    .bind(petitions.iter().map(|p| p.upstream_due_on).collect::<Vec<_>>())
    .bind(&numbers)
    .bind(key_version)
    .bind(people.iter().map(|(_, r)| r.id).collect::<Vec<_>>())
    .bind(people.iter().map(|(petition_id, _)| *petition_id).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.ordinal).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.name.as_str()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.id_number_enc.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.id_number_bidx.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.id_number_mask.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.phone_enc.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.phone_bidx.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.phone_mask.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.address_enc.as_deref()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.id).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.petition_id).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.ordinal).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.attachment.kind.as_str()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.attachment.file_name.as_str()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.attachment.content_type.as_str()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.attachment.size_bytes).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.attachment.sha256.as_str()).collect::<Vec<_>>())
    .bind(candidates.iter().map(|(petition_id, _)| *petition_id).collect::<Vec<_>>())
    .bind(candidates.iter().map(|(_, c)| c.petition_id).collect::<Vec<_>>())
    .bind(candidates.iter().map(|(_, c)| c.score).collect::<Vec<_>>())
    .bind(candidates.iter().map(|(_, c)| c.reasons.join(",")).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct VisitClaim {
    unit: String,
    petition_id: Option<Uuid>,
}

/// Resolve the walk-in visit `visit_id` with the petition `petition_id`: the visit must be one the
/// actor's unit may see, and not registered yet.
pub async fn claim_visit(
    conn: &mut PgConnection,
    actor: &Actor,
    visit_id: Uuid,
    petition_id: Uuid,
) -> Result<(), IntakeError> {
    let visit = sqlx::query_as!(
        VisitClaim,
        "SELECT unit, petition_id FROM visits WHERE id = $1 FOR UPDATE",
        visit_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(visit) = visit.filter(|v| actor.can_see_unit(&v.unit)) else {
        return Err(IntakeError::VisitNotFound);
    };
    if visit.petition_id.is_some() {
        return Err(IntakeError::VisitAlreadyRegistered);
    }
    sqlx::query!(
        "UPDATE visits SET petition_id = $2 WHERE id = $1",
        visit_id,
        petition_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A petition as stored (信访件).
#[derive(sqlx::FromRow)]
pub struct PetitionRecord {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub registering_unit: String,
    pub summary: String,
    pub petitioner_count: i32,
    pub anonymous: bool,
    pub status: String,
    pub facts: Option<String>,
    pub requests: Option<String>,
    pub category: Option<String>,
    pub field: Option<String>,
    pub subfield: Option<String>,
    pub township: Option<String>,
    pub village: Option<String>,
    pub respondent_unit: Option<String>,
    pub group_visit: bool,
    pub visit_id: Option<Uuid>,
    pub upstream_reference: Option<String>,
    pub upstream_organ: Option<String>,
    pub upstream_due_on: Option<NaiveDate>,
    pub handling_unit: Option<String>,
    pub simple_track: bool,
    pub finalized_on: Option<NaiveDate>,
    pub repeat_of: Option<Uuid>,
}

pub async fn petition(conn: &mut PgConnection, id: Uuid) -> Result<PetitionRecord, sqlx::Error> {
    sqlx::query_as!(
        PetitionRecord,
        "SELECT id, case_number, channel, received_on, registered_at, registering_unit, summary,
                petitioner_count, anonymous, status, facts, requests, category, field, subfield,
                township, village, respondent_unit, group_visit, visit_id, upstream_reference,
                upstream_organ, upstream_due_on, handling_unit, simple_track, finalized_on, repeat_of
         FROM petitions WHERE id = $1",
        id
    )
    .fetch_one(&mut *conn)
    .await
}

/// A petitioner as stored: personal data sealed, with its masks.
#[derive(sqlx::FromRow)]
pub struct PetitionerRecord {
    pub id: Uuid,
    pub key_version: i16,
    pub name: String,
    pub id_number_enc: Option<Vec<u8>>,
    pub id_number_mask: Option<String>,
    pub phone_enc: Option<Vec<u8>>,
    pub phone_mask: Option<String>,
    pub address_enc: Option<Vec<u8>>,
}

impl PetitionerRecord {
    /// Open one sealed column (`id_number`, `phone`, `address`), if it holds a value.
    pub fn open(&self, vault: &PiiVault, column: &'static str) -> Result<Option<String>, PiiError> {
        let sealed = match column {
            "id_number" => &self.id_number_enc,
            "phone" => &self.phone_enc,
            _ => &self.address_enc,
        };
        sealed
            .as_deref()
            .map(|bytes| {
                vault
                    .open(
                        self.key_version,
                        bytes,
                        Aad {
                            table: "petitioners",
                            column,
                            row_id: self.id,
                        },
                    )
                    .map(|plain| plain.expose().to_string())
            })
            .transpose()
    }
}

pub async fn petitioners(
    conn: &mut PgConnection,
    petition_id: Uuid,
) -> Result<Vec<PetitionerRecord>, sqlx::Error> {
    sqlx::query_as!(
        PetitionerRecord,
        "SELECT id, key_version, name, id_number_enc, id_number_mask, phone_enc, phone_mask, address_enc
         FROM petitioners WHERE petition_id = $1 ORDER BY ordinal",
        petition_id
    )
    .fetch_all(&mut *conn)
    .await
}

/// The rest of a case file (案卷), each entry as the JSON object of its row, oldest first.
pub struct CaseFile {
    pub attachments: Vec<Value>,
    pub repeat_candidates: Vec<Value>,
    pub decisions: Vec<Value>,
    pub hand_offs: Vec<Value>,
    pub access_grants: Vec<Value>,
    pub history: Vec<Value>,
}

pub async fn case_file(conn: &mut PgConnection, id: Uuid) -> Result<CaseFile, sqlx::Error> {
    let attachments = sqlx::query_scalar!(
        r#"SELECT to_jsonb(t) AS "row!" FROM (
               SELECT kind, file_name, content_type, size_bytes, sha256 FROM attachments
               WHERE petition_id = $1 ORDER BY ordinal) t"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let repeat_candidates = sqlx::query_scalar!(
        r#"SELECT to_jsonb(t) AS "row!" FROM (
               SELECT c.candidate_id AS petition_id, p.case_number, c.score, c.reasons
               FROM repeat_candidates c JOIN petitions p ON p.id = c.candidate_id
               WHERE c.petition_id = $1 ORDER BY c.score DESC) t"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let decisions = sqlx::query_scalar!(
        r#"SELECT to_jsonb(t) AS "row!" FROM (
               SELECT id, kind, decided_by, unit, decided_at, decided_on, reason, details, rule_version, suggestion
               FROM decisions WHERE petition_id = $1 ORDER BY decided_at, id) t"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let hand_offs = sqlx::query_scalar!(
        r#"SELECT to_jsonb(t) AS "row!" FROM (
               SELECT id, kind, to_unit, handed_on, due_on, object_by, status, responded_by, responded_at, response
               FROM hand_offs WHERE petition_id = $1 ORDER BY id) t"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let access_grants = sqlx::query_scalar!(
        r#"SELECT to_jsonb(t) AS "row!" FROM (
               SELECT unit, granted_by, granted_at, reason FROM case_access
               WHERE petition_id = $1 ORDER BY granted_at) t"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let history = sqlx::query_scalar!(
        r#"SELECT to_jsonb(t) AS "row!" FROM (
               SELECT occurred_at, actor, unit, action, details FROM audit_log
               WHERE case_id = $1 ORDER BY seq) t"#,
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(CaseFile {
        attachments,
        repeat_candidates,
        decisions,
        hand_offs,
        access_grants,
        history,
    })
}

/// The filters of the list (信访件查询), already validated; all optional.
#[derive(Default)]
pub struct ListFilter {
    pub status: Option<String>,
    /// Registering or handling unit.
    pub unit: Option<String>,
    pub field: Option<String>,
    pub channel: Option<String>,
    pub township: Option<String>,
    pub category: Option<String>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
    /// Blind index of a petitioner's identity number.
    pub id_number_bidx: Option<Vec<u8>>,
    /// Blind index of a petitioner's phone.
    pub phone_bidx: Option<Vec<u8>>,
    /// Text in summary, facts or requests (trimmed, not empty).
    pub text: Option<String>,
    /// Keyset cursor: ids below it.
    pub after: Option<Uuid>,
    pub limit: i64,
}

/// One line of the list.
#[derive(sqlx::FromRow)]
pub struct PetitionLine {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub registering_unit: String,
    pub handling_unit: Option<String>,
    pub category: Option<String>,
    pub field: Option<String>,
    pub township: Option<String>,
    pub summary: String,
}

/// The petitions the actor may see that pass the filter, newest first.
#[tracing::instrument(skip_all, fields(unit = %actor.unit))]
pub async fn list(
    pool: &PgPool,
    actor: &Actor,
    filter: &ListFilter,
) -> Result<Vec<PetitionLine>, sqlx::Error> {
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT p.id, p.case_number, p.channel, p.status, p.received_on, p.registered_at, p.registering_unit,
                p.handling_unit, p.category, p.field, p.township, left(p.summary, 200) AS summary
         FROM petitions p WHERE ((",
    );
    qb.push_bind(actor.county_wide())
        .push(" OR p.registering_unit = ")
        .push_bind(actor.unit.clone())
        .push(" OR EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = ")
        .push_bind(actor.unit.clone())
        .push(")) AND NOT (coalesce(p.category, '') = 'accusation' AND coalesce(p.respondent_unit, '') = ")
        .push_bind(actor.unit.clone())
        .push("))");
    for (column, value) in [
        ("status", &filter.status),
        ("field", &filter.field),
        ("channel", &filter.channel),
        ("township", &filter.township),
        ("category", &filter.category),
    ] {
        if let Some(value) = value {
            qb.push(format!(" AND p.{column} = "))
                .push_bind(value.clone());
        }
    }
    if let Some(unit) = &filter.unit {
        qb.push(" AND (p.registering_unit = ")
            .push_bind(unit.clone())
            .push(" OR p.handling_unit = ")
            .push_bind(unit.clone())
            .push(")");
    }
    if let Some(from) = filter.received_from {
        qb.push(" AND p.received_on >= ").push_bind(from);
    }
    if let Some(to) = filter.received_to {
        qb.push(" AND p.received_on <= ").push_bind(to);
    }
    if let Some(bidx) = &filter.id_number_bidx {
        qb.push(" AND p.id IN (SELECT petition_id FROM petitioners WHERE id_number_bidx = ")
            .push_bind(bidx.clone())
            .push(")");
    }
    if let Some(bidx) = &filter.phone_bidx {
        qb.push(" AND p.id IN (SELECT petition_id FROM petitioners WHERE phone_bidx = ")
            .push_bind(bidx.clone())
            .push(")");
    }
    if let Some(text) = &filter.text {
        let tokens = search_tokens(text);
        if !tokens.is_empty() {
            qb.push(
                " AND p.id IN (SELECT s.petition_id FROM content_signatures s WHERE s.tokens @> ",
            )
            .push_bind(tokens)
            .push(")");
        }
        let like = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        qb.push(" AND (p.summary LIKE ")
            .push_bind(like.clone())
            .push(" OR p.facts LIKE ")
            .push_bind(like.clone())
            .push(" OR p.requests LIKE ")
            .push_bind(like)
            .push(")");
    }
    if let Some(after) = filter.after {
        qb.push(" AND p.id < ").push_bind(after);
    }
    qb.push(" ORDER BY p.id DESC LIMIT ")
        .push_bind(filter.limit);
    qb.build_query_as::<PetitionLine>().fetch_all(pool).await
}

/// Record the final conclusion of a case by administrative review (办理终结); `false` when intake
/// does not know the case.
pub async fn mark_finalized(
    conn: &mut PgConnection,
    id: Uuid,
    concluded_on: NaiveDate,
    level: &str,
    final_opinion: Option<&serde_json::Value>,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE petitions SET finalized_on = $2, final_level = $3, final_opinion = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(concluded_on)
    .bind(level)
    .bind(final_opinion)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(updated > 0)
}
