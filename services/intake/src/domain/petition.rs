//! A registration (信访事项登记) and its parts; each validates on construction (`parse`) and reports
//! every failure with its field.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::events::{Category, Channel};
use xinfang_platform::pii::PlainPii;

use super::{
    contact::{Email, PreferredChannel},
    error::FieldError,
    repeat::Candidate,
};

fn err(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError::new(field, message)
}

/// Optional free text with a length limit; blank counts as absent.
fn text(
    field: &str,
    label: &str,
    s: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    let Some(t) = s.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > max {
        return Err(err(field, format!("{label}不能超过 {max} 个字")));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(err(field, format!("{label}含有不可见字符")));
    }
    Ok(Some(t.to_string()))
}

/// Summary of the matter (信访事项摘要), 1–4000 characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary(String);

impl Summary {
    pub const MAX: usize = 4000;
    pub fn parse(s: &str) -> Result<Summary, FieldError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(err("summary", "信访事项摘要不能为空"));
        }
        if t.chars().count() > Self::MAX {
            return Err(err(
                "summary",
                format!("信访事项摘要不能超过 {} 个字", Self::MAX),
            ));
        }
        Ok(Summary(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name (姓名), 1–50 characters, no control characters.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &str, s: &str) -> Result<PersonName, FieldError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(err(field, "姓名不能为空"));
        }
        if t.chars().count() > 50 {
            return Err(err(field, "姓名不能超过 50 个字"));
        }
        if t.chars().any(char::is_control) {
            return Err(err(field, "姓名含有不可见字符"));
        }
        Ok(PersonName(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Citizen identity number (公民身份号码, GB 11643-1999): 17 digits and a check character computed
/// with ISO 7064 MOD 11-2. `Debug` never shows it.
#[derive(Clone, PartialEq)]
pub struct IdNumber(PlainPii);

impl std::fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdNumber(***)")
    }
}

impl IdNumber {
    pub fn parse(field: &str, s: &str) -> Result<IdNumber, FieldError> {
        let t: String = s.trim().to_ascii_uppercase();
        let chars: Vec<char> = t.chars().collect();
        if chars.len() != 18
            || !chars[..17].iter().all(|c| c.is_ascii_digit())
            || !(chars[17].is_ascii_digit() || chars[17] == 'X')
        {
            return Err(err(
                field,
                "身份证号码应为 18 位：前 17 位为数字，最后一位为数字或 X",
            ));
        }
        let birth = NaiveDate::parse_from_str(&t[6..14], "%Y%m%d").ok();
        if birth.is_none_or(|d| d.format("%Y").to_string().as_str() < "1900") {
            return Err(err(field, "身份证号码中的出生日期无效"));
        }
        if check_char(&t[..17]) != chars[17] {
            return Err(err(field, "身份证号码校验位不正确（GB 11643）"));
        }
        Ok(IdNumber(PlainPii::new(t)))
    }
    pub fn pii(&self) -> &PlainPii {
        &self.0
    }
    /// The date of birth the number carries (出生日期), checked by [`IdNumber::parse`].
    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(self.0.expose().get(6..14)?, "%Y%m%d").ok()
    }
}

/// ISO 7064 MOD 11-2 check character of the first 17 digits.
pub fn check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CODES: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CODES[(sum % 11) as usize]
}

/// Phone number (联系电话): a mobile `1[3-9]xxxxxxxxx` (optionally `+86`), or a landline with its
/// area code `0xx(x)-xxxxxxx(x)`. Normalized to digits (landlines as `area-number`).
#[derive(Clone, PartialEq)]
pub struct Phone(PlainPii);

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Phone(***)")
    }
}

