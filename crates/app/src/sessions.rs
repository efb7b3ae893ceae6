//! Sessions of reporters and staff: tokens only the client holds, staff sign-in with the second
//! factor, sign-out.

use minhbach_crypto::{self as crypto, SecretKey, SymmetricKey};
use minhbach_domain::{Actor, UserId};
use minhbach_store::{AuditEntry, NewSession, SessionKind, UserRecord};
use rand::rngs::OsRng;

use minhbach_crypto::{random_token, sha256};

use crate::keys::{decode_kek_salt, staff_secret_aad, totp_aad, totp_sealing_key};
use crate::{App, Error, Result};

/// A session token: 32 random bytes that only the client holds. The database keeps a hash of it
/// (the session id) and, sealed under a second key derived from it, the key material the session
/// needs. A database copy therefore holds neither a usable session nor a usable key.
pub struct SessionToken([u8; 32]);

impl SessionToken {
    pub fn generate() -> Self {
        SessionToken(random_token(&mut rand::rngs::OsRng))
    }

    pub fn parse(s: &str) -> Option<Self> {
        let bytes = hex::decode(s.trim()).ok()?;
        Some(SessionToken(bytes.try_into().ok()?))
    }

    pub fn encode(&self) -> String {
        hex::encode(self.0)
    }

    fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut input = label.to_vec();
        input.extend_from_slice(&self.0);
        sha256(&input)
    }

    pub fn id(&self) -> Vec<u8> {
        self.derive(b"minhbach/session-id/v1").to_vec()
    }

    pub fn key(&self) -> SymmetricKey {
        minhbach_crypto::session_key(&self.0)
    }
}

impl Drop for SessionToken {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

/// Stores a new session: the hash of a fresh token and, sealed under the token's key, what the
/// session needs (a case key or a staff secret key). Returns the token for the client.
pub(crate) async fn start_session(
    st: &App,
    kind: SessionKind,
    user: Option<UserId>,
    case: Option<minhbach_domain::CaseId>,
    minutes: i64,
    seal: impl FnOnce(&SymmetricKey) -> Vec<u8>,
) -> Result<SessionToken> {
    let token = SessionToken::generate();
    let now = st.now();
    let session = NewSession {
        token_hash: token.id(),
        kind,
        user,
        case,
        sealed_key: seal(&token.key()),
        now,
        expires_at: now + minutes * 60,
    };
    st.store.create_session(&session).await?;
    Ok(token)
}

/// The unexpired session a token stands for.
pub(crate) async fn live_session(
    st: &App,
    token: &SessionToken,
) -> Result<minhbach_store::SessionRecord> {
    st.store
        .session(&token.id(), st.now())
        .await?
        .ok_or(Error::Unauthenticated)
}

/// A signed-in staff member with their unsealed private key.
pub struct StaffSession {
    pub token: SessionToken,
    pub user: UserRecord,
    pub actor: Actor,
    pub secret_key: SecretKey,
}

/// Checks the second factor of a staff member whose role requires one. The step is burnt in the
/// database, so the same code never opens two sessions.
async fn check_second_factor(st: &App, user: &UserRecord, code: &str) -> Result<bool> {
    if !user.role.requires_second_factor() {
        return Ok(true);
    }
    let Some(sealed) = &user.totp_sealed else {
        return Ok(false);
    };
    let plain = crypto::open(
        &totp_sealing_key(&st.secret),
        sealed,
        &totp_aad(&user.username),
    )?;
    let secret = crypto::TotpSecret::from_bytes(&plain)?;
    let now = u64::try_from(st.now()).unwrap_or(0);
    let last = user.totp_last_step.and_then(|s| u64::try_from(s).ok());
    match secret.verify(code, now, last) {
        Some(step) => Ok(st
            .store
            .use_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX))
            .await?),
        None => Ok(false),
    }
}

/// The longest username an account may have; longer sign-in names are refused unread.
pub const MAX_USERNAME_BYTES: usize = minhbach_domain::organisation::MAX_USERNAME_BYTES;
/// The longest password hashed at sign-in.
pub const MAX_PASSWORD_BYTES: usize = minhbach_domain::organisation::MAX_PASSWORD_BYTES;

/// Runs password hashing on the blocking pool, at most `password_work` permits at once; a
/// sign-in that waits too long for a permit is told to try again.
pub(crate) async fn password_work<T: Send + 'static>(
    st: &App,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let permit = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        st.password_work.acquire(),
    )
    .await
    .map_err(|_| Error::Throttled)?
    .map_err(|_| Error::Internal("password pool closed".into()))?;
    let out = tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Internal(format!("password work: {e}")))?;
    drop(permit);
    Ok(out)
}

