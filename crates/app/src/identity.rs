//! The identity vault (DESIGN.md property 4; `docs/crypto.md`, "Identity vault").
//!
//! A reporter's identity is sealed under its own key, which the officers who open the case do
//! not hold. At submission that key is split k of n among the organisation's custodians, each
//! share wrapped to one custodian's public key. A handler (or lead) asks for it with a written
//! justification and legal basis; each custodian approves or refuses with reasons, and an
//! approval re-wraps that custodian's share to the requester. With k approvals the reporter is
//! told first: the release takes effect after a notice period from the dated rules, unless the
//! custodians record that telling would endanger the investigation. Only then can the
//! requester's session rebuild the key from k shares and read the identity; with k−1 shares it
//! cannot, whatever the database says. Every step is an audit event.

use minhbach_crypto::{self as crypto, PublicKey, SecretKey, SymmetricKey};
use minhbach_domain::{
    can, Action, DeadlineClock, DomainError, FieldError, ReasonText, Role, UserId,
};
use minhbach_store::{
    AuditEntry, CaseRecord, DisclosureDecision, DisclosureOutcome, DisclosureRequest,
    NewDisclosureRequest, Store,
};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::access::{actor_code, staff_case, AgencyName};
use crate::keys::aad;
use crate::sessions::StaffSession;
use crate::{App, Error, Result};

/// The dated rule that sets how long the reporter is told before a release takes effect.
pub const NOTICE_RULE: &str = "disclosure_notice";

/// The identity as sealed at submission.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct SealedIdentity {
    pub name: String,
    pub contact: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub citizen_id: String,
}

fn share_aad(lookup: &[u8], custodian: UserId) -> Vec<u8> {
    aad(&format!("identity-share-{}", custodian.0), lookup)
}

fn request_key_aad(lookup: &[u8], custodian: UserId) -> Vec<u8> {
    aad(&format!("disclosure-key-{}", custodian.0), lookup)
}

fn requester_share_aad(lookup: &[u8], request: i64, requester: UserId) -> Vec<u8> {
    aad(
        &format!("disclosure-share-{request}-{}", requester.0),
        lookup,
    )
}

fn reasons_aad(lookup: &[u8], custodian: UserId) -> Vec<u8> {
    aad(&format!("disclosure-reasons-{}", custodian.0), lookup)
}

fn invalid(field: &'static str, code: &'static str) -> Error {
    DomainError::Invalid(vec![FieldError { field, code }]).into()
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(e.to_string())
}

/// Splits a new case's identity key among the custodians in force: the threshold and each
/// custodian's wrapped share, or nothing when no custodian set is configured.
pub(crate) async fn split_for_custodians(
    st: &App,
    identity_key: &SymmetricKey,
    lookup: &[u8],
) -> Result<(Option<i64>, Vec<(UserId, Vec<u8>)>)> {
    let (threshold, custodians) = st.store.custodians().await?;
    let Some(k) = quorum_in_force(threshold, &custodians) else {
        return Ok((None, Vec::new()));
    };
    Ok((
        Some(k),
        share_out(st, identity_key, k, &custodians, lookup)?,
    ))
}

/// The threshold of the custodian set in force, if the active custodians can reach it.
fn quorum_in_force(
    threshold: Option<i64>,
    custodians: &[minhbach_store::UserRecord],
) -> Option<i64> {
    threshold.filter(|k| *k >= 1 && custodians.len() as i64 >= *k)
}

fn share_out(
    st: &App,
    identity_key: &SymmetricKey,
    k: i64,
    custodians: &[minhbach_store::UserRecord],
    lookup: &[u8],
) -> Result<Vec<(UserId, Vec<u8>)>> {
    let k = u8::try_from(k).map_err(internal)?;
    let n = u8::try_from(custodians.len()).map_err(internal)?;
    let shares = crypto::split_key(identity_key, k, n, &mut OsRng)?;
    custodians
        .iter()
        .zip(shares.iter())
        .map(|(c, share)| {
            let pk = st.prepared_key(&PublicKey::try_from_slice(&c.public_key)?)?;
            Ok((
                c.id,
                crypto::wrap_share_to_prepared(&pk, share, &share_aad(lookup, c.id), &mut OsRng),
            ))
        })
        .collect()
}

