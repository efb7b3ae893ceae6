//! Staff accounts over their life (issue 9, must-haves 1 and 2): the admin console's operations
//! with their validation, the first sign-in that sets a password and enrols the second factor,
//! a password change and a reset through the recovery key that lose no case, and a leaver who
//! keeps no key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use minhbach_app::accounts::{self, AccountForm};
use minhbach_app::admin::{self, AgencyForm, CategoryForm};
use minhbach_app::clock::Clock;
use minhbach_app::sessions::{self, SignIn};
use minhbach_app::{casework, demo, Error};
use minhbach_crypto::TotpSecret;
use minhbach_domain::{AgencyId, DomainError};
use support::{harness, Engine, Harness};

/// The field codes of a validation error.
fn fields<T>(r: Result<T, Error>) -> Vec<(&'static str, &'static str)> {
    match r {
        Err(Error::Domain(DomainError::Invalid(f))) => {
            f.iter().map(|e| (e.field, e.code)).collect()
        }
        Err(e) => panic!("expected a validation error, got {e}"),
        Ok(_) => panic!("expected a validation error, got success"),
    }
}

impl Harness {
    /// How many rows the console's tables and the audit log hold.
    async fn counts(&self) -> (usize, usize, usize, usize) {
        let users = self.app.store.users().await.unwrap().len();
        let agencies = self.app.store.agencies().await.unwrap().len();
        let categories = self.app.store.categories().await.unwrap().len();
        let audit = self.app.store.audit_log().await.unwrap().len();
        (users, agencies, categories, audit)
    }

    fn code_now(&self, secret: &TotpSecret) -> String {
        self.clock.advance(time::Duration::seconds(30));
        secret
            .code_at(u64::try_from(self.clock.now().unix_timestamp()).unwrap())
            .unwrap()
    }
}

async fn audit_kinds(h: &Harness) -> Vec<String> {
    let log = h.app.store.audit_log().await.unwrap();
    log.into_iter().map(|r| r.action).collect()
}

/// The TOTP secret behind an `otpauth://` URI.
fn secret_of(uri: &str) -> TotpSecret {
    let b32 = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    // RFC 4648 base32, without padding.
    let (mut acc, mut bits, mut bytes) = (0u32, 0u32, Vec::new());
    for c in b32.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {b32}"),
        };
        acc = (acc << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    TotpSecret::from_bytes(&bytes).unwrap()
}

async fn a_new_account_sets_its_password_and_enrols_its_second_factor(engine: Engine) {
    let h = harness(engine).await;
    let admin = h.staff("admin").await;
    let tttp = h.city.agency("tttp").unwrap();
    let form = AccountForm {
        username: "tttp.moi".into(),
        display_name: "Cán bộ mới".into(),
        role: "handler".into(),
        agency: Some(tttp),
    };
    let created = accounts::create_account(&h.app, &admin.actor, &form)
        .await
        .unwrap();
    let otp = created.one_time_password.as_str().to_owned();

    // The API cannot sign in an account that is not set up; the browser gets a setup session.
    assert!(matches!(
        sessions::staff_login(&h.app, "tttp.moi", &otp, "").await,
        Err(Error::SetupRequired)
    ));
    let SignIn::Setup(token) = sessions::staff_sign_in(&h.app, "tttp.moi", &otp, "")
        .await
        .unwrap()
    else {
        panic!("a new account must set up first");
    };
    // The setup session opens no staff page.
    let again = minhbach_app::sessions::SessionToken::parse(&token.encode()).unwrap();
    assert!(sessions::staff_session(&h.app, again).await.is_err());
    let setup = accounts::setup_session(&h.app, token).await.unwrap();
    let view = accounts::setup_view(&h.app, &setup).await.unwrap();
    assert!(view.needs_password);
    let (uri, _) = view.enrol.expect("a handler enrols a second factor");
    let secret = secret_of(&uri);

    // A short password, a mismatch and a wrong code are refused, and nothing changes.
    assert_eq!(
        fields(accounts::finish_setup(&h.app, setup, "short", "short", "000000").await),
        [
            ("new_password", "error-password-length"),
            ("code", "error-totp-wrong")
        ]
    );
    let SignIn::Setup(token) = sessions::staff_sign_in(&h.app, "tttp.moi", &otp, "")
        .await
        .unwrap()
    else {
        panic!("still to set up");
    };
    let setup = accounts::setup_session(&h.app, token).await.unwrap();
    let mine = "mật khẩu của riêng tôi";
    let code = h.code_now(&secret);
    let session = accounts::finish_setup(&h.app, setup, mine, mine, &code)
        .await
        .unwrap();
    assert!(sessions::staff_session(&h.app, session).await.is_ok());

    // From now on: the new password and the enrolled second factor, never the one-time one.
    assert!(
        sessions::staff_login(&h.app, "tttp.moi", &otp, &h.code_now(&secret))
            .await
            .is_err()
    );
    assert!(sessions::staff_login(&h.app, "tttp.moi", mine, "")
        .await
        .is_err());
    let token = sessions::staff_login(&h.app, "tttp.moi", mine, &h.code_now(&secret))
        .await
        .unwrap();
    let s = sessions::staff_session(&h.app, token).await.unwrap();
    assert_eq!(s.user.display_name, "Cán bộ mới");
    assert!(s.user.last_signin_at.is_some());
    let audit = audit_kinds(&h).await;
    for kind in ["user.created", "user.setup_completed", "staff.signin"] {
        assert!(audit.iter().any(|k| k == kind), "{kind} audited");
    }
}

