//! The admin console, a staff member's own account and the case page's forms, through the real
//! pages with plain forms (issue 9, must-haves 1, 2 and 5): an administrator adds an agency under its superior, a
//! category and an account; the new colleague sets their password and enrols the second
//! factor from the QR code, changes the password, and signs out everywhere; bad input to every
//! console form gets a clear localized error and writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
mod support;

use minhbach_app::clock::Clock;
use minhbach_crypto::TotpSecret;
use support::{hidden, Engine, TestApp};

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name(super::Engine::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if super::support::postgres_url().is_none() {
                    use std::io::Write;
                    let _ = writeln!(std::io::stderr(), "SKIPPED {} on PostgreSQL: set MINHBACH_TEST_POSTGRES to run it", stringify!($name));
                    return;
                }
                super::$name(super::Engine::Postgres).await;
            })*
        }
    };
}

on_both_engines!(
    an_admin_adds_an_agency_a_category_and_a_colleague_who_sets_up_from_the_qr_code,
    bad_input_to_every_console_form_is_refused_in_the_readers_language_and_writes_nothing,
    a_category_asks_its_questions_and_the_answers_are_sealed_with_the_report,
    a_refused_decision_comes_back_typed_and_staff_see_who_acted,
    a_wrong_or_lost_code_is_told_what_to_do_and_the_receipt_says_when_to_come_back,
    the_desk_registers_a_forwarded_report_and_prints_the_slip_that_opens_it,
    a_reporter_whose_deadline_passed_asks_the_superior_body_once,
    an_integrator_s_retry_with_the_same_key_never_creates_a_second_case,
    a_partner_forwards_a_walk_in_and_follows_only_what_it_may,
    after_the_outcome_the_reporter_answers_and_the_superior_reviews,
);

/// The text of the first `<code class="secret">` on a page.
fn secret_on(body: &str) -> String {
    let start = body
        .find("<code class=\"secret\">")
        .expect("a secret on the page")
        + "<code class=\"secret\">".len();
    let end = body[start..].find("</code>").unwrap() + start;
    body[start..end].to_owned()
}

/// The TOTP secret from its RFC 4648 base32 text.
fn totp_from_base32(text: &str) -> TotpSecret {
    let (mut acc, mut bits, mut bytes) = (0u32, 0u32, Vec::new());
    for c in text.bytes().filter(|c| *c != b'=' && *c != b' ') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32: {text}"),
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

/// A console form posted with bad input: its path, its fields, and the messages it must show.
type BadForm<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);

async fn counts(app: &TestApp) -> (usize, usize, usize, usize) {
    let st = &app.state;
    (
        st.store.users().await.unwrap().len(),
        st.store.agencies().await.unwrap().len(),
        st.store.categories().await.unwrap().len(),
        st.store.audit_log().await.unwrap().len(),
    )
}

