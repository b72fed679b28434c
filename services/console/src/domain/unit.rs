//! The units directory (单位目录): every organ a petition can reach, with its place in the
//! hierarchy (province → city → county → township → village; county departments; courts,
//! procuratorates, 纪检监察, mediation bodies; outside organs such as the city 信访局).

use serde::{Deserialize, Serialize};

use super::DomainError;

/// Unit code (单位代码): a six-digit division code (区划代码), a hyphen and an upper-case suffix
/// of 1–16 letters and digits, e.g. `140423-XFJ`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(field: &str, s: &str) -> Result<UnitCode, DomainError> {
        let s = s.trim();
        let ok = match s.split_once('-') {
            Some((division, suffix)) => {
                division.len() == 6
                    && division.bytes().all(|b| b.is_ascii_digit())
                    && (1..=16).contains(&suffix.len())
                    && suffix
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            }
            None => false,
        };
        if ok {
            Ok(UnitCode(s.to_string()))
        } else {
            Err(DomainError::invalid(
                field,
                format!("单位代码“{s}”格式不正确，应为六位区划代码加后缀，如 140423-XFJ"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The division code (区划代码) part.
    pub fn division(&self) -> &str {
        self.0.split_once('-').map(|(d, _)| d).unwrap_or(&self.0)
    }
}

impl std::fmt::Display for UnitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A unit's name (全称 or 简称): 1–64 characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct UnitName(String);

impl UnitName {
    pub fn parse(field: &str, label: &str, s: &str) -> Result<UnitName, DomainError> {
        let t = s.trim();
        let n = t.chars().count();
        if n == 0 || n > 64 || t.chars().any(char::is_control) {
            return Err(DomainError::invalid(
                field,
                format!("{label}不能为空，且不超过 64 个字"),
            ));
        }
        Ok(UnitName(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $variant:ident = $s:literal / $zh:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }
            pub fn parse(field: &str, s: &str) -> Result<$name, DomainError> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let allowed: Vec<String> = $name::ALL
                        .iter()
                        .map(|v| format!("{}（{}）", v.as_str(), v.label_zh()))
                        .collect();
                    DomainError::invalid(field, format!("{}“{}”无效，可选：{}", $what, s, allowed.join("、")))
                })
            }
        }
    };
}

text_enum!(
    /// Kind of organ (单位类别).
    UnitKind, "单位类别" {
        /// 信访局
        PetitionBureau = "petition_bureau" / "信访局",
        /// 人民政府 (县政府 and, outside, the city government)
        Government = "government" / "人民政府",
        /// 县直部门 (政府工作部门)
        Department = "department" / "县直部门",
        /// 乡镇政府
        TownshipGovernment = "township_government" / "乡镇政府",
        /// 村(居)委会
        VillageCommittee = "village_committee" / "村(居)委会",
        /// 法院
        Court = "court" / "法院",
        /// 检察院
        Procuratorate = "procuratorate" / "检察院",
        /// 纪检监察机关
        DisciplineInspection = "discipline_inspection" / "纪检监察机关",
        /// 人大
        PeoplesCongress = "peoples_congress" / "人大",
        /// 政协
        Cppcc = "cppcc" / "政协",
        /// 调解组织
        MediationOrganization = "mediation_organization" / "调解组织",
        /// 外部机关 (outside the county, e.g. the city 信访局)
        External = "external" / "外部机关",
    }
);

text_enum!(
    /// Administrative level (层级).
    UnitLevel, "层级" {
        /// 村(社区)
        Village = "village" / "村级",
        /// 乡镇
        Township = "township" / "乡镇级",
        /// 县
        County = "county" / "县级",
        /// 市
        City = "city" / "市级",
        /// 省
        Province = "province" / "省级",
    }
);

impl UnitLevel {
    /// Village 0 … province 4.
    pub fn rank(self) -> u8 {
        match self {
            UnitLevel::Village => 0,
            UnitLevel::Township => 1,
            UnitLevel::County => 2,
            UnitLevel::City => 3,
            UnitLevel::Province => 4,
        }
    }
}

/// A unit of the directory as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub code: UnitCode,
    pub name: UnitName,
    pub short_name: UnitName,
    pub kind: UnitKind,
    pub level: UnitLevel,
    pub parent_code: Option<UnitCode>,
    pub supervisor_code: Option<UnitCode>,
    pub township_code: Option<UnitCode>,
    pub active: bool,
    pub remarks: Option<String>,
    pub version: i64,
}

/// The facts of a unit an administrator sets (创建或修改单位), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitFacts {
    pub name: UnitName,
    pub short_name: UnitName,
    pub kind: UnitKind,
    pub level: UnitLevel,
    pub parent_code: Option<UnitCode>,
    pub supervisor_code: Option<UnitCode>,
    pub township_code: Option<UnitCode>,
    pub remarks: Option<String>,
}

/// What the directory knows of a unit another one refers to.
#[derive(Debug, Clone, PartialEq)]
pub struct Referenced {
    pub code: UnitCode,
    pub level: UnitLevel,
    pub kind: UnitKind,
    pub active: bool,
}

