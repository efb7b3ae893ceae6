//! Dependency: lettre, the Rust ecosystem's standard SMTP client and message builder (async on tokio, STARTTLS/TLS via rustls).
//!
//! E-mail notifications to staff. A notification says only that a case needs attention, its
//! reference number, the agency and a link: never the report's content nor anything about the
//! reporter. The API enforces this by construction: [`attention_mail`] takes no parameter that
//! could carry either, and [`OutgoingMail`] is what the composer produced, sent as plain text.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::Lang;

/// A boxed, sendable future (what [`Mailer::send`] returns, so the trait stays object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Sends one e-mail. Implemented by [`SmtpMailer`] and [`NoMailer`]; tests may add their own.
pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: OutgoingMail) -> BoxFuture<'_, Result<(), MailError>>;
}

/// One plain-text (UTF-8) e-mail to one recipient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail settings: {0}")]
    Settings(String),
    #[error("invalid e-mail address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("could not build the e-mail: {0}")]
    Message(#[from] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
pub enum SmtpTls {
    /// Plain SMTP, no encryption (only for a relay on the same host, or tests).
    #[serde(rename = "none")]
    None,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    #[serde(rename = "starttls")]
    StartTls,
    /// TLS from the first byte (usually port 465).
    #[serde(rename = "tls")]
    Tls,
}

impl SmtpTls {
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpTls::None => "none",
            SmtpTls::StartTls => "starttls",
            SmtpTls::Tls => "tls",
        }
    }
}

impl FromStr for SmtpTls {
    type Err = MailError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "none" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::StartTls),
            "tls" => Ok(SmtpTls::Tls),
            other => Err(MailError::Settings(format!(
                "tls must be \"none\", \"starttls\" or \"tls\", not {other:?}"
            ))),
        }
    }
}

/// Where and how to send mail.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
    pub tls: SmtpTls,
    /// The sender, e.g. `Minh Bạch <no-reply@example.gov.vn>`.
    pub from: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("tls", &self.tls)
            .field("from", &self.from)
            .finish()
    }
}

/// Sends mail through an SMTP server (one connection per mail: notifications are few).
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// Checks the settings (sender address, credentials) without connecting.
    pub fn new(settings: &SmtpSettings) -> Result<Self, MailError> {
        let from: Mailbox = settings.from.parse()?;
        let builder = match settings.tls {
            SmtpTls::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            SmtpTls::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)?
            }
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)?,
        }
        .port(settings.port);
        let builder = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                builder.credentials(Credentials::new(user.clone(), password.clone()))
            }
            (None, None) => builder,
            _ => {
                return Err(MailError::Settings(
                    "username and password must be given together".to_owned(),
                ))
            }
        };
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    fn message(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let to: Mailbox = mail.to.parse()?;
        // Quoted-printable, chosen explicitly: 7-bit safe for any relay, and predictable.
        let body =
            Body::new_with_encoding(mail.body.clone(), ContentTransferEncoding::QuotedPrintable)
                .map_err(|_| {
                    MailError::Settings("body cannot be quoted-printable encoded".to_owned())
                })?;
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(body)?)
    }
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: OutgoingMail) -> BoxFuture<'_, Result<(), MailError>> {
        Box::pin(async move {
            let message = self.message(&mail)?;
            self.transport.send(message).await?;
            Ok(())
        })
    }
}

/// Used when SMTP is not configured: sends nothing and says so at debug level.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoMailer;

impl Mailer for NoMailer {
    fn send(&self, mail: OutgoingMail) -> BoxFuture<'_, Result<(), MailError>> {
        tracing::debug!(
            to = %mail.to,
            subject = %mail.subject,
            "SMTP is not configured: e-mail not sent"
        );
        Box::pin(async { Ok(()) })
    }
}

