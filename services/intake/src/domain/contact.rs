//! How a petitioner wants to be told (送达联系方式): an e-mail address (电子邮箱) and the stated
//! preference among the electronic channels (送达方式偏好). Both validate on construction; the
//! address is personal data (`Debug` never shows it), sealed at rest like the phone.

use xinfang_platform::pii::PlainPii;

use super::error::FieldError;

/// An e-mail address (电子邮箱): `local@domain.tld`, at most 254 characters, no spaces or
/// control characters, the domain with a dot and no empty label. Normalised: trimmed, the domain
/// lower-cased.
#[derive(Clone, PartialEq)]
pub struct Email(PlainPii);

impl std::fmt::Debug for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Email(***)")
    }
}

impl Email {
    pub fn parse(field: &str, s: &str) -> Result<Email, FieldError> {
        let t = s.trim();
        let bad = || FieldError::new(field, "电子邮箱格式不正确，应如 zhangsan@example.cn");
        if t.is_empty() || t.chars().count() > 254 {
            return Err(bad());
        }
        if t.chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';'))
        {
            return Err(bad());
        }
        let Some((local, domain)) = t.rsplit_once('@') else {
            return Err(bad());
        };
        if local.is_empty()
            || local.len() > 64
            || local.contains('@')
            || !domain.contains('.')
            || domain.split('.').any(|label| {
                label.is_empty()
                    || label.starts_with('-')
                    || label.ends_with('-')
                    || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(bad());
        }
        Ok(Email(PlainPii::new(format!(
            "{local}@{}",
            domain.to_lowercase()
        ))))
    }

    pub fn pii(&self) -> &PlainPii {
        &self.0
    }
}

/// The masked form shown to staff without the right to see personal data: the first character
/// of the local part and the domain (`z***@example.cn`).
pub fn mask_email(value: &str) -> String {
    match value.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// The channel a petitioner asked to be told by (送达方式偏好).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreferredChannel {
    /// 短信
    Sms,
    /// 电子邮件
    Email,
}

impl PreferredChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            PreferredChannel::Sms => "sms",
            PreferredChannel::Email => "email",
        }
    }

    /// `sms` or `email`; an e-mail preference needs an address, an SMS one a mobile phone.
    pub fn parse(
        field: &str,
        s: &str,
        has_email: bool,
        has_mobile: bool,
    ) -> Result<PreferredChannel, FieldError> {
        match s.trim() {
            "email" if has_email => Ok(PreferredChannel::Email),
            "email" => Err(FieldError::new(field, "选择电子邮件送达时须填写电子邮箱")),
            "sms" if has_mobile => Ok(PreferredChannel::Sms),
            "sms" => Err(FieldError::new(field, "选择短信送达时须填写手机号码")),
            _ => Err(FieldError::new(
                field,
                "送达方式无效，应为 sms（短信）或 email（电子邮件）",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_checked_and_masked() {
        let e = Email::parse("email", "  ZhangSan@Example.CN ").unwrap();
        assert_eq!(e.pii().expose(), "ZhangSan@example.cn");
        assert_eq!(format!("{e:?}"), "Email(***)");
        for bad in [
            "",
            "zhangsan",
            "zhang san@example.cn",
            "@example.cn",
            "a@example",
            "a@-x.cn",
            "a@x..cn",
            "a<b>@x.cn",
        ] {
            let err = Email::parse("petitioners[0].email", bad).unwrap_err();
            assert_eq!(err.field, "petitioners[0].email", "{bad}");
        }
        assert_eq!(mask_email("zhangsan@example.cn"), "z***@example.cn");
    }

    #[test]
    fn a_preference_needs_the_address_it_names() {
        assert_eq!(
            PreferredChannel::parse("p", "email", true, false).unwrap(),
            PreferredChannel::Email
        );
        assert!(PreferredChannel::parse("p", "email", false, true).is_err());
        assert!(PreferredChannel::parse("p", "sms", true, false).is_err());
        assert_eq!(
            PreferredChannel::parse("p", "sms", false, true).unwrap(),
            PreferredChannel::Sms
        );
        assert!(PreferredChannel::parse("p", "pigeon", true, true).is_err());
    }
}
