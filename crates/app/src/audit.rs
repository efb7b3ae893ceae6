//! What makes the audit log answer to something outside the database: signed checkpoints of its
//! head in a file of the data directory, the check of the whole log against them, and the check
//! that the server secret is the one the database was set up with.
//!
//! A checkpoint is one line, `v1 SEQ HASH AT LEGACY SIGNATURE`, signed with the Ed25519 key
//! derived from the server secret (`CheckpointKey`). The file is append-only; a backup takes it
//! with the database, and a copy sent elsewhere (an auditor's mailbox) can be checked with the
//! public key that `minhbach audit verify` prints.

use std::io::Write;
use std::path::{Path, PathBuf};

use minhbach_crypto::{verify_checkpoint, CheckpointKey, ServerSecret};
use std::sync::Arc;

use minhbach_store::{ChainError, Checkpoint, Store};

use crate::clock::Clock;

use crate::{App, Error, Result};

/// The outcome of a verification that could read everything.
#[derive(Debug)]
pub struct Verified {
    pub events: usize,
    pub checkpoints: usize,
    /// The checkpoint written after the log passed.
    pub written: Checkpoint,
}

/// Why the log does not pass.
#[derive(Debug, thiserror::Error)]
pub enum AuditBroken {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("checkpoint file, line {line}: {why}")]
    Checkpoint { line: usize, why: &'static str },
}

/// The file of checkpoints of one data directory, and the key that signs them.
pub struct Checkpoints {
    path: PathBuf,
    key: CheckpointKey,
}

impl Checkpoints {
    pub fn new(path: impl Into<PathBuf>, secret: &ServerSecret) -> Self {
        Checkpoints {
            path: path.into(),
            key: CheckpointKey::derive(secret),
        }
    }

    /// The public key, hex: what a witness needs to check the checkpoints.
    pub fn public_key(&self) -> String {
        hex::encode(self.key.public())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every checkpoint in the file, each signature checked; none if there is no file yet.
    pub fn load(&self) -> std::result::Result<Vec<Checkpoint>, AuditBroken> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(_) => {
                return Err(AuditBroken::Checkpoint {
                    line: 0,
                    why: "cannot be read",
                })
            }
        };
        let public = self.key.public();
        let mut out: Vec<Checkpoint> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |why| AuditBroken::Checkpoint { line: i + 1, why };
            let f: Vec<&str> = line.split(' ').collect();
            let [version, seq, hash, at, legacy, sig] = f.as_slice() else {
                return Err(bad("malformed"));
            };
            let (Ok(seq), Ok(hash), Ok(at), Ok(legacy), Ok(sig)) = (
                seq.parse::<i64>(),
                hex::decode(hash),
                at.parse::<i64>(),
                legacy.parse::<i64>(),
                hex::decode(sig),
            ) else {
                return Err(bad("malformed"));
            };
            if *version != "v1" {
                return Err(bad("unknown version"));
            }
            if !verify_checkpoint(&public, &message(seq, &hash, at, legacy), &sig) {
                return Err(bad(
                    "signature does not match (forged or another server's key)",
                ));
            }
            if out
                .last()
                .is_some_and(|p| p.seq > seq || p.legacy != legacy)
            {
                return Err(bad("goes backwards"));
            }
            out.push(Checkpoint { seq, hash, legacy });
        }
        Ok(out)
    }

    /// Appends a signed checkpoint of the given head (readable by the owner only).
    fn append(&self, c: &Checkpoint, at: i64) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            crate::files::create_private_dir(dir)?;
        }
        let sig = self.key.sign(&message(c.seq, &c.hash, at, c.legacy));
        let line = format!(
            "v1 {} {} {at} {} {}\n",
            c.seq,
            hex::encode(&c.hash),
            c.legacy,
            hex::encode(sig)
        );
        let mut f = crate::files::open_private_append(&self.path)?;
        f.write_all(line.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::Internal(format!("writing {}: {e}", self.path.display())))
    }
}

