//! Tokens, cookies, throttles and the response headers every page carries.

use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use minhbach_app::sessions::SessionToken;
use minhbach_crypto::{sha256, ServerSecret};
use rand::RngCore;

use crate::error::AppError;

/// The CSRF token of pages rendered for a session: a MAC of its id under the server secret.
pub trait CsrfToken {
    fn csrf(&self, secret: &ServerSecret) -> String;
}

impl CsrfToken for SessionToken {
    /// The CSRF token of pages rendered for this session.
    fn csrf(&self, secret: &ServerSecret) -> String {
        hex::encode(&secret.mac("csrf", &self.id())[..16])
    }
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie(parts: &Parts, name: &str) -> Option<String> {
    cookie_in(&parts.headers, name)
}

/// The value of the cookie `name` in these headers.
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
}

/// Checks a CSRF token in constant time.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

const FORM_NONCE: usize = 16;
const FORM_TAG: usize = 16;

/// A token for a form shown to someone without a session (the report form, the receipt form):
/// a random nonce, the time it was issued and a MAC over both and the form's purpose. The nonce
/// also makes a report submission single-use: the store burns its hash with the case.
pub fn issue_form_token(secret: &ServerSecret, purpose: &str, now: i64) -> String {
    let mut body = vec![0u8; FORM_NONCE];
    rand::rngs::OsRng.fill_bytes(&mut body);
    body.extend_from_slice(&now.to_be_bytes());
    let tag = form_tag(secret, purpose, &body);
    body.extend_from_slice(&tag);
    hex::encode(body)
}

fn form_tag(secret: &ServerSecret, purpose: &str, body: &[u8]) -> [u8; FORM_TAG] {
    let mac = secret.mac(&format!("form-token:{purpose}"), body);
    let mut tag = [0u8; FORM_TAG];
    tag.copy_from_slice(&mac[..FORM_TAG]);
    tag
}

/// Verifies a form token; returns the hash of its nonce (what the store records as used).
pub fn check_form_token(
    secret: &ServerSecret,
    purpose: &str,
    token: &str,
    now: i64,
    max_age_secs: i64,
) -> Result<Vec<u8>, AppError> {
    use subtle::ConstantTimeEq;
    let raw = hex::decode(token.trim()).map_err(|_| AppError::Csrf)?;
    if raw.len() != FORM_NONCE + 8 + FORM_TAG {
        return Err(AppError::Csrf);
    }
    let (body, tag) = raw.split_at(FORM_NONCE + 8);
    if !bool::from(form_tag(secret, purpose, body).ct_eq(tag)) {
        return Err(AppError::Csrf);
    }
    let mut issued = [0u8; 8];
    issued.copy_from_slice(&body[FORM_NONCE..]);
    let age = now - i64::from_be_bytes(issued);
    if !(-60..=max_age_secs).contains(&age) {
        return Err(AppError::Csrf);
    }
    Ok(sha256(body).to_vec())
}

/// `next` if it is a path on this site, else `/`. Browsers treat a backslash as a slash and drop
/// tabs and newlines, so `/\\evil.example` or `/%09/evil.example` would leave the site: only
/// printable ASCII without a backslash is kept, and never `//` at the start.
pub fn local_path(next: Option<&str>) -> &str {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && n.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
    })
    .unwrap_or("/")
}

/// A path written as a query value, so that it comes back unchanged when the query is decoded.
pub fn query_value(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// DESIGN.md property 10: no inline script or style, nothing from elsewhere, no framing, no
/// referrer. Pages with secrets (receipts, case content) are never cached.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let hsts = request.extensions().get::<Hsts>().is_some();
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    response
}

/// Marker extension: the deployment is served over TLS, so HSTS is sent.
#[derive(Clone, Copy)]
pub struct Hsts;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site_are_followed() {
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\tevil.example",
            "/\t/evil.example",
            "/\r\nSet-Cookie: x=y",
            "https://evil.example",
            "evil.example",
            "/ /evil.example",
            "/é",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_path(None), "/");
        assert_eq!(local_path(Some("/status?x=1")), "/status?x=1");
        // What the language link writes decodes to the same path.
        assert_eq!(query_value("/%5Cevil&x=1"), "/%255Cevil%26x%3D1");
    }

    #[test]
    fn form_tokens_are_bound_to_purpose_age_and_secret() {
        let s = ServerSecret::generate(&mut rand::rngs::OsRng);
        let t = issue_form_token(&s, "report", 1000);
        assert!(check_form_token(&s, "report", &t, 1000, 3600).is_ok());
        assert!(check_form_token(&s, "status", &t, 1000, 3600).is_err());
        assert!(check_form_token(&s, "report", &t, 1000 + 3601, 3600).is_err());
        let other = ServerSecret::generate(&mut rand::rngs::OsRng);
        assert!(check_form_token(&other, "report", &t, 1000, 3600).is_err());
        let mut bad = t.clone();
        bad.replace_range(0..2, if &t[0..2] == "00" { "11" } else { "00" });
        assert!(check_form_token(&s, "report", &bad, 1000, 3600).is_err());
    }
}
