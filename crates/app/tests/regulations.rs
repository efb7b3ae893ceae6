//! Loophole proposals on regulations (issue 8, must-have 9): a proposal reaches the body that
//! issued the regulation, its lead records the outcome once, and the public list shows it by
//! regulation, never the reporter or the text.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use minhbach_app::{intake, regulations, Error};
use minhbach_domain::{Channel, DomainError};
use sqlx::Row;
use support::{harness, Engine, Harness};

async fn cases(h: &Harness) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM cases")
        .fetch_one(h.sql.pool())
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn a_loophole_proposal_reaches_the_issuing_body_and_its_outcome_is_public(engine: Engine) {
    let h = harness(engine).await;
    let mut raw = h.report("Thủ tục cấp phép cho phép cán bộ tự quyết mức phí", "sxd");
    raw.category = "regulation".into();
    raw.regulation_document = "15/2020/NĐ-CP".into();
    raw.regulation_article = "Điều 5, khoản 2".into();

    // Without the document's number nothing is recorded.
    let before = cases(&h).await;
    let mut missing = raw.clone();
    missing.regulation_document = "  ".into();
    match intake::submit_report(&h.app, missing, Channel::Web, None, true).await {
        Err(Error::Domain(DomainError::Invalid(f))) => {
            assert!(f.iter().any(|e| e.field == "regulation_document"), "{f:?}")
        }
        Err(e) => panic!("{e:?}"),
        Ok(_) => panic!("recorded without its document"),
    }
    assert_eq!(cases(&h).await, before, "nothing written");

    let done = intake::submit_report(&h.app, raw, Channel::Web, None, true)
        .await
        .unwrap();
    let case = h
        .app
        .store
        .case_by_reference(&done.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        case.agency,
        h.city.agency("sxd").unwrap(),
        "to the issuing body"
    );
    assert_eq!(case.category, "regulation");
    assert_eq!(
        case.track,
        Some(minhbach_domain::Track::Petition),
        "on the petition track from the start"
    );

    let lead = h.staff("sxd.lanhdao").await;
    let seen = regulations::of_case(&h.app, &lead, &done.reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.document, "15/2020/NĐ-CP");
    assert_eq!(seen.article, "Điều 5, khoản 2");

    // A handler cannot record it; a rejection needs its reasons; the lead records it once.
    let handler = h.staff("sxd.xuly").await;
    assert!(
        regulations::record_outcome(&h.app, &handler, &done.reference, "amended", "")
            .await
            .is_err()
    );
    match regulations::record_outcome(&h.app, &lead, &done.reference, "rejected", " ").await {
        Err(Error::Domain(DomainError::Invalid(f))) => assert_eq!(f[0].field, "explanation"),
        other => panic!("{other:?}"),
    }
    match regulations::record_outcome(&h.app, &lead, &done.reference, "abolished", "x").await {
        Err(Error::Domain(DomainError::Invalid(f))) => assert_eq!(f[0].field, "outcome"),
        other => panic!("{other:?}"),
    }
    regulations::record_outcome(
        &h.app,
        &lead,
        &done.reference,
        "proposed",
        "Đã kiến nghị Bộ Xây dựng sửa Điều 5.",
    )
    .await
    .unwrap();
    assert!(matches!(
        regulations::record_outcome(&h.app, &lead, &done.reference, "amended", "").await,
        Err(Error::Domain(DomainError::AlreadyDecided))
    ));
    // Another agency's lead does not even learn that the case exists.
    let other = h.staff("caugiay.lanhdao").await;
    assert!(matches!(
        regulations::record_outcome(&h.app, &other, &done.reference, "amended", "").await,
        Err(Error::Domain(DomainError::NotFound))
    ));
    // An ordinary report has no regulation to decide on.
    let plain = h.submit("Một phản ánh thường").await;
    let inspectorate = h.staff("tttp.lanhdao").await;
    assert!(matches!(
        regulations::record_outcome(&h.app, &inspectorate, &plain, "amended", "").await,
        Err(Error::Domain(DomainError::NotFound))
    ));

    let public = regulations::public(&h.app).await.unwrap();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].document, "15/2020/NĐ-CP");
    assert_eq!(public[0].outcome.as_deref(), Some("proposed"));
    assert_eq!(
        public[0].explanation.as_deref(),
        Some("Đã kiến nghị Bộ Xây dựng sửa Điều 5.")
    );
    // The outcome is audited.
    let audited = h
        .app
        .store
        .audit_log()
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == "regulation.outcome")
        .count();
    assert_eq!(audited, 1);
}

on_both_engines!(a_loophole_proposal_reaches_the_issuing_body_and_its_outcome_is_public);