fn message(seq: i64, hash: &[u8], at: i64, legacy: i64) -> Vec<u8> {
    format!(
        "minhbach audit checkpoint v1\n{seq}\n{}\n{at}\n{legacy}",
        hex::encode(hash)
    )
    .into_bytes()
}

/// Checks every event, the head and every checkpoint; when all pass, signs a checkpoint of the
/// head. The first checkpoint also records how many events predate the keyed chain.
pub async fn verify(
    store: &dyn Store,
    checkpoints: &Checkpoints,
    now: i64,
) -> Result<std::result::Result<Verified, AuditBroken>> {
    let known = match checkpoints.load() {
        Ok(k) => k,
        Err(e) => return Ok(Err(e)),
    };
    let legacy = match known.first() {
        Some(c) => c.legacy,
        None => {
            // Unkeyed events exist only in logs begun before the chain was keyed: the first
            // checkpoint fixes their number for good.
            let log = store.audit_log().await?;
            let n = log.iter().take_while(|r| r.version == 1).count();
            i64::try_from(n).unwrap_or(i64::MAX)
        }
    };
    let mut attested = known.clone();
    if attested.is_empty() && legacy > 0 {
        attested.push(Checkpoint {
            seq: 0,
            hash: Vec::new(),
            legacy,
        });
    }
    let events = match store.audit_verify(&attested).await? {
        Ok(n) => n,
        Err(e) => return Ok(Err(e.into())),
    };
    let (seq, hash) = store.audit_head().await?;
    let written = Checkpoint { seq, hash, legacy };
    checkpoints.append(&written, now)?;
    Ok(Ok(Verified {
        events,
        checkpoints: known.len(),
        written,
    }))
}

/// A check value of the server secret, stored in the database at set-up.
fn key_check_value(secret: &ServerSecret) -> Vec<u8> {
    secret.mac("server-key-check-v1", b"")[..16].to_vec()
}

/// Refuses a server secret other than the one the organisation was set up with (a lost
/// `server.key` regenerated, a wrong file restored): every receipt would stop working. Records
/// the check value if the organisation has none yet.
pub async fn check_server_key(app: &App) -> Result<()> {
    if app.store.organisation().await?.is_none() {
        return Ok(());
    }
    let mine = key_check_value(&app.secret);
    let stored = match app.store.key_check().await? {
        Some(v) => v,
        None => app.store.set_key_check(&mine).await?,
    };
    if stored == mine {
        Ok(())
    } else {
        Err(Error::WrongServerKey)
    }
}

/// Verifies the log and signs a checkpoint every `every`, for as long as the process runs. A
/// failure is logged as an error each time and no checkpoint is signed over a broken log.
pub fn spawn_checkpoints(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    checkpoints: Checkpoints,
    every: std::time::Duration,
    status: ChainStatusCell,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let now = clock.now().unix_timestamp();
            let outcome = verify(store.as_ref(), &checkpoints, now).await;
            record_status(&status, now, &outcome);
            match outcome {
                Ok(Ok(v)) => tracing::debug!(seq = v.written.seq, "audit checkpoint signed"),
                Ok(Err(e)) => tracing::error!(error = %e, "AUDIT LOG BROKEN: no checkpoint signed"),
                Err(e) => tracing::warn!(error = %e, "audit checkpoint not written"),
            }
        }
    })
}

/// The last verification of the whole log, for the auditor's page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainStatus {
    pub checked_at: i64,
    /// Events checked and the head signed, when the log passed; what failed otherwise.
    pub outcome: std::result::Result<(usize, i64), String>,
}

/// Where the server keeps the last [`ChainStatus`] (none until the first check of this process).
pub type ChainStatusCell = Arc<std::sync::RwLock<Option<ChainStatus>>>;

