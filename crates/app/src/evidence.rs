//! Evidence files (DESIGN.md property 11). A reporter attaches photos, PDFs and office documents
//! to a report or a message in two steps:
//!
//! 1. [`prepare`]: each file's type is sniffed from its bytes, its identifying metadata removed
//!    (`minhbach_evidence::clean`), and the cleaned file sealed in 64 KiB chunks under a fresh
//!    key of its own, before anything is written. The files are recorded as a *draft* whose keys
//!    are wrapped under a draft key that is given to the reporter's browser and never stored:
//!    the reporter sees what was removed and what could not be, and decides.
//! 2. On confirmation the report or message names the draft and its key; [`adoption`] re-wraps
//!    each file's key under the case key and the store moves the files into the case in the
//!    same transaction as the report or message. An unconfirmed draft expires and is deleted by
//!    the scheduler; without its key it could not be read meanwhile.
//!
//! Staff with the case key download a file decrypted one chunk at a time ([`Download`]).

use std::sync::Arc;

use minhbach_crypto::{self as crypto, ChunkPosition, SymmetricKey, CHUNK_LEN};
use minhbach_domain::{Action, CaseId};
use minhbach_evidence::{Kept, Kind, Limits, Removed};
use minhbach_store::{Adoption, AttachmentRecord, AuditEntry, NewAttachment, NewDraft, Store};
use rand::rngs::OsRng;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::access::actor_code;
use crate::sessions::StaffSession;
use crate::{App, Error, Result};

/// A file as the browser sent it.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// What is sealed with each file besides its bytes.
#[derive(Serialize, Deserialize)]
struct FileMeta {
    name: String,
    kind: String,
    removed: Vec<String>,
    kept: Vec<String>,
}

/// A file as its readers see it (the reporter before and after confirming, staff).
#[derive(Clone, Debug, Serialize)]
pub struct FileView {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "kind_code")]
    pub kind: Kind,
    pub size: i64,
    pub sender: String,
    pub created_at: i64,
    #[serde(serialize_with = "codes")]
    pub removed: Vec<Removed>,
    #[serde(serialize_with = "kept_codes")]
    pub kept: Vec<Kept>,
}

fn kind_code<S: serde::Serializer>(k: &Kind, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(k.code())
}

fn codes<S: serde::Serializer>(v: &[Removed], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|r| r.code()))
}

fn kept_codes<S: serde::Serializer>(v: &[Kept], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|k| k.code()))
}

/// A draft as the reporter's browser keeps it until they confirm: its handle and key travel in
/// the confirmation form, and only there.
#[derive(Clone)]
pub struct DraftRef {
    pub handle: String,
    pub key: String,
}

impl DraftRef {
    /// The draft named by a confirmation form, if the form names one.
    pub fn from_form(handle: &str, key: &str) -> Option<DraftRef> {
        let (handle, key) = (handle.trim(), key.trim());
        (!handle.is_empty() || !key.is_empty()).then(|| DraftRef {
            handle: handle.to_owned(),
            key: key.to_owned(),
        })
    }

    fn decode(&self) -> Result<(Vec<u8>, SymmetricKey)> {
        let handle = hex::decode(&self.handle).map_err(|_| Error::DraftExpired)?;
        let key: [u8; 32] = hex::decode(&self.key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or(Error::DraftExpired)?;
        if handle.len() != 16 {
            return Err(Error::DraftExpired);
        }
        Ok((handle, SymmetricKey::from_bytes(key)))
    }
}

/// Files waiting for the reporter's confirmation.
pub struct Draft {
    pub reference: DraftRef,
    pub files: Vec<FileView>,
}

fn key_aad(id: &str) -> Vec<u8> {
    format!("file:{id}:key").into_bytes()
}

fn meta_aad(id: &str) -> Vec<u8> {
    format!("file:{id}:meta").into_bytes()
}

fn chunk_aad(id: &str) -> Vec<u8> {
    format!("file:{id}").into_bytes()
}

/// The limits of one upload, from the settings.
fn limits(st: &App) -> Limits {
    Limits {
        max_bytes: st.settings.evidence_file_max_bytes,
        ..Limits::default()
    }
}

/// Strips and seals the files, and records them as a draft. Nothing is kept unless every file
/// is accepted: the first refused file is named in the error.
pub async fn prepare(st: &App, uploads: Vec<Upload>) -> Result<Draft> {
    if uploads.len() > st.settings.evidence_files_max {
        return Err(Error::FileRefused {
            name: String::new(),
            code: "too-many",
        });
    }
    let now = st.now();
    let draft_key = SymmetricKey::generate(&mut OsRng);
    let mut handle = [0u8; 16];
    OsRng.fill_bytes(&mut handle);
    let mut files = Vec::with_capacity(uploads.len());
    let mut views = Vec::with_capacity(uploads.len());
    for upload in uploads {
        let (record, view) = seal_upload(st, upload, &draft_key, now).await?;
        files.push(record);
        views.push(view);
    }
    st.store
        .put_draft(&NewDraft {
            handle: handle.to_vec(),
            now,
            expires_at: now + st.settings.evidence_draft_minutes * 60,
            files,
        })
        .await?;
    Ok(Draft {
        reference: DraftRef {
            handle: hex::encode(handle),
            key: hex::encode(draft_key.as_bytes()),
        },
        files: views,
    })
}

/// A file name as it is kept: the last path segment, printable, at most 200 characters.
fn file_name(raw: &str, kind: Kind) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let name = name.trim();
    if name.is_empty() {
        format!("file.{}", kind.extension())
    } else {
        name.to_owned()
    }
}

