//! Setting up an organisation: its recovery key, agencies, categories and staff accounts. Used by
//! `minhbach init`, the demo seed and the tests, so all three build accounts the same way.

use minhbach_crypto::{PasswordParams, PublicKey, SecretKey, ServerSecret, TotpSecret};
use minhbach_domain::organisation as rules;
use minhbach_domain::{can, Action, Actor, AgencyId, DomainError, FieldError, Role, UserId};
use minhbach_store::{AuditEntry, Category, NewAgency, NewOrganisation, NewUser, Store};
use rand::rngs::OsRng;

use crate::keys::new_staff_keys;
use crate::{App, Error, Result};

/// Creates the organisation and returns the recovery key's private half, which is not kept.
pub async fn create_organisation(
    store: &dyn Store,
    name: &str,
    reference_prefix: &str,
    demo: bool,
    now: i64,
) -> Result<SecretKey> {
    if store.organisation().await?.is_some() {
        return Err(Error::AlreadyInitialised);
    }
    let recovery = SecretKey::generate(&mut OsRng);
    store
        .create_organisation(
            &NewOrganisation {
                name: name.to_owned(),
                reference_prefix: reference_prefix.to_owned(),
                recovery_public_key: recovery.public_key().as_bytes().to_vec(),
                demo,
                now,
            },
            &AuditEntry::new(now, "cli", "organisation.created", None),
        )
        .await?;
    Ok(recovery)
}

pub async fn create_agency(
    store: &dyn Store,
    code: &str,
    name_vi: &str,
    name_en: &str,
    kind: &str,
    now: i64,
) -> Result<AgencyId> {
    let agency = NewAgency {
        code: code.to_owned(),
        name_vi: name_vi.to_owned(),
        name_en: name_en.to_owned(),
        kind: kind.to_owned(),
        superior: None,
        now,
    };
    Ok(store
        .create_agency(
            &agency,
            &AuditEntry::new(now, "cli", "agency.created", None)
                .with_detail(serde_json::json!({ "code": code })),
        )
        .await?)
}

pub async fn create_category(store: &dyn Store, category: Category, now: i64) -> Result<()> {
    let audit = AuditEntry::new(now, "cli", "category.saved", None)
        .with_detail(serde_json::json!({ "code": category.code }));
    Ok(store.upsert_category(&category, &audit).await?)
}

pub struct StaffAccount<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub agency: Option<AgencyId>,
    pub role: Role,
    /// A given TOTP secret (the demo's); otherwise one is generated for roles that need it.
    pub totp: Option<&'a [u8]>,
}

/// Creates a staff account with its key pair, sealed under the password and the recovery key.
/// Roles that read content get a TOTP secret, returned so that it can be handed to the person
/// (it is stored only sealed under the server secret).
pub async fn create_staff(
    store: &dyn Store,
    server: &ServerSecret,
    account: &StaffAccount<'_>,
    params: PasswordParams,
    now: i64,
) -> Result<(UserId, Option<TotpSecret>)> {
    let org = store.organisation().await?.ok_or(Error::NotInitialised)?;
    let name = account.username;
    if name.is_empty()
        || name.len() > crate::sessions::MAX_USERNAME_BYTES
        || name.chars().any(char::is_whitespace)
    {
        return Err(Error::Refused(format!(
            "a username has 1 to {} bytes and no spaces",
            crate::sessions::MAX_USERNAME_BYTES
        )));
    }
    let recovery = PublicKey::try_from_slice(&org.recovery_public_key)?;
    let totp = match (account.role.requires_second_factor(), account.totp) {
        (false, _) => None,
        (true, Some(given)) => Some(TotpSecret::from_bytes(given)?),
        (true, None) => Some(TotpSecret::generate(&mut OsRng)),
    };
    let keys = new_staff_keys(
        account.username,
        account.password,
        params,
        &recovery,
        totp.as_ref().map(|t| (server, t)),
    )?;
    let user = NewUser {
        username: account.username.to_owned(),
        display_name: account.display_name.to_owned(),
        agency: account.agency,
        role: account.role,
        password_hash: keys.password_hash,
        public_key: keys.public_key,
        kek_salt: keys.kek_salt,
        secret_key_sealed: keys.secret_key_sealed,
        secret_key_recovery: keys.secret_key_recovery,
        totp_sealed: keys.totp_sealed,
        // The command line prints the password it was given and the second factor.
        must_change_password: false,
        totp_enrolled: true,
        now,
    };
    let audit = AuditEntry::new(now, "cli", "user.created", None);
    let id = store.create_user(&user, &audit).await?;
    Ok((id, totp))
}