async fn password_change_and_recovery_reset_keep_every_case(engine: Engine) {
    let h = harness(engine).await;
    let reference = h.submit("Báo cáo để đọc sau khi đổi mật khẩu").await;
    let officer = h.staff("tttp.tiepnhan").await;
    let before = casework::staff_case_view(&h.app, &officer, &reference)
        .await
        .unwrap();

    // Wrong current password, or a new one too short: refused, the old one still works.
    assert_eq!(
        fields(accounts::change_password(&h.app, &officer, "sai", "ngắn", "ngắn").await),
        [
            ("current", "error-password-wrong"),
            ("new_password", "error-password-length")
        ]
    );
    let new = "một mật khẩu mới đủ dài";
    accounts::change_password(&h.app, &officer, demo::DEMO_PASSWORD, new, new)
        .await
        .unwrap();
    h.clock.advance(time::Duration::seconds(30));
    let code = demo::demo_code(h.clock.now().unix_timestamp());
    assert!(
        sessions::staff_login(&h.app, "tttp.tiepnhan", demo::DEMO_PASSWORD, &code)
            .await
            .is_err()
    );
    h.clock.advance(time::Duration::seconds(30));
    let code = demo::demo_code(h.clock.now().unix_timestamp());
    let token = sessions::staff_login(&h.app, "tttp.tiepnhan", new, &code)
        .await
        .unwrap();
    let s = sessions::staff_session(&h.app, token).await.unwrap();
    let after = casework::staff_case_view(&h.app, &s, &reference)
        .await
        .unwrap();
    assert_eq!(
        before.content.what, after.content.what,
        "the case reads the same"
    );

    // Sessions: two open (the first sign-in and this one); sign out everywhere ends both.
    let list = accounts::sessions(&h.app, &s).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|(_, here)| *here).count(), 1);

    // Forgotten: the operator resets it with the recovery key; every session ends.
    let otp = accounts::reset_password_with_recovery(&h.app, &h.city.recovery, "tttp.tiepnhan")
        .await
        .unwrap();
    assert!(accounts::sessions(&h.app, &s).await.unwrap().is_empty());
    let again = sessions::SessionToken::parse(&s.token.encode()).unwrap();
    assert!(sessions::staff_session(&h.app, again).await.is_err());
    // The one-time password with the enrolled second factor opens only the setup page.
    h.clock.advance(time::Duration::seconds(30));
    let code = demo::demo_code(h.clock.now().unix_timestamp());
    assert!(sessions::staff_sign_in(&h.app, "tttp.tiepnhan", &otp, "")
        .await
        .is_err());
    let SignIn::Setup(token) = sessions::staff_sign_in(&h.app, "tttp.tiepnhan", &otp, &code)
        .await
        .unwrap()
    else {
        panic!("a reset password must be changed");
    };
    let setup = accounts::setup_session(&h.app, token).await.unwrap();
    let view = accounts::setup_view(&h.app, &setup).await.unwrap();
    assert!(view.needs_password && view.enrol.is_none());
    let mine = "lại một mật khẩu mới";
    let token = accounts::finish_setup(&h.app, setup, mine, mine, "")
        .await
        .unwrap();
    let s = sessions::staff_session(&h.app, token).await.unwrap();
    let recovered = casework::staff_case_view(&h.app, &s, &reference)
        .await
        .unwrap();
    assert_eq!(before.content.what, recovered.content.what, "no case lost");

    // Another key is not the recovery key.
    let other = minhbach_crypto::SecretKey::generate(&mut rand::rngs::OsRng);
    assert!(
        accounts::reset_password_with_recovery(&h.app, &other, "tttp.tiepnhan")
            .await
            .is_err()
    );
    let audit = audit_kinds(&h).await;
    for kind in ["user.password_changed", "user.password_reset"] {
        assert!(audit.iter().any(|k| k == kind), "{kind} audited");
    }
}

