//! A report arrives: validated, sealed under a fresh case key wrapped for the receiving staff,
//! the reporter's receipt and the recovery key, recorded with its clocks and audit event in one
//! transaction. The receipt is returned only after the commit.

use minhbach_crypto::{self as crypto, PublicKey, Receipt, SymmetricKey};
use minhbach_domain::{
    AgencyId, CaseFacts, Channel, DomainError, Excluded, ExclusionReason, Identity, RawReport,
};
use minhbach_store::{AuditEntry, NewCase};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::identity::SealedIdentity;
use crate::keys::{self, aad};
use crate::{App, Error, Result};

/// The encrypted part of a report.
#[derive(Serialize, Deserialize, Clone, Default)]
pub struct ReportContent {
    pub what: String,
    pub when: String,
    #[serde(rename = "where")]
    pub where_: String,
    pub who: String,
}

/// The ids of the configured agencies (what a form may name).
pub(crate) async fn agency_ids(st: &App) -> Result<Vec<AgencyId>> {
    Ok(st
        .store
        .agencies()
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect())
}

pub struct Submitted {
    pub reference: String,
    pub receipt: Receipt,
    /// The decoy code, when the reporter asked for one.
    pub decoy: Option<Receipt>,
}

/// The decoy page's report when the reporter wrote none.
const DECOY_DEFAULT: &str =
    "Phản ánh về thời gian chờ giải quyết thủ tục hành chính tại bộ phận một cửa.";

/// Records a report as a new case. The receipt is returned only after the commit.
pub async fn submit_report(
    st: &App,
    raw: RawReport,
    channel: Channel,
    nonce_hash: Option<Vec<u8>>,
    demo: bool,
) -> Result<Submitted> {
    record(st, raw, channel, nonce_hash, demo, None).await
}

