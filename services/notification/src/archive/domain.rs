//! The archive's rules (档案规则): retention classes and periods, the package's manifest and its
//! checks, and when a package may be destroyed. No SQL, no HTTP.

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::configuration::{ArchiveSettings, RetentionClassSettings};

/// Why the archive refused a request (档案业务错误).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArchiveError {
    /// Unknown package, or not the caller's unit's: answered alike.
    #[error("档案不存在或无权查看")]
    NotFound,
    #[error("档案文件不存在")]
    FileNotFound,
    /// The content was destroyed; the manifest and hashes remain.
    #[error("该档案已销毁，仅保留销毁记录和清单")]
    Destroyed,
    #[error("该档案处于法律保全（冻结）状态，不能销毁")]
    OnHold,
    #[error("该档案未处于法律保全状态")]
    NotOnHold,
    #[error("该档案已处于法律保全状态")]
    AlreadyOnHold,
    #[error("该档案为永久保管，不能销毁")]
    Permanent,
    #[error("该档案保管期限至 {0}，期满前不能销毁")]
    RetentionNotExpired(NaiveDate),
    #[error("该档案已有待批准的销毁申请")]
    RequestPending,
    #[error("销毁申请不存在")]
    RequestNotFound,
    #[error("该销毁申请已处理")]
    RequestDecided,
    /// Four eyes (双人审批).
    #[error("销毁申请须由申请人以外的人员批准")]
    SameApprover,
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Intake, which holds the blind-index key, did not answer.
    #[error("服务暂不可用，请稍后再试")]
    Unavailable,
}

/// A retention class (保管期限类别).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionClass {
    pub code: String,
    pub name: String,
    /// None: permanent (永久).
    pub years: Option<u32>,
}

/// The configured classes, checked once at start-up.
#[derive(Debug, Clone)]
pub struct RetentionPolicy {
    classes: Vec<RetentionClass>,
    default: String,
}

impl RetentionPolicy {
    pub fn new(settings: &ArchiveSettings) -> Result<RetentionPolicy, String> {
        let mut classes: Vec<RetentionClass> = Vec::new();
        for RetentionClassSettings { code, name, years } in &settings.classes {
            let code = code.trim();
            if code.is_empty() || name.trim().is_empty() {
                return Err("archive.classes: 保管期限类别须有代码和名称".into());
            }
            if classes.iter().any(|c| c.code == code) {
                return Err(format!("archive.classes: 保管期限类别 {code} 重复"));
            }
            if years.is_some_and(|y| y > 200) {
                return Err(format!("archive.classes: {code} 的保管年限超过 200 年"));
            }
            classes.push(RetentionClass {
                code: code.to_string(),
                name: name.trim().to_string(),
                years: *years,
            });
        }
        if !classes.iter().any(|c| c.code == settings.default_class) {
            return Err(format!(
                "archive.default_class: {} 不在保管期限类别之中",
                settings.default_class
            ));
        }
        Ok(RetentionPolicy {
            classes,
            default: settings.default_class.clone(),
        })
    }

    pub fn default_class(&self) -> &RetentionClass {
        self.get(&self.default).unwrap_or(&self.classes[0])
    }

    pub fn get(&self, code: &str) -> Option<&RetentionClass> {
        self.classes.iter().find(|c| c.code == code)
    }

    /// `field`'s class, or a 422 naming the field and the known codes.
    pub fn parse(&self, field: &'static str, code: &str) -> Result<&RetentionClass, ArchiveError> {
        self.get(code.trim()).ok_or_else(|| ArchiveError::Invalid {
            field,
            message: format!(
                "保管期限类别应为 {} 之一",
                self.classes
                    .iter()
                    .map(|c| format!("{}（{}）", c.code, c.name))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
        })
    }
}

impl RetentionClass {
    /// The first day a package archived on `archived_on` may be destroyed (None: never).
    pub fn retain_until(&self, archived_on: NaiveDate) -> Option<NaiveDate> {
        self.years
            .and_then(|y| archived_on.checked_add_months(Months::new(y * 12)))
    }
}

/// A package's state as far as destruction is concerned.
pub struct DestructionCheck {
    pub destroyed: bool,
    pub on_hold: bool,
    pub retain_until: Option<NaiveDate>,
}

/// Whether a package may be destroyed on `today` (a request, and again at approval).
pub fn may_destroy(c: &DestructionCheck, today: NaiveDate) -> Result<(), ArchiveError> {
    if c.destroyed {
        return Err(ArchiveError::Destroyed);
    }
    if c.on_hold {
        return Err(ArchiveError::OnHold);
    }
    match c.retain_until {
        None => Err(ArchiveError::Permanent),
        Some(until) if today < until => Err(ArchiveError::RetentionNotExpired(until)),
        Some(_) => Ok(()),
    }
}

/// Four eyes: the approver is not the requester.
pub fn check_approver(requested_by: &str, approver: &str) -> Result<(), ArchiveError> {
    if requested_by == approver {
        Err(ArchiveError::SameApprover)
    } else {
        Ok(())
    }
}

/// A reason or comment: trimmed, 1 to 500 characters.
pub fn reason(field: &'static str, s: &str) -> Result<String, ArchiveError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(ArchiveError::Invalid {
            field,
            message: "请填写事由".into(),
        });
    }
    if t.chars().count() > 500 {
        return Err(ArchiveError::Invalid {
            field,
            message: "事由不能超过 500 个字".into(),
        });
    }
    Ok(t.to_string())
}

/// One file of a package.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageFile {
    /// e.g. `case.json`, `documents/registration_receipt-<id>.pdf`, `audit/intake.json`.
    pub path: String,
    pub media_type: String,
    pub content: Vec<u8>,
}