async fn an_admin_adds_an_agency_a_category_and_a_colleague_who_sets_up_from_the_qr_code(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let admin = app.staff_cookie("admin").await;
    let page = app.get("/admin/users", Some(&admin)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    for link in [
        "/admin/users",
        "/admin/agencies",
        "/admin/categories",
        "/staff/account",
    ] {
        assert!(
            page.body.contains(&format!("href=\"{link}\"")),
            "{link} in the bar"
        );
    }

    // An agency under the City Inspectorate.
    let tttp = app.agency("tttp").to_string();
    let r = app
        .post_form(
            "/admin/agencies",
            &[
                ("csrf", &csrf),
                ("code", "phuongmoi"),
                ("name_vi", "Ủy ban nhân dân phường Mới"),
                ("name_en", "New Ward People's Committee"),
                ("kind", "ward"),
                ("superior", &tttp),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let agencies = app.state.store.agencies().await.unwrap();
    let ward = agencies.iter().find(|a| a.code == "phuongmoi").unwrap();
    assert_eq!(ward.superior.map(|s| s.0.to_string()), Some(tttp.clone()));
    let listed = app.get("/admin/agencies", Some(&admin)).await;
    assert!(listed.body.contains("Ủy ban nhân dân phường Mới"));

    // A category.
    let r = app
        .post_form(
            "/admin/categories",
            &[
                ("csrf", &csrf),
                ("code", "education"),
                ("name_vi", "Giáo dục"),
                ("name_en", "Education"),
                ("position", "70"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let form = app.get("/report", None).await;
    assert!(form.body.contains("Giáo dục"), "the report form offers it");

    // A handler of the new ward: the one-time password is shown once.
    let ward_id = ward.id.0.to_string();
    let r = app
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("username", "phuongmoi.xuly"),
                ("display_name", "Trần Thị Mới"),
                ("role", "handler"),
                ("agency", &ward_id),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control").as_deref(), Some("no-store"));
    let otp = secret_on(&r.body);
    assert_eq!(otp.len(), 23, "four groups of five: {otp}");
    assert!(
        r.body.contains("chưa thiết lập"),
        "listed as not yet set up"
    );

    // The first sign-in: no code yet; the setup page and nothing else.
    let token = app.form_token("/staff/login").await;
    let r = app
        .post_form(
            "/staff/login",
            &[
                ("token", token.as_str()),
                ("username", "phuongmoi.xuly"),
                ("password", &otp),
                ("code", ""),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location").as_deref(), Some("/staff/setup"));
    let setup_cookie = r.cookie().unwrap();
    let inbox = app.get("/staff/inbox", Some(&setup_cookie)).await;
    assert_ne!(inbox.status, 200, "a setup session opens no staff page");
    let setup = app.get("/staff/setup", Some(&setup_cookie)).await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert!(setup.body.contains("<svg") && setup.body.contains("role=\"img\""));
    let secret = totp_from_base32(&secret_on(&setup.body));
    let setup_csrf = hidden(&setup.body, "csrf");

    // A wrong code and a short password come back with the errors beside their fields.
    let r = app
        .post_form(
            "/staff/setup",
            &[
                ("csrf", &setup_csrf),
                ("new_password", "ngắn"),
                ("confirm", "ngắn"),
                ("code", "000000"),
            ],
            Some(&setup_cookie),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"new_password-error"));
    assert!(r.body.contains("id=\"code-error\""));
    assert!(r.body.contains("Mật khẩu có ít nhất 12 ký tự."));

    app.clock.advance(time::Duration::seconds(30));
    let code = secret
        .code_at(u64::try_from(app.clock.now().unix_timestamp()).unwrap())
        .unwrap();
    let mine = "mật khẩu riêng của chị Mới";
    let r = app
        .post_form(
            "/staff/setup",
            &[
                ("csrf", &setup_csrf),
                ("new_password", mine),
                ("confirm", mine),
                ("code", &code),
            ],
            Some(&setup_cookie),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let staff = r.cookie().unwrap();
    let account = app.get("/staff/account?done=setup", Some(&staff)).await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.body.contains("Tài khoản đã được thiết lập"));
    assert!(account.body.contains("Trần Thị Mới"));
    assert!(
        account.body.contains("phiên này"),
        "the session list marks this one"
    );
    assert!(app.get("/staff/inbox", Some(&staff)).await.status == 200);

    // The password changes; the old one no longer signs in.
    let csrf = hidden(&account.body, "csrf");
    let wrong = app
        .post_form(
            "/staff/account/password",
            &[
                ("csrf", &csrf),
                ("current", "không phải mật khẩu"),
                ("new_password", "một mật khẩu mới dài"),
                ("confirm", "một mật khẩu mới dài"),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("Mật khẩu hiện tại không đúng."));
    let newer = "một mật khẩu mới dài";
    let r = app
        .post_form(
            "/staff/account/password",
            &[
                ("csrf", &csrf),
                ("current", mine),
                ("new_password", newer),
                ("confirm", newer),
            ],
            Some(&staff),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let user = app
        .state
        .store
        .user_by_username("phuongmoi.xuly")
        .await
        .unwrap()
        .unwrap();
    assert!(minhbach_app::accounts::key_opens(&user, newer));
    assert!(!minhbach_app::accounts::key_opens(&user, mine));

    // Sign out everywhere: this session ends too.
    let r = app
        .post_form(
            "/staff/account/sign-out-everywhere",
            &[("csrf", &csrf)],
            Some(&staff),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_ne!(app.get("/staff/inbox", Some(&staff)).await.status, 200);

    // A colleague leaves: deactivated, they hold no key and cannot sign in.
    let r = app
        .post_form(
            &format!("/admin/users/{}/deactivate", user.id.0),
            &[("csrf", &hidden(&page.body, "csrf"))],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let gone = app.state.store.user(user.id).await.unwrap().unwrap();
    assert!(!gone.active);
    assert!(app
        .state
        .store
        .cases_held_by(user.id)
        .await
        .unwrap()
        .is_empty());

    // Nobody but an administrator opens the console.
    let officer = app.staff_cookie("tttp.tiepnhan").await;
    for path in ["/admin/users", "/admin/agencies", "/admin/categories"] {
        assert_eq!(app.get(path, Some(&officer)).await.status, 403, "{path}");
    }
}

async fn bad_input_to_every_console_form_is_refused_in_the_readers_language_and_writes_nothing(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let admin = app.staff_cookie("admin").await;
    let page = app.get("/admin/users", Some(&admin)).await;
    let csrf = hidden(&page.body, "csrf");
    let before = counts(&app).await;
    let tttp = app.agency("tttp").to_string();
    let long = "x".repeat(201);
    let cases: Vec<BadForm> = vec![
        (
            "/admin/users",
            vec![
                ("username", "tttp.tiepnhan"),
                ("display_name", "X"),
                ("role", "handler"),
                ("agency", &tttp),
            ],
            &["Tên đăng nhập này đã được dùng."],
        ),
        (
            "/admin/users",
            vec![
                ("username", "co dau cach"),
                ("display_name", " "),
                ("role", "king"),
                ("agency", ""),
            ],
            &[
                "Tên đăng nhập có 1 đến 64 ký tự",
                "Hãy nhập tên.",
                "Hãy chọn vai trò trong danh sách.",
            ],
        ),
        (
            "/admin/users",
            vec![
                ("username", "nguoi.moi"),
                ("display_name", "Người mới"),
                ("role", "intake_officer"),
                ("agency", ""),
            ],
            &["Vai trò này xử lý hồ sơ: hãy chọn cơ quan của tài khoản."],
        ),
        (
            "/admin/agencies",
            vec![
                ("code", "tttp"),
                ("name_vi", "Trùng"),
                ("name_en", "Duplicate"),
                ("kind", "ward"),
                ("superior", ""),
            ],
            &["Mã này đã được dùng."],
        ),
        (
            "/admin/agencies",
            vec![
                ("code", "Có Dấu"),
                ("name_vi", &long),
                ("name_en", ""),
                ("kind", "castle"),
                ("superior", "99999"),
            ],
            &[
                "Mã gồm 1 đến 32 chữ thường",
                "Tên có tối đa 200 ký tự",
                "Hãy nhập tên.",
                "Hãy chọn loại trong danh sách.",
                "Hãy chọn cơ quan trong danh sách.",
            ],
        ),
        (
            "/admin/categories",
            vec![
                ("code", "land"),
                ("name_vi", ""),
                ("name_en", "Land"),
                ("position", "đầu tiên"),
            ],
            &["Hãy nhập tên.", "Hãy nhập vị trí là số nguyên"],
        ),
    ];
    for (path, fields, messages) in cases {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend(fields.iter().copied());
        let r = app.post_form(path, &form, Some(&admin)).await;
        assert_eq!(r.status, 422, "{path}: {}", r.body);
        for m in messages {
            assert!(r.body.contains(m), "{path}: {m}");
        }
        assert!(r.body.contains("aria-invalid=\"true\""), "{path}");
        // What was typed comes back.
        if let Some((_, v)) = fields
            .iter()
            .find(|(k, _)| *k == "name_en" || *k == "display_name")
        {
            if !v.trim().is_empty() {
                assert!(r.body.contains(&format!("value=\"{v}\"")), "{path}: {v}");
            }
        }
    }

    // A cycle: the City Inspectorate under a ward that is under it.
    let hoankiem = app.agency("hoankiem").to_string();
    let r = app
        .post_form(
            &format!("/admin/agencies/{hoankiem}/superior"),
            &[("csrf", &csrf), ("superior", &tttp)],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after_move = counts(&app).await;
    let r = app
        .post_form(
            &format!("/admin/agencies/{tttp}/superior"),
            &[("csrf", &csrf), ("superior", &hoankiem)],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("vòng lặp cấp trên"));
    assert_eq!(counts(&app).await, after_move, "the cycle wrote nothing");
    // Only the move was written (one audit entry) before it.
    let (u, a, c, audit) = before;
    assert_eq!(after_move, (u, a, c, audit + 1));

    // The administrator cannot deactivate themself.
    let me = app
        .state
        .store
        .user_by_username("admin")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_form(
            &format!("/admin/users/{}/deactivate", me.id.0),
            &[("csrf", &csrf)],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r
        .body
        .contains("Bạn không thể vô hiệu hóa tài khoản của chính mình."));

    // Without the CSRF token nothing happens.
    let r = app
        .post_form(
            "/admin/categories",
            &[
                ("code", "newcat"),
                ("name_vi", "Mới"),
                ("name_en", "New"),
                ("position", "5"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(counts(&app).await, after_move);
}

const CONSTRUCTION: &str = r#"
[[question]]
key = "has_permit"
label_vi = "Công trình có giấy phép xây dựng không?"
label_en = "Does the building have a permit?"
type = "yes_no"
required = true

[[question]]
key = "permit_number"
label_vi = "Số giấy phép"
label_en = "Permit number"
type = "text"
required = true
shown_if = { question = "has_permit", answer = "yes" }

[[question]]
key = "floors"
label_vi = "Số tầng"
label_en = "Floors"
type = "number"
"#;

async fn a_category_asks_its_questions_and_the_answers_are_sealed_with_the_report(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let admin = app.staff_cookie("admin").await;
    let page = app.get("/admin/categories", Some(&admin)).await;
    let csrf = hidden(&page.body, "csrf");

    // A questionnaire that does not check is refused with the reason, its text kept.
    let before = counts(&app).await;
    let bad = CONSTRUCTION.replace("question = \"has_permit\"", "question = \"floors\"");
    let r = app
        .post_form(
            "/admin/categories/construction/questionnaire",
            &[("csrf", &csrf), ("document", &bad)],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("not an earlier question"), "{}", r.body);
    assert!(r.body.contains("aria-invalid=\"true\""));
    assert_eq!(counts(&app).await, before, "nothing written");
    let r = app
        .post_form(
            "/admin/categories/construction/questionnaire",
            &[("csrf", &csrf), ("document", CONSTRUCTION)],
            Some(&admin),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // Integrators read the same questions, the agencies with their superiors, and the channels.
    let cats = app.get("/api/v1/categories", None).await.json();
    let construction = cats
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "construction")
        .unwrap();
    assert_eq!(construction["questions"][0]["type"], "yes_no");
    assert_eq!(
        construction["questions"][1]["shown_if"]["question"],
        "has_permit"
    );
    let agencies = app.get("/api/v1/agencies", None).await.json();
    let ward = agencies
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "hoankiem")
        .unwrap();
    assert_eq!(ward["superior_id"], app.agency("tttp"));
    let channels = app.get("/api/v1/channels", None).await.json();
    let walk_in = channels
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "walk_in")
        .unwrap();
    assert_eq!(walk_in["registered_by_staff"], true);

    // The report form asks them (without JavaScript: every category's group is on the page).
    let form = app.get("/report", None).await;
    assert!(form
        .body
        .contains("Công trình có giấy phép xây dựng không?"));
    assert!(form
        .body
        .contains("name=\"answer.construction.permit_number\""));
    let hoankiem = app.agency("hoankiem").to_string();
    let marker = "GPXD-MARKER-4417";
    let send = |answers: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let hoankiem = hoankiem.clone();
        async move {
            let token = app.report_form().await;
            let mut fields = vec![
                ("token", token.clone()),
                ("category", "construction".to_owned()),
                ("agency", hoankiem),
                ("what", "Công trình năm tầng xây trái phép".to_owned()),
                ("identity", "anonymous".to_owned()),
            ];
            fields.extend(answers.into_iter().map(|(k, v)| (k, v.to_owned())));
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/report", &borrowed, None).await
        }
    };
    // "Yes" without the permit number, and a number that is not one: the form comes back.
    let r = send(vec![
        ("answer.construction.has_permit", "yes"),
        ("answer.construction.floors", "năm"),
    ])
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r
        .body
        .contains("id=\"answer-construction-permit_number-error\""));
    assert!(r.body.contains("id=\"answer-construction-floors-error\""));
    assert!(
        r.body.contains("value=\"năm\""),
        "what was typed comes back"
    );
    assert!(r.body.contains("<details class=\"questions\" open>"));

    let r = send(vec![
        ("answer.construction.has_permit", "yes"),
        ("answer.construction.permit_number", marker),
        ("answer.construction.floors", "5"),
        // Another category's answers are not read.
        ("answer.land.plot", "không đọc"),
    ])
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let receipt = r.receipt();
    let dump = app.dump_everything().await;
    assert!(
        !support::contains(&dump, marker.as_bytes()),
        "the answer is sealed"
    );

    // The officer reads the answers with their questions; so does the reporter.
    let reporter = app.reporter_login(&receipt).await;
    let case = app.reporter_case_json(&reporter).await;
    let reference = case["reference"].as_str().unwrap().to_owned();
    let officer = app.staff_cookie("hoankiem.tiepnhan").await;
    let seen = app
        .get(&format!("/staff/cases/{reference}"), Some(&officer))
        .await;
    assert_eq!(seen.status, 200, "{}", seen.body);
    for text in [
        "Số giấy phép",
        marker,
        "Số tầng",
        "Công trình có giấy phép xây dựng không?",
    ] {
        assert!(seen.body.contains(text), "{text}");
    }
    assert!(!seen.body.contains("không đọc"));
    let answers = &case["content"]["answers"];
    assert_eq!(answers[0]["value"], "yes");
    assert_eq!(answers[0]["text_vi"], "Có");
    assert_eq!(answers[1]["value"], marker);
}

async fn a_refused_decision_comes_back_typed_and_staff_see_who_acted(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (reference, receipt) = app.submit_api("land", "Lấn chiếm đất công ở phường").await;
    let desk = app.staff_cookie("tttp.tiepnhan").await;
    let page = app
        .get(&format!("/staff/cases/{reference}"), Some(&desk))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = hidden(&page.body, "csrf");
    let decide = |fields: Vec<(&'static str, &'static str)>| {
        let app = &app;
        let (desk, csrf, reference) = (desk.clone(), csrf.clone(), reference.clone());
        async move {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(fields);
            app.post_form(
                &format!("/staff/cases/{reference}/decision"),
                &form,
                Some(&desk),
            )
            .await
        }
    };
    let r = decide(vec![("kind", "start_triage")]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Accepting without the decision's number: the form comes back open, typed, with the error.
    let r = decide(vec![
        ("kind", "accept"),
        ("track", "denunciation"),
        ("legal_basis", "Điều 29 Luật Tố cáo"),
        ("note", "Ghi chú đã gõ trước khi bị từ chối"),
    ])
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"decide-accept\" open"));
    assert!(r
        .body
        .contains("Ghi chú đã gõ trước khi bị từ chối</textarea>"));
    assert!(r.body.contains("value=\"Điều 29 Luật Tố cáo\""));
    assert!(r.body.contains("<option value=\"denunciation\" selected>"));
    assert!(r
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"accept-document_number-error\""));
    assert!(r.body.contains("id=\"accept-document_number-error\""));
    // Nothing was decided.
    let case = app
        .state
        .store
        .case_by_reference(&reference)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.state.code(), "TRIAGE");

    // The officer's name beside the decision and the message, for staff only.
    let body = "Chúng tôi đã tiếp nhận phản ánh.";
    let r = app
        .post_form(
            &format!("/staff/cases/{reference}/messages"),
            &[("csrf", &csrf), ("body", body)],
            Some(&desk),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let name = app
        .state
        .store
        .user_by_username("tttp.tiepnhan")
        .await
        .unwrap()
        .unwrap()
        .display_name;
    let staff_page = app
        .get(&format!("/staff/cases/{reference}"), Some(&desk))
        .await;
    assert!(
        staff_page.body.contains(&format!("do {name}")),
        "timeline names the officer"
    );
    assert!(
        staff_page.body.contains(&format!(" · {name} · ")),
        "the message names the officer"
    );
    let reporter = app.reporter_cookie(&receipt).await;
    let theirs = app.get("/status/case", Some(&reporter)).await;
    assert_eq!(theirs.status, 200);
    assert!(theirs.body.contains(body));
    assert!(
        !theirs.body.contains(&name),
        "the reporter sees the agency, not the officer"
    );

    // The lead's inbox shows each handler's load; the desk's does not.
    let lead = app.staff_cookie("tttp.lanhdao").await;
    let inbox = app.get("/staff/inbox", Some(&lead)).await;
    assert!(inbox.body.contains("id=\"workload\""));
    assert!(inbox.body.contains("Khối lượng công việc của cán bộ"));
    let desk_inbox = app.get("/staff/inbox", Some(&desk)).await;
    assert!(!desk_inbox.body.contains("id=\"workload\""));
    // The inbox is a table with the deadline's working days left.
    assert!(desk_inbox.body.contains("Số ngày làm việc còn lại"));
}

async fn a_wrong_or_lost_code_is_told_what_to_do_and_the_receipt_says_when_to_come_back(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let token = app.report_form().await;
    let receipt_page = app
        .post_form(
            "/report",
            &[
                ("token", token.as_str()),
                ("category", "land"),
                ("what", "Lấn chiếm vỉa hè"),
                ("identity", "anonymous"),
            ],
            None,
        )
        .await;
    assert_eq!(receipt_page.status, 200, "{}", receipt_page.body);
    assert!(receipt_page.body.contains("Khi nào quay lại"));
    let receipt = receipt_page.receipt();

    // A report form with a mistake links each error to its field.
    let token = app.report_form().await;
    let bad = app
        .post_form(
            "/report",
            &[
                ("token", token.as_str()),
                ("category", "land"),
                ("what", " "),
            ],
            None,
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"what-error\""));
    assert!(bad.body.contains("id=\"what-error\""));

    let open = |code: String| {
        let app = &app;
        async move {
            let token = app.form_token("/status").await;
            app.post_form("/status", &[("token", &token), ("receipt", &code)], None)
                .await
        }
    };
    let wrong = open("ZZZZ-ZZZZ-ZZZZ-ZZZZ".to_owned()).await;
    assert_eq!(wrong.status, 404, "{}", wrong.body);
    assert!(wrong
        .body
        .contains("aria-invalid=\"true\" aria-describedby=\"receipt-error receipt-hint\""));
    assert!(wrong.body.contains("Hãy so từng nhóm bốn ký tự"));
    assert!(wrong.body.contains("Bạn làm mất mã bí mật?"));
    assert!(
        !wrong.body.contains("ZZZZ-ZZZZ"),
        "the code typed is not shown back"
    );
    let malformed = open("12".to_owned()).await;
    assert_eq!(malformed.status, 400);
    assert!(malformed.body.contains("không đúng định dạng"));
    // Small letters and O for 0 open the same case, as the hint says.
    let relaxed = receipt.to_lowercase().replace('0', "o");
    let opened = open(relaxed).await;
    assert_eq!(opened.status, 303, "{}", opened.body);
}

async fn the_desk_registers_a_forwarded_report_and_prints_the_slip_that_opens_it(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let desk = app.staff_cookie("hoankiem.tiepnhan").await;
    let form = app.get("/staff/register", Some(&desk)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(
        form.body.contains("href=\"/staff/register\""),
        "in the staff bar"
    );
    let csrf = hidden(&form.body, "csrf");
    let what = "Phản ánh chuyển đến WHATREG7731";
    let name = "Nguyễn Thị NAMEREG5512";
    let post = |fields: Vec<(&'static str, String)>| {
        let app = &app;
        let (desk, csrf) = (desk.clone(), csrf.clone());
        async move {
            let mut all = vec![("csrf", csrf)];
            all.extend(fields);
            let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/staff/register", &borrowed, Some(&desk))
                .await
        }
    };
    // An unknown channel, a transfer without its source, an empty report: all at once, nothing
    // written, what was typed kept.
    let before = app.state.store.audit_log().await.unwrap().len();
    let r = post(vec![
        ("channel", "agency_transfer".into()),
        ("source_body", " ".into()),
        ("category", "land".into()),
        ("what", " ".into()),
        ("who", "Ông Trần Văn B".into()),
    ])
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    for id in ["source_body-error", "source_document-error", "what-error"] {
        assert!(r.body.contains(&format!("id=\"{id}\"")), "{id}");
    }
    assert!(r.body.contains("Ông Trần Văn B</textarea>"));
    let r = post(vec![
        ("channel", "pigeon".into()),
        ("category", "land".into()),
        ("what", "x".into()),
    ])
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("Hãy chọn kênh tiếp nhận."));
    assert_eq!(
        app.state.store.audit_log().await.unwrap().len(),
        before,
        "nothing written"
    );

    let r = post(vec![
        ("channel", "agency_transfer".into()),
        ("source_body", "Thanh tra Bộ Xây dựng".into()),
        ("source_document", "125/TTr-XD".into()),
        ("category", "land".into()),
        ("what", what.into()),
        ("identity", "confidential".into()),
        ("name", name.into()),
    ])
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        r.header("location").as_deref(),
        Some("/staff/register/slip")
    );
    let slip_cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("__Host-mb-slip="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_owned();
    let both = format!("{desk}; {slip_cookie}");
    let slip = app.get("/staff/register/slip", Some(&both)).await;
    assert_eq!(slip.status, 200, "{}", slip.body);
    assert_eq!(slip.header("cache-control").as_deref(), Some("no-store"));
    assert!(slip.body.contains("Phiếu tiếp nhận phản ánh"));
    assert!(slip.body.contains("/status"));
    let receipt = slip.receipt();
    let reference = slip
        .body
        .find("HN-")
        .map(|i| slip.body[i..i + "HN-2026-123456789".len()].to_owned())
        .unwrap_or_default();
    assert!(reference.starts_with("HN-"), "{}", slip.body);
    // The same slip as a PDF: its text (extracted through the font's Unicode map) holds the
    // receipt and the Vietnamese words with their diacritics.
    let (status, headers, pdf) = app.get_bytes("/staff/register/slip.pdf", &both).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pdf");
    assert_eq!(headers["cache-control"], "no-store");
    assert!(pdf.starts_with(b"%PDF-"));
    if let Ok(path) = std::env::var("MINHBACH_TEST_KEEP_PDF") {
        std::fs::write(path, &pdf).unwrap();
    }
    let doc = lopdf::Document::load_mem(&pdf).unwrap();
    let text = doc.extract_text(&[1]).unwrap();
    assert!(text.contains("Phiếu tiếp nhận phản ánh"), "{text}");
    assert!(
        text.contains("Không bao giờ đọc mã bí mật qua điện thoại"),
        "{text}"
    );
    assert!(text.contains(&reference), "{text}");
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(squeezed.contains(&receipt), "{text}");
    // Without the slip's cookie there is nothing to print.
    assert_eq!(
        app.get_bytes("/staff/register/slip.pdf", &desk).await.0,
        404
    );
    // A reload shows the same slip; after it is handed over, it is gone.
    assert_eq!(
        app.get("/staff/register/slip", Some(&both)).await.receipt(),
        receipt
    );

    // The person follows it like any reporter.
    let reporter = app.reporter_cookie(&receipt).await;
    let theirs = app.get("/status/case", Some(&reporter)).await;
    assert!(theirs.body.contains(what));
    assert!(
        !theirs.body.contains("Thanh tra Bộ Xây dựng"),
        "the channel is the agency's"
    );

    // Sealed like a web report; the channel and its source in clear.
    let dump = app.dump_everything().await;
    assert!(!support::contains(&dump, what.as_bytes()));
    assert!(!support::contains(&dump, name.as_bytes()));
    assert!(support::contains(&dump, "125/TTr-XD".as_bytes()));
    let audit = app.state.store.audit_log().await.unwrap();
    assert!(audit
        .iter()
        .any(|a| a.action == "case.registered" && a.detail.contains("agency_transfer")));

    // The desk sees where it came from, and finds it by channel or reference.
    let case = app
        .get(&format!("/staff/cases/{reference}"), Some(&desk))
        .await;
    assert!(case
        .body
        .contains("Cơ quan khác chuyển đến · Thanh tra Bộ Xây dựng"));
    let by_channel = app
        .get("/staff/inbox?channel=agency_transfer", Some(&desk))
        .await;
    assert!(by_channel.body.contains(&reference));
    let other = app.get("/staff/inbox?channel=hotline", Some(&desk)).await;
    assert!(!other.body.contains(&reference));
    let typed = reference.to_lowercase().replace('-', " - ");
    let by_ref = app
        .get(
            &format!("/staff/inbox?q={}", typed.replace(' ', "+")),
            Some(&desk),
        )
        .await;
    assert!(by_ref.body.contains(&reference), "search by reference");

    let r = app
        .post_form("/staff/register/slip/done", &[("csrf", &csrf)], Some(&both))
        .await;
    assert_eq!(r.status, 303);
    assert!(r
        .header("set-cookie")
        .unwrap_or_default()
        .contains("Max-Age=0"));
    let gone = app.get("/staff/register/slip", Some(&desk)).await;
    assert!(gone.body.contains("Phiếu không còn hiển thị"));

    // Only the desk and the lead register.
    let handler = app.staff_cookie("hoankiem.xuly").await;
    assert_eq!(app.get("/staff/register", Some(&handler)).await.status, 403);
}

async fn a_reporter_whose_deadline_passed_asks_the_superior_body_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (_, receipt) = app
        .submit_api("land", "Không ai trả lời phản ánh này")
        .await;
    let reporter = app.reporter_cookie(&receipt).await;
    let page = app.get("/status/case", Some(&reporter)).await;
    assert!(
        !page.body.contains("id=\"escalation\""),
        "nothing is overdue yet"
    );
    app.set_time(app.clock.now() + time::Duration::days(21));
    let reporter = app.reporter_cookie(&receipt).await;
    let page = app.get("/status/case", Some(&reporter)).await;
    assert!(
        page.body.contains("Đề nghị cơ quan cấp trên vào cuộc"),
        "{}",
        page.body
    );
    let csrf = hidden(&page.body, "csrf");
    for _ in 0..2 {
        let r = app
            .post_form("/status/case/escalate", &[("csrf", &csrf)], Some(&reporter))
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let after = app.get("/status/case?escalated=1", Some(&reporter)).await;
    assert!(after
        .body
        .contains("Đề nghị của bạn đã được gửi tới cơ quan cấp trên."));
    assert!(
        after.body.contains("mỗi thời hạn chỉ tính một lần")
            || after.body.contains("Mỗi thời hạn chỉ tính một lần")
    );
    assert!(
        !after.body.contains("action=\"/status/case/escalate\""),
        "asked once"
    );
    let asked = app
        .state
        .store
        .audit_log()
        .await
        .unwrap()
        .iter()
        .filter(|a| a.action == "case.escalated_by_reporter")
        .count();
    assert_eq!(asked, 1, "two clicks, one request");
}

async fn an_integrator_s_retry_with_the_same_key_never_creates_a_second_case(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let token = app.staff_token("hoankiem.tiepnhan").await;
    let send = |key: Option<&'static str>, what: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let mut req = app
                .client
                .post(format!("{}/api/v1/staff/reports", app.base))
                .bearer_auth(&token)
                .json(&serde_json::json!({
                    "channel": "hotline",
                    "category": "land",
                    "what": what,
                }));
            if let Some(k) = key {
                req = req.header("Idempotency-Key", k);
            }
            app.send(req).await
        }
    };
    let first = send(Some("dong-bo-1"), "Phản ánh qua đường dây nóng").await;
    assert_eq!(first.status, 201, "{}", first.body);
    let first = first.json();
    let reference = first["service_request_id"].as_str().unwrap().to_owned();
    assert!(first["receipt"].as_str().is_some());
    let again = send(Some("dong-bo-1"), "Phản ánh qua đường dây nóng").await;
    assert_eq!(again.status, 200, "{}", again.body);
    let again = again.json();
    assert_eq!(again["service_request_id"], reference.as_str());
    assert_eq!(again["replayed"], true);
    assert!(again.get("receipt").is_none(), "the receipt is given once");
    let other = send(Some("dong-bo-1"), "Một phản ánh khác").await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert!(other.body.contains("error-idempotency-mismatch"));

    // Concurrent retries: one case.
    let before = app.state.store.audit_log().await.unwrap();
    let registered = |log: &[minhbach_store::AuditRecord]| {
        log.iter().filter(|a| a.action == "case.registered").count()
    };
    let tries = futures_util::future::join_all(
        (0..5).map(|_| send(Some("dong-bo-2"), "Gửi lại nhiều lần")),
    )
    .await;
    let created = tries.iter().filter(|r| r.status == 201).count();
    assert_eq!(
        created,
        1,
        "{:?}",
        tries.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let refs: std::collections::BTreeSet<String> = tries
        .iter()
        .map(|r| r.json()["service_request_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(refs.len(), 1);
    let after = app.state.store.audit_log().await.unwrap();
    assert_eq!(registered(&after) - registered(&before), 1);

    // Without a key, each request is a report.
    let a = send(None, "Không có khóa").await.json();
    let b = send(None, "Không có khóa").await.json();
    assert_ne!(a["service_request_id"], b["service_request_id"]);
    // A bad channel is refused like on the page.
    let bad = app
        .post_json(
            "/api/v1/staff/reports",
            serde_json::json!({"channel": "pigeon", "category": "land", "what": "x"}),
            Some(&token),
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("field-unknown-channel"));
}

async fn a_partner_forwards_a_walk_in_and_follows_only_what_it_may(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let partner = app.staff_cookie("mttq.doitac").await;
    let form = app.get("/staff/register", Some(&partner)).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("name=\"partner_follows\""));
    let csrf = hidden(&form.body, "csrf");
    let hoankiem = app.agency("hoankiem").to_string();
    let mttq = app.agency("mttq").to_string();
    let mttq_id = mttq.clone();
    let register = |agency: String, follows: bool, what: &'static str| {
        let app = &app;
        let (partner, csrf) = (partner.clone(), csrf.clone());
        async move {
            let mut fields = vec![
                ("csrf", csrf),
                ("channel", "walk_in".to_owned()),
                ("category", "land".to_owned()),
                ("agency", agency),
                ("what", what.to_owned()),
            ];
            if follows {
                fields.push(("partner_follows", "yes".to_owned()));
            }
            let borrowed: Vec<(&str, &str)> =
                fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form("/staff/register", &borrowed, Some(&partner))
                .await
        }
    };
    // A partner forwards to the competent agency, never to itself.
    let own = register(mttq, true, "Gửi cho chính Mặt trận").await;
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(own.body.contains("không phải tổ chức của bạn"));

    let slip_of = |r: &support::Resp| {
        r.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("__Host-mb-slip="))
            .and_then(|c| c.split(';').next())
            .unwrap()
            .to_owned()
    };
    let what = "Người dân phản ánh qua Mặt trận WHATPARTNER";
    let followed = register(hoankiem.clone(), true, what).await;
    assert_eq!(followed.status, 303, "{}", followed.body);
    let slip = app
        .get(
            "/staff/register/slip",
            Some(&format!("{partner}; {}", slip_of(&followed))),
        )
        .await;
    let receipt = slip.receipt();
    let reference = slip.body[slip.body.find("HN-").unwrap()..][..17].to_owned();
    let unfollowed = register(hoankiem, false, "Không cho theo dõi").await;
    let slip2 = app
        .get(
            "/staff/register/slip",
            Some(&format!("{partner}; {}", slip_of(&unfollowed))),
        )
        .await;
    let other_ref = slip2.body[slip2.body.find("HN-").unwrap()..][..17].to_owned();

    // The citizen follows with the slip's code; the ward's desk has it, forwarded by the Front.
    let reporter = app.reporter_cookie(&receipt).await;
    assert!(app
        .get("/status/case", Some(&reporter))
        .await
        .body
        .contains(what));
    let desk = app.staff_cookie("hoankiem.tiepnhan").await;
    let seen = app
        .get(&format!("/staff/cases/{reference}"), Some(&desk))
        .await;
    assert!(seen
        .body
        .contains("Ủy ban Mặt trận Tổ quốc Việt Nam Thành phố Hà Nội"));
    let page = app
        .get(&format!("/staff/cases/{reference}"), Some(&desk))
        .await;
    let desk_csrf = hidden(&page.body, "csrf");
    let r = app
        .post_form(
            &format!("/staff/cases/{reference}/decision"),
            &[("csrf", &desk_csrf), ("kind", "start_triage")],
            Some(&desk),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // The desk finds what the Front forwarded, followed or not, and nothing else under it.
    let demo_ref = app
        .submit_api_to("land", "Không qua Mặt trận", Some("hoankiem"))
        .await
        .0;
    let by_partner = app
        .get(&format!("/staff/inbox?partner={mttq_id}"), Some(&desk))
        .await;
    assert!(by_partner.body.contains("id=\"f-partner\""));
    assert!(by_partner.body.contains(&reference) && by_partner.body.contains(&other_ref));
    assert!(
        !by_partner.body.contains(&demo_ref),
        "not forwarded by the Front"
    );
    assert!(app
        .get("/staff/inbox", Some(&desk))
        .await
        .body
        .contains(&demo_ref));

    // The partner sees the state and deadlines of what it may follow, and nothing else.
    let list = app.get("/partner/cases", Some(&partner)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&reference));
    assert!(!list.body.contains(&other_ref), "the person did not agree");
    let one = app
        .get(&format!("/partner/cases/{reference}"), Some(&partner))
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert!(one.body.contains("Ủy ban nhân dân phường Hoàn Kiếm"));
    assert!(one.body.contains("id=\"clocks\""));
    assert!(!one.body.contains("WHATPARTNER"), "never the content");
    for other in [other_ref.as_str(), "HN-2026-000000001"] {
        let r = app
            .get(&format!("/partner/cases/{other}"), Some(&partner))
            .await;
        assert_eq!(r.status, 404, "{other}");
    }
    let demo_case = app.submit_api("land", "Một phản ánh khác").await.0;
    assert_eq!(
        app.get(&format!("/partner/cases/{demo_case}"), Some(&partner))
            .await
            .status,
        404
    );
    assert_ne!(
        app.get(&format!("/staff/cases/{reference}"), Some(&partner))
            .await
            .status,
        200,
        "a partner never opens the case itself"
    );
    assert_eq!(app.get("/partner/cases", Some(&desk)).await.status, 403);

    // The partner's own system follows the same cases over the API, with Open311's names.
    let token = app.staff_token("mttq.doitac").await;
    let list = app.get_json("/api/v1/partner/requests", &token).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(!list.body.contains("WHATPARTNER"), "never the content");
    assert!(!list.body.contains(&other_ref));
    let all: serde_json::Value = serde_json::from_str(&list.body).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1, "{}", list.body);
    let one = app
        .get_json(&format!("/api/v1/partner/requests/{reference}"), &token)
        .await;
    assert_eq!(one.status, 200, "{}", one.body);
    let one: serde_json::Value = serde_json::from_str(&one.body).unwrap();
    assert_eq!(one, all[0]);
    assert_eq!(one["service_request_id"], reference.as_str());
    assert_eq!(one["status"], "open");
    assert_eq!(one["state"], "TRIAGE");
    assert_eq!(one["service_code"], "land");
    assert_eq!(
        one["agency_responsible"],
        "Ủy ban nhân dân phường Hoàn Kiếm"
    );
    assert!(one["requested_datetime"]
        .as_str()
        .unwrap()
        .starts_with("2026-11-27T"));
    let expected = one["expected_datetime"].as_str().unwrap();
    assert!(
        expected.starts_with("2026-12-") && expected.ends_with("T23:59:59+07:00"),
        "the triage deadline: {expected}"
    );
    assert!(one["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["clock"] == "triage" && d["met"].is_null()));
    let kinds: Vec<&str> = one["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"start_triage"), "{kinds:?}");
    for other in [other_ref.as_str(), demo_case.as_str(), "HN-2026-000000001"] {
        let r = app
            .get_json(&format!("/api/v1/partner/requests/{other}"), &token)
            .await;
        assert_eq!(r.status, 404, "{other}: {}", r.body);
    }
    let desk_token = app.staff_token("hoankiem.tiepnhan").await;
    assert_eq!(
        app.get_json("/api/v1/partner/requests", &desk_token)
            .await
            .status,
        403
    );
}

/// After a conclusion (issue 8, must-have 7): the status page asks whether the reporter is
/// satisfied and offers the review by the body above (Art. 37); refusals come back beside
/// their fields; the superior's lead records the review's outcome, which the reporter reads.
async fn after_the_outcome_the_reporter_answers_and_the_superior_reviews(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (reference, receipt) = app
        .submit_api_to("land", "Phường cấp phép sai quy định", Some("hoankiem"))
        .await;
    let reporter = app.reporter_cookie(&receipt).await;
    let before = app.get("/status/case", Some(&reporter)).await;
    assert!(!before.body.contains("id=\"outcome\""), "no outcome yet");

    let lead = app.staff_token("hoankiem.lanhdao").await;
    for decision in [
        serde_json::json!({"kind": "start_triage"}),
        serde_json::json!({"kind": "accept", "track": "denunciation", "document_number": "4/QĐ-UBND"}),
        serde_json::json!({"kind": "start_verification"}),
        serde_json::json!({"kind": "conclude", "finding": "unfounded", "document_number": "5/KL-UBND"}),
    ] {
        let r = app.transition_api(&lead, &reference, decision).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    let reporter = app.reporter_cookie(&receipt).await;
    let page = app.get("/status/case", Some(&reporter)).await;
    assert!(page.body.contains("id=\"outcome\""), "{}", page.body);
    assert!(page.body.contains("Bạn có hài lòng"));
    assert!(page
        .body
        .contains("đề nghị Thanh tra Thành phố Hà Nội xem xét lại (Luật Tố cáo, Điều 37)"));
    // 30 days after Friday 27 November is Sunday 27 December: the next working day.
    assert!(
        page.body.contains("đến hết ngày 28/12/2026"),
        "{}",
        page.body
    );
    let csrf = hidden(&page.body, "csrf");
    let odd = app
        .post_form(
            "/status/case/outcome",
            &[("csrf", &csrf), ("satisfied", "maybe")],
            Some(&reporter),
        )
        .await;
    assert_eq!(odd.status, 422);
    assert!(odd.body.contains("id=\"satisfied-error\""));
    let r = app
        .post_form(
            "/status/case/outcome",
            &[("csrf", &csrf), ("satisfied", "no")],
            Some(&reporter),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let empty = app
        .post_form(
            "/status/case/review",
            &[("csrf", &csrf), ("grounds", " ")],
            Some(&reporter),
        )
        .await;
    assert_eq!(empty.status, 422);
    assert!(empty.body.contains("aria-describedby=\"grounds-error\""));
    for _ in 0..2 {
        let r = app
            .post_form(
                "/status/case/review",
                &[
                    ("csrf", &csrf),
                    ("grounds", "Có tình tiết mới chưa được xem xét"),
                ],
                Some(&reporter),
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let after = app.get("/status/case?done=review", Some(&reporter)).await;
    assert!(after
        .body
        .contains("Đề nghị của bạn đã được gửi đến cơ quan cấp trên."));
    assert!(after.body.contains("Bạn đã cho biết chưa hài lòng"));
    assert!(after
        .body
        .contains("Bạn đã đề nghị Thanh tra Thành phố Hà Nội xem xét lại việc giải quyết."));
    assert!(
        !after.body.contains("action=\"/status/case/review\""),
        "asked once"
    );

    // The city inspectorate's lead is told and decides; others may not.
    let superior = app.staff_cookie("tttp.lanhdao").await;
    let notes = app.get("/staff/notifications", Some(&superior)).await;
    assert!(notes
        .body
        .contains(&format!("href=\"/staff/re-reviews#review-{reference}\"")));
    let list = app.get("/staff/re-reviews", Some(&superior)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&reference));
    assert!(
        list.body.contains("href=\"/staff/re-reviews\""),
        "in the staff bar"
    );
    let handler = app.staff_cookie("tttp.xuly").await;
    assert_eq!(
        app.get("/staff/re-reviews", Some(&handler)).await.status,
        403
    );
    let csrf = hidden(&list.body, "csrf");
    let missing = app
        .post_form(
            &format!("/staff/re-reviews/{reference}"),
            &[
                ("csrf", &csrf),
                ("outcome", "resolve_again"),
                ("document_number", ""),
            ],
            Some(&superior),
        )
        .await;
    assert_eq!(missing.status, 422);
    assert!(missing
        .body
        .contains(&format!("aria-describedby=\"doc-{reference}-error\"")));
    let ward = app.staff_cookie("hoankiem.lanhdao").await;
    let ward_csrf = hidden(&app.get("/staff/inbox", Some(&ward)).await.body, "csrf");
    let r = app
        .post_form(
            &format!("/staff/re-reviews/{reference}"),
            &[
                ("csrf", &ward_csrf),
                ("outcome", "upheld"),
                ("document_number", "1/QĐ"),
            ],
            Some(&ward),
        )
        .await;
    assert_eq!(r.status, 404, "the ward does not review its own resolution");
    let r = app
        .post_form(
            &format!("/staff/re-reviews/{reference}"),
            &[
                ("csrf", &csrf),
                ("outcome", "resolve_again"),
                ("document_number", "12/QĐ-TTTP"),
            ],
            Some(&superior),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mine = app.get("/status/case", Some(&reporter)).await;
    assert!(mine.body.contains(
        "Thanh tra Thành phố Hà Nội xác định việc giải quyết chưa đúng pháp luật: vụ việc được giải quyết lại."
    ));
    assert!(mine.body.contains("Quyết định số 12/QĐ-TTTP"));
}
