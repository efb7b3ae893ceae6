//! Staff accounts over their life (issue 9, must-haves 1 and 2): an administrator creates,
//! deactivates, unlocks an account and resets its second factor; its holder sets their own
//! password and enrols the second factor at the first sign-in, changes the password later,
//! sees and ends their sessions; the operator resets a forgotten password with the recovery
//! key. A password change never loses data: the staff key is sealed again under the new one.

use minhbach_crypto::{self as crypto, PublicKey, SecretKey, TotpSecret};
use minhbach_domain::organisation as rules;
use minhbach_domain::{can, Action, Actor, AgencyId, DomainError, FieldError, Role, UserId};
use minhbach_store::{AuditEntry, NewUser, Rekey, SessionInfo, SessionKind, UserRecord};
use rand::rngs::OsRng;
use zeroize::Zeroizing;

use crate::keys::{
    decode_kek_salt, encode_kek_salt, new_staff_keys, staff_secret_aad, totp_aad, totp_sealing_key,
};
use crate::sessions::{password_work, start_session, SessionToken, StaffSession};
use crate::{App, Error, Result};

/// How long a setup session (first sign-in, reset password) lasts.
pub const SETUP_MINUTES: i64 = 15;

fn invalid(fields: Vec<FieldError>) -> Result<()> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(fields).into())
    }
}

fn field(field: &'static str, code: &'static str) -> Error {
    DomainError::Invalid(vec![FieldError { field, code }]).into()
}

fn admin_only(actor: &Actor) -> Result<()> {
    if can(actor, Action::ManageOrganisation, None) {
        Ok(())
    } else {
        Err(DomainError::Forbidden.into())
    }
}

fn who(actor: &Actor) -> String {
    format!("user:{}", actor.user.0)
}

/// A one-time password: 100 random bits as four groups of five letters and digits, easy to
/// read out and type, which its holder replaces at the first sign-in.
pub fn one_time_password() -> Zeroizing<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let bytes = crypto::random_token(&mut OsRng);
    let chars: Vec<char> = bytes
        .iter()
        .take(20)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Zeroizing::new(
        chars
            .chunks(5)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-"),
    )
}

/// What the administrator types to create an account.
#[derive(Clone, Debug, Default)]
pub struct AccountForm {
    pub username: String,
    pub display_name: String,
    /// A role code (`Role::code`).
    pub role: String,
    pub agency: Option<AgencyId>,
}

/// A new account and the one-time password to hand to its holder (shown once, never kept).
pub struct CreatedAccount {
    pub id: UserId,
    pub username: String,
    pub one_time_password: Zeroizing<String>,
}

/// Creates an account with a one-time password; a role with a second factor gets one that its
/// holder enrols at the first sign-in. Bad input writes nothing.
pub async fn create_account(st: &App, by: &Actor, form: &AccountForm) -> Result<CreatedAccount> {
    admin_only(by)?;
    let username = form.username.trim().to_owned();
    let display_name = form.display_name.trim().to_owned();
    let mut fields = Vec::new();
    rules::check_username(&username, &mut fields);
    rules::check_name("display_name", &display_name, &mut fields);
    let role = Role::from_code(&form.role);
    match role {
        None => fields.push(FieldError {
            field: "role",
            code: "error-role-unknown",
        }),
        Some(role) => rules::check_role_agency(role, form.agency, &mut fields),
    }
    if let Some(agency) = form.agency {
        match st.store.agencies().await?.iter().find(|a| a.id == agency) {
            None => fields.push(FieldError {
                field: "agency",
                code: "error-agency-unknown",
            }),
            Some(a) => {
                if let Some(role) = role {
                    rules::check_partner_kind(role, Some(&a.kind), &mut fields);
                }
            }
        }
    }
    if fields.is_empty() && st.store.user_by_username(&username).await?.is_some() {
        fields.push(FieldError {
            field: "username",
            code: "error-username-taken",
        });
    }
    invalid(fields)?;
    let role = role.ok_or_else(|| field("role", "error-role-unknown"))?;
    let org = st
        .store
        .organisation()
        .await?
        .ok_or(Error::NotInitialised)?;
    let recovery = PublicKey::try_from_slice(&org.recovery_public_key)?;
    let totp = role
        .requires_second_factor()
        .then(|| TotpSecret::generate(&mut OsRng));
    let password = one_time_password();
    let params = st.settings.password;
    let (name, pw) = (username.clone(), password.clone());
    let keys = password_work(st, move || {
        new_staff_keys(&name, &pw, params, &recovery, None)
    })
    .await??;
    let totp_sealed = totp.as_ref().map(|t| {
        crypto::seal(
            &totp_sealing_key(&st.secret),
            t.as_bytes(),
            &totp_aad(&username),
            &mut OsRng,
        )
    });
    let now = st.now();
    let user = NewUser {
        username: username.clone(),
        display_name,
        agency: form.agency,
        role,
        password_hash: keys.password_hash,
        public_key: keys.public_key,
        kek_salt: keys.kek_salt,
        secret_key_sealed: keys.secret_key_sealed,
        secret_key_recovery: keys.secret_key_recovery,
        totp_sealed,
        must_change_password: true,
        totp_enrolled: totp.is_none(),
        now,
    };
    let id = st
        .store
        .create_user(&user, &AuditEntry::new(now, who(by), "user.created", None))
        .await
        .map_err(|e| match e {
            minhbach_store::StoreError::Conflict => field("username", "error-username-taken"),
            e => e.into(),
        })?;
    Ok(CreatedAccount {
        id,
        username,
        one_time_password: password,
    })
}

