//! Forms that may carry evidence files: `multipart/form-data` from a browser with a file input,
//! or an ordinary urlencoded form (the confirmation step, or no files chosen).
//!
//! Text fields are kept in order; each file is read up to the per-file limit and no further. A
//! file over the limit, or one too many, does not fail the request: it is noted in
//! [`UploadForm::refused`] so that the page can show the form again with everything typed.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use minhbach_app::evidence::Upload;
use serde::de::value::{Error as ValueError, MapDeserializer};
use serde::de::DeserializeOwned;

use crate::auth::WebForm;
use crate::error::AppError;
use crate::AppState;

/// The fields and files of a form.
pub struct UploadForm {
    /// Text fields in the order they came.
    pub pairs: Vec<(String, String)>,
    pub files: Vec<Upload>,
    /// The first file that could not be taken: its name and the refusal code.
    pub refused: Option<(String, &'static str)>,
}

impl UploadForm {
    /// The text fields as a form struct.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, AppError> {
        T::deserialize(MapDeserializer::<_, ValueError>::new(
            self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        ))
        .map_err(|e| AppError::BadRequest(e.to_string()))
    }

    /// The text fields to carry through a confirmation page, without the ones it sets itself.
    pub fn carried(&self) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != "draft" && k != "draft_key")
            .cloned()
            .collect()
    }
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest(e.body_text())
    }
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = AppError;

    async fn from_request(req: Request, st: &AppState) -> Result<Self, AppError> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        // The route takes bodies as large as its files; text alone gets the usual limit.
        let text_limit = st.config.max_body_bytes;
        if !multipart {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(body, text_limit)
                .await
                .map_err(|_| AppError::TooLarge)?;
            let req = Request::from_parts(parts, axum::body::Body::from(bytes));
            let WebForm(pairs) = WebForm::<Vec<(String, String)>>::from_request(req, st).await?;
            return Ok(UploadForm {
                pairs,
                files: Vec::new(),
                refused: None,
            });
        }
        let max_bytes = st.settings.evidence_file_max_bytes;
        let max_files = st.settings.evidence_files_max;
        let mut form = Multipart::from_request(req, st)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        let mut out = UploadForm {
            pairs: Vec::new(),
            files: Vec::new(),
            refused: None,
        };
        let mut text_left = text_limit;
        while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
            let name = field.name().unwrap_or_default().to_owned();
            let Some(file_name) = field.file_name().map(str::to_owned) else {
                let mut text = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                    text_left = text_left
                        .checked_sub(chunk.len())
                        .ok_or(AppError::TooLarge)?;
                    text.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(text)
                    .map_err(|_| AppError::BadRequest("a form field is not UTF-8".into()))?;
                out.pairs.push((name, text));
                continue;
            };
            let mut bytes = Vec::new();
            let mut over = false;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if over || bytes.len() + chunk.len() > max_bytes {
                    // Read on to the end of the part, keeping nothing.
                    over = true;
                    bytes = Vec::new();
                    continue;
                }
                bytes.extend_from_slice(&chunk);
            }
            // A file input left empty sends a part with no name and no bytes.
            if file_name.is_empty() && bytes.is_empty() && !over {
                continue;
            }
            let problem = if over {
                Some("too-large")
            } else if out.files.len() >= max_files {
                Some("too-many")
            } else {
                None
            };
            match problem {
                Some(code) => {
                    out.refused.get_or_insert((file_name, code));
                }
                None => out.files.push(Upload {
                    name: file_name,
                    bytes,
                }),
            }
        }
        Ok(out)
    }
}
