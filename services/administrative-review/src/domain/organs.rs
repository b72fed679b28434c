//! The organ one level above (上一级行政机关), which reviews (复查) a handling opinion and re-reviews
//! (复核) a review opinion (arts 35, 36), from the units directory copy (单位目录,
//! `xinfang_platform::directory`).

/// A unit as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organ {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub active: bool,
}

impl Organ {
    /// Whether the organ works in this (county) deployment: a city or province organ, or one the
    /// directory marks external, decides outside it, and requests to it are forwarded (转交).
    pub fn outside_deployment(&self) -> bool {
        matches!(self.level.as_str(), "city" | "province") || self.kind == "external"
    }
}

/// The organ above `unit`: its parent in the directory, or `None` when the directory has none.
pub fn organ_above<'a>(
    unit: &Organ,
    lookup: impl Fn(&str) -> Option<&'a Organ>,
) -> Option<&'a Organ> {
    unit.parent_code.as_deref().and_then(lookup)
}

impl From<xinfang_platform::directory::UnitEntry> for Organ {
    fn from(u: xinfang_platform::directory::UnitEntry) -> Organ {
        Organ {
            code: u.code,
            name: u.name,
            kind: u.kind,
            level: u.level,
            parent_code: u.parent_code,
            active: u.active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organ(code: &str, level: &str, parent: Option<&str>) -> Organ {
        Organ {
            code: code.into(),
            name: code.into(),
            kind: "government".into(),
            level: level.into(),
            parent_code: parent.map(str::to_string),
            active: true,
        }
    }

    #[test]
    fn the_organ_above_is_the_parent_and_the_city_is_outside() {
        let dept = organ("140423-RSJ", "county", Some("140423-ZF"));
        let county = organ("140423-ZF", "county", Some("140400-ZF"));
        let city = organ("140400-ZF", "city", None);
        let all = [dept.clone(), county.clone(), city.clone()];
        let find = |c: &str| all.iter().find(|o| o.code == c);
        assert_eq!(organ_above(&dept, find).unwrap().code, "140423-ZF");
        assert!(!organ_above(&dept, find).unwrap().outside_deployment());
        assert!(organ_above(&county, find).unwrap().outside_deployment());
        assert!(organ_above(&city, find).is_none());
    }
}