impl UnitFacts {
    /// The rules between a unit and the units it names (上一级机关、主管机关、所属乡镇): each must
    /// exist and be active, the organ above must not be of a lower level, the township must be a
    /// township government, and a village-level organ must name its township.
    pub fn check_references(
        &self,
        code: &UnitCode,
        lookup: impl Fn(&UnitCode) -> Option<Referenced>,
    ) -> Result<(), DomainError> {
        let refs = [
            ("parent_code", "上一级机关", &self.parent_code),
            ("supervisor_code", "主管机关", &self.supervisor_code),
            ("township_code", "所属乡镇", &self.township_code),
        ];
        for (field, label, value) in refs {
            let Some(c) = value else { continue };
            if c == code {
                return Err(DomainError::invalid(field, format!("{label}不能是本单位")));
            }
            let r = lookup(c).ok_or_else(|| {
                DomainError::invalid(field, format!("{label} {c} 不存在于单位目录"))
            })?;
            if !r.active {
                return Err(DomainError::invalid(field, format!("{label} {c} 已撤销")));
            }
            if field == "parent_code" && r.level.rank() < self.level.rank() {
                return Err(DomainError::invalid(
                    field,
                    format!(
                        "上一级机关 {c} 的层级（{}）低于本单位（{}）",
                        r.level.label_zh(),
                        self.level.label_zh()
                    ),
                ));
            }
            if field == "township_code" && r.kind != UnitKind::TownshipGovernment {
                return Err(DomainError::invalid(
                    field,
                    format!("所属乡镇 {c} 不是乡镇政府"),
                ));
            }
        }
        if self.level == UnitLevel::Village && self.township_code.is_none() {
            return Err(DomainError::invalid(
                "township_code",
                "村级单位须填写所属乡镇（township_code）",
            ));
        }
        Ok(())
    }
}

/// What happened to a unit (单位变更类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitChange {
    Created,
    Updated,
    Retired,
    /// The current record announced again (重新发布), unchanged: at the console's start and on an
    /// administrator's request, so that a service that joined later, or restored an old copy,
    /// catches up.
    Republished,
}

impl UnitChange {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitChange::Created => "created",
            UnitChange::Updated => "updated",
            UnitChange::Retired => "retired",
            UnitChange::Republished => "republished",
        }
    }
}

/// Optional remarks (备注): at most 500 characters.
pub fn parse_remarks(s: Option<&str>) -> Result<Option<String>, DomainError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() <= 500 => Ok(Some(t.to_string())),
        Some(_) => Err(DomainError::invalid("remarks", "备注不超过 500 个字")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(level: UnitLevel) -> UnitFacts {
        UnitFacts {
            name: UnitName::parse("name", "全称", "古韩镇东关村民委员会").unwrap(),
            short_name: UnitName::parse("short_name", "简称", "东关村").unwrap(),
            kind: UnitKind::VillageCommittee,
            level,
            parent_code: Some(UnitCode::parse("parent_code", "140423-GHZ").unwrap()),
            supervisor_code: None,
            township_code: Some(UnitCode::parse("township_code", "140423-GHZ").unwrap()),
            remarks: None,
        }
    }

    fn township(c: &UnitCode) -> Option<Referenced> {
        (c.as_str() == "140423-GHZ").then(|| Referenced {
            code: c.clone(),
            level: UnitLevel::Township,
            kind: UnitKind::TownshipGovernment,
            active: true,
        })
    }

    #[test]
    fn unit_codes_are_division_plus_suffix() {
        let c = UnitCode::parse("code", " 140423-XFJ ").unwrap();
        assert_eq!(c.as_str(), "140423-XFJ");
        assert_eq!(c.division(), "140423");
        for bad in [
            "140423",
            "14042-XFJ",
            "140423-xfj",
            "140423-",
            "ABCDEF-XFJ",
            "140423-X-Y",
        ] {
            let e = UnitCode::parse("unit", bad).unwrap_err();
            assert!(
                matches!(e, DomainError::Invalid { ref field, .. } if field == "unit"),
                "{bad}"
            );
        }
    }

    #[test]
    fn kinds_and_levels_parse_and_name_the_field() {
        assert_eq!(
            UnitKind::parse("kind", "petition_bureau").unwrap(),
            UnitKind::PetitionBureau
        );
        let e = UnitLevel::parse("level", "galaxy").unwrap_err();
        assert!(e.to_string().contains("层级"));
        assert!(UnitLevel::County.rank() > UnitLevel::Township.rank());
    }

    #[test]
    fn references_must_exist_be_active_and_above() {
        let me = UnitCode::parse("code", "140423-DGC").unwrap();
        assert!(facts(UnitLevel::Village)
            .check_references(&me, township)
            .is_ok());
        // unknown parent
        let mut f = facts(UnitLevel::Village);
        f.parent_code = Some(UnitCode::parse("parent_code", "140423-NONE").unwrap());
        let e = f.check_references(&me, township).unwrap_err();
        assert!(matches!(e, DomainError::Invalid { ref field, .. } if field == "parent_code"));
        // a county organ under a township
        let mut f = facts(UnitLevel::County);
        f.kind = UnitKind::Department;
        f.township_code = None;
        assert!(f.check_references(&me, township).is_err());
        // a village without its township
        let mut f = facts(UnitLevel::Village);
        f.township_code = None;
        let e = f.check_references(&me, township).unwrap_err();
        assert!(matches!(e, DomainError::Invalid { ref field, .. } if field == "township_code"));
        // itself
        let f = facts(UnitLevel::Village);
        let ghz = UnitCode::parse("code", "140423-GHZ").unwrap();
        assert!(f.check_references(&ghz, township).is_err());
        // retired
        let retired = |c: &UnitCode| township(c).map(|r| Referenced { active: false, ..r });
        assert!(facts(UnitLevel::Village)
            .check_references(&me, retired)
            .is_err());
    }
}
