//! The identity vault (DESIGN.md property 4): a reporter's identity is released to a handler only
//! after k custodians approve a justified request, the reporter is told first, and with k−1
//! approvals the cryptography cannot open it whatever the database says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use minhbach_app::identity::{self, Answer, StaffIdentity};
use minhbach_app::{casework, intake, reporter, Error};
use minhbach_domain::{Channel, DomainError, RawDecision, RawReport};
use minhbach_store::DisclosureOutcome;
use support::{harness, Engine, Harness};

const NAME: &str = "Nguyễn Thị Tố Giác";

impl Harness {
    async fn decide_as(
        &self,
        username: &str,
        reference: &str,
        kind: &str,
        extra: &[(&str, String)],
    ) {
        let mut d = RawDecision {
            kind: kind.into(),
            ..RawDecision::default()
        };
        for (k, v) in extra {
            match *k {
                "track" => d.track = v.clone(),
                "document_number" => d.document_number = v.clone(),
                "handler" => d.handler = v.clone(),
                other => panic!("{other}"),
            }
        }
        let s = self.staff(username).await;
        casework::staff_transition(&self.app, &s, reference, &d)
            .await
            .unwrap();
    }

    /// A confidential report at the ward, accepted and assigned to its handler. Returns the
    /// reference and the receipt.
    async fn named_case(&self) -> (String, String) {
        let raw = RawReport {
            identity: "confidential".into(),
            name: NAME.into(),
            contact: "0912 345 678".into(),
            ..self.report("Cán bộ địa chính đòi tiền", "hoankiem")
        };
        let done = intake::submit_report(&self.app, raw, Channel::Api, None, true)
            .await
            .unwrap();
        let r = done.reference.clone();
        self.decide_as("hoankiem.tiepnhan", &r, "start_triage", &[])
            .await;
        self.decide_as(
            "hoankiem.tiepnhan",
            &r,
            "classify",
            &[("track", "denunciation".into())],
        )
        .await;
        self.decide_as(
            "hoankiem.tiepnhan",
            &r,
            "accept",
            &[("document_number", "5/QĐ".into())],
        )
        .await;
        let handler = self
            .app
            .store
            .user_by_username("hoankiem.xuly")
            .await
            .unwrap()
            .unwrap();
        self.decide_as(
            "hoankiem.lanhdao",
            &r,
            "assign",
            &[("handler", handler.id.0.to_string())],
        )
        .await;
        (r, done.receipt.expose())
    }

    async fn identity_of(&self, username: &str, reference: &str) -> Result<StaffIdentity, Error> {
        let s = self.staff(username).await;
        identity::staff_identity(&self.app, &s, reference).await
    }

    async fn answer(
        &self,
        custodian: &str,
        request: i64,
        answer: Answer<'_>,
    ) -> Result<DisclosureOutcome, Error> {
        let s = self.staff(custodian).await;
        identity::decide(&self.app, &s, request, &answer).await
    }

    async fn reporter_sees(&self, receipt: &str) -> Vec<identity::RequestView> {
        let token = reporter::reporter_login(&self.app, receipt, reporter::ReceiptForm::Unbound)
            .await
            .unwrap();
        let s = reporter::reporter_session(&self.app, token).await.unwrap();
        identity::reporter_disclosures(&self.app, &s.case, &s.case_key)
            .await
            .unwrap()
    }

    /// The identity vault's audit events (sign-ins and reads of other tests' steps aside).
    async fn audit_actions(&self) -> Vec<String> {
        self.app
            .store
            .audit_log()
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .filter(|a| a.starts_with("identity."))
            .collect()
    }
}

fn approve() -> Answer<'static> {
    Answer {
        approve: true,
        reasons: "",
        endangers: false,
    }
}

fn sealed(i: &StaffIdentity) -> bool {
    matches!(i, StaffIdentity::Sealed { .. })
}