/// Sets the custodians (accounts with the custodian role) and the number k of them who must
/// approve a release. Cases recorded from then on are shared among them; earlier cases are
/// re-shared with `minhbach recovery reshare`.
pub async fn set_custodians(
    store: &dyn Store,
    usernames: &[String],
    threshold: i64,
    now: i64,
) -> Result<()> {
    let mut ids = Vec::new();
    for name in usernames {
        let user = store
            .user_by_username(name)
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| Error::Refused(format!("no active account named {name}")))?;
        if user.role != Role::Custodian {
            return Err(Error::Refused(format!(
                "{name} is not a custodian (role {})",
                user.role.code()
            )));
        }
        if ids.contains(&user.id) {
            return Err(Error::Refused(format!("{name} is named twice")));
        }
        ids.push(user.id);
    }
    let n = ids.len() as i64;
    if threshold < 1 || threshold > n || n > 255 {
        return Err(Error::Refused(format!(
            "the threshold must be between 1 and the number of custodians ({n}, at most 255)"
        )));
    }
    let audit = AuditEntry::new(now, "cli", "identity.custodians_set", None).with_detail(
        serde_json::json!({ "custodians": ids.iter().map(|u| u.0).collect::<Vec<_>>(), "threshold": threshold }),
    );
    Ok(store.set_custodians(&ids, threshold, &audit).await?)
}

/// Re-shares every case's identity key among the custodians in force, opening it with the
/// recovery key: cases recorded before the custodians were set, or after the set changed.
/// Returns the number of cases re-shared. Open requests of those cases are cancelled.
pub async fn reshare_with_recovery(st: &App, recovery: &SecretKey) -> Result<usize> {
    let (threshold, custodians) = st.store.custodians().await?;
    let k = quorum_in_force(threshold, &custodians).ok_or_else(|| {
        Error::Refused("no custodian set in force (minhbach custodians set)".into())
    })?;
    let org = st.organisation().await?;
    if recovery.public_key().as_bytes().as_slice() != org.recovery_public_key.as_slice() {
        return Err(Error::Refused(
            "this is not the organisation's recovery key".into(),
        ));
    }
    let wanted: Vec<UserId> = custodians.iter().map(|c| c.id).collect();
    let mut done = 0;
    for (case, lookup, wrapped) in st.store.identity_recovery_wraps().await? {
        let (current_k, shares) = st.store.identity_shares(case).await?;
        let holders: Vec<UserId> = shares.iter().map(|(u, _)| *u).collect();
        if current_k == Some(k) && holders == wanted {
            continue;
        }
        let identity_key =
            crypto::unwrap_with_secret(recovery, &wrapped, &aad("identity-key-recovery", &lookup))?;
        let new = share_out(st, &identity_key, k, &custodians, &lookup)?;
        let audit = AuditEntry::new(st.now(), "cli", "identity.reshared", Some(case))
            .with_detail(serde_json::json!({ "threshold": k, "custodians": wanted.iter().map(|u| u.0).collect::<Vec<_>>() }));
        st.store
            .replace_identity_shares(case, k, &new, &audit)
            .await?;
        done += 1;
    }
    Ok(done)
}