impl Phone {
    pub fn parse(field: &str, s: &str) -> Result<Phone, FieldError> {
        let t: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let t = t
            .strip_prefix("+86")
            .or_else(|| t.strip_prefix("0086"))
            .unwrap_or(&t)
            .to_string();
        let digits = |x: &str| !x.is_empty() && x.chars().all(|c| c.is_ascii_digit());
        // Mobile
        if t.len() == 11 && digits(&t) && t.starts_with('1') {
            let second = t.as_bytes()[1];
            if (b'3'..=b'9').contains(&second) {
                return Ok(Phone(PlainPii::new(t)));
            }
            return Err(err(field, "手机号码号段无效"));
        }
        // Landline: 0 + 2–3 digit area code, 7–8 digit number; with or without the hyphen.
        let (area, number) = match t.split_once('-') {
            Some((a, n)) => (a.to_string(), n.to_string()),
            None if t.starts_with('0') && digits(&t) => {
                // 3-digit area codes (010, 02x) are followed by 8 digits; others are 4 digits.
                let split = if t.starts_with("01") || t.starts_with("02") {
                    3
                } else {
                    4
                };
                if t.len() <= split {
                    (t.clone(), String::new())
                } else {
                    (t[..split].to_string(), t[split..].to_string())
                }
            }
            None => (String::new(), String::new()),
        };
        if digits(&area)
            && area.starts_with('0')
            && (3..=4).contains(&area.len())
            && digits(&number)
            && (7..=8).contains(&number.len())
        {
            return Ok(Phone(PlainPii::new(format!("{area}-{number}"))));
        }
        Err(err(
            field,
            "电话号码格式不正确：手机号为 11 位（如 13812345678），固定电话须带区号（如 0355-5551234）",
        ))
    }
    pub fn pii(&self) -> &PlainPii {
        &self.0
    }
}

/// 信访事项领域: one list for the platform, in the event contracts.
pub use xinfang_contracts::events::PETITION_FIELDS as FIELDS;

pub fn parse_category(field: &str, s: &str) -> Result<Category, FieldError> {
    match s {
        "suggestion" => Ok(Category::Suggestion),
        "accusation" => Ok(Category::Accusation),
        "claim" => Ok(Category::Claim),
        _ => Err(err(
            field,
            "信访事项类别无效，应为 suggestion（建议意见类）、accusation（检举控告类）或 claim（申诉求决类）",
        )),
    }
}

pub fn category_of(s: &str) -> Option<Category> {
    parse_category("", s).ok()
}

/// The national default sub-taxonomy (二级分类目录): field code → subfield codes. Counties may
/// configure their own (`intake.taxonomy`).
pub fn default_taxonomy() -> BTreeMap<String, Vec<String>> {
    let mut taxonomy = BTreeMap::new();
    let mut put = |field: &str, subfields: &[&str]| {
        taxonomy.insert(
            field.to_string(),
            subfields.iter().map(|s| s.to_string()).collect(),
        );
    };
    put(
        "urban_rural_construction",
        &[
            "demolition_compensation",
            "housing_quality",
            "property_management",
            "urban_management",
        ],
    );
    put(
        "labour_social_security",
        &["wage_arrears", "social_insurance", "labour_contract"],
    );
    put(
        "agriculture_rural",
        &["land_contract", "village_affairs", "subsidies"],
    );
    put(
        "natural_resources",
        &["land_acquisition", "homestead", "mining", "forest"],
    );
    put(
        "law_litigation",
        &["court_judgment", "enforcement", "police", "procuratorate"],
    );
    put("other", &[]);
    taxonomy
}

/// Kinds of attachment (附件).
pub const ATTACHMENT_KINDS: [&str; 4] = ["scanned_letter", "photo", "document", "audio"];
pub const MAX_ATTACHMENTS: usize = 20;
pub const MAX_ATTACHMENT_BYTES: i64 = 50 * 1024 * 1024;

/// Attachment metadata (附件信息); the file itself lives in the document store.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// A petitioner (信访人).
#[derive(Debug, Clone)]
pub struct NewPetitioner {
    pub name: PersonName,
    pub id_number: Option<IdNumber>,
    pub phone: Option<Phone>,
    pub address: Option<PlainPii>,
    /// 电子邮箱
    pub email: Option<Email>,
    /// 送达方式偏好
    pub preferred_channel: Option<PreferredChannel>,
}