async fn the_identity_opens_only_with_k_approvals_after_the_reporter_is_told(engine: Engine) {
    let h = harness(engine).await;
    let (reference, receipt) = h.named_case().await;
    let case = h
        .app
        .store
        .case_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    let (k, shares) = h.app.store.identity_shares(case.id).await.unwrap();
    assert_eq!(
        (k, shares.len()),
        (Some(2), 3),
        "split 2 of 3 at submission"
    );

    // The handler sees the identity sealed and asks for it.
    assert!(sealed(
        &h.identity_of("hoankiem.xuly", &reference).await.unwrap()
    ));
    let handler = h.staff("hoankiem.xuly").await;
    let request = identity::request_disclosure(
        &h.app,
        &handler,
        &reference,
        "Cần lấy lời khai trực tiếp của người tố cáo để xác minh số tiền",
        "Luật Tố cáo 2018, Điều 47",
    )
    .await
    .unwrap();

    // A custodian sees why, never the report; the case itself stays closed to them.
    let custodian = h.staff("giamho.thanhtra").await;
    let asked = identity::custodian_requests(&h.app, &custodian)
        .await
        .unwrap();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].justification.contains("lời khai trực tiếp"));
    assert!(matches!(
        casework::staff_case_view(&h.app, &custodian, &reference).await,
        Err(Error::Domain(DomainError::NotFound))
    ));

    // One approval of two: still sealed, and the reporter is not told yet.
    assert_eq!(
        h.answer("giamho.thanhtra", request, approve())
            .await
            .unwrap(),
        DisclosureOutcome::Pending
    );
    assert!(sealed(
        &h.identity_of("hoankiem.xuly", &reference).await.unwrap()
    ));
    assert!(h.reporter_sees(&receipt).await.is_empty());
    // The same custodian cannot approve twice, and writes nothing trying.
    let before = h.audit_actions().await.len();
    assert!(matches!(
        h.answer("giamho.thanhtra", request, approve()).await,
        Err(Error::Domain(DomainError::AlreadyDecided))
    ));
    assert_eq!(h.audit_actions().await.len(), before);

    // Whatever the database says: a writer who marks the request as in effect gets nothing,
    // because one share cannot rebuild the key.
    sqlx::query("UPDATE disclosure_requests SET state = 'notice', effective_on = '2000-01-01' WHERE id = $1")
        .bind(request)
        .execute(h.sql.pool())
        .await
        .unwrap();
    let forged = h.identity_of("hoankiem.xuly", &reference).await;
    assert!(
        matches!(forged, Err(Error::Crypto(_))),
        "k-1 shares must not open the identity"
    );
    sqlx::query(
        "UPDATE disclosure_requests SET state = 'pending', effective_on = NULL WHERE id = $1",
    )
    .bind(request)
    .execute(h.sql.pool())
    .await
    .unwrap();

    // The second approval reaches the quorum: the reporter is told, five working days ahead
    // (10 March 2026 is a Tuesday: Wednesday 11 to Tuesday 17 March).
    let outcome = h.answer("giamho.mttq", request, approve()).await.unwrap();
    assert_eq!(
        outcome,
        DisclosureOutcome::Notice {
            effective_on: "2026-03-17".into(),
            withheld: false
        }
    );
    let told = h.reporter_sees(&receipt).await;
    assert_eq!(told.len(), 1);
    assert!(!told[0].in_effect);
    assert!(told[0].justification.contains("lời khai trực tiếp"));
    assert_eq!(told[0].agency.name_vi, "Ủy ban nhân dân phường Hoàn Kiếm");
    assert!(sealed(
        &h.identity_of("hoankiem.xuly", &reference).await.unwrap()
    ));

    // After the notice period the requester, and only the requester, reads it.
    h.clock.advance(time::Duration::days(7));
    match h.identity_of("hoankiem.xuly", &reference).await.unwrap() {
        StaffIdentity::Disclosed { name, .. } => assert_eq!(name, NAME),
        other => panic!("{other:?}"),
    }
    assert!(sealed(
        &h.identity_of("hoankiem.lanhdao", &reference).await.unwrap()
    ));
    let told = h.reporter_sees(&receipt).await;
    assert!(
        told[0].in_effect,
        "the reporter's page lists the release for ever"
    );
    let actions = h.audit_actions().await;
    for a in [
        "identity.disclosure_requested",
        "identity.disclosure_decided",
        "identity.read",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a}");
    }
    assert_eq!(
        actions
            .iter()
            .filter(|x| *x == "identity.disclosure_decided")
            .count(),
        2
    );
}