async fn the_console_refuses_bad_input_and_writes_nothing(engine: Engine) {
    let h = harness(engine).await;
    let admin = h.staff("admin").await;
    let officer = h.staff("tttp.tiepnhan").await;
    let before = h.counts().await;
    let tttp = h.city.agency("tttp").unwrap();
    let account = |username: &str, name: &str, role: &str, agency: Option<AgencyId>| AccountForm {
        username: username.into(),
        display_name: name.into(),
        role: role.into(),
        agency,
    };
    let cases = [
        (
            account("tttp.tiepnhan", "X", "handler", Some(tttp)),
            vec![("username", "error-username-taken")],
        ),
        (
            account("a b", "", "handler", None),
            vec![
                ("username", "error-username-format"),
                ("display_name", "error-name-empty"),
                ("agency", "error-role-needs-agency"),
            ],
        ),
        (
            account("x", "X", "king", Some(AgencyId(9999))),
            vec![
                ("role", "error-role-unknown"),
                ("agency", "error-agency-unknown"),
            ],
        ),
    ];
    for (form, expected) in cases {
        assert_eq!(
            fields(accounts::create_account(&h.app, &admin.actor, &form).await),
            expected
        );
    }
    let agency = |code: &str, kind: &str, superior| AgencyForm {
        code: code.into(),
        name_vi: "Phường mới".into(),
        name_en: "New ward".into(),
        kind: kind.into(),
        superior,
    };
    assert_eq!(
        fields(admin::add_agency(&h.app, &admin.actor, &agency("tttp", "ward", None)).await),
        [("code", "error-code-taken")]
    );
    assert_eq!(
        fields(admin::add_agency(&h.app, &admin.actor, &agency("Bad Code", "castle", None)).await),
        [
            ("code", "error-code-format"),
            ("kind", "error-kind-unknown")
        ]
    );
    let category = CategoryForm {
        code: "land".into(),
        name_vi: " ".into(),
        name_en: "Land".into(),
        position: "first".into(),
    };
    assert_eq!(
        fields(admin::save_category(&h.app, &admin.actor, &category).await),
        [
            ("name_vi", "error-name-empty"),
            ("position", "error-position")
        ]
    );
    // Only an administrator runs the console.
    assert!(matches!(
        admin::add_agency(&h.app, &officer.actor, &agency("new", "ward", None)).await,
        Err(Error::Domain(DomainError::Forbidden))
    ));
    assert!(matches!(
        accounts::list(&h.app, &officer.actor).await,
        Err(Error::Domain(DomainError::Forbidden))
    ));
    assert_eq!(h.counts().await, before, "nothing written");
    let tttp_superior = before_superior(&h, tttp).await;

    // A ward under the city inspectorate, then the inspectorate under the ward: a cycle.
    let ward = admin::add_agency(
        &h.app,
        &admin.actor,
        &agency("phuongmoi", "ward", Some(tttp)),
    )
    .await
    .unwrap();
    assert_eq!(
        fields(admin::change_superior(&h.app, &admin.actor, tttp, Some(ward)).await),
        [("superior", "error-superior-cycle")]
    );
    let agencies = h.app.store.agencies().await.unwrap();
    let new = agencies.iter().find(|a| a.id == ward).unwrap();
    assert_eq!((new.superior, new.kind.as_str()), (Some(tttp), "ward"));
    assert_eq!(
        agencies.iter().find(|a| a.id == tttp).unwrap().superior,
        tttp_superior,
        "the refused cycle left the inspectorate's superior as it was"
    );
}

