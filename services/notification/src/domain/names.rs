//! Organ names (机关名称): what a petitioner reads names organs by their full Chinese name, never
//! by unit code. The names come from the service's copy of the units directory (单位目录).

use std::collections::HashMap;

use super::catalog;
use super::notice::Composer;
use super::template::TemplateText;

/// Looks up an organ's full name (单位全称) by unit code.
pub trait OrganNames: Send + Sync {
    fn name(&self, code: &str) -> Option<String>;
}

/// The service's copy of the units directory (单位目录副本), kept by the runner from
/// `console.unit.changed.v1`.
impl OrganNames for xinfang_platform::directory::Directory {
    fn name(&self, code: &str) -> Option<String> {
        self.get(code).map(|u| u.name)
    }
}

/// A fixed table of names (tests, benchmark, and a deployment without the directory yet).
#[derive(Debug, Clone, Default)]
pub struct NameTable(pub HashMap<String, String>);

impl NameTable {
    pub fn of(pairs: &[(&str, &str)]) -> NameTable {
        NameTable(
            pairs
                .iter()
                .map(|(c, n)| (c.to_string(), n.to_string()))
                .collect(),
        )
    }
}

impl OrganNames for NameTable {
    fn name(&self, code: &str) -> Option<String> {
        self.0.get(code).cloned()
    }
}

/// The templates in force (stored versions over the built-in ones) and the organs' names.
pub struct InForce<'a> {
    pub stored: HashMap<String, (i32, TemplateText)>,
    pub names: &'a dyn OrganNames,
}

impl Composer for InForce<'_> {
    fn template(&self, code: &str) -> (i32, TemplateText) {
        if let Some((v, t)) = self.stored.get(code) {
            return (*v, t.clone());
        }
        let spec = catalog::find(code);
        (
            1,
            TemplateText {
                title: spec.map(|s| s.title.to_string()).unwrap_or_default(),
                body: spec.map(|s| s.body.to_string()).unwrap_or_default(),
            },
        )
    }

    fn organ_name(&self, code: &str) -> String {
        self.names.name(code).unwrap_or_else(|| code.to_string())
    }
}
