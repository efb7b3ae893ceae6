//! Keys: the one place that decides the associated data every sealed blob is bound to, who
//! holds a wrap of a case key ([`holders`]), and how a staff member's key material is made and
//! sealed (DESIGN.md properties 2, 3 and 4; `docs/crypto.md`).

use std::collections::BTreeSet;

use minhbach_crypto::{self as crypto, PasswordParams, PublicKey, SecretKey, SymmetricKey};
use minhbach_domain::{CaseFacts, Excluded, Role, UserId};
use minhbach_store::{UserRecord, WrapChange};
use rand::rngs::OsRng;

use crate::{App, Result};

/// Who holds a wrap of a case's key: the active intake officers and leads of the agency that
/// holds the case, and the handler assigned to it; never anyone an exclusion covers (accused,
/// recused, the leads of an accused officer's agency or of the agency the accused leads).
///
/// `staff` may hold anyone; only those of the case's agency can qualify. Every change of who
/// holds a case key is computed from this function, and a property test compares the
/// `case_keys` table with it after random sequences of decisions.
pub fn holders(
    case: &CaseFacts,
    staff: &[UserRecord],
    exclusions: &[Excluded],
) -> BTreeSet<UserId> {
    staff
        .iter()
        .filter(|u| u.active && u.agency == Some(case.agency))
        .filter(|u| {
            u.role.receives_new_cases()
                || (u.role.takes_assignments() && case.assignee == Some(u.id))
        })
        .filter(|u| !is_excluded(u.id, u.agency, u.role, exclusions))
        .map(|u| u.id)
        .collect()
}

/// Whether an exclusion keeps this account from the case.
pub fn is_excluded(
    user: UserId,
    agency: Option<minhbach_domain::AgencyId>,
    role: Role,
    exclusions: &[Excluded],
) -> bool {
    exclusions.iter().any(|e| e.covers(user, agency, role))
}

/// The wraps to delete and to write so that the case key is held by exactly [`holders`] of the
/// case as it will be (`after`), given who holds it now.
pub(crate) async fn plan_wraps(
    st: &App,
    after: &CaseFacts,
    exclusions: &[Excluded],
    current: &[UserId],
    case_key: &SymmetricKey,
    lookup: &[u8],
) -> Result<WrapChange> {
    let staff = st.store.staff_of(after.agency).await?;
    let wanted = holders(after, &staff, exclusions);
    let remove = current
        .iter()
        .filter(|u| !wanted.contains(u))
        .copied()
        .collect();
    let new: Vec<(UserId, Vec<u8>)> = staff
        .iter()
        .filter(|u| wanted.contains(&u.id) && !current.contains(&u.id))
        .map(|u| (u.id, u.public_key.clone()))
        .collect();
    Ok(WrapChange {
        remove,
        add: wrap_for_staff(&new, case_key, lookup)?,
    })
}

/// Associated data that binds every sealed blob to its case and purpose, so a blob copied to
/// another row or column fails to open.
pub fn aad(purpose: &str, receipt_lookup: &[u8]) -> Vec<u8> {
    format!("minhbach/v1/{purpose}/{}", hex::encode(receipt_lookup)).into_bytes()
}

pub fn staff_wrap_aad(lookup: &[u8], user: UserId) -> Vec<u8> {
    aad(&format!("wrap-staff-{}", user.0), lookup)
}

pub fn staff_secret_aad(user_id_or_name: &str) -> Vec<u8> {
    format!("minhbach/v1/staff-secret/{user_id_or_name}").into_bytes()
}

/// Wraps a case key for each given staff member's public key.
pub fn wrap_for_staff(
    keys: &[(UserId, Vec<u8>)],
    case_key: &SymmetricKey,
    lookup: &[u8],
) -> Result<Vec<(UserId, Vec<u8>)>> {
    keys.iter()
        .map(|(user, public)| {
            let pk = PublicKey::try_from_slice(public)?;
            Ok((
                *user,
                crypto::wrap_to_public(&pk, case_key, &staff_wrap_aad(lookup, *user), &mut OsRng),
            ))
        })
        .collect()
}

/// Salt and Argon2 parameters of a staff key-encryption key, stored together so that changing
/// the configured parameters never locks anyone out.
pub fn encode_kek_salt(salt: &[u8], p: PasswordParams) -> Vec<u8> {
    let mut v = salt.to_vec();
    for n in [p.memory_kib, p.iterations, p.parallelism] {
        v.extend_from_slice(&n.to_be_bytes());
    }
    v
}

pub fn decode_kek_salt(v: &[u8]) -> Option<(&[u8], PasswordParams)> {
    let (salt, params) = v.split_at_checked(v.len().checked_sub(12)?)?;
    let n = |i: usize| {
        params
            .get(i..i + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    Some((
        salt,
        PasswordParams {
            memory_kib: n(0)?,
            iterations: n(4)?,
            parallelism: n(8)?,
        },
    ))
}

/// The key material of a new staff account.
pub struct StaffKeys {
    pub totp_sealed: Option<Vec<u8>>,
    pub password_hash: String,
    pub public_key: Vec<u8>,
    pub kek_salt: Vec<u8>,
    pub secret_key_sealed: Vec<u8>,
    pub secret_key_recovery: Vec<u8>,
}

/// Creates a staff member's key pair, sealed under their password and under the recovery key.
pub fn new_staff_keys(
    username: &str,
    password: &str,
    params: PasswordParams,
    recovery: &PublicKey,
    totp: Option<(&crypto::ServerSecret, &crypto::TotpSecret)>,
) -> Result<StaffKeys> {
    let sk = SecretKey::generate(&mut OsRng);
    let salt = crypto::password_salt(&mut OsRng);
    let kek = crypto::password_kek(password, &salt, params)?;
    let aad = staff_secret_aad(username);
    let totp_sealed = totp.map(|(server, secret)| {
        crypto::seal(
            &totp_sealing_key(server),
            secret.as_bytes(),
            &totp_aad(username),
            &mut OsRng,
        )
    });
    Ok(StaffKeys {
        totp_sealed,
        password_hash: crypto::hash_password(password, params, &mut OsRng)?,
        public_key: sk.public_key().as_bytes().to_vec(),
        kek_salt: encode_kek_salt(&salt, params),
        secret_key_sealed: crypto::seal_secret_key(&kek, &sk, &aad, &mut OsRng),
        secret_key_recovery: crypto::seal_secret_key_to_public(recovery, &sk, &aad, &mut OsRng),
    })
}

/// The key that seals staff TOTP secrets: derived from the server secret, which lives outside
/// the database, so a database copy holds no usable second factor.
pub fn totp_sealing_key(st_secret: &crypto::ServerSecret) -> SymmetricKey {
    SymmetricKey::from_bytes(st_secret.mac("totp-seal", b""))
}

pub fn totp_aad(username: &str) -> Vec<u8> {
    format!("minhbach/v1/totp/{username}").into_bytes()
}