/// A handler or lead asks the custodians to release the reporter's identity to them.
pub async fn request_disclosure(
    st: &App,
    s: &StaffSession,
    reference: &str,
    justification: &str,
    legal_basis: &str,
) -> Result<i64> {
    let mut errors = Vec::new();
    // The bounds of a reason, reported on this form's own field (required, or too long).
    let justification = match ReasonText::parse(justification) {
        Ok(j) => Some(j),
        Err(DomainError::Invalid(fields)) => {
            errors.extend(fields.into_iter().map(|f| FieldError {
                field: "justification",
                code: f.code,
            }));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let legal_basis = legal_basis.trim();
    if legal_basis.is_empty() || legal_basis.chars().count() > 500 {
        errors.push(FieldError {
            field: "legal_basis",
            code: if legal_basis.is_empty() {
                "field-required"
            } else {
                "field-too-long"
            },
        });
    }
    let (Some(justification), true) = (justification, errors.is_empty()) else {
        return Err(DomainError::Invalid(errors).into());
    };
    let (case, case_key) = staff_case(st, s, reference, Action::RequestDisclosure).await?;
    if case.identity_sealed.is_none() {
        return Err(DomainError::NoIdentity.into());
    }
    let (threshold, shares) = st.store.identity_shares(case.id).await?;
    let Some(threshold) = threshold.filter(|_| !shares.is_empty()) else {
        return Err(DomainError::NoCustodians.into());
    };
    let lookup = &case.receipt_lookup;
    let request_key = SymmetricKey::generate(&mut OsRng);
    let mut custodian_keys = Vec::new();
    for (custodian, _) in &shares {
        let Some(user) = st.store.user(*custodian).await?.filter(|u| u.active) else {
            continue;
        };
        let pk = PublicKey::try_from_slice(&user.public_key)?;
        custodian_keys.push((
            user.id,
            crypto::wrap_to_public(
                &pk,
                &request_key,
                &request_key_aad(lookup, user.id),
                &mut OsRng,
            ),
        ));
    }
    // A quorum that the active custodians cannot reach is refused now, not left pending.
    if (custodian_keys.len() as i64) < threshold {
        return Err(DomainError::NoCustodians.into());
    }
    let now = st.now();
    let request = NewDisclosureRequest {
        case: case.id,
        requester: s.user.id,
        agency: case.agency,
        legal_basis: legal_basis.to_owned(),
        key_case: crypto::wrap_key(
            &case_key,
            &request_key,
            &aad("disclosure-key-case", lookup),
            &mut OsRng,
        ),
        justification_sealed: crypto::seal(
            &request_key,
            justification.as_str().as_bytes(),
            &aad("disclosure-justification", lookup),
            &mut OsRng,
        ),
        threshold,
        custodian_keys,
        now,
    };
    let audit = AuditEntry::new(
        now,
        actor_code(s),
        "identity.disclosure_requested",
        Some(case.id),
    );
    match st.store.create_disclosure_request(&request, &audit).await {
        Err(minhbach_store::StoreError::Conflict) => Err(DomainError::DisclosureOpen.into()),
        other => Ok(other?),
    }
}

/// A request as a custodian sees it: no report content, only what was asked and why.
#[derive(Clone, Debug, Serialize)]
pub struct CustodianRequest {
    pub id: i64,
    pub reference: String,
    pub agency: AgencyName,
    pub legal_basis: String,
    pub justification: String,
    pub created_at: i64,
    pub state: String,
    pub approvals: i64,
    pub refusals: i64,
    pub threshold: i64,
    /// This custodian's decision, once taken.
    pub decision: Option<String>,
    pub effective_on: Option<String>,
}

/// The requests a custodian was asked about, newest first.
pub async fn custodian_requests(st: &App, s: &StaffSession) -> Result<Vec<CustodianRequest>> {
    if !can(&s.actor, Action::DecideDisclosure, None) {
        return Err(DomainError::Forbidden.into());
    }
    let agencies = st.store.agencies().await?;
    let mut out = Vec::new();
    for (request, row) in st.store.custodian_requests(s.user.id).await? {
        let Some(case) = st.store.case(request.case).await? else {
            continue;
        };
        let lookup = &case.receipt_lookup;
        let key = crypto::unwrap_with_secret(
            &s.secret_key,
            &row.key_wrapped,
            &request_key_aad(lookup, s.user.id),
        )?;
        let justification = crypto::open(
            &key,
            &request.justification_sealed,
            &aad("disclosure-justification", lookup),
        )?;
        out.push(CustodianRequest {
            id: request.id,
            reference: case.reference.clone(),
            agency: AgencyName::find(&agencies, request.agency),
            legal_basis: request.legal_basis.clone(),
            justification: String::from_utf8_lossy(&justification).into_owned(),
            created_at: request.created_at,
            state: request.state.clone(),
            approvals: request.approvals,
            refusals: request.refusals,
            threshold: request.threshold,
            decision: row.decision,
            effective_on: request.effective_on.clone(),
        });
    }
    Ok(out)
}

/// A custodian's answer to a request.
pub struct Answer<'a> {
    pub approve: bool,
    pub reasons: &'a str,
    /// Telling the reporter before the release would endanger the investigation.
    pub endangers: bool,
}

impl<'a> Answer<'a> {
    /// From a form or API body: `decision` is `approve` or `refuse`.
    pub fn parse(decision: &str, reasons: &'a str, endangers: bool) -> Result<Self> {
        let approve = match decision.trim() {
            "approve" => true,
            "refuse" => false,
            _ => return Err(invalid("decision", "field-invalid-choice")),
        };
        Ok(Answer {
            approve,
            reasons,
            endangers,
        })
    }
}

/// A custodian approves or refuses, once. An approval re-wraps their share to the requester.
pub async fn decide(
    st: &App,
    s: &StaffSession,
    request_id: i64,
    answer: &Answer<'_>,
) -> Result<DisclosureOutcome> {
    if !can(&s.actor, Action::DecideDisclosure, None) {
        return Err(DomainError::Forbidden.into());
    }
    let request = st
        .store
        .disclosure_request(request_id)
        .await?
        .ok_or(DomainError::NotFound)?;
    let rows = st.store.disclosure_decisions(request_id).await?;
    let mine = rows
        .iter()
        .find(|r| r.custodian == s.user.id)
        .ok_or(DomainError::NotFound)?;
    if request.requester == s.user.id {
        return Err(DomainError::Forbidden.into());
    }
    if mine.decision.is_some() || request.state != minhbach_store::vault::REQUEST_PENDING {
        return Err(DomainError::AlreadyDecided.into());
    }
    let reasons = answer.reasons.trim();
    let needs_reasons = !answer.approve || answer.endangers;
    let reasons = if reasons.is_empty() {
        if needs_reasons {
            return Err(invalid("reasons", "field-required"));
        }
        None
    } else {
        Some(ReasonText::parse(reasons)?)
    };
    let case = st
        .store
        .case(request.case)
        .await?
        .ok_or(DomainError::NotFound)?;
    let lookup = &case.receipt_lookup;
    let request_key = crypto::unwrap_with_secret(
        &s.secret_key,
        &mine.key_wrapped,
        &request_key_aad(lookup, s.user.id),
    )?;
    let reasons_sealed = reasons.as_ref().map(|r| {
        crypto::seal(
            &request_key,
            r.as_str().as_bytes(),
            &reasons_aad(lookup, s.user.id),
            &mut OsRng,
        )
    });
    let share_for_requester = if answer.approve {
        let (_, shares) = st.store.identity_shares(case.id).await?;
        let wrapped = shares
            .iter()
            .find(|(u, _)| *u == s.user.id)
            .map(|(_, w)| w)
            .ok_or(DomainError::NotFound)?;
        let share = crypto::unwrap_share_with_secret(
            &s.secret_key,
            wrapped,
            &share_aad(lookup, s.user.id),
        )?;
        let requester = st
            .store
            .user(request.requester)
            .await?
            .ok_or(DomainError::NotFound)?;
        let pk = PublicKey::try_from_slice(&requester.public_key)?;
        Some(crypto::wrap_share_to_public(
            &pk,
            &share,
            &requester_share_aad(lookup, request.id, requester.id),
            &mut OsRng,
        ))
    } else {
        None
    };
    let today = st.today();
    let legal = st.legal();
    let notice_ends_on = DeadlineClock::start(&legal.rules, NOTICE_RULE, today)
        .map_err(DomainError::from)?
        .due(&legal.calendar)
        .unwrap_or(today);
    let now = st.now();
    let decision = DisclosureDecision {
        request: request.id,
        custodian: s.user.id,
        approve: answer.approve,
        endangers: answer.endangers,
        reasons_sealed,
        share_for_requester,
        now,
        today: crate::clocks::iso(today),
        notice_ends_on: crate::clocks::iso(notice_ends_on),
    };
    let audit = AuditEntry::new(
        now,
        actor_code(s),
        "identity.disclosure_decided",
        Some(case.id),
    );
    match st.store.decide_disclosure(&decision, &audit).await {
        Err(minhbach_store::StoreError::Conflict) => Err(DomainError::AlreadyDecided.into()),
        other => Ok(other?),
    }
}

/// A request as the agency's officers and the reporter see it.
#[derive(Clone, Debug, Serialize)]
pub struct RequestView {
    pub id: i64,
    pub agency: AgencyName,
    pub legal_basis: String,
    pub justification: String,
    pub state: String,
    pub approvals: i64,
    pub refusals: i64,
    pub threshold: i64,
    pub created_at: i64,
    /// When the quorum was reached and the reporter told (or, if withheld, when it took effect).
    pub quorum_at: Option<i64>,
    pub effective_on: Option<String>,
    pub in_effect: bool,
    pub notice_withheld: bool,
    /// The custodians' reasons for withholding the notice (shown to the reporter after).
    pub withheld_reasons: Vec<String>,
}

async fn request_views(
    st: &App,
    case: &CaseRecord,
    case_key: &SymmetricKey,
) -> Result<Vec<(DisclosureRequest, RequestView)>> {
    let lookup = &case.receipt_lookup;
    let agencies = st.store.agencies().await?;
    let today = crate::clocks::iso(st.today());
    let mut out = Vec::new();
    for r in st.store.disclosure_requests(case.id).await? {
        let key = crypto::unwrap_key(case_key, &r.key_case, &aad("disclosure-key-case", lookup))?;
        let justification = crypto::open(
            &key,
            &r.justification_sealed,
            &aad("disclosure-justification", lookup),
        )?;
        let mut withheld_reasons = Vec::new();
        if r.notice_withheld {
            for d in st.store.disclosure_decisions(r.id).await? {
                if let (true, Some(sealed)) = (d.endangers, &d.reasons_sealed) {
                    let text = crypto::open(&key, sealed, &reasons_aad(lookup, d.custodian))?;
                    withheld_reasons.push(String::from_utf8_lossy(&text).into_owned());
                }
            }
        }
        let in_effect = r.state == minhbach_store::vault::REQUEST_NOTICE
            && r.effective_on
                .as_deref()
                .is_some_and(|d| d <= today.as_str());
        let view = RequestView {
            id: r.id,
            agency: AgencyName::find(&agencies, r.agency),
            legal_basis: r.legal_basis.clone(),
            justification: String::from_utf8_lossy(&justification).into_owned(),
            state: r.state.clone(),
            approvals: r.approvals,
            refusals: r.refusals,
            threshold: r.threshold,
            created_at: r.created_at,
            quorum_at: r.quorum_at,
            effective_on: r.effective_on.clone(),
            in_effect,
            notice_withheld: r.notice_withheld,
            withheld_reasons,
        };
        out.push((r, view));
    }
    Ok(out)
}

/// The reporter's identity as an officer of the case sees it.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum StaffIdentity {
    /// The reporter gave no name.
    Anonymous,
    /// Sealed: the requests so far, and whether this officer may ask.
    Sealed {
        requests: Vec<RequestView>,
        may_request: bool,
        custodians: bool,
    },
    /// Released to this officer by a request in effect.
    Disclosed {
        name: String,
        contact: String,
        address: String,
        citizen_id: String,
        requests: Vec<RequestView>,
    },
}