async fn bad_disclosure_input_gets_a_clear_error_and_writes_nothing(engine: Engine) {
    let h = harness(engine).await;
    let (reference, receipt) = h.named_case().await;
    let handler = h.staff("hoankiem.xuly").await;
    let before = h.audit_actions().await.len();
    let invalid = |r: Result<i64, Error>, field: &str| matches!(&r, Err(Error::Domain(DomainError::Invalid(f))) if f.iter().any(|f| f.field == field));
    assert!(invalid(
        identity::request_disclosure(&h.app, &handler, &reference, "  ", "Điều 47").await,
        "justification"
    ));
    assert!(invalid(
        identity::request_disclosure(&h.app, &handler, &reference, "Cần xác minh", "").await,
        "legal_basis"
    ));
    // An anonymous case has no identity to release.
    let anonymous = h.submit("Phản ánh ẩn danh").await;
    let desk = h.staff("tttp.lanhdao").await;
    assert!(matches!(
        identity::request_disclosure(&h.app, &desk, &anonymous, "Cần xác minh", "Điều 47").await,
        Err(Error::Domain(DomainError::NoIdentity))
    ));
    // Another agency's officer learns nothing.
    let other = h.staff("caugiay.xuly").await;
    assert!(matches!(
        identity::request_disclosure(&h.app, &other, &reference, "Cần xác minh", "Điều 47").await,
        Err(Error::Domain(DomainError::NotFound))
    ));
    // An intake officer may not ask; a custodian may not answer what they were not asked.
    let intake_officer = h.staff("hoankiem.tiepnhan").await;
    assert!(matches!(
        identity::request_disclosure(&h.app, &intake_officer, &reference, "Cần", "Điều 47").await,
        Err(Error::Domain(DomainError::Forbidden))
    ));
    assert_eq!(h.audit_actions().await.len(), before, "nothing written");

    let request =
        identity::request_disclosure(&h.app, &handler, &reference, "Cần xác minh", "Điều 47")
            .await
            .unwrap();
    assert!(matches!(
        identity::request_disclosure(&h.app, &handler, &reference, "Lần nữa", "Điều 47").await,
        Err(Error::Domain(DomainError::DisclosureOpen))
    ));
    // A handler cannot approve (not a custodian), a refusal needs reasons.
    let as_handler = identity::decide(&h.app, &handler, request, &approve()).await;
    assert!(matches!(
        as_handler,
        Err(Error::Domain(DomainError::Forbidden))
    ));
    let no_reasons = h
        .answer(
            "giamho.thanhtra",
            request,
            Answer {
                approve: false,
                reasons: "",
                endangers: false,
            },
        )
        .await;
    assert!(
        matches!(&no_reasons, Err(Error::Domain(DomainError::Invalid(f))) if f[0].field == "reasons")
    );

    // Two refusals of three with k = 2: the request can never pass, and says so.
    let refuse = || Answer {
        approve: false,
        reasons: "Chưa đủ căn cứ",
        endangers: false,
    };
    assert_eq!(
        h.answer("giamho.thanhtra", request, refuse())
            .await
            .unwrap(),
        DisclosureOutcome::Pending
    );
    assert_eq!(
        h.answer("giamho.mttq", request, refuse()).await.unwrap(),
        DisclosureOutcome::Refused
    );
    assert!(matches!(
        h.answer("giamho.vienkiemsat", request, approve()).await,
        Err(Error::Domain(DomainError::AlreadyDecided))
    ));
    assert!(h.reporter_sees(&receipt).await.is_empty());

    // When the custodians record that telling first would endanger the investigation, the
    // release takes effect at once and the reporter is told after, with their reasons.
    let again = identity::request_disclosure(&h.app, &handler, &reference, "Khẩn cấp", "Điều 47")
        .await
        .unwrap();
    let urgent = || Answer {
        approve: true,
        reasons: "Người bị tố cáo đang tiêu hủy chứng cứ",
        endangers: true,
    };
    h.answer("giamho.thanhtra", again, urgent()).await.unwrap();
    let outcome = h
        .answer("giamho.vienkiemsat", again, urgent())
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        DisclosureOutcome::Notice { withheld: true, .. }
    ));
    assert!(matches!(
        h.identity_of("hoankiem.xuly", &reference).await.unwrap(),
        StaffIdentity::Disclosed { .. }
    ));
    let told = h.reporter_sees(&receipt).await;
    assert_eq!(told.len(), 1);
    assert!(told[0].notice_withheld && told[0].in_effect);
    assert!(told[0]
        .withheld_reasons
        .iter()
        .any(|r| r.contains("tiêu hủy chứng cứ")));
}

