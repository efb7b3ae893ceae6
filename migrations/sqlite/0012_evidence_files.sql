-- Evidence files (DESIGN.md property 11). A file's name, type and bytes are content: the bytes
-- are sealed in 64 KiB chunks under a key of the file's own, and that key is wrapped under the
-- case key. Before the reporter confirms, the files of a draft wait here with their keys
-- wrapped under a draft key that only the reporter's browser holds; an unconfirmed draft is
-- deleted when it expires.
CREATE TABLE upload_drafts (
    id INTEGER PRIMARY KEY,
    handle BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX upload_drafts_expiry ON upload_drafts(expires_at);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    case_id INTEGER REFERENCES cases(id),
    message_id INTEGER REFERENCES messages(id),
    draft_id INTEGER REFERENCES upload_drafts(id) ON DELETE CASCADE,
    sender TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    size INTEGER NOT NULL,
    chunks INTEGER NOT NULL,
    file_key BLOB NOT NULL,
    meta_sealed BLOB NOT NULL,
    CHECK ((case_id IS NULL) <> (draft_id IS NULL))
);
CREATE INDEX attachments_case ON attachments(case_id, created_at);
CREATE INDEX attachments_draft ON attachments(draft_id);

CREATE TABLE attachment_chunks (
    attachment_id TEXT NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    sealed BLOB NOT NULL,
    PRIMARY KEY (attachment_id, idx)
);
