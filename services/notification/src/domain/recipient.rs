/// Who receives a notice (受送达人).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// 信访人
    Petitioner,
    /// A unit (单位), by unit code.
    Unit(String),
}

impl Recipient {
    /// `petitioner` or `unit`, as stored and shown.
    pub fn kind(&self) -> &'static str {
        match self {
            Recipient::Petitioner => "petitioner",
            Recipient::Unit(_) => "unit",
        }
    }

    /// Tells the recipients of one event apart, so that each gets its notice once however often
    /// the event is delivered.
    pub fn key(&self) -> String {
        match self {
            Recipient::Petitioner => "petitioner".into(),
            Recipient::Unit(u) => format!("unit:{u}"),
        }
    }

    /// The unit a notice to a unit goes to.
    pub fn unit(&self) -> Option<&str> {
        match self {
            Recipient::Petitioner => None,
            Recipient::Unit(u) => Some(u),
        }
    }

    /// The delivery channel (送达方式): units read their inbox in the system; a petitioner reachable
    /// by phone gets an SMS, any other is served in person.
    pub fn channel(&self, contactable: bool) -> &'static str {
        match self {
            Recipient::Petitioner if contactable => "sms",
            Recipient::Petitioner => "in_person",
            Recipient::Unit(_) => "system",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_told_in_the_system_and_petitioners_by_sms_when_reachable() {
        let unit = Recipient::Unit("140423-RSJ".into());
        assert_eq!(unit.channel(false), "system");
        assert_eq!(unit.key(), "unit:140423-RSJ");
        assert_eq!(Recipient::Petitioner.channel(true), "sms");
        assert_eq!(Recipient::Petitioner.channel(false), "in_person");
        assert_eq!(Recipient::Petitioner.unit(), None);
    }
}