async fn account(st: &App, user: UserId) -> Result<UserRecord> {
    st.store
        .user(user)
        .await?
        .ok_or_else(|| DomainError::NotFound.into())
}

/// Deactivates a leaver: no sign-in, no session, no wrap of any case key. Returns how many
/// wraps were deleted. An administrator cannot deactivate themself (someone must remain).
pub async fn deactivate(st: &App, by: &Actor, user: UserId) -> Result<u64> {
    admin_only(by)?;
    if by.user == user {
        return Err(field("user", "error-deactivate-self"));
    }
    let u = account(st, user).await?;
    if !u.active {
        return Ok(0);
    }
    Ok(st
        .store
        .deactivate_user(
            user,
            &AuditEntry::new(st.now(), who(by), "user.deactivated", None),
        )
        .await?)
}

/// Lets an account sign in again at once after too many failed attempts (on this server:
/// the count of failures is kept in memory by each server).
pub async fn unlock(st: &App, by: &Actor, user: UserId) -> Result<()> {
    admin_only(by)?;
    let u = account(st, user).await?;
    st.login_throttle.clear(u.username.as_bytes());
    st.store
        .audit(
            &AuditEntry::new(st.now(), who(by), "user.unlocked", None)
                .with_detail(serde_json::json!({ "user": user.0 })),
        )
        .await?;
    Ok(())
}

/// Gives an account a new second factor (a lost phone): every session of the account ends and
/// its holder enrols the new one at the next sign-in, with their password.
pub async fn reset_second_factor(st: &App, by: &Actor, user: UserId) -> Result<()> {
    admin_only(by)?;
    let u = account(st, user).await?;
    if !u.active || !u.role.requires_second_factor() {
        return Err(field("user", "error-no-second-factor"));
    }
    let secret = TotpSecret::generate(&mut OsRng);
    let sealed = crypto::seal(
        &totp_sealing_key(&st.secret),
        secret.as_bytes(),
        &totp_aad(&u.username),
        &mut OsRng,
    );
    st.store
        .reset_second_factor(
            user,
            &sealed,
            &AuditEntry::new(st.now(), who(by), "user.second_factor_reset", None)
                .with_detail(serde_json::json!({ "user": user.0 })),
        )
        .await?;
    Ok(())
}

/// Whether an account must finish setting up before any other page opens.
pub fn needs_setup(u: &UserRecord) -> bool {
    u.must_change_password || (u.role.requires_second_factor() && !u.totp_enrolled)
}

/// A staff member in the middle of a first sign-in: the session opens only the setup page.
pub struct SetupSession {
    pub token: SessionToken,
    pub user: UserRecord,
    secret_key: SecretKey,
}

/// What the setup page asks for.
pub struct SetupView {
    pub username: String,
    pub needs_password: bool,
    /// The second factor to enrol: the `otpauth://` URI (for the QR code) and its text form.
    pub enrol: Option<(String, String)>,
}

/// Starts a setup session for an account whose password was checked (and second factor, if
/// enrolled).
pub(crate) async fn start_setup(
    st: &App,
    user: &UserRecord,
    sk: &SecretKey,
) -> Result<SessionToken> {
    start_session(
        st,
        SessionKind::StaffSetup,
        Some(user.id),
        None,
        SETUP_MINUTES,
        |key| crypto::seal_secret_key(key, sk, b"minhbach/v1/session-setup", &mut OsRng),
    )
    .await
}