/// Records a report as a new case; a retaliation report names the case it is linked to.
pub(crate) async fn record(
    st: &App,
    raw: RawReport,
    channel: Channel,
    nonce_hash: Option<Vec<u8>>,
    demo: bool,
    retaliation_of: Option<(minhbach_domain::CaseId, minhbach_domain::Track)>,
) -> Result<Submitted> {
    let org = st.organisation().await?;
    let categories: Vec<String> = st
        .store
        .categories()
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let configured = st.store.agencies().await?;
    let agencies: Vec<AgencyId> = configured.iter().map(|a| a.id).collect();
    let report = raw.validate(&categories, &agencies)?;
    let chosen = report.agency.or(org.default_agency).ok_or_else(|| {
        DomainError::Invalid(vec![minhbach_domain::FieldError {
            field: "agency",
            code: "field-required",
        }])
    })?;
    // Conflict of interest, decided before anyone reads: a report against the head of the
    // chosen agency goes to its superior body (Law on Denunciation 2018 Art. 13-15), and that
    // agency's leads are kept from the key for good, wherever the case goes later.
    let (agency, exclusions) = if report.accused_lead {
        let superior = configured
            .iter()
            .find(|a| a.id == chosen)
            .and_then(|a| a.superior)
            .or(org.default_agency.filter(|d| *d != chosen))
            .unwrap_or(chosen);
        (
            superior,
            vec![Excluded::LeadsOf(chosen, ExclusionReason::AccusedLeads)],
        )
    } else {
        (chosen, Vec::new())
    };

    let receipt = Receipt::generate(&mut OsRng);
    let lookup = st.secret.receipt_lookup(&receipt).to_vec();
    let receipt_key = st.secret.receipt_key(&receipt);
    let recovery = PublicKey::try_from_slice(&org.recovery_public_key)?;
    let case_key = SymmetricKey::generate(&mut OsRng);

    let content = Zeroizing::new(
        serde_json::to_vec(&ReportContent {
            what: report.what.clone(),
            when: report.when.clone(),
            where_: report.where_.clone(),
            who: report.who.clone(),
        })
        .map_err(|e| Error::Internal(e.to_string()))?,
    );
    // The identity has its own key: whoever opens the case does not see who reported. The key
    // is wrapped to the reporter and the recovery key, and split among the custodians.
    let mut identity = None;
    if let Identity::Confidential {
        name,
        contact,
        address,
        citizen_id,
    } = &report.identity
    {
        let identity_key = SymmetricKey::generate(&mut OsRng);
        let plain = Zeroizing::new(
            serde_json::to_vec(&SealedIdentity {
                name: name.clone(),
                contact: contact.clone(),
                address: address.clone(),
                citizen_id: citizen_id.clone(),
            })
            .map_err(|e| Error::Internal(e.to_string()))?,
        );
        let (threshold, shares) =
            crate::identity::split_for_custodians(st, &identity_key, &lookup).await?;
        identity = Some((
            crypto::seal(&identity_key, &plain, &aad("identity", &lookup), &mut OsRng),
            crypto::wrap_key(
                &receipt_key,
                &identity_key,
                &aad("identity-key-reporter", &lookup),
                &mut OsRng,
            ),
            crypto::wrap_to_public(
                &recovery,
                &identity_key,
                &aad("identity-key-recovery", &lookup),
                &mut OsRng,
            ),
            threshold,
            shares,
        ));
    }
    let (
        identity_sealed,
        identity_key_reporter,
        identity_key_recovery,
        identity_threshold,
        identity_shares,
    ) = match identity {
        Some((sealed, reporter, recovery, threshold, shares)) => (
            Some(sealed),
            Some(reporter),
            Some(recovery),
            threshold,
            shares,
        ),
        None => (None, None, None, None, Vec::new()),
    };
    // A decoy code opens an ordinary-looking closed case: its own lookup, and the decoy page's
    // text sealed under its own key.
    let decoy = report.decoy.as_ref().map(|_| Receipt::generate(&mut OsRng));
    let decoy_row = match (&decoy, &report.decoy) {
        (Some(code), Some(text)) => {
            let decoy_lookup = st.secret.receipt_lookup(code).to_vec();
            let text = if text.is_empty() {
                DECOY_DEFAULT
            } else {
                text.as_str()
            };
            let sealed = crypto::seal(
                &st.secret.receipt_key(code),
                text.as_bytes(),
                &aad("decoy", &decoy_lookup),
                &mut OsRng,
            );
            Some((decoy_lookup, sealed))
        }
        _ => None,
    };
    let facts = CaseFacts {
        agency,
        state: minhbach_domain::CaseState::Received,
        assignee: None,
        forward_hops: 0,
    };
    // Nobody holds the key yet: the key policy's holders are exactly the wraps to write.
    let staff_wraps = keys::plan_wraps(st, &facts, &exclusions, &[], &case_key, &lookup)
        .await?
        .add;
    if staff_wraps.is_empty() {
        tracing::warn!(
            agency = agency.0,
            "case recorded for an agency with no receiving staff"
        );
    }
    let now = st.now();
    let year = st.clock.now().to_offset(crate::clock::LOCAL_OFFSET).year();
    let clocks = crate::clocks::plan(
        &st.legal(),
        &[],
        &minhbach_domain::workflow::ON_RECEIPT,
        agency,
        st.today(),
        None,
    )?;
    let case = NewCase {
        reference_prefix: org.reference_prefix.clone(),
        year,
        receipt_lookup: lookup.clone(),
        agency,
        category: report.category.clone(),
        channel: channel.code().to_owned(),
        anonymous: report.identity == Identity::Anonymous,
        now,
        content_sealed: crypto::seal(&case_key, &content, &aad("content", &lookup), &mut OsRng),
        case_key_reporter: crypto::wrap_key(
            &receipt_key,
            &case_key,
            &aad("wrap-reporter", &lookup),
            &mut OsRng,
        ),
        case_key_recovery: crypto::wrap_to_public(
            &recovery,
            &case_key,
            &aad("wrap-recovery", &lookup),
            &mut OsRng,
        ),
        identity_sealed,
        identity_key_reporter,
        identity_key_recovery,
        staff_wraps,
        exclusions,
        identity_threshold,
        identity_shares,
        decoy: decoy_row,
        track: retaliation_of.map(|(_, t)| t),
        link: retaliation_of.map(|(c, _)| (c, "retaliation_of".to_owned())),
        nonce_hash,
        demo,
        clocks: clocks.new,
        due_on: clocks.due_on,
    };
    let (_, reference) = st
        .store
        .submit(
            &case,
            &AuditEntry::new(now, "reporter", "case.submitted", None),
        )
        .await?;
    Ok(Submitted {
        reference,
        receipt,
        decoy,
    })
}
