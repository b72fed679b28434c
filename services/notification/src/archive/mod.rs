//! The archive (信访档案, decision 0017). A case that became final
//! (`administrative-review.case.finalized.v1`) is packaged after a configurable delay by the
//! archiver (`workers`): the case's data as JSON (intake's record, asked at packaging time, and
//! notification's own register, notices and deliveries), every document as PDF, intake's and
//! notification's audit trails with their chain proofs, and a manifest with every file's SHA-256.
//! A package has a retention class and period (`domain`); a legal hold blocks destruction;
//! destruction after the period takes a request and a second person's approval and leaves a
//! record (manifest and hashes kept, content gone). Packages are found by case number and by
//! petitioner through intake's blind index (`source`).
//!
//! A feature group with the service's usual kinds of module: `api`, `domain`, `store`, `events`,
//! `workers`, and `source` (the call to intake, like `channels::contacts`).

pub mod api;
pub mod domain;
pub mod events;
pub mod source;
pub mod store;
pub mod workers;