/// Deactivates a leaver's account: no sign-in, no session, and every wrap of a case key it
/// held deleted in the same transaction. Returns how many wraps were deleted.
pub async fn deactivate_user(store: &dyn Store, username: &str, now: i64) -> Result<u64> {
    let user = store
        .user_by_username(username)
        .await?
        .ok_or_else(|| Error::Refused(format!("no account named {username}")))?;
    Ok(store
        .deactivate_user(
            user.id,
            &AuditEntry::new(now, "cli", "user.deactivated", None),
        )
        .await?)
}

/// Sets the body that handles denunciations against an agency's head (and oversees it).
pub async fn set_superior(
    store: &dyn Store,
    agency: AgencyId,
    superior: Option<AgencyId>,
    now: i64,
) -> Result<()> {
    if superior == Some(agency) {
        return Err(Error::Refused(
            "an agency cannot be its own superior".into(),
        ));
    }
    // No cycle: walking up from the superior must never reach the agency.
    let agencies = store.agencies().await?;
    let mut up = superior;
    while let Some(a) = up {
        if a == agency {
            return Err(Error::Refused(
                "the superior bodies would form a cycle".into(),
            ));
        }
        up = agencies.iter().find(|x| x.id == a).and_then(|x| x.superior);
    }
    let audit = AuditEntry::new(now, "cli", "agency.superior_set", None)
        .with_detail(serde_json::json!({ "agency": agency.0, "superior": superior.map(|s| s.0) }));
    Ok(store.set_agency_superior(agency, superior, &audit).await?)
}

fn console(by: &Actor) -> Result<String> {
    if !can(by, Action::ManageOrganisation, None) {
        return Err(DomainError::Forbidden.into());
    }
    Ok(format!("user:{}", by.user.0))
}

fn invalid(fields: Vec<FieldError>) -> Result<()> {
    if fields.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Invalid(fields).into())
    }
}

/// What the administrator types to add an agency.
#[derive(Clone, Debug, Default)]
pub struct AgencyForm {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    pub kind: String,
    pub superior: Option<AgencyId>,
}

/// Adds an agency under its superior body, from the admin console. Bad input writes nothing.
pub async fn add_agency(st: &App, by: &Actor, f: &AgencyForm) -> Result<AgencyId> {
    let actor = console(by)?;
    let code = f.code.trim();
    let mut fields = Vec::new();
    rules::check_code("code", code, &mut fields);
    rules::check_name("name_vi", &f.name_vi, &mut fields);
    rules::check_name("name_en", &f.name_en, &mut fields);
    rules::check_agency_kind(&f.kind, &mut fields);
    let agencies = st.store.agencies().await?;
    if agencies.iter().any(|a| a.code == code) {
        fields.push(FieldError {
            field: "code",
            code: "error-code-taken",
        });
    }
    if f.superior
        .is_some_and(|s| !agencies.iter().any(|a| a.id == s))
    {
        fields.push(FieldError {
            field: "superior",
            code: "error-agency-unknown",
        });
    }
    invalid(fields)?;
    let now = st.now();
    let agency = NewAgency {
        code: code.to_owned(),
        name_vi: f.name_vi.trim().to_owned(),
        name_en: f.name_en.trim().to_owned(),
        kind: f.kind.clone(),
        superior: f.superior,
        now,
    };
    let audit = AuditEntry::new(now, actor, "agency.created", None)
        .with_detail(serde_json::json!({ "code": code, "superior": f.superior.map(|s| s.0) }));
    st.store
        .create_agency(&agency, &audit)
        .await
        .map_err(|e| match e {
            minhbach_store::StoreError::Conflict => DomainError::Invalid(vec![FieldError {
                field: "code",
                code: "error-code-taken",
            }])
            .into(),
            e => e.into(),
        })
}