async fn a_new_custodian_set_is_reshared_with_the_recovery_key(engine: Engine) {
    let h = harness(engine).await;
    let (reference, _) = h.named_case().await;
    let case = h
        .app
        .store
        .case_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    let custodians: Vec<String> = ["giamho.thanhtra", "giamho.mttq", "giamho.vienkiemsat"]
        .map(String::from)
        .to_vec();
    identity::set_custodians(h.app.store.as_ref(), &custodians, 3, h.app.now())
        .await
        .unwrap();
    // The wrong key is refused; the recovery key re-shares 3 of 3.
    let stranger = minhbach_crypto::SecretKey::generate(&mut rand::rngs::OsRng);
    assert!(identity::reshare_with_recovery(&h.app, &stranger)
        .await
        .is_err());
    assert!(
        identity::reshare_with_recovery(&h.app, &h.city.recovery)
            .await
            .unwrap()
            >= 1
    );
    let (k, shares) = h.app.store.identity_shares(case.id).await.unwrap();
    assert_eq!((k, shares.len()), (Some(3), 3));
    // Nothing left to do the second time.
    assert_eq!(
        identity::reshare_with_recovery(&h.app, &h.city.recovery)
            .await
            .unwrap(),
        0
    );

    let handler = h.staff("hoankiem.xuly").await;
    let request =
        identity::request_disclosure(&h.app, &handler, &reference, "Cần xác minh", "Điều 47")
            .await
            .unwrap();
    for c in ["giamho.thanhtra", "giamho.mttq"] {
        assert_eq!(
            h.answer(c, request, approve()).await.unwrap(),
            DisclosureOutcome::Pending
        );
    }
    assert!(matches!(
        h.answer("giamho.vienkiemsat", request, approve())
            .await
            .unwrap(),
        DisclosureOutcome::Notice { .. }
    ));
    h.clock.advance(time::Duration::days(10));
    match h.identity_of("hoankiem.xuly", &reference).await.unwrap() {
        StaffIdentity::Disclosed { name, .. } => assert_eq!(name, NAME),
        other => panic!("{other:?}"),
    }
    // Bad settings are refused with a reason.
    assert!(
        identity::set_custodians(h.app.store.as_ref(), &custodians, 4, h.app.now())
            .await
            .is_err()
    );
    assert!(identity::set_custodians(
        h.app.store.as_ref(),
        &["hoankiem.xuly".to_owned()],
        1,
        h.app.now()
    )
    .await
    .is_err());
}

on_both_engines!(
    the_identity_opens_only_with_k_approvals_after_the_reporter_is_told,
    bad_disclosure_input_gets_a_clear_error_and_writes_nothing,
    a_new_custodian_set_is_reshared_with_the_recovery_key,
    a_release_asked_and_approved_is_counted_in_the_figures,
);

async fn a_release_asked_and_approved_is_counted_in_the_figures(engine: Engine) {
    use minhbach_domain::statistics::Metric;
    let h = harness(engine).await;
    let (reference, _) = h.named_case().await;
    let (asked, _) = h.named_case().await;
    let handler = h.staff("hoankiem.xuly").await;
    let mut requests = Vec::new();
    for r in [&reference, &asked] {
        requests.push(
            identity::request_disclosure(&h.app, &handler, r, "Cần lấy lời khai", "Điều 47")
                .await
                .unwrap(),
        );
    }
    for custodian in ["giamho.thanhtra", "giamho.mttq"] {
        h.answer(custodian, requests[0], approve()).await.unwrap();
    }
    let row = h.published_row("hoankiem").await;
    assert_eq!(row.get(Metric::DisclosureRequested), 2);
    assert_eq!(
        row.get(Metric::DisclosureApproved),
        1,
        "only the first reached its quorum"
    );
}