pub async fn setup_session(st: &App, token: SessionToken) -> Result<SetupSession> {
    let record = crate::sessions::live_session(st, &token).await?;
    let (SessionKind::StaffSetup, Some(user_id)) = (record.kind, record.user) else {
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
        b"minhbach/v1/session-setup",
    )
    .map_err(|_| Error::Unauthenticated)?;
    Ok(SetupSession {
        token,
        user,
        secret_key,
    })
}

fn pending_totp(st: &App, u: &UserRecord) -> Result<Option<TotpSecret>> {
    if !u.role.requires_second_factor() || u.totp_enrolled {
        return Ok(None);
    }
    let sealed = u
        .totp_sealed
        .as_ref()
        .ok_or_else(|| Error::Internal("second factor missing".into()))?;
    let plain = crypto::open(
        &totp_sealing_key(&st.secret),
        sealed,
        &totp_aad(&u.username),
    )?;
    Ok(Some(TotpSecret::from_bytes(&plain)?))
}

pub async fn setup_view(st: &App, s: &SetupSession) -> Result<SetupView> {
    let org = st
        .store
        .organisation()
        .await?
        .ok_or(Error::NotInitialised)?;
    let enrol = match pending_totp(st, &s.user)? {
        Some(t) => Some((t.otpauth_uri(&org.name, &s.user.username)?, t.to_base32()?)),
        None => None,
    };
    Ok(SetupView {
        username: s.user.username.clone(),
        needs_password: s.user.must_change_password,
        enrol,
    })
}

/// The staff key sealed under a new password, on the password pool.
async fn rekey(
    st: &App,
    username: &str,
    sk: &SecretKey,
    password: &str,
    must_change_password: bool,
) -> Result<Rekey> {
    let params = st.settings.password;
    let (pw, name, sk) = (
        Zeroizing::new(password.to_owned()),
        username.to_owned(),
        sk.clone(),
    );
    password_work(st, move || -> Result<Rekey> {
        let salt = crypto::password_salt(&mut OsRng);
        let kek = crypto::password_kek(&pw, &salt, params)?;
        Ok(Rekey {
            password_hash: crypto::hash_password(&pw, params, &mut OsRng)?,
            kek_salt: encode_kek_salt(&salt, params),
            secret_key_sealed: crypto::seal_secret_key(
                &kek,
                &sk,
                &staff_secret_aad(&name),
                &mut OsRng,
            ),
            must_change_password,
        })
    })
    .await?
}

/// Finishes a first sign-in: the holder's own password (if the one they have is a one-time
/// password) and the second factor, proved by a code from the app it was enrolled in. Returns
/// a full staff session.
pub async fn finish_setup(
    st: &App,
    s: SetupSession,
    new_password: &str,
    confirm: &str,
    code: &str,
) -> Result<SessionToken> {
    let u = &s.user;
    let mut fields = Vec::new();
    if u.must_change_password {
        rules::check_new_password(&u.username, new_password, confirm, &mut fields);
    }
    let pending = pending_totp(st, u)?;
    if let Some(secret) = &pending {
        let now = u64::try_from(st.now()).unwrap_or(0);
        let last = u.totp_last_step.and_then(|s| u64::try_from(s).ok());
        let accepted = match secret.verify(code, now, last) {
            Some(step) if fields.is_empty() => {
                st.store
                    .use_totp_step(u.id, i64::try_from(step).unwrap_or(i64::MAX))
                    .await?
            }
            Some(_) => true,
            None => false,
        };
        if !accepted {
            fields.push(FieldError {
                field: "code",
                code: "error-totp-wrong",
            });
        }
    }
    invalid(fields)?;
    let keys = match u.must_change_password {
        true => Some(rekey(st, &u.username, &s.secret_key, new_password, false).await?),
        false => None,
    };
    let now = st.now();
    st.store
        .complete_setup(
            u.id,
            keys.as_ref(),
            &s.token.id(),
            &AuditEntry::new(
                now,
                format!("user:{}", u.id.0),
                "user.setup_completed",
                None,
            )
            .with_detail(serde_json::json!({
                "password_set": keys.is_some(),
                "second_factor_enrolled": pending.is_some(),
            })),
        )
        .await?;
    crate::sessions::open_staff_session(st, u, &s.secret_key).await
}

