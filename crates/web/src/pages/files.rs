//! Evidence files on the pages: the confirmation step that shows the reporter what was removed
//! from each file before anything is sent, and the staff download.

use axum::body::Body;
use futures_util::stream;
use minhbach_app::evidence::{Draft, FileView};
use minhbach_evidence::{Kept, Kind, Removed};

use super::*;

/// "We removed this from your files; this could not be removed. Send?"
#[derive(Template)]
#[template(path = "confirm_files.html")]
pub(super) struct ConfirmFiles {
    pub t: Tr,
    /// Where the confirmation posts (the same form's action).
    pub action: &'static str,
    /// Where "do not send" leads back to.
    pub back: &'static str,
    /// The form's own fields, carried through unchanged.
    pub fields: Vec<(String, String)>,
    pub draft: String,
    pub draft_key: String,
    pub files: Vec<FileView>,
    pub minutes: i64,
}

impl ConfirmFiles {
    pub(super) fn new(
        t: Tr,
        st: &AppState,
        action: &'static str,
        back: &'static str,
        fields: Vec<(String, String)>,
        draft: Draft,
    ) -> Self {
        ConfirmFiles {
            t,
            action,
            back,
            fields,
            draft: draft.reference.handle,
            draft_key: draft.reference.key,
            files: draft.files,
            minutes: st.settings.evidence_draft_minutes,
        }
    }

    fn removed_label(&self, r: &Removed) -> String {
        removed_label(&self.t, *r)
    }

    fn kept_label(&self, k: &Kept) -> String {
        kept_label(&self.t, *k)
    }

    fn kind_label(&self, f: &FileView) -> String {
        kind_label(&self.t, f.kind)
    }

    fn size(&self, f: &FileView) -> String {
        size_label(f.size)
    }

    fn expires(&self) -> String {
        self.t
            .with("files-confirm-expires", "minutes", self.minutes.to_string())
    }
}

pub(crate) fn removed_label(t: &Tr, r: Removed) -> String {
    t.get(format!("file-removed-{}", r.code()))
}

pub(crate) fn kept_label(t: &Tr, k: Kept) -> String {
    t.get(format!("file-kept-{}", k.code()))
}

pub(crate) fn kind_label(t: &Tr, k: Kind) -> String {
    if k.is_picture() {
        t.get("file-kind-picture")
    } else if k == Kind::Pdf {
        "PDF".to_owned()
    } else {
        t.get("file-kind-document")
    }
}

/// A size as people read it: "820 KB", "3.4 MB".
pub(crate) fn size_label(bytes: i64) -> String {
    let b = bytes.max(0) as f64;
    if b < 1024.0 * 1024.0 {
        format!("{} KB", (b / 1024.0).ceil().max(1.0))
    } else {
        format!("{:.1} MB", b / (1024.0 * 1024.0))
    }
}

/// Why a file was not taken, in the reader's words, naming the file.
pub(super) fn file_notice(st: &AppState, lang: Lang, name: &str, code: &str) -> String {
    let mut args = fluent_bundle::FluentArgs::new();
    args.set("name", name.to_owned());
    args.set("max", st.settings.evidence_files_max);
    args.set("mib", st.settings.evidence_file_max_bytes / (1024 * 1024));
    st.i18n
        .text(lang, &format!("file-refused-{code}"), Some(&args))
}

#[derive(Deserialize)]
pub(super) struct FilePath {
    reference: String,
    id: String,
}

/// Staff download a file of a case they may read, decrypted one chunk at a time. Served as an
/// attachment that the browser never renders in the site's origin.
pub(super) async fn staff_file(
    State(st): State<AppState>,
    Staff(s, _): Staff,
    Path(p): Path<FilePath>,
) -> AppResult<Response> {
    let download = minhbach_app::evidence::staff_download(&st, &s, &p.reference, &p.id).await?;
    // The first chunk is read before answering, so a broken file is an error page rather than
    // a cut-off download.
    let first = download.chunk(0).await?;
    let name = download.name.clone();
    let mime = download.kind.mime();
    let size = download.size;
    let rest = stream::unfold((download, 1i64), |(d, i)| async move {
        if i >= d.chunks() {
            return None;
        }
        let item = d
            .chunk(i)
            .await
            .map(|c| axum::body::Bytes::from(c.to_vec()))
            .map_err(|e| std::io::Error::other(e.to_string()));
        Some((item, (d, i + 1)))
    });
    let head = stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from(
        first.to_vec(),
    ))]);
    let body = Body::from_stream(futures_util::StreamExt::chain(head, rest));
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        ascii_name(&name),
        percent_encode(&name)
    );
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    Ok(r)
}

/// The name for old browsers: ASCII letters, digits and `._-`, the rest as `_`.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// RFC 5987 encoding of the UTF-8 name.
fn percent_encode(name: &str) -> String {
    let mut out = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