/// What a right password (and second factor) opens.
pub enum SignIn {
    /// A staff session.
    Ready(SessionToken),
    /// A setup session: the account has a one-time password or a second factor to enrol, and
    /// opens nothing else until its holder has set them (`accounts::finish_setup`).
    Setup(SessionToken),
}

/// Signs a staff member in. An account that must finish setting up gets a setup session; its
/// password is checked, and its second factor if one is enrolled.
pub async fn staff_sign_in(st: &App, username: &str, password: &str, code: &str) -> Result<SignIn> {
    let now = st.now();
    let username = username.trim();
    // No account has a longer name: refused before any work, throttle or hashing.
    if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::BadLogin);
    }
    if st.login_global_throttle.blocked(b"all", now)
        || st.login_throttle.blocked(username.as_bytes(), now)
    {
        return Err(Error::Throttled);
    }
    let failed = || {
        st.login_throttle.failure(username.as_bytes(), now);
        st.login_global_throttle.failure(b"all", now);
        Error::BadLogin
    };
    let user = st
        .store
        .user_by_username(username)
        .await?
        .filter(|u| u.active);
    let Some(user) = user else {
        // Same work as for a real account, so timing does not reveal which usernames exist.
        let params = st.settings.password;
        let password = zeroize::Zeroizing::new(password.to_owned());
        password_work(st, move || crypto::dummy_verify(&password, params)).await?;
        return Err(failed());
    };
    let (given, hash) = (
        zeroize::Zeroizing::new(password.to_owned()),
        user.password_hash.clone(),
    );
    let matches = password_work(st, move || crypto::verify_password(&given, &hash)).await?;
    // A second factor not yet enrolled is enrolled on the setup page, with this password.
    let enrolled = user.totp_enrolled || !user.role.requires_second_factor();
    if !matches || (enrolled && !check_second_factor(st, &user, code).await?) {
        return Err(failed());
    }
    let (salt, params) =
        decode_kek_salt(&user.kek_salt).ok_or_else(|| Error::Internal("bad kek salt".into()))?;
    let (given, salt) = (zeroize::Zeroizing::new(password.to_owned()), salt.to_vec());
    let kek = password_work(st, move || crypto::password_kek(&given, &salt, params)).await??;
    let sk = crypto::open_secret_key(
        &kek,
        &user.secret_key_sealed,
        &staff_secret_aad(&user.username),
    )?;
    if crate::accounts::needs_setup(&user) {
        return Ok(SignIn::Setup(
            crate::accounts::start_setup(st, &user, &sk).await?,
        ));
    }
    Ok(SignIn::Ready(open_staff_session(st, &user, &sk).await?))
}

/// Starts a staff session with the unsealed key and records the sign-in.
pub(crate) async fn open_staff_session(
    st: &App,
    user: &UserRecord,
    sk: &SecretKey,
) -> Result<SessionToken> {
    let token = start_session(
        st,
        SessionKind::Staff,
        Some(user.id),
        None,
        st.settings.staff_session_minutes,
        |key| crypto::seal_secret_key(key, sk, b"minhbach/v1/session-staff", &mut OsRng),
    )
    .await?;
    st.store
        .record_signin(
            user.id,
            &AuditEntry::new(
                st.now(),
                format!("user:{}", user.id.0),
                "staff.signin",
                None,
            ),
        )
        .await?;
    Ok(token)
}

/// Signs a staff member in whose account is set up (the API, the tests): an account that must
/// finish setting up is refused with [`Error::SetupRequired`], to be finished in a browser.
pub async fn staff_login(
    st: &App,
    username: &str,
    password: &str,
    code: &str,
) -> Result<SessionToken> {
    match staff_sign_in(st, username, password, code).await? {
        SignIn::Ready(token) => Ok(token),
        SignIn::Setup(token) => {
            logout(st, &token).await?;
            Err(Error::SetupRequired)
        }
    }
}

pub async fn staff_session(st: &App, token: SessionToken) -> Result<StaffSession> {
    let record = live_session(st, &token).await?;
    let (SessionKind::Staff, Some(user_id)) = (record.kind, record.user) else {
        return Err(Error::Unauthenticated);
    };
    let user = st
        .store
        .user(user_id)
        .await?
        .filter(|u| u.active)
        .ok_or(Error::Unauthenticated)?;
    let secret_key = crypto::open_secret_key(
        &token.key(),
        &record.sealed_key,
        b"minhbach/v1/session-staff",
    )
    .map_err(|_| Error::Unauthenticated)?;
    let actor = user.actor();
    Ok(StaffSession {
        token,
        user,
        actor,
        secret_key,
    })
}

pub async fn logout(st: &App, token: &SessionToken) -> Result<()> {
    st.store.delete_session(&token.id()).await?;
    Ok(())
}