/// The raw petitioner fields.
#[derive(Default)]
pub struct RawPetitioner<'a> {
    pub name: &'a str,
    pub id_number: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub address: Option<&'a str>,
    pub email: Option<&'a str>,
    pub preferred_channel: Option<&'a str>,
}

/// The raw attachment fields.
pub struct RawAttachment<'a> {
    pub kind: &'a str,
    pub file_name: &'a str,
    pub content_type: &'a str,
    pub size_bytes: i64,
    pub sha256: &'a str,
}

/// A validated registration.
#[derive(Debug, Clone)]
pub struct NewPetition {
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub summary: Summary,
    pub facts: Option<String>,
    pub requests: Option<String>,
    pub category: Option<Category>,
    pub field: Option<String>,
    pub subfield: Option<String>,
    pub township: Option<String>,
    pub village: Option<String>,
    pub respondent_unit: Option<String>,
    pub petitioners: Vec<NewPetitioner>,
    pub petitioner_count: u32,
    pub group_visit: bool,
    pub attachments: Vec<Attachment>,
    pub upstream_reference: Option<String>,
    pub upstream_organ: Option<String>,
    pub upstream_due_on: Option<NaiveDate>,
}

/// The raw fields of a registration, as the API received them.
#[derive(Default)]
pub struct RawPetition<'a> {
    pub channel: &'a str,
    pub received_on: Option<NaiveDate>,
    pub summary: &'a str,
    pub facts: Option<&'a str>,
    pub requests: Option<&'a str>,
    pub category: Option<&'a str>,
    pub field: Option<&'a str>,
    pub subfield: Option<&'a str>,
    pub township: Option<&'a str>,
    pub village: Option<&'a str>,
    pub respondent_unit: Option<&'a str>,
    pub petitioners: Vec<RawPetitioner<'a>>,
    pub petitioner_count: Option<u32>,
    pub group_visit: Option<bool>,
    pub attachments: Vec<RawAttachment<'a>>,
    pub upstream_reference: Option<&'a str>,
    pub upstream_organ: Option<&'a str>,
    pub upstream_due_on: Option<NaiveDate>,
}

/// At most five representatives for a group visit (Reg art 20).
pub const MAX_REPRESENTATIVES: usize = 5;
/// A visit by five or more people is a group visit (多人走访) unless the clerk says otherwise.
pub const GROUP_VISIT_MIN: u32 = 5;
/// The most people one registration or visit may count (信访人数上限): a plausibility bound that
/// catches keying errors (an extra digit), far above any group visit a reception hall receives.
pub const MAX_PETITIONER_COUNT: u32 = 2000;
/// No petition predates the People's Republic (中华人民共和国成立).
pub fn earliest_receipt() -> NaiveDate {
    NaiveDate::from_ymd_opt(1949, 10, 1).unwrap_or(NaiveDate::MIN)
}