async fn before_superior(h: &Harness, a: AgencyId) -> Option<AgencyId> {
    h.app
        .store
        .agencies()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id == a)
        .and_then(|x| x.superior)
}

async fn a_leaver_holds_no_key_and_a_lost_phone_is_reset(engine: Engine) {
    let h = harness(engine).await;
    h.submit("Một báo cáo mà bộ phận tiếp nhận giữ khóa").await;
    let admin = h.staff("admin").await;
    let officer = h.staff("tttp.tiepnhan").await;
    assert!(!h
        .app
        .store
        .cases_held_by(officer.user.id)
        .await
        .unwrap()
        .is_empty());

    // A lost phone: the second factor is reset, every session ends, and the next sign-in
    // (with the password) enrols a new one.
    accounts::reset_second_factor(&h.app, &admin.actor, officer.user.id)
        .await
        .unwrap();
    let again = sessions::SessionToken::parse(&officer.token.encode()).unwrap();
    assert!(sessions::staff_session(&h.app, again).await.is_err());
    let SignIn::Setup(token) =
        sessions::staff_sign_in(&h.app, "tttp.tiepnhan", demo::DEMO_PASSWORD, "")
            .await
            .unwrap()
    else {
        panic!("the new second factor is enrolled first");
    };
    let setup = accounts::setup_session(&h.app, token).await.unwrap();
    let view = accounts::setup_view(&h.app, &setup).await.unwrap();
    assert!(!view.needs_password);
    let secret = secret_of(&view.enrol.unwrap().0);
    let code = h.code_now(&secret);
    accounts::finish_setup(&h.app, setup, "", "", &code)
        .await
        .unwrap();
    // The old demo code no longer works; the new one does.
    h.clock.advance(time::Duration::seconds(30));
    let old = demo::demo_code(h.clock.now().unix_timestamp());
    assert!(
        sessions::staff_login(&h.app, "tttp.tiepnhan", demo::DEMO_PASSWORD, &old)
            .await
            .is_err()
    );

    // Unlock clears the failed attempts of the throttle.
    for _ in 0..20 {
        let _ = sessions::staff_login(&h.app, "tttp.tiepnhan", "wrong", "").await;
    }
    assert!(matches!(
        sessions::staff_login(
            &h.app,
            "tttp.tiepnhan",
            demo::DEMO_PASSWORD,
            &h.code_now(&secret)
        )
        .await,
        Err(Error::Throttled)
    ));
    accounts::unlock(&h.app, &admin.actor, officer.user.id)
        .await
        .unwrap();
    sessions::staff_login(
        &h.app,
        "tttp.tiepnhan",
        demo::DEMO_PASSWORD,
        &h.code_now(&secret),
    )
    .await
    .unwrap();

    // A leaver: no sign-in, no session, no wrap.
    let wraps = accounts::deactivate(&h.app, &admin.actor, officer.user.id)
        .await
        .unwrap();
    assert!(wraps > 0);
    assert!(h
        .app
        .store
        .cases_held_by(officer.user.id)
        .await
        .unwrap()
        .is_empty());
    assert!(sessions::staff_login(
        &h.app,
        "tttp.tiepnhan",
        demo::DEMO_PASSWORD,
        &h.code_now(&secret)
    )
    .await
    .is_err());
    // The administrator cannot deactivate themself.
    assert_eq!(
        fields(accounts::deactivate(&h.app, &admin.actor, admin.user.id).await),
        [("user", "error-deactivate-self")]
    );
}