async fn seal_upload(
    st: &App,
    upload: Upload,
    draft_key: &SymmetricKey,
    now: i64,
) -> Result<(NewAttachment, FileView)> {
    let raw_name = upload.name.clone();
    let refused = |code: &'static str| Error::FileRefused {
        name: raw_name
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect(),
        code,
    };
    let limits = limits(st);
    // Parsing hostile files is CPU work: it runs on the blocking pool, a few at a time.
    let _slot = st
        .evidence_work
        .acquire()
        .await
        .map_err(|e| Error::Internal(e.to_string()))?;
    let bytes = Zeroizing::new(upload.bytes);
    let cleaned = tokio::task::spawn_blocking(move || minhbach_evidence::clean(&bytes, &limits))
        .await
        .map_err(|_| refused("damaged"))?
        .map_err(|r| refused(r.code()))?;
    let cleaned_bytes = Zeroizing::new(cleaned.bytes);
    let mut id_bytes = [0u8; 16];
    OsRng.fill_bytes(&mut id_bytes);
    let id = hex::encode(id_bytes);
    let file_key = SymmetricKey::generate(&mut OsRng);
    let name = file_name(&upload.name, cleaned.kind);
    let meta = FileMeta {
        name: name.clone(),
        kind: cleaned.kind.code().to_owned(),
        removed: cleaned
            .removed
            .iter()
            .map(|r| r.code().to_owned())
            .collect(),
        kept: cleaned.kept.iter().map(|k| k.code().to_owned()).collect(),
    };
    let meta_json =
        Zeroizing::new(serde_json::to_vec(&meta).map_err(|e| Error::Internal(e.to_string()))?);
    let count = ChunkPosition::count(cleaned_bytes.len());
    let aad = chunk_aad(&id);
    let chunks = (0..count)
        .map(|i| {
            let start = i as usize * CHUNK_LEN;
            let end = (start + CHUNK_LEN).min(cleaned_bytes.len());
            let at = ChunkPosition {
                index: i,
                last: i + 1 == count,
            };
            crypto::seal_chunk(&file_key, &aad, at, &cleaned_bytes[start..end], &mut OsRng)
        })
        .collect();
    let size = i64::try_from(cleaned_bytes.len()).unwrap_or(i64::MAX);
    let view = FileView {
        id: id.clone(),
        name,
        kind: cleaned.kind,
        size,
        sender: "reporter".to_owned(),
        created_at: now,
        removed: cleaned.removed,
        kept: cleaned.kept,
    };
    Ok((
        NewAttachment {
            file_key: crypto::wrap_key(draft_key, &file_key, &key_aad(&id), &mut OsRng),
            meta_sealed: crypto::seal(&file_key, &meta_json, &meta_aad(&id), &mut OsRng),
            id,
            sender: "reporter".to_owned(),
            size,
            chunks,
        },
        view,
    ))
}

/// The files of a draft, opened with the key the browser brought back (to show them again).
pub async fn draft_files(st: &App, draft: &DraftRef) -> Result<Vec<FileView>> {
    let (handle, key) = draft.decode()?;
    let records = st.store.draft_files(&handle, st.now()).await?;
    if records.is_empty() {
        return Err(Error::DraftExpired);
    }
    records
        .iter()
        .map(|r| {
            let file_key = crypto::unwrap_key(&key, &r.file_key, &key_aad(&r.id))
                .map_err(|_| Error::DraftExpired)?;
            view(&file_key, r)
        })
        .collect()
}