impl NewPetition {
    /// Validate every field and report every failure at once.
    pub fn parse(
        raw: RawPetition<'_>,
        today: NaiveDate,
        taxonomy: &BTreeMap<String, Vec<String>>,
    ) -> Result<NewPetition, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut keep = |r: Result<Option<String>, FieldError>| match r {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let facts = keep(text("facts", "事实和理由", raw.facts, 10_000));
        let requests = keep(text("requests", "信访诉求", raw.requests, 4_000));
        let township = keep(text("township", "乡镇", raw.township, 50));
        let village = keep(text("village", "村（社区）", raw.village, 50));
        let respondent_unit = keep(text(
            "respondent_unit",
            "被反映单位",
            raw.respondent_unit,
            50,
        ));
        let upstream_reference = keep(text(
            "upstream_reference",
            "上级来文编号",
            raw.upstream_reference,
            100,
        ));
        let upstream_organ = keep(text(
            "upstream_organ",
            "转送交办机关",
            raw.upstream_organ,
            100,
        ));

        let channel = Channel::parse(raw.channel);
        if channel.is_none() {
            errors.push(err(
                "channel",
                "信访渠道无效，应为 visit（走访）、letter（书信）、phone（电话）、fax（传真）、online（网上信访）、transferred_in（上级转送）或 assigned_in（上级交办）",
            ));
        }
        let received_on = raw.received_on.unwrap_or(today);
        if received_on > today {
            errors.push(err("received_on", "收到日期不能晚于今天"));
        }
        if received_on < earliest_receipt() {
            errors.push(err("received_on", "收到日期不能早于 1949年10月1日"));
        }
        let summary = Summary::parse(raw.summary).map_err(|e| errors.push(e)).ok();
        let category = raw
            .category
            .map(|c| parse_category("category", c))
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let field = match raw.field {
            None => None,
            Some(f) if FIELDS.iter().any(|(code, _)| *code == f) => Some(f.to_string()),
            Some(_) => {
                errors.push(err(
                    "field",
                    "信访事项领域无效，应为 urban_rural_construction（城乡建设）、labour_social_security（劳动保障）、agriculture_rural（农业农村）、natural_resources（自然资源）、law_litigation（涉法涉诉）或 other（其他）",
                ));
                None
            }
        };
        let subfield = match (raw.subfield, &field) {
            (None, _) => None,
            (Some(_), None) if raw.field.is_none() => {
                errors.push(err("subfield", "填写二级分类时须同时填写信访事项领域"));
                None
            }
            (Some(_), None) => None,
            (Some(s), Some(f)) => {
                if taxonomy
                    .get(f)
                    .is_some_and(|subs| subs.iter().any(|x| x == s))
                {
                    Some(s.to_string())
                } else {
                    errors.push(err(
                        "subfield",
                        format!("二级分类“{s}”不属于该领域的分类目录"),
                    ));
                    None
                }
            }
        };

        // Petitioners (信访人).
        let mut petitioners = Vec::new();
        if raw.petitioners.len() > MAX_REPRESENTATIVES {
            errors.push(err(
                "petitioners",
                format!("多人走访应推选代表，代表人数不超过 {MAX_REPRESENTATIVES} 人（《信访工作条例》第二十条）"),
            ));
        }
        for (i, p) in raw.petitioners.iter().enumerate() {
            let name = PersonName::parse(&format!("petitioners[{i}].name"), p.name)
                .map_err(|e| errors.push(e))
                .ok();
            let id_number = p
                .id_number
                .filter(|s| !s.trim().is_empty())
                .map(|s| IdNumber::parse(&format!("petitioners[{i}].id_number"), s))
                .transpose()
                .map_err(|e| errors.push(e))
                .ok()
                .flatten();
            let phone = p
                .phone
                .filter(|s| !s.trim().is_empty())
                .map(|s| Phone::parse(&format!("petitioners[{i}].phone"), s))
                .transpose()
                .map_err(|e| errors.push(e))
                .ok()
                .flatten();
            let address = match text(&format!("petitioners[{i}].address"), "住址", p.address, 200)
            {
                Ok(a) => a.map(PlainPii::new),
                Err(e) => {
                    errors.push(e);
                    None
                }
            };
            let email = p
                .email
                .filter(|s| !s.trim().is_empty())
                .map(|s| Email::parse(&format!("petitioners[{i}].email"), s))
                .transpose()
                .map_err(|e| errors.push(e))
                .ok()
                .flatten();
            let mobile = phone
                .as_ref()
                .is_some_and(|p| !p.pii().expose().contains('-'));
            let preferred_channel = p
                .preferred_channel
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    PreferredChannel::parse(
                        &format!("petitioners[{i}].preferred_channel"),
                        s,
                        // A value that did not parse is reported once, on its own field.
                        email.is_some() || p.email.is_some_and(|e| !e.trim().is_empty()),
                        mobile
                            || (phone.is_none() && p.phone.is_some_and(|e| !e.trim().is_empty())),
                    )
                })
                .transpose()
                .map_err(|e| errors.push(e))
                .ok()
                .flatten();
            if let Some(born) = id_number.as_ref().and_then(IdNumber::birth_date) {
                if received_on < born {
                    errors.push(err(
                        "received_on",
                        format!("收到日期早于第 {} 位信访人的出生日期，请核对", i + 1),
                    ));
                }
            }
            if let Some(name) = name {
                petitioners.push(NewPetitioner {
                    name,
                    id_number,
                    phone,
                    address,
                    email,
                    preferred_channel,
                });
            }
        }
        let petitioner_count = raw
            .petitioner_count
            .unwrap_or(raw.petitioners.len().max(1) as u32);
        if petitioner_count == 0 || petitioner_count > MAX_PETITIONER_COUNT {
            errors.push(err(
                "petitioner_count",
                format!("信访人数应在 1 至 {MAX_PETITIONER_COUNT} 之间，请核对是否多输了数字"),
            ));
        } else if (petitioner_count as usize) < raw.petitioners.len() {
            errors.push(err("petitioner_count", "信访人数不能少于所列信访人"));
        }
        let group_visit = raw
            .group_visit
            .unwrap_or(channel == Some(Channel::Visit) && petitioner_count >= GROUP_VISIT_MIN);
        if group_visit && channel.is_some() && channel != Some(Channel::Visit) {
            errors.push(err("group_visit", "只有走访才能登记为多人走访"));
        }
        if group_visit && petitioner_count < 2 {
            errors.push(err("petitioner_count", "多人走访的信访人数至少为 2 人"));
        }

        // Attachments (附件).
        let mut attachments = Vec::new();
        if raw.attachments.len() > MAX_ATTACHMENTS {
            errors.push(err(
                "attachments",
                format!("附件不能超过 {MAX_ATTACHMENTS} 个"),
            ));
        }
        for (i, a) in raw.attachments.iter().enumerate() {
            let f = |k: &str| format!("attachments[{i}].{k}");
            let before = errors.len();
            if !ATTACHMENT_KINDS.contains(&a.kind) {
                errors.push(err(
                    f("kind"),
                    "附件类型无效，应为 scanned_letter（来信扫描件）、photo（照片）、document（文书）或 audio（录音）",
                ));
            }
            let name = a.file_name.trim();
            if name.is_empty() || name.chars().count() > 200 || name.contains(['/', '\\']) {
                errors.push(err(
                    f("file_name"),
                    "附件文件名不能为空、不能超过 200 个字、不能含路径",
                ));
            }
            let ct = a.content_type.trim();
            if ct.len() > 100 || !ct.contains('/') {
                errors.push(err(
                    f("content_type"),
                    "附件类型（MIME）格式不正确，如 image/jpeg",
                ));
            }
            if a.size_bytes <= 0 || a.size_bytes > MAX_ATTACHMENT_BYTES {
                errors.push(err(f("size_bytes"), "附件大小应在 1 字节至 50 MB 之间"));
            }
            if a.sha256.len() != 64 || !a.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
                errors.push(err(f("sha256"), "附件摘要应为 64 位十六进制 SHA-256"));
            }
            if errors.len() == before {
                attachments.push(Attachment {
                    kind: a.kind.to_string(),
                    file_name: name.to_string(),
                    content_type: ct.to_string(),
                    size_bytes: a.size_bytes,
                    sha256: a.sha256.to_ascii_lowercase(),
                });
            }
        }

        // Required fields per channel (各渠道必填项).
        if let Some(ch) = channel {
            let anonymous = raw.petitioners.is_empty();
            match ch {
                Channel::Visit => {
                    if anonymous {
                        errors.push(err(
                            "petitioners",
                            "走访登记须填写信访人（多人走访填写代表）",
                        ));
                    }
                }
                Channel::Phone => {
                    if !anonymous
                        && raw
                            .petitioners
                            .iter()
                            .all(|p| p.phone.is_none_or(|s| s.trim().is_empty()))
                    {
                        errors.push(err("petitioners[0].phone", "电话信访须登记来电号码"));
                    }
                }
                Channel::Letter | Channel::Fax | Channel::Online => {
                    if !anonymous
                        && raw.petitioners.iter().all(|p| {
                            p.phone.is_none_or(|s| s.trim().is_empty())
                                && p.address.is_none_or(|s| s.trim().is_empty())
                                && p.email.is_none_or(|s| s.trim().is_empty())
                        })
                    {
                        errors.push(err(
                            "petitioners[0].address",
                            "书信、传真、网上信访须登记住址或联系电话，以便送达告知",
                        ));
                    }
                }
                Channel::TransferredIn | Channel::AssignedIn => {
                    if upstream_reference.is_none() && raw.upstream_reference.is_none() {
                        errors.push(err(
                            "upstream_reference",
                            "上级转送、交办的事项须填写上级来文编号",
                        ));
                    }
                }
            }
            if ch == Channel::AssignedIn {
                match raw.upstream_due_on {
                    None => errors.push(err("upstream_due_on", "上级交办的事项须填写交办期限")),
                    Some(d) if d < received_on => {
                        errors.push(err("upstream_due_on", "交办期限不能早于收到日期"))
                    }
                    _ => {}
                }
            } else if raw.upstream_due_on.is_some() && ch != Channel::TransferredIn {
                errors.push(err(
                    "upstream_due_on",
                    "只有上级转送、交办的事项才有上级期限",
                ));
            }
            if anonymous
                && !matches!(
                    ch,
                    Channel::TransferredIn | Channel::AssignedIn | Channel::Visit
                )
                && category != Some(Category::Accusation)
            {
                errors.push(err(
                    "petitioners",
                    "只有检举控告类事项可以匿名；其他事项须填写信访人",
                ));
            }
        }
        match (channel, summary, errors.is_empty()) {
            (Some(channel), Some(summary), true) => Ok(NewPetition {
                channel,
                received_on,
                summary,
                facts,
                requests,
                category,
                field,
                subfield,
                township,
                village,
                respondent_unit,
                petitioners,
                petitioner_count,
                group_visit,
                attachments,
                upstream_reference,
                upstream_organ,
                upstream_due_on: raw.upstream_due_on,
            }),
            _ => Err(errors),
        }
    }

    pub fn anonymous(&self) -> bool {
        self.petitioners.is_empty()
    }

    /// Whether a notice can reach the petitioner (a phone, an address or an e-mail address was
    /// given).
    pub fn contactable(&self) -> bool {
        self.petitioners
            .iter()
            .any(|p| p.phone.is_some() || p.address.is_some() || p.email.is_some())
    }

    /// The text compared for repeat detection: summary, facts and requests.
    pub fn content(&self) -> String {
        let mut s = self.summary.as_str().to_string();
        for t in [&self.facts, &self.requests].into_iter().flatten() {
            s.push('\n');
            s.push_str(t);
        }
        s
    }
}