/// Moves an agency under another superior body (or none), from the admin console; a cycle is
/// refused.
pub async fn change_superior(
    st: &App,
    by: &Actor,
    agency: AgencyId,
    superior: Option<AgencyId>,
) -> Result<()> {
    let actor = console(by)?;
    let agencies = st.store.agencies().await?;
    let known = |id: AgencyId| agencies.iter().any(|a| a.id == id);
    if !known(agency) {
        return Err(DomainError::NotFound.into());
    }
    let mut fields = Vec::new();
    if superior.is_some_and(|s| !known(s)) {
        fields.push(FieldError {
            field: "superior",
            code: "error-agency-unknown",
        });
    }
    let tree: Vec<_> = agencies.iter().map(|a| (a.id, a.superior)).collect();
    if rules::closes_cycle(Some(agency), superior, &tree) {
        fields.push(FieldError {
            field: "superior",
            code: "error-superior-cycle",
        });
    }
    invalid(fields)?;
    let audit = AuditEntry::new(st.now(), actor, "agency.superior_set", None)
        .with_detail(serde_json::json!({ "agency": agency.0, "superior": superior.map(|s| s.0) }));
    Ok(st
        .store
        .set_agency_superior(agency, superior, &audit)
        .await?)
}

/// What the administrator types to add or rename a category.
#[derive(Clone, Debug, Default)]
pub struct CategoryForm {
    pub code: String,
    pub name_vi: String,
    pub name_en: String,
    /// Its place in the report form's list, as typed.
    pub position: String,
}

/// Adds a category, or renames and moves the one with this code, from the admin console.
pub async fn save_category(st: &App, by: &Actor, f: &CategoryForm) -> Result<()> {
    let actor = console(by)?;
    let code = f.code.trim();
    let mut fields = Vec::new();
    rules::check_code("code", code, &mut fields);
    rules::check_name("name_vi", &f.name_vi, &mut fields);
    rules::check_name("name_en", &f.name_en, &mut fields);
    let position = f
        .position
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (0..=9999).contains(p));
    if position.is_none() {
        fields.push(FieldError {
            field: "position",
            code: "error-position",
        });
    }
    invalid(fields)?;
    let category = Category {
        code: code.to_owned(),
        name_vi: f.name_vi.trim().to_owned(),
        name_en: f.name_en.trim().to_owned(),
        position: position.unwrap_or_default(),
    };
    let audit = AuditEntry::new(st.now(), actor, "category.saved", None)
        .with_detail(serde_json::json!({ "code": code }));
    Ok(st.store.upsert_category(&category, &audit).await?)
}

/// Sets a category's questionnaire (a TOML document; empty removes it), from the admin
/// console. A document that does not check is refused with the reason, naming the question.
pub async fn save_questionnaire(
    st: &App,
    by: &Actor,
    category: &str,
    document: &str,
) -> Result<()> {
    let actor = console(by)?;
    if !st
        .store
        .categories()
        .await?
        .iter()
        .any(|c| c.code == category)
    {
        return Err(DomainError::NotFound.into());
    }
    if !document.trim().is_empty() {
        minhbach_domain::questionnaire::Questionnaire::parse(document)
            .map_err(Error::InvalidDocument)?;
    }
    let audit = AuditEntry::new(st.now(), actor, "category.questionnaire_saved", None)
        .with_detail(serde_json::json!({ "category": category }));
    Ok(st
        .store
        .set_questionnaire(category, document, st.now(), &audit)
        .await?)
}
