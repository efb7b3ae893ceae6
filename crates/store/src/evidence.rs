//! Evidence files: drafts waiting for the reporter's confirmation, files of a case and their
//! sealed chunks. The store sees sealed bytes and wrapped keys only; `app::evidence` seals and
//! opens them.

use minhbach_domain::CaseId;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::write::{WriteKind, WriteTx};
use crate::{Result, SqlStore, StoreError};

/// A file to record: its key wrapped (under a draft key or the case key), its sealed name and
/// kind, and its sealed chunks in order.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub id: String,
    /// reporter | staff
    pub sender: String,
    pub size: i64,
    pub file_key: Vec<u8>,
    pub meta_sealed: Vec<u8>,
    pub chunks: Vec<Vec<u8>>,
}

/// Files waiting for the reporter to confirm what was removed from them.
#[derive(Clone, Debug)]
pub struct NewDraft {
    pub handle: Vec<u8>,
    pub now: i64,
    pub expires_at: i64,
    pub files: Vec<NewAttachment>,
}

/// A recorded file, without its chunks.
#[derive(Clone, Debug)]
pub struct AttachmentRecord {
    pub id: String,
    pub case: Option<CaseId>,
    pub message: Option<i64>,
    pub sender: String,
    pub created_at: i64,
    pub size: i64,
    pub chunks: i64,
    pub file_key: Vec<u8>,
    pub meta_sealed: Vec<u8>,
}

/// A draft's files taken into a case (with a new report or a message): each file's key
/// re-wrapped under the case key. The draft is deleted in the same transaction.
#[derive(Clone, Debug, Default)]
pub struct Adoption {
    pub draft: Vec<u8>,
    pub files: Vec<(String, Vec<u8>)>,
}

#[async_trait::async_trait]
pub trait EvidenceStore: Send + Sync {
    /// Records a draft and its files in one transaction.
    async fn put_draft(&self, draft: &NewDraft) -> Result<()>;
    /// The files of a draft that has not expired (empty if it has, or never existed).
    async fn draft_files(&self, handle: &[u8], now: i64) -> Result<Vec<AttachmentRecord>>;
    /// The files of a case, oldest first.
    async fn case_attachments(&self, case: CaseId) -> Result<Vec<AttachmentRecord>>;
    /// One file of a case.
    async fn attachment(&self, case: CaseId, id: &str) -> Result<Option<AttachmentRecord>>;
    /// One sealed chunk of a file.
    async fn attachment_chunk(&self, id: &str, index: i64) -> Result<Option<Vec<u8>>>;
    /// Deletes the drafts that expired by `now`, with their files; returns how many.
    async fn purge_drafts(&self, now: i64) -> Result<u64>;
}

const COLUMNS: &str =
    "id, case_id, message_id, sender, created_at, size, chunks, file_key, meta_sealed";

fn attachment_row(r: &AnyRow) -> Result<AttachmentRecord> {
    Ok(AttachmentRecord {
        id: r.try_get("id")?,
        case: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        message: r.try_get("message_id")?,
        sender: r.try_get("sender")?,
        created_at: r.try_get("created_at")?,
        size: r.try_get("size")?,
        chunks: r.try_get("chunks")?,
        file_key: r.try_get("file_key")?,
        meta_sealed: r.try_get("meta_sealed")?,
    })
}

/// Moves a draft's files into a case (and a message), with their re-wrapped keys, and deletes
/// the draft. `NotFound` if the draft expired or a file is missing: then nothing is written.
pub(crate) async fn adopt(
    tx: &mut WriteTx,
    case: CaseId,
    message: Option<i64>,
    a: &Adoption,
) -> Result<()> {
    let draft: Option<i64> = sqlx::query("SELECT id FROM upload_drafts WHERE handle = $1")
        .bind(a.draft.clone())
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()?;
    let draft = draft.ok_or(StoreError::NotFound)?;
    for (id, key) in &a.files {
        let moved = sqlx::query(
            "UPDATE attachments SET case_id = $1, message_id = $2, draft_id = NULL, \
             file_key = $3 WHERE id = $4 AND draft_id = $5",
        )
        .bind(case.0)
        .bind(message)
        .bind(key.clone())
        .bind(id.clone())
        .bind(draft)
        .execute(&mut **tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
    }
    // Files of the draft that were not named are not taken: they go with the draft.
    sqlx::query(
        "DELETE FROM attachment_chunks WHERE attachment_id IN \
         (SELECT id FROM attachments WHERE draft_id = $1)",
    )
    .bind(draft)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM attachments WHERE draft_id = $1")
        .bind(draft)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM upload_drafts WHERE id = $1")
        .bind(draft)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl EvidenceStore for SqlStore {
    async fn put_draft(&self, d: &NewDraft) -> Result<()> {
        let mut tx = self.begin_write(WriteKind::Grows).await?;
        let draft: i64 = sqlx::query(
            "INSERT INTO upload_drafts (handle, created_at, expires_at) VALUES ($1, $2, $3) \
             RETURNING id",
        )
        .bind(d.handle.clone())
        .bind(d.now)
        .bind(d.expires_at)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for f in &d.files {
            sqlx::query(
                "INSERT INTO attachments (id, draft_id, sender, created_at, size, chunks, \
                 file_key, meta_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(f.id.clone())
            .bind(draft)
            .bind(f.sender.clone())
            .bind(d.now)
            .bind(f.size)
            .bind(i64::try_from(f.chunks.len()).unwrap_or(i64::MAX))
            .bind(f.file_key.clone())
            .bind(f.meta_sealed.clone())
            .execute(&mut *tx)
            .await?;
            for (i, chunk) in f.chunks.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO attachment_chunks (attachment_id, idx, sealed) \
                     VALUES ($1, $2, $3)",
                )
                .bind(f.id.clone())
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(chunk.clone())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn draft_files(&self, handle: &[u8], now: i64) -> Result<Vec<AttachmentRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE draft_id = \
             (SELECT id FROM upload_drafts WHERE handle = $1 AND expires_at > $2) ORDER BY id"
        ))
        .bind(handle.to_vec())
        .bind(now)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attachment_row).collect()
    }

    async fn case_attachments(&self, case: CaseId) -> Result<Vec<AttachmentRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE case_id = $1 ORDER BY created_at, id"
        ))
        .bind(case.0)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(attachment_row).collect()
    }

    async fn attachment(&self, case: CaseId, id: &str) -> Result<Option<AttachmentRecord>> {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM attachments WHERE case_id = $1 AND id = $2"
        ))
        .bind(case.0)
        .bind(id.to_owned())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(attachment_row)
        .transpose()
    }

    async fn attachment_chunk(&self, id: &str, index: i64) -> Result<Option<Vec<u8>>> {
        Ok(sqlx::query(
            "SELECT sealed FROM attachment_chunks WHERE attachment_id = $1 AND idx = $2",
        )
        .bind(id.to_owned())
        .bind(index)
        .fetch_optional(self.pool())
        .await?
        .map(|r| r.try_get("sealed"))
        .transpose()?)
    }

    async fn purge_drafts(&self, now: i64) -> Result<u64> {
        let mut tx = self.begin_write(WriteKind::Upkeep).await?;
        sqlx::query(
            "DELETE FROM attachment_chunks WHERE attachment_id IN (SELECT a.id FROM attachments a \
             JOIN upload_drafts d ON a.draft_id = d.id WHERE d.expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM attachments WHERE draft_id IN \
             (SELECT id FROM upload_drafts WHERE expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let gone = sqlx::query("DELETE FROM upload_drafts WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }
}
