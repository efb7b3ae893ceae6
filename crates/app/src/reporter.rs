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
    /// Opened with the decoy code: the text the decoy page shows. Nothing of the real case is
    /// shown or changed in such a session.
    pub decoy: Option<String>,
    /// The identity key of a named report (the reporter may read and correct their identity).
    pub identity_key: Option<SymmetricKey>,
}

const SESSION_AAD: &[u8] = b"minhbach/v1/session-reporter";
const DECOY_SESSION_AAD: &[u8] = b"minhbach/v1/session-decoy";
/// A named reporter's session: the case key and the identity key, 64 bytes sealed together.
const NAMED_SESSION_AAD: &[u8] = b"minhbach/v1/session-reporter-named";

/// Where a receipt was typed: the budget its wrong guesses count against.
#[derive(Clone, Copy, Debug)]
pub enum ReceiptForm<'a> {
    /// A receipt form given out by the server (the hash of its nonce): a few tries each.
    Form(&'a [u8]),
    /// No form (an API caller without a token): a small pool shared by all such callers, so
    /// their guessing never pauses reporters who use a form.
    Unbound,
}

const ALL: &[u8] = b"all";

impl ReceiptForm<'_> {
    fn blocked(self, st: &App, now: i64) -> bool {
        st.receipt_throttle.blocked(ALL, now)
            || match self {
                ReceiptForm::Form(nonce) => st.receipt_form_throttle.blocked(nonce, now),
                ReceiptForm::Unbound => st.receipt_unbound_throttle.blocked(ALL, now),
            }
    }

    fn failure(self, st: &App, now: i64) {
        st.receipt_throttle.failure(ALL, now);
        match self {
            ReceiptForm::Form(nonce) => st.receipt_form_throttle.failure(nonce, now),
            ReceiptForm::Unbound => st.receipt_unbound_throttle.failure(ALL, now),
        }
    }
}

/// Opens a reporter session from a receipt. Wrong receipts all get the same answer. Each form
/// allows a few wrong tries; a node-wide ceiling far above what reporters mistype pauses every
/// lookup only under a sustained guessing attack (docs/crypto.md gives the arithmetic).
pub async fn reporter_login(
    st: &App,
    receipt_text: &str,
    form: ReceiptForm<'_>,
) -> Result<SessionToken> {
    let now = st.now();
    if form.blocked(st, now) {
        return Err(Error::Throttled);
    }
    let Ok(receipt) = Receipt::parse(receipt_text) else {
        form.failure(st, now);
        return Err(Error::MalformedReceipt);
    };
    let lookup = st.secret.receipt_lookup(&receipt);
    // Both look-ups happen for every receipt, so a decoy code answers in the same time.
    let case = st.store.case_by_lookup(&lookup).await?;
    let decoy = st.store.decoy(&lookup).await?;
    let receipt_key = st.secret.receipt_key(&receipt);
    if let Some(case) = case {
        if case.purged_at.is_some() {
            return Err(Error::CasePurged);
        }
        let case_key = crypto::unwrap_key(
            &receipt_key,
            &case.case_key_reporter,
            &aad("wrap-reporter", &lookup),
        )?;
        let identity_key = case
            .identity_key_reporter
            .as_ref()
            .map(|w| crypto::unwrap_key(&receipt_key, w, &aad("identity-key-reporter", &lookup)))
            .transpose()?;
        return start_session(
            st,
            SessionKind::Reporter,
            None,
            Some(case.id),
            st.settings.reporter_session_minutes,
            |key| match &identity_key {
                None => crypto::wrap_key(key, &case_key, SESSION_AAD, &mut OsRng),
                Some(ik) => {
                    let mut both = zeroize::Zeroizing::new(case_key.as_bytes().to_vec());
                    both.extend_from_slice(ik.as_bytes());
                    crypto::seal(key, &both, NAMED_SESSION_AAD, &mut OsRng)
                }
            },
        )
        .await;
    }
    let Some((case_id, sealed)) = decoy else {
        form.failure(st, now);
        return Err(Error::UnknownReceipt);
    };
    // The decoy code: the reporter may be under pressure. The real case is flagged for the
    // protection officer (after the answer, so the timing does not change), and the session
    // holds only the decoy page's text.
    let text = crypto::open(&receipt_key, &sealed, &aad("decoy", &lookup))?;
    let store = st.store.clone();
    tokio::spawn(async move {
        if let Err(e) = store.mark_pressure(case_id, now).await {
            tracing::error!(error = %e, "recording a decoy sign-in failed");
        }
    });
    start_session(
        st,
        SessionKind::Reporter,
        None,
        Some(case_id),
        st.settings.reporter_session_minutes,
        |key| crypto::seal(key, &text, DECOY_SESSION_AAD, &mut OsRng),
    )
    .await
}