/// What an officer of the case sees of the reporter's identity. A release in effect for this
/// officer opens the identity from the k shares re-wrapped to them; each such read is audited.
pub async fn staff_identity(st: &App, s: &StaffSession, reference: &str) -> Result<StaffIdentity> {
    let (case, case_key) = staff_case(st, s, reference, Action::ReadCase).await?;
    identity_for(st, s, &case, &case_key).await
}

/// [`staff_identity`] of a case already opened with the officer's key.
pub(crate) async fn identity_for(
    st: &App,
    s: &StaffSession,
    case: &CaseRecord,
    case_key: &SymmetricKey,
) -> Result<StaffIdentity> {
    let Some(sealed) = case.identity_sealed.clone() else {
        return Ok(StaffIdentity::Anonymous);
    };
    let requests = request_views(st, case, case_key).await?;
    let released = requests
        .iter()
        .find(|(r, v)| r.requester == s.user.id && v.in_effect);
    let views: Vec<RequestView> = requests.iter().map(|(_, v)| v.clone()).collect();
    let Some((request, _)) = released else {
        let pending = requests
            .iter()
            .any(|(r, _)| r.state == minhbach_store::vault::REQUEST_PENDING);
        return Ok(StaffIdentity::Sealed {
            may_request: !pending && can(&s.actor, Action::RequestDisclosure, Some(&case.facts())),
            custodians: case.identity_threshold.is_some(),
            requests: views,
        });
    };
    let identity = open_released(st, s, case, request, &sealed).await?;
    st.store
        .audit(
            &AuditEntry::new(st.now(), actor_code(s), "identity.read", Some(case.id))
                .with_detail(serde_json::json!({ "request": request.id })),
        )
        .await?;
    Ok(StaffIdentity::Disclosed {
        name: identity.name,
        contact: identity.contact,
        address: identity.address,
        citizen_id: identity.citizen_id,
        requests: views,
    })
}