impl PackageFile {
    pub fn json(path: &str, value: &serde_json::Value) -> PackageFile {
        PackageFile {
            path: path.into(),
            media_type: "application/json".into(),
            content: serde_json::to_vec_pretty(value).unwrap_or_default(),
        }
    }

    pub fn sha256(&self) -> String {
        sha256_hex(&self.content)
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// An entry of the manifest (清单).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManifestEntry {
    pub path: String,
    pub media_type: String,
    pub size_bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// The manifest (档案清单): what the package holds, with checksums; stored as `manifest.json`,
/// whose own SHA-256 is kept with the package and in the destruction record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Manifest {
    pub format: String,
    pub case_id: Uuid,
    pub case_number: String,
    pub unit: String,
    pub archived_at: chrono::DateTime<chrono::Utc>,
    pub retention_class: String,
    pub retain_until: Option<NaiveDate>,
    /// Audit rows whose chain proof was verified when packaged, per service.
    #[schema(value_type = Object)]
    pub audit_verified: serde_json::Value,
    pub files: Vec<ManifestEntry>,
}

impl Manifest {
    pub fn entries(files: &[PackageFile]) -> Vec<ManifestEntry> {
        files
            .iter()
            .map(|f| ManifestEntry {
                path: f.path.clone(),
                media_type: f.media_type.clone(),
                size_bytes: f.content.len() as u64,
                sha256: f.sha256(),
            })
            .collect()
    }

    /// The manifest file and its SHA-256.
    pub fn file(&self) -> (PackageFile, String) {
        let content = serde_json::to_vec_pretty(self).unwrap_or_default();
        let sha = sha256_hex(&content);
        (
            PackageFile {
                path: "manifest.json".into(),
                media_type: "application/json".into(),
                content,
            },
            sha,
        )
    }

    /// Check files against the manifest: every listed file present with its size and hash, and
    /// nothing unlisted.
    pub fn verify(&self, files: &[PackageFile]) -> Result<(), String> {
        for e in &self.files {
            let Some(f) = files.iter().find(|f| f.path == e.path) else {
                return Err(format!("缺少文件 {}", e.path));
            };
            if f.content.len() as u64 != e.size_bytes || f.sha256() != e.sha256 {
                return Err(format!("文件 {} 与清单的校验值不符", e.path));
            }
        }
        if let Some(extra) = files
            .iter()
            .find(|f| f.path != "manifest.json" && !self.files.iter().any(|e| e.path == f.path))
        {
            return Err(format!("清单未列出文件 {}", extra.path));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetentionPolicy {
        RetentionPolicy::new(&ArchiveSettings::default()).unwrap()
    }

    #[test]
    fn classes_give_their_periods() {
        let p = policy();
        let on = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(p.default_class().code, "long");
        assert_eq!(
            p.get("short").unwrap().retain_until(on),
            NaiveDate::from_ymd_opt(2036, 2, 28)
        );
        assert_eq!(p.get("permanent").unwrap().retain_until(on), None);
        assert!(matches!(
            p.parse("retention_class", "forever"),
            Err(ArchiveError::Invalid {
                field: "retention_class",
                ..
            })
        ));
    }

    #[test]
    fn a_bad_configuration_is_refused() {
        let s = ArchiveSettings {
            default_class: "none".into(),
            ..ArchiveSettings::default()
        };
        assert!(RetentionPolicy::new(&s).is_err());
        let mut s = ArchiveSettings::default();
        s.classes.push(s.classes[0].clone());
        assert!(RetentionPolicy::new(&s).is_err());
    }

    #[test]
    fn destruction_waits_for_the_period_and_the_hold() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let check = |destroyed, on_hold, retain_until| DestructionCheck {
            destroyed,
            on_hold,
            retain_until,
        };
        assert_eq!(
            may_destroy(&check(false, false, Some(today)), today),
            Ok(())
        );
        assert_eq!(
            may_destroy(&check(false, true, Some(today)), today),
            Err(ArchiveError::OnHold)
        );
        assert_eq!(
            may_destroy(&check(false, false, None), today),
            Err(ArchiveError::Permanent)
        );
        let later = today.succ_opt().unwrap();
        assert_eq!(
            may_destroy(&check(false, false, Some(later)), today),
            Err(ArchiveError::RetentionNotExpired(later))
        );
        assert_eq!(
            may_destroy(&check(true, false, Some(today)), today),
            Err(ArchiveError::Destroyed)
        );
        assert_eq!(check_approver("a", "a"), Err(ArchiveError::SameApprover));
        assert_eq!(check_approver("a", "b"), Ok(()));
    }

    #[test]
    fn the_manifest_catches_a_changed_missing_or_extra_file() {
        let files = vec![
            PackageFile::json("case.json", &serde_json::json!({ "a": 1 })),
            PackageFile {
                path: "documents/x.pdf".into(),
                media_type: "application/pdf".into(),
                content: b"%PDF-1.7".to_vec(),
            },
        ];
        let m = Manifest {
            format: "xinfang-archive/1".into(),
            case_id: Uuid::nil(),
            case_number: "140423-2026-000001".into(),
            unit: "140423-XFJ".into(),
            archived_at: chrono::Utc::now(),
            retention_class: "long".into(),
            retain_until: None,
            audit_verified: serde_json::json!({}),
            files: Manifest::entries(&files),
        };
        assert_eq!(m.verify(&files), Ok(()));
        let mut changed = files.clone();
        changed[1].content.push(b' ');
        assert!(m.verify(&changed).is_err());
        assert!(m.verify(&files[..1]).is_err());
        let mut extra = files.clone();
        extra.push(PackageFile::json("other.json", &serde_json::json!(null)));
        assert!(m.verify(&extra).is_err());
    }
}
