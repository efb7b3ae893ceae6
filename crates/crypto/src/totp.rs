//! Time-based one-time passwords (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps), the second
//! factor of staff who can read report content. The time is a parameter; a code is accepted one
//! step early or late (clock drift) and only for a step later than the last one used, so a code
//! seen over a shoulder cannot be replayed.

use rand::{CryptoRng, RngCore};
use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use crate::CryptoError;

pub const TOTP_STEP_SECS: u64 = 30;
const TOTP_SECRET_LEN: usize = 20;

/// A TOTP shared secret (160 bits, as authenticator apps expect).
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    pub fn generate(rng: &mut (impl RngCore + CryptoRng)) -> Self {
        let mut b = vec![0u8; TOTP_SECRET_LEN];
        rng.fill_bytes(&mut b);
        TotpSecret(Zeroizing::new(b))
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, CryptoError> {
        if b.len() < 16 {
            return Err(CryptoError::Malformed);
        }
        Ok(TotpSecret(Zeroizing::new(b.to_vec())))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    fn totp(&self) -> Result<TOTP, CryptoError> {
        TOTP::new(Algorithm::SHA1, 6, 1, TOTP_STEP_SECS, self.0.to_vec())
            .map_err(|_| CryptoError::Malformed)
    }

    /// The base32 form typed into an authenticator app.
    pub fn to_base32(&self) -> Result<String, CryptoError> {
        Ok(self.totp()?.get_secret_base32())
    }

    /// The `otpauth://` URI an authenticator app imports (issuer and account are not secret).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Result<String, CryptoError> {
        let enc = |s: &str| {
            s.replace('%', "%25")
                .replace(' ', "%20")
                .replace(':', "%3A")
                .replace('&', "%26")
        };
        Ok(format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={TOTP_STEP_SECS}",
            enc(issuer),
            enc(account),
            self.to_base32()?,
            enc(issuer)
        ))
    }

    /// The code for the step containing `unix_secs`.
    pub fn code_at(&self, unix_secs: u64) -> Result<String, CryptoError> {
        Ok(self.totp()?.generate(unix_secs))
    }

    /// Checks `code` at `unix_secs`; returns the matched step if it is later than `last_step`.
    pub fn verify(&self, code: &str, unix_secs: u64, last_step: Option<u64>) -> Option<u64> {
        let totp = self.totp().ok()?;
        let code = code.trim().replace(' ', "");
        let now = unix_secs / TOTP_STEP_SECS;
        let mut matched = None;
        // Every candidate is computed and compared, so timing does not reveal which one matched.
        for step in [now.saturating_sub(1), now, now + 1] {
            let expected = totp.generate(step * TOTP_STEP_SECS);
            let equal = expected.len() == code.len()
                && bool::from(expected.as_bytes().ct_eq(code.as_bytes()));
            if equal && last_step.is_none_or(|last| step > last) {
                matched = Some(step);
            }
        }
        matched
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B: secret "12345678901234567890", T = 59 → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let s = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        assert_eq!(s.code_at(59).unwrap(), "287082");
        assert_eq!(s.code_at(1_111_111_109).unwrap(), "081804");
    }

    #[test]
    fn a_code_is_accepted_once_within_one_step_of_drift() {
        let s = TotpSecret::generate(&mut rand::rngs::OsRng);
        let t = 1_800_000_000;
        let code = s.code_at(t).unwrap();
        let step = s.verify(&code, t + 20, None).unwrap();
        assert_eq!(s.verify(&code, t + 20, Some(step)), None, "replay refused");
        assert!(
            s.verify(&code, t + 3 * TOTP_STEP_SECS, None).is_none(),
            "too late"
        );
        assert!(s.verify("000000x", t, None).is_none());
        let other = TotpSecret::generate(&mut rand::rngs::OsRng);
        assert!(other.verify(&code, t, None).is_none() || other.code_at(t).unwrap() == code);
    }

    #[test]
    fn debug_hides_the_secret_and_uri_carries_it() {
        let s = TotpSecret::from_bytes(b"12345678901234567890").unwrap();
        assert_eq!(format!("{s:?}"), "TotpSecret(<redacted>)");
        let uri = s.otpauth_uri("Minh Bạch", "tttp.tiepnhan").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/")
                && uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        );
    }
}