on_both_engines!(
    a_new_account_sets_its_password_and_enrols_its_second_factor,
    password_change_and_recovery_reset_keep_every_case,
    the_console_refuses_bad_input_and_writes_nothing,
    a_leaver_holds_no_key_and_a_lost_phone_is_reset,
    staff_see_who_decided_and_wrote_and_a_lead_sees_each_handlers_load,
);

async fn staff_see_who_decided_and_wrote_and_a_lead_sees_each_handlers_load(engine: Engine) {
    use minhbach_app::reporter;
    use minhbach_domain::{Channel, RawDecision};
    let h = harness(engine).await;
    let done = minhbach_app::intake::submit_report(
        &h.app,
        h.report("Báo cáo để phân công", ""),
        Channel::Api,
        None,
        true,
    )
    .await
    .unwrap();
    let reference = done.reference.clone();
    let desk = h.staff("tttp.tiepnhan").await;
    let lead = h.staff("tttp.lanhdao").await;
    let decide = |kind: &str| RawDecision {
        kind: kind.into(),
        ..RawDecision::default()
    };
    casework::staff_transition(&h.app, &desk, &reference, &decide("start_triage"))
        .await
        .unwrap();
    let accept = RawDecision {
        track: "denunciation".into(),
        document_number: "12/QĐ-TTTP".into(),
        legal_basis: "Điều 29 Luật Tố cáo".into(),
        ..decide("accept")
    };
    casework::staff_transition(&h.app, &desk, &reference, &accept)
        .await
        .unwrap();
    let handler = h
        .app
        .store
        .user_by_username("tttp.xuly")
        .await
        .unwrap()
        .unwrap();
    let assign = RawDecision {
        handler: handler.id.0.to_string(),
        ..decide("assign")
    };
    casework::staff_transition(&h.app, &lead, &reference, &assign)
        .await
        .unwrap();
    casework::staff_reply(&h.app, &desk, &reference, "Chúng tôi đã nhận được.")
        .await
        .unwrap();

    // Staff see the officer beside each decision and message.
    let view = casework::staff_case_view(&h.app, &lead, &reference)
        .await
        .unwrap();
    let triage = view
        .events
        .iter()
        .find(|e| e.kind == "start_triage")
        .unwrap();
    assert_eq!(triage.by.as_deref(), Some(desk.user.display_name.as_str()));
    let assigned = view.events.iter().find(|e| e.kind == "assign").unwrap();
    assert_eq!(
        assigned.by.as_deref(),
        Some(lead.user.display_name.as_str())
    );
    let reply = view.messages.iter().find(|m| !m.from_reporter).unwrap();
    assert_eq!(reply.by.as_deref(), Some(desk.user.display_name.as_str()));

    // The reporter sees the agency, never an officer's name, in the page or the API.
    let token = reporter::reporter_login(
        &h.app,
        &done.receipt.expose(),
        reporter::ReceiptForm::Unbound,
    )
    .await
    .unwrap();
    let session = reporter::reporter_session(&h.app, token).await.unwrap();
    let theirs = reporter::reporter_view(&h.app, &session).await.unwrap();
    assert!(theirs.events.iter().all(|e| e.by.is_none()));
    assert!(theirs.messages.iter().all(|m| m.by.is_none()));
    let json = serde_json::to_string(&theirs.events).unwrap()
        + &serde_json::to_string(&theirs.messages).unwrap();
    assert!(!json.contains(&desk.user.display_name) && !json.contains("\"by\""));

    // The lead sees each handler's open cases; a handler does not see the list.
    let load = casework::workload(&h.app, &lead).await.unwrap();
    let row = load
        .iter()
        .find(|w| w.name == handler.display_name)
        .expect("the handler is listed");
    assert_eq!((row.open, row.overdue, row.role), (1, 0, "handler"));
    assert!(row.next_due.is_some());
    assert!(load
        .iter()
        .all(|w| w.role == "handler" || w.role == "agency_lead"));
    let handler_session = h.staff("tttp.xuly").await;
    assert!(matches!(
        casework::workload(&h.app, &handler_session).await,
        Err(Error::Domain(DomainError::Forbidden))
    ));
}
