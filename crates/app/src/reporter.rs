//! A reporter returns with the receipt: the case opened with the receipt's key, read in plain
//! words, answered.

use minhbach_crypto::{self as crypto, Receipt, SymmetricKey};
use minhbach_domain::MessageText;
use minhbach_store::{AuditEntry, CaseRecord, Sender, SessionKind};
use rand::rngs::OsRng;

use crate::casework::{add_message, case_view, CaseView};
use crate::keys::aad;
use crate::sessions::{live_session, start_session, SessionToken};
use crate::{App, Error, Result};

/// A reporter who came back with their receipt.
pub struct ReporterSession {
    pub token: SessionToken,
    pub case: CaseRecord,
    pub case_key: SymmetricKey,
}

const THROTTLE_ALL: &str = "receipts";

/// Opens a reporter session from a receipt. Wrong receipts all get the same answer, and too many
/// of them in a minute (from anyone: reporters are not identified) pause lookups.
pub async fn reporter_login(st: &App, receipt_text: &str) -> Result<SessionToken> {
    let now = st.now();
    if st.receipt_throttle.blocked(THROTTLE_ALL, now) {
        return Err(Error::Throttled);
    }
    let Ok(receipt) = Receipt::parse(receipt_text) else {
        st.receipt_throttle.failure(THROTTLE_ALL, now);
        return Err(Error::MalformedReceipt);
    };
    let lookup = st.secret.receipt_lookup(&receipt);
    let Some(case) = st.store.case_by_lookup(&lookup).await? else {
        st.receipt_throttle.failure(THROTTLE_ALL, now);
        return Err(Error::UnknownReceipt);
    };
    let receipt_key = st.secret.receipt_key(&receipt);
    let case_key = crypto::unwrap_key(
        &receipt_key,
        &case.case_key_reporter,
        &aad("wrap-reporter", &lookup),
    )?;
    start_session(
        st,
        SessionKind::Reporter,
        None,
        Some(case.id),
        st.settings.reporter_session_minutes,
        |key| crypto::wrap_key(key, &case_key, b"minhbach/v1/session-reporter", &mut OsRng),
    )
    .await
}

/// Resumes a reporter session from its token.
pub async fn reporter_session(st: &App, token: SessionToken) -> Result<ReporterSession> {
    let record = live_session(st, &token).await?;
    let (SessionKind::Reporter, Some(case_id)) = (record.kind, record.case) else {
        return Err(Error::Unauthenticated);
    };
    let case_key = crypto::unwrap_key(
        &token.key(),
        &record.sealed_key,
        b"minhbach/v1/session-reporter",
    )
    .map_err(|_| Error::Unauthenticated)?;
    let case = st
        .store
        .case(case_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    Ok(ReporterSession {
        token,
        case,
        case_key,
    })
}

pub async fn reporter_view(st: &App, s: &ReporterSession) -> Result<CaseView> {
    let mut view = case_view(st, &s.case, &s.case_key, None).await?;
    view.disclosures = crate::identity::reporter_disclosures(st, &s.case, &s.case_key).await?;
    // The reporter sees the state, the agency, the reasons given and the deadline; not the
    // agency's internal notes, evidence lists, document numbers or other cases.
    view.links.clear();
    for e in &mut view.events {
        e.note = None;
        e.evidence = None;
        e.delivery = None;
        e.document_number = None;
        e.legal_basis = None;
        e.detail.clear();
    }
    st.store
        .audit(&AuditEntry::new(
            st.now(),
            "reporter",
            "case.read",
            Some(s.case.id),
        ))
        .await?;
    Ok(view)
}

pub async fn reporter_message(st: &App, s: &ReporterSession, body: &str) -> Result<()> {
    let text = MessageText::parse(body)?;
    add_message(
        st,
        &s.case,
        &s.case_key,
        Sender::Reporter,
        None,
        &text,
        "reporter",
    )
    .await
}
