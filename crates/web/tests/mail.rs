//! Staff notifications through a real SMTP server: Python's aiosmtpd, started as a child process
//! on a free port, storing what it receives in a maildir that the test then reads and parses.
//! Without aiosmtpd (`python3 -m pip install aiosmtpd`) the test says loudly that it skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

// The web suite's TestApp, for the end-to-end test below (this binary uses only part of it).
#[allow(dead_code)]
#[path = "support/mod.rs"]
mod support;

use std::collections::BTreeSet;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use minhbach_app::mail::{
    attention_mail, AttentionKind, Mailer, OutgoingMail, SmtpMailer, SmtpSettings, SmtpTls,
};
use minhbach_web::i18n::Lang;

/// Kills and reaps the SMTP server however the test ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn aiosmtpd_available() -> bool {
    Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_smtp_server(port: u16, maildir: &Path, log: &Path) -> ChildGuard {
    let log_file = std::fs::File::create(log).unwrap();
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("start python3 -m aiosmtpd");
    let mut guard = ChildGuard(child);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return guard;
        }
        if let Some(status) = guard.0.try_wait().unwrap() {
            panic!(
                "aiosmtpd exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        if Instant::now() > deadline {
            panic!(
                "aiosmtpd did not listen on port {port} within 10 s: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The raw files in `<maildir>/new`, waiting (briefly) until `count` have arrived.
fn delivered(maildir: &Path, count: usize) -> Vec<Vec<u8>> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut files: Vec<_> = std::fs::read_dir(maildir.join("new"))
            .map(|dir| dir.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        if files.len() >= count || Instant::now() > deadline {
            files.sort();
            // Give a late extra mail (which would be a bug) a moment to show up too.
            std::thread::sleep(Duration::from_millis(200));
            let files: Vec<_> = std::fs::read_dir(maildir.join("new"))
                .map(|dir| dir.map(|e| e.unwrap().path()).collect())
                .unwrap_or_default();
            return files.iter().map(|p| std::fs::read(p).unwrap()).collect();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A received message: unfolded headers (name lower-cased) and the raw body.
struct Parsed {
    headers: Vec<(String, String)>,
    body: String,
}

impl Parsed {
    fn parse(raw: &[u8]) -> Parsed {
        let text = String::from_utf8(raw.to_vec()).expect("7-bit message");
        let text = text.replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").expect("header/body separator");
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("continuation after a header");
                last.1.push_str(line);
            } else {
                let (name, value) = line.split_once(':').expect("header line");
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        Parsed {
            headers,
            body: body.to_owned(),
        }
    }

    fn header(&self, name: &str) -> &str {
        let all: Vec<_> = self.headers.iter().filter(|(n, _)| n == name).collect();
        assert_eq!(
            all.len(),
            1,
            "exactly one {name} header in {:?}",
            self.headers
        );
        &all[0].1
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base64 digit") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn hex_byte(hi: u8, lo: u8) -> u8 {
    let digit = |c: u8| (c as char).to_digit(16).expect("hex digit") as u8;
    digit(hi) * 16 + digit(lo)
}

/// Quoted-printable (RFC 2045 §6.7); with `underscore_is_space` the RFC 2047 "Q" variant.
fn qp_decode(s: &str, underscore_is_space: bool) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'=' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => i += 3,
            b'=' => {
                out.push(hex_byte(b[i + 1], b[i + 2]));
                i += 3;
            }
            b'_' if underscore_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (UTF-8, B or Q); whitespace between two of them is dropped.
fn decode_header(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, from) = rest.split_at(start);
        let inner = &from[2..];
        let mut parts = inner.splitn(3, '?');
        let (charset, enc, tail) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        let end = tail.find("?=").expect("end of encoded word");
        assert!(charset.eq_ignore_ascii_case("utf-8"), "charset {charset}");
        if !(after_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let bytes = match enc {
            "b" | "B" => base64_decode(&tail[..end]),
            "q" | "Q" => qp_decode(&tail[..end], true),
            other => panic!("unknown encoding {other}"),
        };
        out.push_str(&String::from_utf8(bytes).expect("UTF-8 encoded word"));
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.push_str(rest);
    out
}

fn body_text(message: &Parsed) -> String {
    assert!(message
        .header("content-type")
        .to_ascii_lowercase()
        .starts_with("text/plain"));
    assert!(message
        .header("content-type")
        .to_ascii_lowercase()
        .contains("charset=utf-8"));
    let encoding = message
        .header("content-transfer-encoding")
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => qp_decode(&message.body, false),
        "base64" => base64_decode(&message.body),
        "7bit" | "8bit" => message.body.as_bytes().to_vec(),
        other => panic!("unexpected transfer encoding {other}"),
    };
    // Line endings are CRLF on the wire; the SMTP end-of-data marker adds one more line break.
    String::from_utf8(bytes)
        .expect("UTF-8 body")
        .replace("\r\n", "\n")
        .trim_end_matches('\n')
        .to_owned()
}

/// What the case store knows, and the notification must never carry.
struct Case {
    reference: &'static str,
    agency: &'static str,
    report_text: &'static str,
    reporter_name: &'static str,
}

#[tokio::test]
async fn notifications_reach_a_real_smtp_server_without_report_content() {
    if !aiosmtpd_available() {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED notifications_reach_a_real_smtp_server_without_report_content: \
             python3 cannot import aiosmtpd (run `python3 -m pip install aiosmtpd`) ***\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let _server = start_smtp_server(port, &maildir, &dir.path().join("aiosmtpd.log"));

    let mailer = SmtpMailer::new(&SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        username: None,
        password: None,
        tls: SmtpTls::None,
        from: "Minh Bạch <no-reply@minhbach.test>".to_owned(),
    })
    .unwrap();

    let case = Case {
        reference: "HN-2026-000123",
        agency: "Thanh tra Thành phố Hà Nội",
        report_text: "REPORT-TEXT-MARKER-q8Zt3 ông phó giám đốc nhận phong bì",
        reporter_name: "REPORTER-NAME-MARKER-w4Kp9 Nguyễn Văn A",
    };
    let link = format!("https://minhbach.test/staff/cases/{}", case.reference);
    let (subject, body) = attention_mail(
        Lang::Vi,
        AttentionKind::Overdue,
        case.reference,
        case.agency,
        &link,
    );
    assert_eq!(subject, "[Minh Bạch] Hồ sơ HN-2026-000123 đã quá hạn");
    let first = OutgoingMail {
        to: "can.bo@thanhtra.test".to_owned(),
        subject,
        body,
    };
    let (subject, body) = attention_mail(
        Lang::En,
        AttentionKind::ReporterMessage,
        "DN-2026-000042",
        "Da Nang Department of Construction",
        "https://minhbach.test/staff/cases/DN-2026-000042",
    );
    let second = OutgoingMail {
        to: "officer@construction.test".to_owned(),
        subject,
        body,
    };
    mailer.send(first.clone()).await.unwrap();
    mailer.send(second.clone()).await.unwrap();

    let raw = delivered(&maildir, 2);
    assert_eq!(raw.len(), 2, "exactly the two mails sent arrive");
    let mut received = BTreeSet::new();
    for bytes in &raw {
        let text = String::from_utf8_lossy(bytes);
        for marker in [
            "REPORT-TEXT-MARKER",
            "REPORTER-NAME-MARKER",
            "q8Zt3",
            "w4Kp9",
        ] {
            assert!(!text.contains(marker), "{marker} leaked into:\n{text}");
        }
        let message = Parsed::parse(bytes);
        let to = message.header("to").to_owned();
        let subject = decode_header(message.header("subject"));
        let from = decode_header(message.header("from"));
        assert!(from.contains("no-reply@minhbach.test"), "{from}");
        let body = body_text(&message);
        for secret in [case.report_text, case.reporter_name] {
            assert!(!body.contains(secret) && !subject.contains(secret));
        }
        received.insert((to, subject, body));
    }

    let sent: BTreeSet<_> = [&first, &second]
        .into_iter()
        .map(|m| {
            let body = m.body.trim_end_matches('\n').to_owned();
            (m.to.clone(), m.subject.clone(), body)
        })
        .collect();
    // Compare with the addresses as written (lettre may wrap them in angle brackets).
    let received: BTreeSet<_> = received
        .into_iter()
        .map(|(to, s, b)| (to.trim_matches(['<', '>']).to_owned(), s, b))
        .collect();
    assert_eq!(received, sent);

    let (_, _, vi_body) = received
        .iter()
        .find(|(to, _, _)| to == "can.bo@thanhtra.test")
        .unwrap();
    assert!(vi_body.contains("Số hồ sơ: HN-2026-000123\n"), "{vi_body}");
    assert!(
        vi_body.contains(&format!("Đường dẫn: {link}\n")),
        "{vi_body}"
    );
    assert!(vi_body.contains("Cơ quan: Thanh tra Thành phố Hà Nội\n"));
    assert!(vi_body.ends_with("không chứa nội dung phản ánh hay thông tin về người phản ánh."));
}

/// End to end: a real report with unique markers in its text and the reporter's name becomes
/// overdue; the scheduler's overdue scan notifies the agency lead, and the mail job sends the
/// notification through the real SMTP server. The captured mail names the case and links to it,
/// and carries neither marker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_alert_mail_carries_no_report_text_or_identity() {
    use minhbach_app::scheduler::{Scheduler, SchedulerSettings};
    use std::sync::Arc;
    use time::macros::datetime;
    if !aiosmtpd_available() {
        let _ = writeln!(
            std::io::stderr(),
            "\n*** SKIPPED an_overdue_alert_mail_carries_no_report_text_or_identity: \
             python3 cannot import aiosmtpd ***\n"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let port = free_port();
    let _server = start_smtp_server(port, &maildir, &dir.path().join("aiosmtpd.log"));
    let app =
        support::TestApp::spawn_at(support::Engine::Sqlite, datetime!(2026-11-02 09:00 +7)).await;
    let text_marker = "MAILTEXTMARKER7c1";
    let name_marker = "MAILNAMEMARKER9e4";
    let form = app.report_form().await;
    let agency = app.agency("caugiay").to_string();
    let r = app
        .post_form(
            "/report",
            &[
                ("token", form.as_str()),
                ("category", "land"),
                ("agency", agency.as_str()),
                ("what", &format!("Cán bộ nhận tiền {text_marker}")),
                ("identity", "confidential"),
                ("name", &format!("Trần Thị {name_marker}")),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let reference = r.body.split("HN-2026-").nth(1).unwrap()[..9].to_owned();
    let reference = format!("HN-2026-{reference}");
    sqlx::query(
        "UPDATE users SET email = 'lanhdao@caugiay.test' WHERE username = 'caugiay.lanhdao'",
    )
    .execute(app.store.pool())
    .await
    .unwrap();
    app.set_time(datetime!(2026-11-13 09:00 +7));
    let mailer = SmtpMailer::new(&SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        username: None,
        password: None,
        tls: SmtpTls::None,
        from: "Minh Bạch <no-reply@minhbach.test>".to_owned(),
    })
    .unwrap();
    let legal = app.state.clone();
    let scheduler = Scheduler::new(
        app.store.clone(),
        app.state.clock.clone(),
        Arc::new(move || legal.legal()),
        Arc::new(mailer),
        "node-mail",
        "https://minhbach.test",
        SchedulerSettings::default(),
    );
    let report = scheduler.run_once().await.unwrap();
    assert!(report.mails_sent >= 1, "{report:?}");
    let raw: Vec<u8> = delivered(&maildir, usize::try_from(report.mails_sent).unwrap()).concat();
    let text = String::from_utf8_lossy(&raw);
    let all = [text_marker, name_marker, "Cán bộ nhận tiền", "Trần Thị"];
    for m in all {
        assert!(!text.contains(m), "{m} reached the mail");
        let qp: String = m
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("={b:02X}")
                }
            })
            .collect();
        assert!(!text.contains(&qp), "{m} reached the mail encoded");
    }
    assert!(text.contains("lanhdao@caugiay.test"));
    assert!(text.contains(&reference), "the mail names the case");
}