/// The confirmed draft's files for a case: each file key re-wrapped under the case key.
/// `DraftExpired` if the draft is gone or the key does not open it.
pub(crate) async fn adoption(
    st: &App,
    draft: &DraftRef,
    case_key: &SymmetricKey,
) -> Result<Adoption> {
    let (handle, key) = draft.decode()?;
    let records = st.store.draft_files(&handle, st.now()).await?;
    if records.is_empty() {
        return Err(Error::DraftExpired);
    }
    let mut files = Vec::with_capacity(records.len());
    for r in &records {
        let file_key = crypto::unwrap_key(&key, &r.file_key, &key_aad(&r.id))
            .map_err(|_| Error::DraftExpired)?;
        files.push((
            r.id.clone(),
            crypto::wrap_key(case_key, &file_key, &key_aad(&r.id), &mut OsRng),
        ));
    }
    Ok(Adoption {
        draft: handle,
        files,
    })
}

fn view(file_key: &SymmetricKey, r: &AttachmentRecord) -> Result<FileView> {
    let plain = crypto::open(file_key, &r.meta_sealed, &meta_aad(&r.id))?;
    let meta: FileMeta =
        serde_json::from_slice(&plain).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(FileView {
        id: r.id.clone(),
        name: meta.name,
        kind: Kind::from_code(&meta.kind)
            .ok_or_else(|| Error::Internal(format!("unknown file kind {}", meta.kind)))?,
        size: r.size,
        sender: r.sender.clone(),
        created_at: r.created_at,
        removed: meta
            .removed
            .iter()
            .filter_map(|c| Removed::from_code(c))
            .collect(),
        kept: meta
            .kept
            .iter()
            .filter_map(|c| Kept::from_code(c))
            .collect(),
    })
}

/// The files of a case, for whoever holds its key.
pub(crate) async fn case_files(
    st: &App,
    case: CaseId,
    case_key: &SymmetricKey,
) -> Result<Vec<FileView>> {
    st.store
        .case_attachments(case)
        .await?
        .iter()
        .map(|r| {
            let file_key = crypto::unwrap_key(case_key, &r.file_key, &key_aad(&r.id))?;
            view(&file_key, r)
        })
        .collect()
}

/// A file being downloaded: opened one chunk at a time, so a large file never sits in memory.
pub struct Download {
    pub name: String,
    pub kind: Kind,
    pub size: i64,
    id: String,
    chunks: i64,
    key: SymmetricKey,
    store: Arc<dyn Store>,
}

impl Download {
    /// How many chunks to fetch with [`Download::chunk`].
    pub fn chunks(&self) -> i64 {
        self.chunks
    }

    /// The `index`-th chunk, decrypted and authenticated in its place.
    pub async fn chunk(&self, index: i64) -> Result<Zeroizing<Vec<u8>>> {
        let sealed = self
            .store
            .attachment_chunk(&self.id, index)
            .await?
            .ok_or_else(|| Error::Internal(format!("file {} lacks chunk {index}", self.id)))?;
        let at = ChunkPosition {
            index: u32::try_from(index).map_err(|e| Error::Internal(e.to_string()))?,
            last: index + 1 == self.chunks,
        };
        Ok(crypto::open_chunk(
            &self.key,
            &chunk_aad(&self.id),
            at,
            &sealed,
        )?)
    }
}

/// A staff member opens one file of a case they may read; the download is audited.
pub async fn staff_download(
    st: &App,
    s: &StaffSession,
    reference: &str,
    id: &str,
) -> Result<Download> {
    let (case, case_key) = crate::access::staff_case(st, s, reference, Action::ReadCase).await?;
    let record = st
        .store
        .attachment(case.id, id)
        .await?
        .ok_or(minhbach_domain::DomainError::NotFound)?;
    let key = crypto::unwrap_key(&case_key, &record.file_key, &key_aad(&record.id))?;
    let file = view(&key, &record)?;
    st.store
        .audit(
            &AuditEntry::new(st.now(), actor_code(s), "file.downloaded", Some(case.id))
                .with_detail(serde_json::json!({ "file": record.id })),
        )
        .await?;
    Ok(Download {
        name: file.name,
        kind: file.kind,
        size: record.size,
        id: record.id,
        chunks: record.chunks,
        key,
        store: st.store.clone(),
    })
}

/// Deletes the drafts nobody confirmed in time (run by the scheduler).
pub async fn purge_drafts(st: &App) -> Result<u64> {
    Ok(st.store.purge_drafts(st.now()).await?)
}