/// The mailer for the configuration: SMTP when settings are given, otherwise [`NoMailer`].
pub fn mailer(settings: Option<&SmtpSettings>) -> Result<Arc<dyn Mailer>, MailError> {
    Ok(match settings {
        Some(settings) => Arc::new(SmtpMailer::new(settings)?),
        None => Arc::new(NoMailer),
    })
}

/// Why a case needs a staff member's attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttentionKind {
    /// A new case arrived at the agency.
    NewCase,
    /// The statutory deadline is near.
    DueSoon,
    /// The statutory deadline has passed.
    Overdue,
    /// The case was reported to the superior level.
    Escalated,
    /// The superior agency asks for an update.
    SuperiorFollowUp,
    /// Another agency forwarded the case to this one.
    ForwardedToYou,
    /// The reporter added a message or information.
    ReporterMessage,
}

impl AttentionKind {
    pub const ALL: [AttentionKind; 7] = [
        AttentionKind::NewCase,
        AttentionKind::DueSoon,
        AttentionKind::Overdue,
        AttentionKind::Escalated,
        AttentionKind::SuperiorFollowUp,
        AttentionKind::ForwardedToYou,
        AttentionKind::ReporterMessage,
    ];
}

/// Composes a notification: `(subject, body)`, plain text. The only variable parts are the
/// reference, the agency's name and the link (control characters in them become spaces, so
/// nothing can break out of the subject line).
pub fn attention_mail(
    lang: Lang,
    kind: AttentionKind,
    reference: &str,
    agency_name: &str,
    link: &str,
) -> (String, String) {
    let reference = one_line(reference);
    let agency = one_line(agency_name);
    let link = one_line(link);
    use AttentionKind as K;
    let (subject, what) = match (lang, kind) {
        (Lang::Vi, K::NewCase) => (
            format!("[Minh Bạch] Hồ sơ mới {reference} cần tiếp nhận"),
            "Có hồ sơ mới cần được tiếp nhận và phân loại.",
        ),
        (Lang::Vi, K::DueSoon) => (
            format!("[Minh Bạch] Hồ sơ {reference} sắp đến hạn xử lý"),
            "Hồ sơ sắp đến thời hạn xử lý theo quy định.",
        ),
        (Lang::Vi, K::Overdue) => (
            format!("[Minh Bạch] Hồ sơ {reference} đã quá hạn"),
            "Hồ sơ đã quá thời hạn xử lý theo quy định.",
        ),
        (Lang::Vi, K::Escalated) => (
            format!("[Minh Bạch] Hồ sơ {reference} đã được báo cáo lên cấp trên"),
            "Hồ sơ đã được báo cáo lên cơ quan cấp trên để theo dõi, đôn đốc.",
        ),
        (Lang::Vi, K::SuperiorFollowUp) => (
            format!("[Minh Bạch] Cấp trên yêu cầu báo cáo về hồ sơ {reference}"),
            "Cơ quan cấp trên yêu cầu báo cáo tình hình xử lý hồ sơ.",
        ),
        (Lang::Vi, K::ForwardedToYou) => (
            format!("[Minh Bạch] Hồ sơ {reference} được chuyển đến cơ quan của bạn"),
            "Hồ sơ đã được chuyển đến cơ quan của bạn để giải quyết theo thẩm quyền.",
        ),
        (Lang::Vi, K::ReporterMessage) => (
            format!("[Minh Bạch] Người phản ánh gửi thông tin mới về hồ sơ {reference}"),
            "Người phản ánh đã gửi thêm tin nhắn hoặc thông tin về hồ sơ.",
        ),
        (Lang::En, K::NewCase) => (
            format!("[Minh Bạch] New case {reference} awaits intake"),
            "A new case needs to be received and triaged.",
        ),
        (Lang::En, K::DueSoon) => (
            format!("[Minh Bạch] Case {reference} is nearing its deadline"),
            "The statutory deadline for this case is approaching.",
        ),
        (Lang::En, K::Overdue) => (
            format!("[Minh Bạch] Case {reference} is overdue"),
            "The statutory deadline for this case has passed.",
        ),
        (Lang::En, K::Escalated) => (
            format!("[Minh Bạch] Case {reference} has been escalated"),
            "This case has been reported to the superior agency for oversight.",
        ),
        (Lang::En, K::SuperiorFollowUp) => (
            format!("[Minh Bạch] The superior agency requests an update on case {reference}"),
            "The superior agency asks for a report on the handling of this case.",
        ),
        (Lang::En, K::ForwardedToYou) => (
            format!("[Minh Bạch] Case {reference} has been forwarded to your agency"),
            "This case has been forwarded to your agency for handling within its competence.",
        ),
        (Lang::En, K::ReporterMessage) => (
            format!("[Minh Bạch] New information from the reporter on case {reference}"),
            "The reporter has added a message or further information to this case.",
        ),
    };
    let body = match lang {
        Lang::Vi => format!(
            "{what}\n\
             \n\
             Số hồ sơ: {reference}\n\
             Cơ quan: {agency}\n\
             Đường dẫn: {link}\n\
             \n\
             Chỉ xem được nội dung hồ sơ sau khi đăng nhập vào hệ thống Minh Bạch.\n\
             \n\
             Thư này được gửi tự động và cố ý không chứa nội dung phản ánh hay thông tin về người phản ánh.\n"
        ),
        Lang::En => format!(
            "{what}\n\
             \n\
             Reference: {reference}\n\
             Agency: {agency}\n\
             Link: {link}\n\
             \n\
             The case's content can be read only after signing in to Minh Bạch.\n\
             \n\
             This message is sent automatically and intentionally contains no report content and nothing about the reporter.\n"
        ),
    };
    (subject, body)
}

fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const REF: &str = "HN-2026-000123";
    const AGENCY: &str = "Thanh tra Thành phố Hà Nội";
    const LINK: &str = "https://minhbach.example/staff/cases/HN-2026-000123";

    #[test]
    fn every_kind_in_both_languages_names_the_reference_agency_and_link() {
        for lang in Lang::ALL {
            for kind in AttentionKind::ALL {
                let (subject, body) = attention_mail(lang, kind, REF, AGENCY, LINK);
                assert!(subject.starts_with("[Minh Bạch] "), "{subject}");
                assert!(subject.contains(REF), "{lang:?} {kind:?}: {subject}");
                assert!(!subject.contains(AGENCY), "{subject}");
                assert!(!subject.contains('\n'), "{subject}");
                assert!(body.contains(&format!(": {REF}\n")), "{body}");
                assert!(body.contains(&format!(": {AGENCY}\n")), "{body}");
                assert!(body.contains(&format!(": {LINK}\n")), "{body}");
                let no_content = match lang {
                    Lang::Vi => "cố ý không chứa nội dung phản ánh",
                    Lang::En => "intentionally contains no report content",
                };
                assert!(body.contains(no_content), "{body}");
                let sign_in = match lang {
                    Lang::Vi => "sau khi đăng nhập",
                    Lang::En => "only after signing in",
                };
                assert!(body.contains(sign_in), "{body}");
                assert!(!subject.contains(['{', '}']) && !body.contains(['{', '}']));
            }
        }
    }

    #[test]
    fn the_texts_are_distinct_per_kind_and_language() {
        let mut seen = std::collections::HashSet::new();
        for lang in Lang::ALL {
            for kind in AttentionKind::ALL {
                let (subject, body) = attention_mail(lang, kind, REF, AGENCY, LINK);
                assert!(
                    seen.insert(subject),
                    "duplicate subject for {lang:?} {kind:?}"
                );
                assert!(seen.insert(body), "duplicate body for {lang:?} {kind:?}");
            }
        }
        let (vi, _) = attention_mail(Lang::Vi, AttentionKind::Overdue, REF, AGENCY, LINK);
        assert_eq!(vi, "[Minh Bạch] Hồ sơ HN-2026-000123 đã quá hạn");
        let (en, _) = attention_mail(Lang::En, AttentionKind::Overdue, REF, AGENCY, LINK);
        assert_eq!(en, "[Minh Bạch] Case HN-2026-000123 is overdue");
    }

    /// With the three inputs masked, the output is the same whatever they were: nothing else
    /// variable (a date, a name, a count…) ever enters a mail.
    #[test]
    fn nothing_but_the_three_inputs_varies() {
        let mask = |s: &str, r: &str, a: &str, l: &str| {
            s.replace(l, "<LINK>")
                .replace(r, "<REF>")
                .replace(a, "<AGENCY>")
        };
        for lang in Lang::ALL {
            for kind in AttentionKind::ALL {
                let one = attention_mail(lang, kind, REF, AGENCY, LINK);
                let (r2, a2, l2) = (
                    "DN-2030-999999",
                    "Sở Xây dựng Đà Nẵng",
                    "https://x.test/c/9",
                );
                let two = attention_mail(lang, kind, r2, a2, l2);
                assert_eq!(
                    mask(&one.0, REF, AGENCY, LINK),
                    mask(&two.0, r2, a2, l2),
                    "{lang:?} {kind:?}"
                );
                assert_eq!(
                    mask(&one.1, REF, AGENCY, LINK),
                    mask(&two.1, r2, a2, l2),
                    "{lang:?} {kind:?}"
                );
                // And each input appears exactly where expected: the reference twice (subject
                // and body), the agency and the link once each, in the body.
                assert_eq!(one.0.matches(REF).count(), 1);
                assert_eq!(one.1.matches(AGENCY).count(), 1);
                assert_eq!(one.1.matches(LINK).count(), 1);
                assert_eq!(
                    one.1.matches(REF).count(),
                    2,
                    "reference line and inside the link"
                );
            }
        }
    }

    #[test]
    fn control_characters_cannot_break_out_of_a_line() {
        let (subject, body) = attention_mail(
            Lang::En,
            AttentionKind::NewCase,
            "X-1\r\nBcc: someone@example.org",
            "Agency\nInjected: line",
            "https://x.test/\r\n\r\nfake body",
        );
        assert!(!subject.contains(['\r', '\n']), "{subject}");
        assert!(body.contains("Reference: X-1  Bcc: someone@example.org\n"));
        assert!(body.contains("Agency: Agency Injected: line\n"));
        assert!(body.contains("Link: https://x.test/    fake body\n"));
    }

    #[test]
    fn settings_are_checked_and_the_password_is_never_printed() {
        let settings = SmtpSettings {
            host: "smtp.example.org".to_owned(),
            port: 587,
            username: Some("minhbach".to_owned()),
            password: Some("hunter2-secret".to_owned()),
            tls: "starttls".parse().unwrap(),
            from: "Minh Bạch <no-reply@example.org>".to_owned(),
        };
        assert!(!format!("{settings:?}").contains("hunter2-secret"));
        assert!(SmtpMailer::new(&settings).is_ok());
        let mut bad = settings.clone();
        bad.password = None;
        assert!(matches!(SmtpMailer::new(&bad), Err(MailError::Settings(_))));
        let mut bad = settings.clone();
        bad.from = "not an address".to_owned();
        assert!(matches!(SmtpMailer::new(&bad), Err(MailError::Address(_))));
        assert!("STARTTLS".parse::<SmtpTls>().is_err());
        for tls in [SmtpTls::None, SmtpTls::StartTls, SmtpTls::Tls] {
            assert_eq!(tls.as_str().parse::<SmtpTls>().unwrap(), tls);
        }
    }

    #[tokio::test]
    async fn no_mailer_accepts_and_drops() {
        let mail = OutgoingMail {
            to: "a@example.org".to_owned(),
            subject: "s".to_owned(),
            body: "b".to_owned(),
        };
        assert!(NoMailer.send(mail.clone()).await.is_ok());
        assert!(mailer(None).unwrap().send(mail).await.is_ok());
    }
}