/// 查询码: eight characters without look-alikes (no 0/O, 1/I).
pub fn new_query_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// What is stored of a query code (查询码): its hash, salted with the petition's id.
pub fn query_code_hash(id: Uuid, query_code: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("{id}:{query_code}").as_bytes()))
}

/// A registration as answered to the clerk (登记结果).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RegisteredPetition {
    pub id: Uuid,
    /// 信访件编号
    pub case_number: String,
    /// 查询码: shown once, for the petitioner to follow the case.
    pub query_code: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub status: String,
    pub correlation_id: Uuid,
    /// Earlier petitions that may be the same matter (重复信访候选), best first; the clerk links
    /// one (`POST /petitions/{id}/repeat`) or confirms the petition as new.
    #[serde(default)]
    pub repeat_candidates: Vec<Candidate>,
}

/// The case number (信访件编号) of the `sequence`th petition of `year` in the county, e.g.
/// `140423-2025-000123`: gap-free per county and year.
pub fn format_case_number(division: &str, year: i32, sequence: i64) -> String {
    format!("{division}-{year}-{sequence:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(names: Vec<&'a str>) -> RawPetition<'a> {
        RawPetition {
            channel: "visit",
            summary: "拖欠工资",
            petitioners: names
                .into_iter()
                .map(|name| RawPetitioner {
                    name,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 9, 26).unwrap()
    }

    fn parse(r: RawPetition<'_>) -> Result<NewPetition, Vec<FieldError>> {
        NewPetition::parse(r, today(), &default_taxonomy())
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn a_valid_registration_parses() {
        let p = parse(raw(vec!["张三"])).unwrap();
        assert_eq!(p.channel, Channel::Visit);
        assert_eq!(p.received_on, today());
        assert_eq!(p.petitioner_count, 1);
        assert!(!p.anonymous());
        assert!(!p.group_visit);
    }

    #[test]
    fn implausible_dates_and_counts_are_refused() {
        let mut r = raw(vec!["张三"]);
        r.received_on = Some(NaiveDate::from_ymd_opt(1948, 5, 1).unwrap());
        assert!(fields(&parse(r).unwrap_err()).contains(&"received_on"));
        // received before the petitioner was born (ID number of someone born 2001-03-04)
        let first = "14042320010304001";
        let id = format!("{first}{}", check_char(first));
        let mut r = raw(vec!["张三"]);
        r.petitioners[0].id_number = Some(&id);
        r.received_on = Some(NaiveDate::from_ymd_opt(2000, 5, 1).unwrap());
        let e = parse(r).unwrap_err();
        assert!(fields(&e).contains(&"received_on"), "{e:?}");
        let mut r = raw(vec!["张三"]);
        r.petitioner_count = Some(100_000);
        assert!(fields(&parse(r).unwrap_err()).contains(&"petitioner_count"));
        let mut r = raw(vec!["张三"]);
        r.petitioner_count = Some(MAX_PETITIONER_COUNT);
        r.group_visit = Some(true);
        assert!(parse(r).is_ok());
    }

    #[test]
    fn a_sixth_representative_is_refused() {
        let errs = parse(raw(vec!["甲", "乙", "丙", "丁", "戊", "己"])).unwrap_err();
        assert!(errs
            .iter()
            .any(|e| e.field == "petitioners" && e.message.contains("不超过 5 人")));
    }

    #[test]
    fn a_group_visit_has_representatives_and_a_count() {
        let mut r = raw(vec!["甲", "乙", "丙", "丁", "戊"]);
        r.petitioner_count = Some(40);
        let p = parse(r).unwrap();
        assert!(p.group_visit);
        assert_eq!(p.petitioners.len(), 5);
        let mut r = raw(vec!["甲"]);
        r.channel = "letter";
        r.group_visit = Some(true);
        r.petitioners[0].address = Some("城关镇");
        assert!(fields(&parse(r).unwrap_err()).contains(&"group_visit"));
    }

    #[test]
    fn every_error_is_reported_with_its_field() {
        let long_address = "路".repeat(201);
        let long_facts = "事".repeat(10_001);
        let r = RawPetition {
            channel: "pigeon",
            received_on: Some(NaiveDate::from_ymd_opt(2025, 9, 27).unwrap()),
            summary: "  ",
            petitioners: vec![RawPetitioner {
                name: "",
                id_number: Some("140423199001011235"),
                phone: Some("12345"),
                address: Some(&long_address),
                ..Default::default()
            }],
            petitioner_count: Some(0),
            category: Some("complaint"),
            field: Some("weather"),
            facts: Some(&long_facts),
            ..Default::default()
        };
        let errs = parse(r).unwrap_err();
        let fields = fields(&errs);
        for f in [
            "channel",
            "received_on",
            "summary",
            "petitioners[0].name",
            "petitioners[0].id_number",
            "petitioners[0].phone",
            "petitioners[0].address",
            "petitioner_count",
            "category",
            "field",
            "facts",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        assert!(errs
            .iter()
            .all(|e| !e.message.is_empty() && !e.message.is_ascii()));
    }

    #[test]
    fn identity_numbers_are_checked_by_gb_11643() {
        // 11010519491231002X is the standard's own example.
        assert!(IdNumber::parse("x", "11010519491231002X").is_ok());
        assert!(IdNumber::parse("x", "11010519491231002x").is_ok());
        assert_eq!(check_char("14042319900101123"), '7');
        assert!(IdNumber::parse("x", "140423199001011237").is_ok());
        let e = IdNumber::parse("x", "140423199001011234").unwrap_err();
        assert!(e.message.contains("校验位"));
        assert!(IdNumber::parse("x", "1404231990010112")
            .unwrap_err()
            .message
            .contains("18 位"));
        assert!(IdNumber::parse("x", "140423199013011234")
            .unwrap_err()
            .message
            .contains("出生日期"));
        assert_eq!(
            format!("{:?}", IdNumber::parse("x", "140423199001011237").unwrap()),
            "IdNumber(***)"
        );
    }

    #[test]
    fn phones_mobile_and_landline() {
        for ok in [
            "13812345678",
            "+86 138 1234 5678",
            "0355-5551234",
            "03555551234",
            "010-12345678",
        ] {
            assert!(Phone::parse("p", ok).is_ok(), "{ok}");
        }
        assert_eq!(
            Phone::parse("p", "03555551234").unwrap().pii().expose(),
            "0355-5551234"
        );
        for bad in ["12812345678", "1381234567", "5551234", "0355-12", "abc"] {
            assert!(Phone::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn required_fields_per_channel() {
        // visit: no anonymous visit
        let e = parse(raw(vec![])).unwrap_err();
        assert!(fields(&e).contains(&"petitioners"));
        // phone: the caller's number
        let mut r = raw(vec!["张三"]);
        r.channel = "phone";
        assert!(fields(&parse(r).unwrap_err()).contains(&"petitioners[0].phone"));
        // letter: an address or a phone
        let mut r = raw(vec!["张三"]);
        r.channel = "letter";
        assert!(fields(&parse(r).unwrap_err()).contains(&"petitioners[0].address"));
        // anonymous: accusations only
        let mut r = raw(vec![]);
        r.channel = "letter";
        assert!(fields(&parse(r).unwrap_err()).contains(&"petitioners"));
        let mut r = raw(vec![]);
        r.channel = "letter";
        r.category = Some("accusation");
        assert!(parse(r).unwrap().anonymous());
        // transferred/assigned in: reference, and a deadline when assigned
        let mut r = raw(vec![]);
        r.channel = "assigned_in";
        let e = parse(r).unwrap_err();
        assert!(fields(&e).contains(&"upstream_reference"));
        assert!(fields(&e).contains(&"upstream_due_on"));
        let mut r = raw(vec![]);
        r.channel = "assigned_in";
        r.upstream_reference = Some("长信转〔2025〕12号");
        r.upstream_due_on = Some(NaiveDate::from_ymd_opt(2025, 10, 30).unwrap());
        assert!(parse(r).is_ok());
    }

    #[test]
    fn subfields_come_from_the_taxonomy() {
        let mut r = raw(vec!["张三"]);
        r.field = Some("labour_social_security");
        r.subfield = Some("wage_arrears");
        assert!(parse(r).is_ok());
        let mut r = raw(vec!["张三"]);
        r.field = Some("labour_social_security");
        r.subfield = Some("homestead");
        assert!(fields(&parse(r).unwrap_err()).contains(&"subfield"));
    }

    #[test]
    fn attachments_are_checked() {
        let mut r = raw(vec!["张三"]);
        r.attachments = vec![RawAttachment {
            kind: "video",
            file_name: "../x",
            content_type: "jpeg",
            size_bytes: 0,
            sha256: "zz",
        }];
        let e = parse(r).unwrap_err();
        for f in ["kind", "file_name", "content_type", "size_bytes", "sha256"] {
            assert!(fields(&e).contains(&format!("attachments[0].{f}").as_str()));
        }
    }

    #[test]
    fn summaries_have_a_length_limit() {
        assert!(Summary::parse(&"字".repeat(4000)).is_ok());
        assert!(Summary::parse(&"字".repeat(4001)).is_err());
    }

    #[test]
    fn case_numbers_and_query_codes_have_their_shape() {
        assert_eq!(
            format_case_number("140423", 2025, 123),
            "140423-2025-000123"
        );
        let q = new_query_code();
        assert_eq!(q.len(), 8);
        assert!(q.chars().all(|c| c.is_ascii_alphanumeric()
            && c != '0'
            && c != 'O'
            && c != '1'
            && c != 'I'));
    }
}