/// Rebuilds the identity key from the shares approved for this officer and opens the identity.
/// Fewer shares than the threshold the key was split with fail here, in the cryptography.
pub async fn open_released(
    st: &App,
    s: &StaffSession,
    case: &CaseRecord,
    request: &DisclosureRequest,
    sealed: &[u8],
) -> Result<SealedIdentity> {
    let lookup = &case.receipt_lookup;
    let mut shares = Vec::new();
    for d in st.store.disclosure_decisions(request.id).await? {
        if let Some(wrapped) = d.share_for_requester {
            shares.push(crypto::unwrap_share_with_secret(
                &s.secret_key,
                &wrapped,
                &requester_share_aad(lookup, request.id, s.user.id),
            )?);
        }
    }
    let k = case
        .identity_threshold
        .and_then(|k| u8::try_from(k).ok())
        .ok_or(DomainError::NoCustodians)?;
    let key = crypto::combine_key(&shares, k)?;
    let plain = Zeroizing::new(crypto::open(&key, sealed, &aad("identity", lookup))?.to_vec());
    serde_json::from_slice(&plain).map_err(internal)
}

/// The releases of a reporter's identity that they must be told of: every request that reached
/// the custodians' quorum, before it takes effect (or after, with the custodians' reasons, when
/// telling first would have endangered the investigation). Kept for ever.
pub async fn reporter_disclosures(
    st: &App,
    case: &CaseRecord,
    case_key: &SymmetricKey,
) -> Result<Vec<RequestView>> {
    if case.identity_sealed.is_none() {
        return Ok(Vec::new());
    }
    Ok(request_views(st, case, case_key)
        .await?
        .into_iter()
        .filter(|(r, _)| r.state == minhbach_store::vault::REQUEST_NOTICE)
        .map(|(_, v)| v)
        .collect())
}
