//! What a valid organisation looks like: agency and category codes and names, the superior
//! bodies (no cycle), staff accounts (a role that works cases needs an agency) and passwords.
//! Each check returns the fields that fail, with the key of the message that explains why.

use crate::error::FieldError;
use crate::ids::AgencyId;
use crate::policy::Role;

/// The kinds of body an agency can be.
pub const AGENCY_KINDS: [&str; 9] = [
    "city",
    "department",
    "ward",
    "inspectorate",
    "investigation",
    "procuracy",
    "front",
    "inspection_board",
    "partner",
];

/// The kinds of partner organisation (issue 8): they register and forward reports, and follow
/// what they forwarded; they are never the competent agency.
pub const PARTNER_KINDS: [&str; 3] = ["front", "inspection_board", "partner"];

/// The longest code of an agency or a category.
pub const MAX_CODE_CHARS: usize = 32;
/// The longest name of an agency, a category or a person.
pub const MAX_NAME_CHARS: usize = 200;
/// The shortest password a person may choose.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// The longest password hashed (the same bound as at sign-in).
pub const MAX_PASSWORD_BYTES: usize = 1024;
/// The longest username.
pub const MAX_USERNAME_BYTES: usize = 64;

fn err(field: &'static str, code: &'static str) -> FieldError {
    FieldError { field, code }
}

/// A code: 1 to 32 lowercase ASCII letters, digits, `-` or `_`, starting with a letter.
pub fn check_code(field: &'static str, code: &str, out: &mut Vec<FieldError>) {
    let ok = code.chars().count() <= MAX_CODE_CHARS
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !ok {
        out.push(err(field, "error-code-format"));
    }
}

/// A name: not blank, at most 200 characters, no control characters.
pub fn check_name(field: &'static str, name: &str, out: &mut Vec<FieldError>) {
    if name.trim().is_empty() {
        out.push(err(field, "error-name-empty"));
    } else if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        out.push(err(field, "error-name-long"));
    }
}

pub fn check_agency_kind(kind: &str, out: &mut Vec<FieldError>) {
    if !AGENCY_KINDS.contains(&kind) {
        out.push(err("kind", "error-kind-unknown"));
    }
}

/// Whether making `superior` the superior body of `agency` would close a cycle, given each
/// agency's current superior. A new agency (`None`) closes none.
pub fn closes_cycle(
    agency: Option<AgencyId>,
    superior: Option<AgencyId>,
    superiors: &[(AgencyId, Option<AgencyId>)],
) -> bool {
    let Some(agency) = agency else {
        return false;
    };
    let mut up = superior;
    // Each step moves to a distinct agency, unless the data already holds a cycle.
    for _ in 0..=superiors.len() {
        match up {
            None => return false,
            Some(a) if a == agency => return true,
            Some(a) => {
                up = superiors
                    .iter()
                    .find(|(x, _)| *x == a)
                    .and_then(|(_, s)| *s)
            }
        }
    }
    true
}

/// A username: 1 to 64 bytes, no spaces or control characters.
pub fn check_username(username: &str, out: &mut Vec<FieldError>) {
    if username.is_empty()
        || username.len() > MAX_USERNAME_BYTES
        || username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        out.push(err("username", "error-username-format"));
    }
}

/// A role that works cases (intake, handling, leading, protection) belongs to an agency.
pub fn check_role_agency(role: Role, agency: Option<AgencyId>, out: &mut Vec<FieldError>) {
    if role.needs_agency() && agency.is_none() {
        out.push(err("agency", "error-role-needs-agency"));
    }
}

/// A partner officer belongs to a partner organisation (a Front committee, a people's
/// inspection board, a partner), never to an agency that works cases.
pub fn check_partner_kind(role: Role, agency_kind: Option<&str>, out: &mut Vec<FieldError>) {
    let partner_agency = agency_kind.is_some_and(|k| PARTNER_KINDS.contains(&k));
    if role == Role::PartnerOfficer && agency_kind.is_some() && !partner_agency {
        out.push(err("agency", "error-partner-agency"));
    }
}