/// Records the outcome of a verification for the auditor's page.
pub fn record_status(
    cell: &ChainStatusCell,
    now: i64,
    outcome: &Result<std::result::Result<Verified, AuditBroken>>,
) {
    let outcome = match outcome {
        Ok(Ok(v)) => Ok((v.events, v.written.seq)),
        Ok(Err(e)) => Err(e.to_string()),
        // The log could not be read (database busy): the previous status stands.
        Err(_) => return,
    };
    let mut slot = match cell.write() {
        Ok(s) => s,
        Err(poisoned) => poisoned.into_inner(),
    };
    *slot = Some(ChainStatus {
        checked_at: now,
        outcome,
    });
}

/// The auditor's filters, as typed (a case reference, an actor, an action, local dates).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub case: String,
    pub actor: String,
    pub action: String,
    /// `YYYY-MM-DD`, inclusive, in Vietnam time.
    pub from: String,
    pub to: String,
}

/// One event as the auditor reads it: metadata and codes, never content.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub reference: Option<String>,
    pub detail: String,
}

/// A page of the log and the chain's status.
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// More events match than were listed.
    pub more: bool,
    pub status: Option<ChainStatus>,
}

fn local_bound(date: &str, next_day: bool) -> Result<Option<i64>> {
    let date = date.trim();
    if date.is_empty() {
        return Ok(None);
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, format).map_err(|_| {
        minhbach_domain::DomainError::Invalid(vec![minhbach_domain::FieldError {
            field: if next_day { "to" } else { "from" },
            code: "field-date-format",
        }])
    })?;
    let day = if next_day {
        day.next_day().unwrap_or(day)
    } else {
        day
    };
    Ok(Some(
        day.with_time(time::Time::MIDNIGHT)
            .assume_offset(crate::clock::LOCAL_OFFSET)
            .unix_timestamp(),
    ))
}

/// The events an auditor asked for, newest first, at most `limit`.
pub async fn search(
    st: &App,
    s: &crate::sessions::StaffSession,
    filter: &AuditFilter,
    limit: i64,
) -> Result<AuditPage> {
    if !minhbach_domain::can(&s.actor, minhbach_domain::Action::VerifyAudit, None) {
        return Err(minhbach_domain::DomainError::Forbidden.into());
    }
    let from = local_bound(&filter.from, false)?.unwrap_or(i64::MIN);
    let until = local_bound(&filter.to, true)?.unwrap_or(i64::MAX);
    let status = match st.audit_status.read() {
        Ok(s) => s.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let reference = filter.case.trim();
    let case = if reference.is_empty() {
        None
    } else {
        match st.store.case_by_reference(reference).await? {
            Some(c) => Some(c.id),
            // An unknown reference matches nothing.
            None => {
                return Ok(AuditPage {
                    rows: Vec::new(),
                    more: false,
                    status,
                })
            }
        }
    };
    let mut records = st
        .store
        .audit_search(&minhbach_store::AuditQuery {
            case,
            actor: filter.actor.trim().to_owned(),
            action: filter.action.trim().to_owned(),
            from,
            until,
            limit: limit.saturating_add(1),
        })
        .await?;
    let more = i64::try_from(records.len()).unwrap_or(i64::MAX) > limit;
    records.truncate(usize::try_from(limit).unwrap_or(0));
    let mut references = std::collections::HashMap::new();
    let mut rows = Vec::with_capacity(records.len());
    for r in records {
        let reference = match r.case {
            Some(id) => {
                if let std::collections::hash_map::Entry::Vacant(e) = references.entry(id) {
                    e.insert(st.store.case(id).await?.map(|c| c.reference));
                }
                references.get(&id).cloned().flatten()
            }
            None => None,
        };
        rows.push(AuditRow {
            seq: r.seq,
            at: r.at,
            actor: r.actor,
            action: r.action,
            reference,
            detail: r.detail,
        });
    }
    Ok(AuditPage { rows, more, status })
}