/// Changes a signed-in staff member's password: the current one is checked, the staff key is
/// sealed again under the new one (every case stays readable), the other sessions go on.
pub async fn change_password(
    st: &App,
    s: &StaffSession,
    current: &str,
    new_password: &str,
    confirm: &str,
) -> Result<()> {
    let mut fields = Vec::new();
    let (given, hash) = (
        Zeroizing::new(current.to_owned()),
        s.user.password_hash.clone(),
    );
    let right = current.len() <= rules::MAX_PASSWORD_BYTES
        && password_work(st, move || crypto::verify_password(&given, &hash)).await?;
    if !right {
        fields.push(FieldError {
            field: "current",
            code: "error-password-wrong",
        });
    }
    rules::check_new_password(&s.user.username, new_password, confirm, &mut fields);
    invalid(fields)?;
    let keys = rekey(st, &s.user.username, &s.secret_key, new_password, false).await?;
    st.store
        .rekey(
            s.user.id,
            &keys,
            false,
            &AuditEntry::new(st.now(), who(&s.actor), "user.password_changed", None),
        )
        .await?;
    Ok(())
}

/// The staff sessions the account holds now, newest first, with the current one marked.
pub async fn sessions(st: &App, s: &StaffSession) -> Result<Vec<(SessionInfo, bool)>> {
    let current = s.token.id();
    Ok(st
        .store
        .staff_sessions(s.user.id, st.now())
        .await?
        .into_iter()
        .map(|i| {
            let here = i.token_hash == current;
            (i, here)
        })
        .collect())
}

/// Ends every session of the account, this one included.
pub async fn sign_out_everywhere(st: &App, s: &StaffSession) -> Result<u64> {
    Ok(st
        .store
        .end_sessions(
            s.user.id,
            &AuditEntry::new(st.now(), who(&s.actor), "user.signed_out_everywhere", None),
        )
        .await?)
}

/// Resets a forgotten password with the organisation's recovery key (the operator, on the
/// command line): the staff key is opened with the recovery key and sealed under a one-time
/// password that must be changed at the next sign-in; every session of the account ends. The
/// second factor stays. Returns the one-time password.
pub async fn reset_password_with_recovery(
    st: &App,
    recovery: &SecretKey,
    username: &str,
) -> Result<Zeroizing<String>> {
    let u = st
        .store
        .user_by_username(username)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| Error::Refused(format!("no active account named {username}")))?;
    let org = st
        .store
        .organisation()
        .await?
        .ok_or(Error::NotInitialised)?;
    if recovery.public_key().as_bytes().as_slice() != org.recovery_public_key.as_slice() {
        return Err(Error::Refused(
            "this is not the organisation's recovery key".into(),
        ));
    }
    let sealed = st
        .store
        .user_recovery_seal(u.id)
        .await?
        .ok_or_else(|| Error::Internal("no recovery seal".into()))?;
    let sk =
        crypto::open_secret_key_with_secret(recovery, &sealed, &staff_secret_aad(&u.username))?;
    if sk.public_key().as_bytes().as_slice() != u.public_key.as_slice() {
        return Err(Error::Internal(
            "the recovered key is not the account's".into(),
        ));
    }
    let password = one_time_password();
    let keys = rekey(st, &u.username, &sk, &password, true).await?;
    st.store
        .rekey(
            u.id,
            &keys,
            true,
            &AuditEntry::new(st.now(), "cli", "user.password_reset", None)
                .with_detail(serde_json::json!({ "user": u.id.0, "with": "recovery key" })),
        )
        .await?;
    Ok(password)
}

/// Checks that a staff key still opens under a password (tests and the operator's checks).
pub fn key_opens(u: &UserRecord, password: &str) -> bool {
    let Some((salt, params)) = decode_kek_salt(&u.kek_salt) else {
        return false;
    };
    crypto::password_kek(password, salt, params)
        .ok()
        .and_then(|kek| {
            crypto::open_secret_key(&kek, &u.secret_key_sealed, &staff_secret_aad(&u.username)).ok()
        })
        .is_some()
}

/// Every account, for the administrators' list (no key material leaves this module's callers
/// unless they read it: the web view takes names, roles, agencies and dates only).
pub async fn list(st: &App, by: &Actor) -> Result<Vec<UserRecord>> {
    admin_only(by)?;
    Ok(st.store.users().await?)
}