/// A password a person chooses: at least 12 characters, at most 1,024 bytes, typed the same
/// twice, not the username.
pub fn check_new_password(
    username: &str,
    password: &str,
    confirm: &str,
    out: &mut Vec<FieldError>,
) {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        out.push(err("new_password", "error-password-length"));
    } else if password.eq_ignore_ascii_case(username) {
        out.push(err("new_password", "error-password-username"));
    } else if password != confirm {
        out.push(err("confirm", "error-password-mismatch"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(f: impl FnOnce(&mut Vec<FieldError>)) -> Vec<&'static str> {
        let mut out = Vec::new();
        f(&mut out);
        out.iter().map(|e| e.code).collect()
    }

    #[test]
    fn partner_officers_belong_to_partners_and_only_they_do() {
        let check = |role, kind| fails(|o| check_partner_kind(role, Some(kind), o));
        assert!(check(Role::PartnerOfficer, "front").is_empty());
        assert!(check(Role::PartnerOfficer, "inspection_board").is_empty());
        assert_eq!(
            check(Role::PartnerOfficer, "ward"),
            ["error-partner-agency"]
        );
        assert!(check(Role::Handler, "ward").is_empty());
        // An organisation-wide role may sit in a partner body (a Front observer, a custodian).
        assert!(check(Role::FrontObserver, "front").is_empty());
        assert!(check(Role::Custodian, "front").is_empty());
    }

    #[test]
    fn codes_are_short_lowercase_words() {
        for good in ["hoankiem", "so-xd", "ward_12", "a"] {
            assert!(fails(|o| check_code("code", good, o)).is_empty(), "{good}");
        }
        for bad in ["", "Hoan", "1abc", "hoàn", "a b", &"a".repeat(33)] {
            assert_eq!(fails(|o| check_code("code", bad, o)), ["error-code-format"]);
        }
    }

    #[test]
    fn names_are_not_blank_nor_too_long() {
        assert!(fails(|o| check_name("name", "Phường Hoàn Kiếm", o)).is_empty());
        assert_eq!(fails(|o| check_name("name", "  ", o)), ["error-name-empty"]);
        let long = "x".repeat(201);
        assert_eq!(fails(|o| check_name("name", &long, o)), ["error-name-long"]);
        assert_eq!(
            fails(|o| check_name("name", "a\u{7}", o)),
            ["error-name-long"]
        );
    }

    #[test]
    fn a_superior_body_never_closes_a_cycle() {
        let (a, b, c) = (AgencyId(1), AgencyId(2), AgencyId(3));
        // c under b under a.
        let now = [(a, None), (b, Some(a)), (c, Some(b))];
        assert!(closes_cycle(Some(a), Some(c), &now));
        assert!(closes_cycle(Some(a), Some(a), &now));
        assert!(!closes_cycle(Some(c), Some(a), &now));
        assert!(!closes_cycle(Some(a), None, &now));
        assert!(!closes_cycle(None, Some(c), &now));
        // Data that already holds a cycle still ends.
        let looped = [(a, Some(b)), (b, Some(a)), (c, None)];
        assert!(closes_cycle(Some(c), Some(a), &looped));
    }

    #[test]
    fn roles_that_work_cases_need_an_agency_and_passwords_are_long_and_confirmed() {
        assert_eq!(
            fails(|o| check_role_agency(Role::Handler, None, o)),
            ["error-role-needs-agency"]
        );
        assert!(fails(|o| check_role_agency(Role::Auditor, None, o)).is_empty());
        let pw = "một mật khẩu dài";
        assert!(fails(|o| check_new_password("lan", pw, pw, o)).is_empty());
        assert_eq!(
            fails(|o| check_new_password("lan", "short", "short", o)),
            ["error-password-length"]
        );
        assert_eq!(
            fails(|o| check_new_password("lan", pw, "other", o)),
            ["error-password-mismatch"]
        );
        let name = "nguyen.van.an";
        assert_eq!(
            fails(|o| check_new_password(name, name, name, o)),
            ["error-password-username"]
        );
    }
}