/// Resumes a reporter session from its token.
pub async fn reporter_session(st: &App, token: SessionToken) -> Result<ReporterSession> {
    let record = live_session(st, &token).await?;
    let (SessionKind::Reporter, Some(case_id)) = (record.kind, record.case) else {
        return Err(Error::Unauthenticated);
    };
    let key = token.key();
    let (case_key, identity_key, decoy) =
        if let Ok(k) = crypto::unwrap_key(&key, &record.sealed_key, SESSION_AAD) {
            (k, None, None)
        } else if let Ok(both) = crypto::open(&key, &record.sealed_key, NAMED_SESSION_AAD) {
            let half = |r: std::ops::Range<usize>| -> Result<SymmetricKey> {
                let bytes: [u8; 32] = both
                    .get(r)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(Error::Unauthenticated)?;
                Ok(SymmetricKey::from_bytes(bytes))
            };
            (half(0..32)?, Some(half(32..64)?), None)
        } else {
            let text = crypto::open(&key, &record.sealed_key, DECOY_SESSION_AAD)
                .map_err(|_| Error::Unauthenticated)?;
            (
                SymmetricKey::generate(&mut OsRng),
                None,
                Some(String::from_utf8_lossy(&text).into_owned()),
            )
        };
    let case = st
        .store
        .case(case_id)
        .await?
        .ok_or(Error::Unauthenticated)?;
    Ok(ReporterSession {
        token,
        case,
        case_key,
        decoy,
        identity_key,
    })
}

pub async fn reporter_view(st: &App, s: &ReporterSession) -> Result<CaseView> {
    let view = match &s.decoy {
        Some(text) => crate::casework::decoy_view(st, &s.case, text).await?,
        None => {
            let mut view = case_view(st, &s.case, &s.case_key, None).await?;
            view.disclosures =
                crate::identity::reporter_disclosures(st, &s.case, &s.case_key).await?;
            // The reporter sees the state, the agency, the reasons given and the deadline; not
            // the agency's internal notes, evidence lists, document numbers or other cases.
            view.links.clear();
            for e in &mut view.events {
                e.note = None;
                e.evidence = None;
                e.delivery = None;
                e.document_number = None;
                e.legal_basis = None;
                e.detail.clear();
            }
            view
        }
    };
    // A decoy reading writes the same event as a real one: the log does not tell them apart.
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

pub async fn reporter_message(
    st: &App,
    s: &ReporterSession,
    body: &str,
    files: Option<&crate::evidence::DraftRef>,
) -> Result<()> {
    let text = MessageText::parse(body)?;
    if s.decoy.is_some() {
        // Accepted and kept nowhere: the real thread is not touched from a decoy session.
        return Ok(());
    }
    add_message(
        st,
        &s.case,
        &s.case_key,
        crate::casework::Author {
            sender: Sender::Reporter,
            user: None,
            actor: "reporter",
        },
        &text,
        files,
    )
    .await
}

/// The reporter's own identity as sealed, for a named report.
pub async fn reporter_identity(
    _st: &App,
    s: &ReporterSession,
) -> Result<Option<crate::identity::SealedIdentity>> {
    let (Some(key), Some(sealed), None) = (&s.identity_key, &s.case.identity_sealed, &s.decoy)
    else {
        return Ok(None);
    };
    let plain = zeroize::Zeroizing::new(
        crypto::open(key, sealed, &aad("identity", &s.case.receipt_lookup))?.to_vec(),
    );
    Ok(Some(
        serde_json::from_slice(&plain).map_err(|e| Error::Internal(e.to_string()))?,
    ))
}

/// The reporter corrects or completes their identity (name, address, contact, citizen id). It
/// is sealed again under the same identity key, so the custodians' shares still open it.
pub async fn update_identity(
    st: &App,
    s: &ReporterSession,
    name: &str,
    contact: &str,
    address: &str,
    citizen_id: &str,
) -> Result<()> {
    let identity = minhbach_domain::report::parse_identity(name, contact, address, citizen_id)?;
    if s.decoy.is_some() {
        return Ok(());
    }
    let (Some(key), Some(_)) = (&s.identity_key, &s.case.identity_sealed) else {
        return Err(minhbach_domain::DomainError::NoIdentity.into());
    };
    let minhbach_domain::Identity::Confidential {
        name,
        contact,
        address,
        citizen_id,
    } = identity
    else {
        return Err(minhbach_domain::DomainError::NoIdentity.into());
    };
    let plain = zeroize::Zeroizing::new(
        serde_json::to_vec(&crate::identity::SealedIdentity {
            name,
            contact,
            address,
            citizen_id,
        })
        .map_err(|e| Error::Internal(e.to_string()))?,
    );
    let sealed = crypto::seal(
        key,
        &plain,
        &aad("identity", &s.case.receipt_lookup),
        &mut OsRng,
    );
    st.store
        .update_identity(
            s.case.id,
            &sealed,
            &AuditEntry::new(st.now(), "reporter", "identity.corrected", Some(s.case.id)),
        )
        .await?;
    Ok(())
}

/// Whether the status page offers to ask the superior body to act (a deadline of the case has
/// passed with no decision), or says it was asked.
pub async fn escalation_state(
    st: &App,
    s: &ReporterSession,
) -> Result<minhbach_store::EscalationState> {
    if s.decoy.is_some() {
        // The decoy page shows a closed case: nothing is overdue there.
        return Ok(minhbach_store::EscalationState::NotOverdue);
    }
    Ok(st
        .store
        .escalation_state(s.case.id, &crate::clocks::iso(st.today()))
        .await?)
}

/// The reporter asks the superior body to act on a missed deadline (Law on Denunciation 2018
/// Art. 38, the superior body's follow-up when a deadline is missed): the
/// superior's follow-up task opens at once, exactly once per deadline, and the request is
/// counted. A decoy session changes nothing.
pub async fn escalate(st: &App, s: &ReporterSession) -> Result<minhbach_store::Escalation> {
    if s.decoy.is_some() {
        return Ok(minhbach_store::Escalation::Asked { task_opened: true });
    }
    Ok(st
        .store
        .escalate_by_reporter(s.case.id, &crate::clocks::iso(st.today()), st.now())
        .await?)
}
