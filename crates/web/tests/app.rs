//! The web integration suite: a real server on a free port, a temporary database, a fixed clock.
//! Every test runs on SQLite, and on PostgreSQL when `MINHBACH_TEST_POSTGRES` holds a URL
//! (each test then gets its own schema). Without the variable the PostgreSQL variants say
//! loudly that they were skipped.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::Engine;

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::specs::$name(super::Engine::Sqlite).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                if super::support::postgres_url().is_none() {
                    // Straight to stderr: the test harness would swallow eprintln! of a passing test.
                    use std::io::Write;
                    let _ = writeln!(std::io::stderr(), "SKIPPED {} on PostgreSQL: set MINHBACH_TEST_POSTGRES to run it", stringify!($name));
                    return;
                }
                super::specs::$name(super::Engine::Postgres).await;
            })*
        }
    };
}

on_both_engines!(
    a_stolen_database_reveals_no_report_text_identity_message_or_receipt,
    a_reporter_submits_with_plain_forms_and_converses_with_the_agency,
    the_receipt_opens_the_case_and_wrong_receipts_get_one_generic_answer_then_a_pause,
    another_agencys_officer_gets_no_access_and_no_key_until_forwarded,
    intake_decisions_move_the_case_and_are_recorded,
    bad_input_gets_a_clear_localized_error_and_writes_nothing,
    the_same_report_form_submitted_twice_records_one_case,
    every_page_renders_in_vietnamese_and_english,
    the_inbox_pages_newest_and_oldest_first,
    admins_and_auditors_read_no_content,
    staff_who_read_content_need_a_second_factor_that_works_once,
    forwarding_is_accountable_per_hop_and_ping_pong_needs_the_lead,
    a_duplicate_links_to_the_original,
    a_denunciation_walks_every_state_with_hand_computed_deadlines,
    an_overdue_case_is_flagged_and_escalated_once_by_the_scheduler,
    a_crime_referral_is_followed_to_the_investigators_decision,
    an_overseer_sees_every_agencys_deadlines_but_no_content,
    every_route_answers_every_role_as_the_policy_says,
    a_report_against_the_ward_chairman_is_kept_from_the_wards_leaders,
    a_named_reporters_identity_is_released_by_two_custodians_and_the_reporter_is_told_first,
    the_decoy_code_answers_like_a_real_receipt_and_protection_is_asked_with_plain_forms,
    a_burst_of_reports_is_held_for_the_desk_and_a_flood_is_refused_with_the_text_kept,
    evidence_files_are_stripped_shown_to_the_reporter_sealed_and_downloaded_clean,
    a_refused_or_expired_file_sends_nothing_and_keeps_the_text,
    the_lead_places_and_lifts_a_legal_hold_from_the_case_page,
    the_receipt_page_survives_a_reload_until_written_down_and_never_resends,
    the_status_page_names_the_step_awaited_and_its_legal_source_in_the_readers_language,
    the_auditor_filters_the_log_to_one_case_exports_it_and_sees_the_chain_status,
    the_overseer_opens_any_cases_clocks_and_timeline_but_no_content,
);

mod specs {
    use super::support::*;
    use minhbach_store::Store;
    use sqlx::Row;

    pub async fn a_stolen_database_reveals_no_report_text_identity_message_or_receipt(
        engine: Engine,
    ) {
        let app = TestApp::spawn(engine).await;
        let text_marker = "WHATMARKER7f3a9";
        let name_marker = "NAMEMARKERc81d2";
        let msg_marker = "MSGMARKER55e0b";
        let reasons_marker = "REASONMARKER9911";
        let form = app.report_form().await;
        let receipt_page = app
            .post_form(
                "/report",
                &[
                    ("token", form.as_str()),
                    ("category", "land"),
                    ("what", &format!("Cán bộ nhận hối lộ {text_marker}")),
                    ("who", "Ông X"),
                    ("identity", "confidential"),
                    ("name", &format!("Nguyễn Văn {name_marker}")),
                    ("contact", "0900000000"),
                ],
                None,
            )
            .await;
        assert_eq!(receipt_page.status, 200, "{}", receipt_page.body);
        let receipt = receipt_page.receipt();
        let reporter = app.reporter_login(&receipt).await;
        let case = app.reporter_case_json(&reporter).await;
        let reference = case["reference"].as_str().unwrap().to_owned();
        app.reporter_message_api(&reporter, msg_marker).await;
        let officer = app.staff_token("tttp.tiepnhan").await;
        app.transition_api(
            &officer,
            &reference,
            serde_json::json!({"kind": "start_triage"}),
        )
        .await;
        let r = app
            .transition_api(
                &officer,
                &reference,
                serde_json::json!({"kind": "not_accept", "reasons": reasons_marker}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        let dump = app.dump_everything().await;
        let receipt_plain = receipt.replace('-', "");
        assert!(
            !contains(&dump, minhbach_app::demo::DEMO_TOTP_SECRET),
            "staff second-factor secrets are sealed"
        );
        for marker in [
            text_marker,
            name_marker,
            msg_marker,
            reasons_marker,
            receipt.as_str(),
            receipt_plain.as_str(),
        ] {
            assert!(
                !contains(&dump, marker.as_bytes()),
                "{marker} found in clear in the database or data directory"
            );
            let hex_marker = hex::encode(marker.as_bytes());
            assert!(
                !contains(&dump, hex_marker.as_bytes()),
                "{marker} found hex-encoded"
            );
        }
        // The check itself works: the reference and category are stored in clear.
        assert!(contains(&dump, reference.as_bytes()));
        // And the content is really there, readable by the entitled officer.
        let seen = app
            .get_json(&format!("/api/v1/staff/cases/{reference}"), &officer)
            .await;
        assert!(
            seen.body.contains(text_marker)
                && seen.body.contains(msg_marker)
                && seen.body.contains(reasons_marker)
        );
        assert!(
            !seen.body.contains(name_marker),
            "the identity is sealed apart from the case"
        );
    }

    pub async fn a_reporter_submits_with_plain_forms_and_converses_with_the_agency(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        // Reporter, no script: GET the form, POST it.
        let token = app.report_form().await;
        let page = app
            .post_form(
                "/report",
                &[
                    ("token", token.as_str()),
                    ("category", "construction"),
                    ("agency", &app.agency("hoankiem").to_string()),
                    ("what", "Công trình xây trái phép trên phố Hàng Bạc"),
                    ("when", "Tháng 11/2026"),
                    ("where", "Phố Hàng Bạc"),
                    ("identity", "anonymous"),
                ],
                None,
            )
            .await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("HN-2026-"), "reference shown");
        assert_eq!(page.header("cache-control").as_deref(), Some("no-store"));
        let receipt = page.receipt();
        // Come back with the receipt (a plain form) and read the status page.
        let status_token = app.form_token("/status").await;
        let open = app
            .post_form(
                "/status",
                &[
                    ("token", status_token.as_str()),
                    ("receipt", &receipt.to_lowercase()),
                ],
                None,
            )
            .await;
        assert_eq!(open.status, 303);
        let cookie = open.cookie().expect("reporter session cookie");
        assert!(open.header("set-cookie").unwrap().contains("HttpOnly"));
        assert!(open
            .header("set-cookie")
            .unwrap()
            .contains("SameSite=Strict"));
        let status = app.get("/status/case", Some(&cookie)).await;
        assert_eq!(status.status, 200);
        assert!(status.body.contains("Công trình xây trái phép"));
        assert!(status.body.contains("Ủy ban nhân dân phường Hoàn Kiếm"));
        let reference = status.body.split("HN-2026-").nth(1).unwrap()[..9].to_owned();
        let reference = format!("HN-2026-{reference}");

        // The officer finds it in the inbox, opens it, replies (all plain forms).
        let officer = app.staff_cookie("hoankiem.tiepnhan").await;
        let inbox = app.get("/staff/inbox", Some(&officer)).await;
        assert!(inbox.body.contains(&reference), "{}", inbox.body);
        let case_page = app
            .get(&format!("/staff/cases/{reference}"), Some(&officer))
            .await;
        assert!(case_page.body.contains("Công trình xây trái phép"));
        let csrf = hidden(&case_page.body, "csrf");
        let reply = app
            .post_form(
                &format!("/staff/cases/{reference}/messages"),
                &[
                    ("csrf", csrf.as_str()),
                    ("body", "Xin cung cấp số nhà cụ thể."),
                ],
                Some(&officer),
            )
            .await;
        assert_eq!(reply.status, 303);
        // Finding L1: the JSON API takes no CSRF token, so it does not take the browser's
        // session cookie either (another site could post with it).
        for (path, session) in [
            (
                format!("/api/v1/staff/cases/{reference}/messages"),
                &officer,
            ),
            ("/api/v1/reporter/messages".to_owned(), &cookie),
        ] {
            let req = app
                .client
                .post(format!("{}{path}", app.base))
                .header("cookie", session.as_str())
                .json(&serde_json::json!({"body": "Gửi từ trang khác"}));
            let r = app.send(req).await;
            assert_eq!(r.status, 401, "{path}: {}", r.body);
        }
        let inbox_api = app.get("/api/v1/staff/inbox", Some(&officer)).await;
        assert_eq!(inbox_api.status, 401);

        // The reporter reads the reply and answers.
        let status = app.get("/status/case", Some(&cookie)).await;
        assert!(status.body.contains("Xin cung cấp số nhà cụ thể."));
        let rcsrf = hidden(&status.body, "csrf");
        let answer = app
            .post_form(
                "/status/case/messages",
                &[("csrf", rcsrf.as_str()), ("body", "Số 12 Hàng Bạc.")],
                Some(&cookie),
            )
            .await;
        assert_eq!(answer.status, 303);
        let case_page = app
            .get(&format!("/staff/cases/{reference}"), Some(&officer))
            .await;
        assert!(case_page.body.contains("Số 12 Hàng Bạc."));
        // A message form without the CSRF token is refused and writes nothing.
        let forged = app
            .post_form(
                "/status/case/messages",
                &[("body", "giả mạo")],
                Some(&cookie),
            )
            .await;
        assert_eq!(forged.status, 403);
        let case_page = app
            .get(&format!("/staff/cases/{reference}"), Some(&officer))
            .await;
        assert!(!case_page.body.contains("giả mạo"));
    }

    pub async fn the_receipt_opens_the_case_and_wrong_receipts_get_one_generic_answer_then_a_pause(
        engine: Engine,
    ) {
        let app = TestApp::spawn(engine).await;
        let (_, receipt) = app.submit_api("land", "Thu tiền sai quy định").await;
        let token = app.reporter_login(&receipt).await;
        assert_eq!(app.reporter_case_json(&token).await["state"], "RECEIVED");

        let wrong_a = app
            .post_json(
                "/api/v1/reporter/session",
                serde_json::json!({"receipt": "AAAA-AAAA-AAAA-AAAA"}),
                None,
            )
            .await;
        let wrong_b = app
            .post_json(
                "/api/v1/reporter/session",
                serde_json::json!({"receipt": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"}),
                None,
            )
            .await;
        assert_eq!(wrong_a.status, 404);
        assert_eq!(
            wrong_a.body, wrong_b.body,
            "every wrong receipt gets the same answer"
        );
        let malformed = app
            .post_json(
                "/api/v1/reporter/session",
                serde_json::json!({"receipt": "12"}),
                None,
            )
            .await;
        assert_eq!(malformed.status, 400);
        assert!(malformed.body.contains("error-receipt-format"));
        // The test server allows callers without a form 4 wrong tries a minute between them:
        // the fourth pauses them all, the right receipt included.
        app.post_json(
            "/api/v1/reporter/session",
            serde_json::json!({"receipt": "BBBB-BBBB-BBBB-BBBB"}),
            None,
        )
        .await;
        let paused = app
            .post_json(
                "/api/v1/reporter/session",
                serde_json::json!({"receipt": receipt}),
                None,
            )
            .await;
        assert_eq!(paused.status, 429, "{}", paused.body);
        // Finding M3: that guessing does not lock out a reporter who uses a form, in HTML or
        // in the API.
        let status = |token: String, receipt: String| {
            let app = &app;
            async move {
                app.post_form("/status", &[("token", &token), ("receipt", &receipt)], None)
                    .await
            }
        };
        let opened = status(app.form_token("/status").await, receipt.clone()).await;
        assert_eq!(opened.status, 303, "{}", opened.body);
        let form = app.get("/api/v1/reporter/form", None).await;
        let form: serde_json::Value = serde_json::from_str(&form.body).unwrap();
        let api = app
            .post_json(
                "/api/v1/reporter/session",
                serde_json::json!({"receipt": receipt, "form": form["token"]}),
                None,
            )
            .await;
        assert_eq!(api.status, 200, "{}", api.body);
        // One form allows 3 wrong tries (test setting); then that form is paused, with a
        // localized answer, while a fresh form still opens the case.
        let guessing = app.form_token("/status").await;
        for _ in 0..3 {
            let r = status(guessing.clone(), "CCCC-CCCC-CCCC-CCCC".into()).await;
            assert_eq!(r.status, 404);
        }
        let html = status(guessing, receipt.clone()).await;
        assert_eq!(html.status, 429);
        assert!(
            html.body.contains("Có quá nhiều lần thử"),
            "localized: {}",
            html.body
        );
        let fresh = status(app.form_token("/status").await, receipt.clone()).await;
        assert_eq!(fresh.status, 303, "{}", fresh.body);
        // Finding L5: a sign-in form works only in the browser it was given to. Another site
        // that posts its own valid token from a victim's browser (which lacks that site's
        // binding cookie, or has its own) signs nobody in.
        for (path, fields) in [
            ("/status", vec![("receipt", receipt.clone())]),
            (
                "/staff/login",
                vec![
                    ("username", "tttp.tiepnhan".to_owned()),
                    ("password", minhbach_app::demo::DEMO_PASSWORD.to_owned()),
                    ("code", app.next_code()),
                ],
            ),
        ] {
            let attackers = app.form_token(path).await;
            app.forget_binding();
            let mut with_token = vec![("token", attackers.as_str())];
            with_token.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
            let bare = app.post_form(path, &with_token, None).await;
            assert_eq!(bare.status, 403, "{path}: {}", bare.body);
            assert!(bare.cookie().is_none(), "{path}: no session");
            let _victims = app.form_token(path).await;
            let crossed = app.post_form(path, &with_token, None).await;
            assert_eq!(crossed.status, 403, "{path}: {}", crossed.body);
            assert!(crossed.cookie().is_none(), "{path}: no session");
        }
        app.clock.advance(time::Duration::seconds(61));
        let again = app
            .post_json(
                "/api/v1/reporter/session",
                serde_json::json!({"receipt": receipt}),
                None,
            )
            .await;
        assert_eq!(again.status, 200, "{}", again.body);
    }

    pub async fn another_agencys_officer_gets_no_access_and_no_key_until_forwarded(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, _) = app
            .submit_api_to("land", "Sai phạm đất đai ở phường", Some("hoankiem"))
            .await;
        let outsider = app.staff_token("caugiay.tiepnhan").await;
        let outsider_cookie = app.staff_cookie("caugiay.tiepnhan").await;
        let api = app
            .get_json(&format!("/api/v1/staff/cases/{reference}"), &outsider)
            .await;
        assert_eq!(api.status, 404);
        assert!(!api.body.contains("Sai phạm"));
        let html = app
            .get(&format!("/staff/cases/{reference}"), Some(&outsider_cookie))
            .await;
        assert_eq!(html.status, 404);
        assert!(!html.body.contains("Sai phạm"));
        let inbox = app.get_json("/api/v1/staff/inbox", &outsider).await;
        assert!(!inbox.body.contains(&reference));
        let caugiay_users = app.users_of("caugiay").await;
        let hoankiem_users = app.users_of("hoankiem").await;
        let case = app
            .store
            .case_by_reference(&reference)
            .await
            .unwrap()
            .unwrap();
        for user in &caugiay_users {
            assert!(
                app.store
                    .case_key_for(case.id, *user)
                    .await
                    .unwrap()
                    .is_none(),
                "no wrap for another agency"
            );
        }
        // Forward it: the receiving agency's officers can now read it, the sender's cannot.
        let officer = app.staff_token("hoankiem.tiepnhan").await;
        let fw = app
            .transition_api(&officer, &reference, serde_json::json!({"kind": "forward", "to_agency": app.agency("caugiay").to_string(), "reasons": "Thuộc địa bàn phường Cầu Giấy"}))
            .await;
        assert_eq!(fw.status, 200, "{}", fw.body);
        let api = app
            .get_json(&format!("/api/v1/staff/cases/{reference}"), &outsider)
            .await;
        assert_eq!(api.status, 200, "{}", api.body);
        assert!(api.body.contains("Sai phạm đất đai"));
        let back = app
            .get_json(&format!("/api/v1/staff/cases/{reference}"), &officer)
            .await;
        assert_eq!(back.status, 404, "the forwarding agency no longer holds it");
        for user in &hoankiem_users {
            assert!(app
                .store
                .case_key_for(case.id, *user)
                .await
                .unwrap()
                .is_none());
        }
        // The reporter sees which body is responsible now.
        let reporter = app.reporter_login(&app.receipt_of(&reference)).await;
        let view = app.reporter_case_json(&reporter).await;
        assert_eq!(view["state"], "FORWARDED");
        assert_eq!(view["agency"]["name_vi"], "Ủy ban nhân dân phường Cầu Giấy");
    }

    pub async fn intake_decisions_move_the_case_and_are_recorded(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, _) = app.submit_api("budget", "Chi sai ngân sách").await;
        let officer = app.staff_cookie("tttp.tiepnhan").await;
        let page = app
            .get(&format!("/staff/cases/{reference}"), Some(&officer))
            .await;
        let csrf = hidden(&page.body, "csrf");
        let path = format!("/staff/cases/{reference}/decision");
        let decide = |fields: Vec<(&'static str, &'static str)>| {
            let mut all = vec![("csrf", csrf.clone())];
            all.extend(fields.into_iter().map(|(k, v)| (k, v.to_owned())));
            all
        };
        let post = |fields: Vec<(&'static str, String)>| {
            let (app, path, officer) = (&app, path.clone(), officer.clone());
            async move {
                let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                app.post_form(&path, &f, Some(&officer)).await
            }
        };
        // Accepting straight from RECEIVED is not allowed.
        let early = post(decide(vec![
            ("kind", "accept"),
            ("track", "denunciation"),
            ("document_number", "01/QĐ"),
        ]))
        .await;
        assert_eq!(early.status, 409);
        assert!(early.body.contains("Không thể thực hiện quyết định này"));
        assert_eq!(
            post(decide(vec![("kind", "start_triage")])).await.status,
            303
        );
        // Refusing without reasons, or accepting without a decision number, is refused.
        let no_reasons = post(decide(vec![("kind", "not_accept"), ("reasons", " ")])).await;
        assert_eq!(no_reasons.status, 422);
        let no_number = post(decide(vec![("kind", "accept"), ("track", "denunciation")])).await;
        assert_eq!(no_number.status, 422);
        assert!(
            no_number.body.contains("Số văn bản"),
            "the missing field is named"
        );
        // A handler may not decide at intake.
        let handler = app.staff_token("tttp.xuly").await;
        let r = app
            .transition_api(
                &handler,
                &reference,
                serde_json::json!({"kind": "classify", "track": "petition"}),
            )
            .await;
        assert_eq!(r.status, 404);
        let accept = post(decide(vec![
            ("kind", "accept"),
            ("track", "denunciation"),
            ("document_number", "12/QĐ-TTTP"),
            ("decision_date", "2026-11-27"),
            ("legal_basis", "Điều 29 Luật Tố cáo"),
            ("note", "Đủ điều kiện thụ lý"),
        ]))
        .await;
        assert_eq!(accept.status, 303, "{}", accept.body);
        let case = app
            .store
            .case_by_reference(&reference)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (case.state.code(), case.track.map(|t| t.code())),
            ("ACCEPTED", Some("denunciation"))
        );
        // The lead assigns a handler, who receives the key and carries on.
        let lead = app.staff_token("tttp.lanhdao").await;
        let handler_id = app.users_of("tttp").await;
        let handler_record = app
            .store
            .user_by_username("tttp.xuly")
            .await
            .unwrap()
            .unwrap();
        assert!(handler_id.contains(&handler_record.id));
        assert!(app
            .store
            .case_key_for(case.id, handler_record.id)
            .await
            .unwrap()
            .is_none());
        let r = app
            .transition_api(
                &lead,
                &reference,
                serde_json::json!({"kind": "assign", "handler": handler_record.id.0.to_string()}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(app
            .store
            .case_key_for(case.id, handler_record.id)
            .await
            .unwrap()
            .is_some());
        let r = app
            .transition_api(
                &handler,
                &reference,
                serde_json::json!({"kind": "start_verification"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let seen = app
            .get_json(&format!("/api/v1/staff/cases/{reference}"), &handler)
            .await;
        assert!(
            seen.body.contains("Chi sai ngân sách"),
            "the assigned handler reads the case"
        );
        // Only the lead signs an extension.
        let ext = serde_json::json!({"kind": "extend", "complexity": "complex", "reasons": "Nhiều nội dung"});
        let refused = app.transition_api(&handler, &reference, ext.clone()).await;
        assert_eq!(
            refused.status, 403,
            "the handler reads the case but may not extend"
        );
        assert!(refused.body.contains("error-forbidden"));
        assert_eq!(app.transition_api(&lead, &reference, ext).await.status, 200);
        let events = app.store.events(case.id).await.unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "submitted",
                "start_triage",
                "accept",
                "assign",
                "start_verification",
                "extend"
            ]
        );
        let accepted = &events[2];
        assert_eq!(accepted.document_number.as_deref(), Some("12/QĐ-TTTP"));
        assert_eq!(accepted.decision_date.as_deref(), Some("2026-11-27"));
        let log = app.store.audit_log().await.unwrap();
        let transitions = log
            .iter()
            .filter(|e| e.action == "case.transition" && e.case == Some(case.id))
            .count();
        assert_eq!(transitions, 5);
        assert!(
            log.iter()
                .any(|e| e.action == "case.read" && e.case == Some(case.id)),
            "reads are audited"
        );
        let reporter = app.reporter_login(&app.receipt_of(&reference)).await;
        assert_eq!(
            app.reporter_case_json(&reporter).await["state"],
            "VERIFYING"
        );
        let html = app
            .get(
                "/status/case",
                Some(&app.reporter_cookie(&app.receipt_of(&reference)).await),
            )
            .await;
        assert!(html.body.contains("đang xác minh"));
        // The case page shows the timeline with the decision number and the track.
        let page = app
            .get(&format!("/staff/cases/{reference}"), Some(&officer))
            .await;
        assert!(page.body.contains("12/QĐ-TTTP") && page.body.contains("Tố cáo"));
    }

    pub async fn forwarding_is_accountable_per_hop_and_ping_pong_needs_the_lead(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, _) = app
            .submit_api_to("land", "Lấn chiếm đất công", Some("hoankiem"))
            .await;
        let hk = app.staff_token("hoankiem.tiepnhan").await;
        let cg = app.staff_token("caugiay.tiepnhan").await;
        let fw = |to: &str| serde_json::json!({"kind": "forward", "to_agency": app.agency(to).to_string(), "reasons": "Không thuộc địa bàn"});
        assert_eq!(
            app.transition_api(&hk, &reference, fw("caugiay"))
                .await
                .status,
            200
        );
        // The receiving agency refuses with reasons: the case goes back to the sender.
        let refuse = app
            .transition_api(&cg, &reference, serde_json::json!({"kind": "refuse_forwarded", "reasons": "Thuộc phường Hoàn Kiếm"}))
            .await;
        assert_eq!(refuse.status, 200, "{}", refuse.body);
        let back = app
            .get_json(&format!("/api/v1/staff/cases/{reference}"), &hk)
            .await;
        assert_eq!(back.status, 200, "the sender holds it again");
        assert_eq!(back.json()["state"], "TRIAGE");
        // A second forwarding is ping-pong: the intake officer cannot, the lead can.
        let again = app.transition_api(&hk, &reference, fw("sxd")).await;
        assert_eq!(again.status, 403, "{}", again.body);
        assert!(again.body.contains("error-ping-pong"));
        let lead = app.staff_token("hoankiem.lanhdao").await;
        assert_eq!(
            app.transition_api(&lead, &reference, fw("sxd"))
                .await
                .status,
            200
        );
        let reporter = app.reporter_login(&app.receipt_of(&reference)).await;
        let view = app.reporter_case_json(&reporter).await;
        assert_eq!(
            view["agency"]["name_vi"], "Sở Xây dựng Hà Nội",
            "the reporter sees who is responsible now"
        );
        let sxd = app.staff_cookie("sxd.tiepnhan").await;
        let page = app
            .get(&format!("/staff/cases/{reference}"), Some(&sxd))
            .await;
        assert!(
            page.body.contains("đã chuyển 2 lần"),
            "ping-pong is flagged on the case"
        );
    }

    pub async fn a_duplicate_links_to_the_original(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (original, _) = app.submit_api("land", "Lần đầu").await;
        let (copy, _) = app.submit_api("land", "Lần hai, cùng việc").await;
        let officer = app.staff_token("tttp.tiepnhan").await;
        app.transition_api(&officer, &copy, serde_json::json!({"kind": "start_triage"}))
            .await;
        let unknown = app
            .transition_api(
                &officer,
                &copy,
                serde_json::json!({"kind": "mark_duplicate", "original": "HN-2026-999999"}),
            )
            .await;
        assert_eq!(unknown.status, 422);
        // Finding L2: another agency's case answers exactly as a case that does not exist, and
        // gets no link.
        let (elsewhere, _) = app
            .submit_api_to("land", "Ở phường khác", Some("caugiay"))
            .await;
        let probe = app
            .transition_api(
                &officer,
                &copy,
                serde_json::json!({"kind": "mark_duplicate", "original": elsewhere}),
            )
            .await;
        assert_eq!(
            (probe.status, probe.body.clone()),
            (unknown.status, unknown.body.clone())
        );
        let caugiay = app.staff_token("caugiay.tiepnhan").await;
        let theirs = app
            .get_json(&format!("/api/v1/staff/cases/{elsewhere}"), &caugiay)
            .await
            .json();
        assert_eq!(theirs["links"], serde_json::json!([]), "{theirs}");
        let r = app
            .transition_api(
                &officer,
                &copy,
                serde_json::json!({"kind": "mark_duplicate", "original": original}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let view = app
            .get_json(&format!("/api/v1/staff/cases/{original}"), &officer)
            .await
            .json();
        assert_eq!(view["links"][0][0], copy.as_str());
        let view = app
            .get_json(&format!("/api/v1/staff/cases/{copy}"), &officer)
            .await
            .json();
        assert_eq!(view["state"], "DUPLICATE");
        assert_eq!(view["links"][0][0], original.as_str());
    }

    pub async fn bad_input_gets_a_clear_localized_error_and_writes_nothing(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let before = app.count_cases().await;
        let audit_before = app.store.audit_log().await.unwrap().len();
        let token = app.report_form().await;
        // Empty text, unknown category and agency: the form comes back with the input kept.
        let r = app
            .post_form(
                "/report",
                &[
                    ("token", token.as_str()),
                    ("category", "weather"),
                    ("agency", "999"),
                    ("what", "   "),
                    ("who", "GIỮ-LẠI"),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(
            r.body.contains("Mục này là bắt buộc")
                && r.body.contains("Lĩnh vực không có trong danh sách")
                && r.body.contains("Cơ quan không có trong danh sách")
        );
        assert!(
            r.body.contains("GIỮ-LẠI"),
            "what the reporter typed is kept"
        );
        // Oversized text.
        let big = "x".repeat(20_001);
        let r = app
            .post_form(
                "/report",
                &[
                    ("token", token.as_str()),
                    ("category", "land"),
                    ("what", big.as_str()),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("Nội dung quá dài"));
        // Missing and wrong form tokens: refused, text kept, in English when asked.
        let r = app
            .post_form(
                "/report?lang=en",
                &[("category", "land"), ("what", "KEEP-ME")],
                None,
            )
            .await;
        assert_eq!(r.status, 403);
        assert!(r.body.contains("The form had expired") && r.body.contains("KEEP-ME"));
        let r = app
            .post_form(
                "/report",
                &[("token", "00ff"), ("category", "land"), ("what", "x")],
                None,
            )
            .await;
        assert_eq!(r.status, 403);
        // An oversized request body.
        let huge = "y".repeat(300 * 1024);
        let r = app
            .post_form(
                "/report",
                &[
                    ("token", token.as_str()),
                    ("category", "land"),
                    ("what", huge.as_str()),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, 413);
        assert!(r.body.contains("Nội dung gửi lên quá lớn"), "{}", r.body);
        let r = app.post_raw_json("/api/v1/reports", huge.clone()).await;
        assert_eq!(r.status, 413);
        assert!(r.body.contains("error-too-large"));
        // Malformed JSON and malformed receipts.
        let r = app
            .post_raw_json("/api/v1/reports", "{not json".into())
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("error-bad-request"));
        let r = app
            .post_form(
                "/status",
                &[
                    ("token", &app.form_token("/status").await),
                    ("receipt", "không phải mã"),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, 400);
        assert!(r.body.contains("Mã bí mật không đúng định dạng"));
        // Staff: a forged decision without CSRF, an empty reply, an unknown decision.
        let (reference, _) = app.submit_api("land", "Hồ sơ kiểm tra").await;
        let cases_now = app.count_cases().await;
        let officer = app.staff_cookie("tttp.tiepnhan").await;
        let r = app
            .post_form(
                &format!("/staff/cases/{reference}/decision"),
                &[("kind", "start_triage")],
                Some(&officer),
            )
            .await;
        assert_eq!(r.status, 403);
        assert!(r.body.contains("Biểu mẫu đã hết hạn"));
        let token = app.staff_token("tttp.tiepnhan").await;
        let r = app
            .post_json(
                &format!("/api/v1/staff/cases/{reference}/messages"),
                serde_json::json!({"body": ""}),
                Some(&token),
            )
            .await;
        assert_eq!(r.status, 422);
        let r = app
            .transition_api(&token, &reference, serde_json::json!({"kind": "explode"}))
            .await;
        assert_eq!(r.status, 422);
        let r = app
            .transition_api(
                &token,
                &reference,
                serde_json::json!({"kind": "forward", "to_agency": "999", "reasons": "x"}),
            )
            .await;
        assert_eq!(r.status, 422);
        let case = app
            .store
            .case_by_reference(&reference)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.state.code(), "RECEIVED", "nothing half-written");
        assert!(app.store.messages(case.id).await.unwrap().is_empty());
        assert_eq!(
            cases_now,
            before + 1,
            "only the one valid submission was recorded"
        );
        // Only the valid submission (+1) and the officer's sign-ins (+2) were audited.
        let audit_after = app.store.audit_log().await.unwrap().len();
        assert_eq!(audit_after, audit_before + 3);
        // No request above produced a server error.
        assert_eq!(app.server_errors(), 0);
    }

    pub async fn a_burst_of_reports_is_held_for_the_desk_and_a_flood_is_refused_with_the_text_kept(
        engine: Engine,
    ) {
        let app = TestApp::spawn_with(engine, time::macros::datetime!(2026-11-27 09:00 +7), |s| {
            s.reports_per_minute = 1;
            s.reports_ceiling_per_minute = 2;
        })
        .await;
        let send = |what: &'static str| {
            let app = &app;
            async move {
                let token = app.report_form().await;
                app.post_form(
                    "/report",
                    &[
                        ("token", token.as_str()),
                        ("category", "land"),
                        ("what", what),
                        ("identity", "anonymous"),
                    ],
                    None,
                )
                .await
            }
        };
        assert_eq!(send("Báo cáo thứ nhất").await.status, 200);
        let held = send("Báo cáo thứ hai trong đợt").await;
        assert_eq!(held.status, 200, "a held report still gets its receipt");
        let reference = held.body.split("HN-2026-").nth(1).unwrap()[..9].to_owned();
        let reference = format!("HN-2026-{reference}");
        let refused = send("Báo cáo thứ ba bị từ chối").await;
        assert_eq!(refused.status, 503);
        assert!(
            refused.body.contains("chưa được ghi nhận"),
            "{}",
            refused.body
        );
        assert!(
            refused.body.contains("Báo cáo thứ ba bị từ chối"),
            "the text is kept"
        );
        // The desk sees the held report, releases it with a plain form, and it is gone.
        let desk = app.staff_cookie("tttp.tiepnhan").await;
        let inbox = app.get("/staff/inbox", Some(&desk)).await;
        assert!(inbox.body.contains("/staff/held"), "{}", inbox.body);
        let list = app.get("/staff/held", Some(&desk)).await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains(&reference));
        let csrf = hidden(&list.body, "csrf");
        let released = app
            .post_form(
                &format!("/staff/held/{reference}"),
                &[("csrf", csrf.as_str())],
                Some(&desk),
            )
            .await;
        assert_eq!(released.status, 303, "{}", released.body);
        let list = app.get("/staff/held", Some(&desk)).await;
        assert!(!list.body.contains(&reference));
        // Roles that do not take reports in have no such page.
        let handler = app.staff_cookie("tttp.xuly").await;
        assert_eq!(app.get("/staff/held", Some(&handler)).await.status, 403);
    }

    pub async fn the_same_report_form_submitted_twice_records_one_case(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let before = app.count_cases().await;
        let token = app.report_form().await;
        let fields = [
            ("token", token.as_str()),
            ("category", "health"),
            ("what", "Bệnh viện thu tiền ngoài quy định"),
        ];
        let first = app.post_form("/report", &fields, None).await;
        assert_eq!(first.status, 200);
        let second = app.post_form("/report", &fields, None).await;
        assert_eq!(second.status, 409);
        assert!(second.body.contains("Phản ánh này đã được gửi rồi"));
        assert_eq!(app.count_cases().await, before + 1);
    }

    pub async fn every_page_renders_in_vietnamese_and_english(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, receipt) = app
            .submit_api("education", "Trường thu quỹ trái quy định")
            .await;
        let officer = app.staff_cookie("tttp.tiepnhan").await;
        let reporter = app.reporter_cookie(&receipt).await;
        let admin = app.staff_cookie("admin").await;
        let overseer = app.staff_cookie("giamsat").await;
        let pages: Vec<(String, Option<String>)> = vec![
            ("/".into(), None),
            ("/report".into(), None),
            ("/status".into(), None),
            ("/staff/login".into(), None),
            ("/status/case".into(), Some(reporter)),
            ("/staff/inbox".into(), Some(officer.clone())),
            ("/staff/inbox?order=oldest".into(), Some(officer.clone())),
            (format!("/staff/cases/{reference}"), Some(officer.clone())),
            ("/staff/notifications".into(), Some(officer.clone())),
            (
                "/staff/inbox?state=RECEIVED&overdue=1&due=week".into(),
                Some(officer.clone()),
            ),
            ("/staff/inbox".into(), Some(overseer)),
            ("/admin/legal".into(), Some(admin)),
            ("/no-such-page".into(), None),
        ];
        for (path, cookie) in pages {
            for (lang, probe) in [("vi", "Minh Bạch"), ("en", "Minh Bạch")] {
                let sep = if path.contains('?') { '&' } else { '?' };
                let r = app
                    .get(&format!("{path}{sep}lang={lang}"), cookie.as_deref())
                    .await;
                assert!(
                    r.status == 200 || path == "/no-such-page",
                    "{path} {lang}: {}",
                    r.status
                );
                assert!(
                    r.body.contains(&format!("<html lang=\"{lang}\">")),
                    "{path} {lang}"
                );
                assert!(r.body.contains(probe));
                // An untranslated message would show its id, which always contains a dash
                // between lowercase words and never appears in real text.
                for id in [
                    "site-name",
                    "landing-title",
                    "inbox-title",
                    "error-not-found",
                    "state-received",
                    "nav-report",
                ] {
                    assert!(
                        !r.body.contains(&format!(">{id}<")),
                        "{path} {lang} shows {id}"
                    );
                }
                assert!(!r.body.contains("<script"), "no script on {path}");
                assert!(r
                    .header("content-security-policy")
                    .unwrap()
                    .contains("frame-ancestors 'none'"));
                assert_eq!(r.header("referrer-policy").as_deref(), Some("no-referrer"));
                assert_eq!(
                    r.header("x-content-type-options").as_deref(),
                    Some("nosniff")
                );
            }
        }
        let en = app.get("/?lang=en", None).await;
        assert!(en
            .body
            .contains("Report corruption, waste and misconduct safely"));
        let switch = app.get("/lang/en?next=/report", None).await;
        assert_eq!(switch.status, 303);
        assert!(switch
            .header("set-cookie")
            .unwrap()
            .starts_with("mb_lang=en"));
        assert_eq!(switch.header("location").as_deref(), Some("/report"));
        // Finding M6: the switch never sends anyone off the site, and bad input is not a 500.
        for next in [
            "/%5Cevil.example",
            "/%5C%5Cevil.example",
            "/%09/evil.example",
            "//evil.example",
            "https://evil.example",
            "/%0D%0ASet-Cookie:%20x=y",
        ] {
            let r = app.get(&format!("/lang/en?next={next}"), None).await;
            assert_eq!(r.status, 303, "{next}");
            assert_eq!(r.header("location").as_deref(), Some("/"), "{next}");
        }
        // A page at an odd path links to itself, not to a decoded backslash.
        let odd = app.get("/%5Cevil.example", None).await;
        assert_eq!(odd.status, 404);
        assert!(
            odd.body.contains("/lang/en?next=/%255Cevil.example"),
            "{}",
            odd.body
        );
        let back = app.get("/lang/en?next=/%255Cevil.example", None).await;
        assert_eq!(back.header("location").as_deref(), Some("/%5Cevil.example"));
    }

    pub async fn the_inbox_pages_newest_and_oldest_first(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let mut refs = Vec::new();
        for i in 0..27 {
            app.clock.advance(time::Duration::minutes(1));
            refs.push(
                app.submit_api_to("other", &format!("Phản ánh số {i}"), Some("caugiay"))
                    .await
                    .0,
            );
        }
        let token = app.staff_token("caugiay.tiepnhan").await;
        let first = app
            .get_json("/api/v1/staff/inbox?order=newest", &token)
            .await
            .json();
        assert_eq!(first["total"], 27);
        assert_eq!(first["cases"].as_array().unwrap().len(), 25);
        assert_eq!(first["cases"][0]["reference"], refs[26].as_str());
        let second = app
            .get_json("/api/v1/staff/inbox?page=2", &token)
            .await
            .json();
        assert_eq!(second["cases"].as_array().unwrap().len(), 2);
        let oldest = app
            .get_json("/api/v1/staff/inbox?order=oldest", &token)
            .await
            .json();
        assert_eq!(oldest["cases"][0]["reference"], refs[0].as_str());
        let cookie = app.staff_cookie("caugiay.tiepnhan").await;
        let html = app
            .get("/staff/inbox?order=oldest&page=2", Some(&cookie))
            .await;
        assert!(html.body.contains(&refs[26]) && !html.body.contains(&refs[0]));
    }

    pub async fn admins_and_auditors_read_no_content(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, _) = app.submit_api("land", "NỘI-DUNG-MẬT").await;
        for user in ["admin", "kiemtoan", "tttp.xuly"] {
            let token = app.staff_token(user).await;
            let r = app
                .get_json(&format!("/api/v1/staff/cases/{reference}"), &token)
                .await;
            assert_eq!(r.status, 404, "{user}");
            assert!(!r.body.contains("NỘI-DUNG-MẬT"), "{user}");
        }
        let admin = app.staff_token("admin").await;
        assert_eq!(
            app.get_json("/api/v1/staff/inbox", &admin).await.status,
            403
        );
        let anonymous = app.get("/staff/inbox", None).await;
        assert_eq!(anonymous.status, 401);
        assert!(anonymous.body.contains("Bạn cần đăng nhập"));
    }

    pub async fn staff_who_read_content_need_a_second_factor_that_works_once(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let login = |code: String| serde_json::json!({"username": "tttp.tiepnhan", "password": minhbach_app::demo::DEMO_PASSWORD, "code": code});
        let none = app
            .post_json("/api/v1/staff/session", login(String::new()), None)
            .await;
        assert_eq!(none.status, 401);
        assert!(none.body.contains("error-bad-login"));
        let code = app.next_code();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_eq!(
            app.post_json("/api/v1/staff/session", login(wrong.into()), None)
                .await
                .status,
            401
        );
        let ok = app
            .post_json("/api/v1/staff/session", login(code.clone()), None)
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        let replay = app
            .post_json("/api/v1/staff/session", login(code), None)
            .await;
        assert_eq!(replay.status, 401, "a code opens one session only");
        // The sign-in page names the field; on the demo it shows the current demo code.
        let page = app.get("/staff/login", None).await;
        assert!(page.body.contains("name=\"code\"") && page.body.contains("mã hiện tại là"));
        // Roles that never read content sign in without it.
        let admin = app
            .post_json(
                "/api/v1/staff/session",
                serde_json::json!({"username": "admin", "password": minhbach_app::demo::DEMO_PASSWORD}),
                None,
            )
            .await;
        assert_eq!(admin.status, 200, "{}", admin.body);
    }

    /// LEGAL.md end to end, with dates computed by hand from the 2025-07-01 rule set and the 2026
    /// calendar (Tết 14–22 February; Hùng Kings on Sunday 26 April with Monday 27 April off;
    /// 30 April and 1 May).
    pub async fn a_denunciation_walks_every_state_with_hand_computed_deadlines(engine: Engine) {
        use time::macros::datetime;
        let app = TestApp::spawn_at(engine, datetime!(2026-02-12 09:00 +7)).await;
        let (reference, receipt) = app
            .submit_api("land", "Cán bộ địa chính thu tiền trái phép")
            .await;
        let officer = app.staff_token("tttp.tiepnhan").await;
        let clocks = app.clocks_of(&officer, &reference).await;
        // Acknowledgement: 7 calendar days → Thu 19 Feb, a Tết day off → next working day.
        assert!(
            clocks.contains(&("acknowledge".into(), Some("2026-02-23".into()), None, None)),
            "{clocks:?}"
        );
        // Triage: 7 working days after Thu 12 Feb: 13 Feb, then 23–27 Feb, then Mon 2 Mar.
        assert!(
            clocks.contains(&("triage".into(), Some("2026-03-02".into()), None, None)),
            "{clocks:?}"
        );
        let inbox = app.get_json("/api/v1/staff/inbox", &officer).await.json();
        let row = inbox["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["reference"] == reference.as_str())
            .unwrap()
            .clone();
        assert_eq!(row["due_on"], "2026-02-23");

        app.set_time(datetime!(2026-02-23 10:00 +7));
        let officer = app.staff_token("tttp.tiepnhan").await;
        let decide = |token: String, body: serde_json::Value| {
            let (app, reference) = (&app, reference.clone());
            async move {
                let r = app.transition_api(&token, &reference, body).await;
                assert_eq!(r.status, 200, "{}", r.body);
            }
        };
        decide(officer.clone(), serde_json::json!({"kind": "start_triage"})).await;
        app.set_time(datetime!(2026-02-25 10:00 +7));
        let officer = app.staff_token("tttp.tiepnhan").await;
        let lead = app.staff_token("tttp.lanhdao").await;
        // A decision dated after today would start its clocks in the future: refused, and the
        // case is unchanged (finding L8).
        for date in ["9999-12-31", "2026-02-26"] {
            let r = app
                .transition_api(&officer, &reference, serde_json::json!({"kind": "accept", "track": "denunciation", "document_number": "05/QĐ-TTTP", "decision_date": date}))
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            assert!(r.body.contains("field-date-future"), "{}", r.body);
        }
        // Before the triage clock started (the report came in on 2026-02-12): refused too.
        let r = app
            .transition_api(&officer, &reference, serde_json::json!({"kind": "accept", "track": "denunciation", "document_number": "05/QĐ-TTTP", "decision_date": "2026-02-11"}))
            .await;
        assert_eq!(r.status, 409, "{}", r.body);
        decide(officer.clone(), serde_json::json!({"kind": "accept", "track": "denunciation", "document_number": "05/QĐ-TTTP", "decision_date": "2026-02-25"})).await;
        let clocks = app.clocks_of(&officer, &reference).await;
        assert!(
            clocks.contains(&(
                "acknowledge".into(),
                Some("2026-02-23".into()),
                Some("2026-02-23".into()),
                Some(true)
            )),
            "{clocks:?}"
        );
        assert!(
            clocks.contains(&(
                "triage".into(),
                Some("2026-03-02".into()),
                Some("2026-02-25".into()),
                Some(true)
            )),
            "{clocks:?}"
        );
        // Resolution: 30 calendar days from Wed 25 Feb → Fri 27 Mar.
        assert!(
            clocks.contains(&("resolution".into(), Some("2026-03-27".into()), None, None)),
            "{clocks:?}"
        );

        let handler = app
            .store
            .user_by_username("tttp.xuly")
            .await
            .unwrap()
            .unwrap();
        decide(
            lead.clone(),
            serde_json::json!({"kind": "assign", "handler": handler.id.0.to_string()}),
        )
        .await;
        let xuly = app.staff_token("tttp.xuly").await;
        decide(
            xuly.clone(),
            serde_json::json!({"kind": "start_verification"}),
        )
        .await;
        // The written decisions below are recorded on 24 April with the dates they bear.
        app.set_time(datetime!(2026-04-24 16:00 +7));
        let (xuly, lead) = (
            app.staff_token("tttp.xuly").await,
            app.staff_token("tttp.lanhdao").await,
        );
        // Suspended on 10 March, resumed on 20 March: ten days do not count → Mon 6 Apr.
        decide(xuly.clone(), serde_json::json!({"kind": "suspend", "reasons": "Chờ kết quả giám định", "document_number": "07/QĐ", "decision_date": "2026-03-10"})).await;
        let reporter = app.reporter_login(&receipt).await;
        assert_eq!(
            app.reporter_case_json(&reporter).await["state"],
            "SUSPENDED"
        );
        decide(xuly.clone(), serde_json::json!({"kind": "resume", "document_number": "09/QĐ", "decision_date": "2026-03-20"})).await;
        let due = |clocks: Vec<ClockSeen>, name: &str| {
            clocks
                .into_iter()
                .find(|c| c.0 == name && c.2.is_none())
                .and_then(|c| c.1)
        };
        assert_eq!(
            due(app.clocks_of(&xuly, &reference).await, "resolution").as_deref(),
            Some("2026-04-06")
        );
        // Two extensions, each needing the lead and the right complexity: +30 → Wed 6 May, +30 → Fri 5 Jun.
        let second_first = serde_json::json!({"kind": "extend", "complexity": "complex", "reasons": "Nhiều nội dung", "decision_date": "2026-03-25"});
        decide(lead.clone(), second_first).await;
        assert_eq!(
            due(app.clocks_of(&xuly, &reference).await, "resolution").as_deref(),
            Some("2026-05-06")
        );
        let not_especially = app
            .transition_api(&lead, &reference, serde_json::json!({"kind": "extend", "complexity": "complex", "reasons": "Thêm", "decision_date": "2026-04-01"}))
            .await;
        assert_eq!(
            not_especially.status, 409,
            "a second extension needs an especially complex case"
        );
        assert!(not_especially
            .body
            .contains("error-deadline-extension-limit"));
        decide(lead.clone(), serde_json::json!({"kind": "extend", "complexity": "especially_complex", "reasons": "Đặc biệt phức tạp", "decision_date": "2026-04-01"})).await;
        assert_eq!(
            due(app.clocks_of(&xuly, &reference).await, "resolution").as_deref(),
            Some("2026-06-05")
        );
        let third = app
            .transition_api(&lead, &reference, serde_json::json!({"kind": "extend", "complexity": "especially_complex", "reasons": "Lần ba"}))
            .await;
        assert_eq!(third.status, 409, "no third extension");
        // Concluded Fri 24 April: handling has 7 working days, skipping Mon 27 April (compensatory
        // for Hùng Kings), 30 April and 1 May → Fri 8 May.
        decide(xuly.clone(), serde_json::json!({"kind": "conclude", "finding": "partly", "document_number": "20/KL-TTTP", "decision_date": "2026-04-24"})).await;
        let clocks = app.clocks_of(&xuly, &reference).await;
        assert!(
            clocks.contains(&(
                "resolution".into(),
                Some("2026-06-05".into()),
                Some("2026-04-24".into()),
                Some(true)
            )),
            "{clocks:?}"
        );
        assert_eq!(due(clocks, "handling").as_deref(), Some("2026-05-08"));
        app.set_time(datetime!(2026-05-04 10:00 +7));
        let xuly = app.staff_token("tttp.xuly").await;
        decide(
            xuly.clone(),
            serde_json::json!({"kind": "handle", "note": "Kiểm điểm, thu hồi 20 triệu đồng"}),
        )
        .await;
        decide(xuly.clone(), serde_json::json!({"kind": "publish"})).await;
        decide(xuly.clone(), serde_json::json!({"kind": "close"})).await;
        let clocks = app.clocks_of(&xuly, &reference).await;
        assert!(
            clocks.iter().all(|c| c.2.is_some()),
            "every clock is closed: {clocks:?}"
        );
        assert!(
            clocks.contains(&(
                "handling".into(),
                Some("2026-05-08".into()),
                Some("2026-05-04".into()),
                Some(true)
            )),
            "{clocks:?}"
        );
        let case = app
            .store
            .case_by_reference(&reference)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(case.state.code(), "CLOSED");
        let reporter = app.reporter_login(&receipt).await;
        assert_eq!(app.reporter_case_json(&reporter).await["state"], "CLOSED");
    }

    pub async fn an_overdue_case_is_flagged_and_escalated_once_by_the_scheduler(engine: Engine) {
        use minhbach_app::scheduler::{Scheduler, SchedulerSettings};
        use std::sync::Arc;
        use time::macros::datetime;
        let app = TestApp::spawn_at(engine, datetime!(2026-11-02 09:00 +7)).await;
        let (reference, _) = app.submit_api_to("land", "Quá hạn", Some("caugiay")).await;
        // Triage: 7 working days after Mon 2 Nov → Wed 11 Nov. Two days later it is overdue.
        app.set_time(datetime!(2026-11-13 09:00 +7));
        let legal = app.state.clone();
        let scheduler = Scheduler::new(
            app.store.clone(),
            app.state.clock.clone(),
            Arc::new(move || legal.legal()),
            Arc::new(minhbach_app::mail::NoMailer),
            "node-a",
            "http://127.0.0.1",
            SchedulerSettings::default(),
        );
        let first = scheduler.run_once().await.unwrap();
        assert!(
            first.overdue.breached >= 2,
            "acknowledgement and triage of the new case: {first:?}"
        );
        let again = scheduler.run_once().await.unwrap();
        assert_eq!(again.overdue.breached, 0, "a miss is escalated once");
        let lead = app.staff_token("caugiay.lanhdao").await;
        let inbox = app
            .get_json("/api/v1/staff/inbox?overdue=1", &lead)
            .await
            .json();
        assert!(inbox["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["reference"] == reference.as_str() && c["overdue"] == true));
        let cookie = app.staff_cookie("caugiay.lanhdao").await;
        let notes = app.get("/staff/notifications", Some(&cookie)).await;
        assert!(
            notes.body.contains(&reference) && notes.body.contains("Hồ sơ quá hạn"),
            "{}",
            notes.body
        );
        let case = app
            .get(&format!("/staff/cases/{reference}"), Some(&cookie))
            .await;
        assert!(case.body.contains("Quá hạn"));
        let log = app.store.audit_log().await.unwrap();
        let case_id = app
            .store
            .case_by_reference(&reference)
            .await
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(
            log.iter()
                .filter(|e| e.action == "deadline.breached" && e.case == Some(case_id))
                .count(),
            2
        );
    }

    /// CPC Art. 147: the investigating agency decides within 20 days, up to 2 months, and 2 more
    /// with the procuracy.
    pub async fn a_crime_referral_is_followed_to_the_investigators_decision(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, receipt) = app
            .submit_api("budget", "Tham ô 2 tỷ đồng tiền dự án")
            .await;
        let officer = app.staff_token("tttp.tiepnhan").await;
        let decide = |body: serde_json::Value| {
            let (app, reference, officer) = (&app, reference.clone(), officer.clone());
            async move { app.transition_api(&officer, &reference, body).await }
        };
        assert_eq!(
            decide(serde_json::json!({"kind": "start_triage"}))
                .await
                .status,
            200
        );
        let missing =
            decide(serde_json::json!({"kind": "refer_criminal", "track": "crime_information"}))
                .await;
        assert_eq!(
            missing.status, 422,
            "agency, evidence list and document number are required"
        );
        let r = decide(serde_json::json!({
            "kind": "refer_criminal", "track": "crime_information",
            "to_agency": app.agency("csdt").to_string(),
            "evidence": "Đơn tố giác; bảng kê chứng từ; sao kê tài khoản",
            "delivery": "Biên bản giao nhận số 12/BB ngày 27/11/2026",
            "document_number": "30/CV-TTTP", "decision_date": "2026-11-27"
        }))
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let due = |clocks: Vec<ClockSeen>| {
            clocks
                .into_iter()
                .find(|c| c.0 == "criminal_decision")
                .and_then(|c| c.1)
        };
        // 20 calendar days from Fri 27 Nov 2026 → Thu 17 Dec; the investigators' first extension
        // runs up to 2 months from the start → Wed 27 Jan 2027; the procuracy's adds 2 more months
        // → Sat 27 Mar 2027, a day off → Mon 29 Mar.
        assert_eq!(
            due(app.clocks_of(&officer, &reference).await).as_deref(),
            Some("2026-12-17")
        );
        for (reasons, expected) in [
            ("Cơ quan điều tra gia hạn", "2027-01-27"),
            ("Viện kiểm sát gia hạn", "2027-03-29"),
        ] {
            let ext =
                decide(serde_json::json!({"kind": "extend_referral", "reasons": reasons})).await;
            assert_eq!(ext.status, 200, "{}", ext.body);
            assert_eq!(
                due(app.clocks_of(&officer, &reference).await).as_deref(),
                Some(expected)
            );
        }
        let third =
            decide(serde_json::json!({"kind": "extend_referral", "reasons": "Lần ba"})).await;
        assert_eq!(third.status, 409, "the Code allows no third extension");
        let outcome = decide(serde_json::json!({"kind": "record_investigation", "outcome": "prosecute", "document_number": "01/QĐ-CSĐT"})).await;
        assert_eq!(outcome.status, 200, "{}", outcome.body);
        let reporter = app.reporter_login(&receipt).await;
        let view = app.reporter_case_json(&reporter).await;
        assert_eq!(view["state"], "CLOSED");
        assert_eq!(view["track"], "crime_information");
    }

    pub async fn an_overseer_sees_every_agencys_deadlines_but_no_content(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (ward, _) = app
            .submit_api_to("land", "NỘI-DUNG-PHƯỜNG", Some("caugiay"))
            .await;
        let (dept, _) = app
            .submit_api_to("construction", "NỘI-DUNG-SỞ", Some("sxd"))
            .await;
        let overseer = app.staff_token("giamsat").await;
        let all = app
            .get_json("/api/v1/staff/inbox?order=newest", &overseer)
            .await;
        assert_eq!(all.status, 200, "{}", all.body);
        assert!(all.body.contains(&ward) && all.body.contains(&dept));
        assert!(!all.body.contains("NỘI-DUNG"), "metadata only");
        let one = app
            .get_json(
                &format!("/api/v1/staff/inbox?agency={}", app.agency("sxd")),
                &overseer,
            )
            .await;
        assert!(one.body.contains(&dept) && !one.body.contains(&ward));
        assert_eq!(
            app.get_json(&format!("/api/v1/staff/cases/{ward}"), &overseer)
                .await
                .status,
            404
        );
        // Agency staff cannot widen their inbox with the agency filter.
        let officer = app.staff_token("caugiay.tiepnhan").await;
        let mine = app
            .get_json(
                &format!("/api/v1/staff/inbox?agency={}", app.agency("sxd")),
                &officer,
            )
            .await;
        assert!(mine.body.contains(&ward) && !mine.body.contains(&dept));
        let cookie = app.staff_cookie("giamsat").await;
        let page = app.get("/staff/inbox", Some(&cookie)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("tất cả cơ quan") && page.body.contains(&dept));
        assert!(
            !page.body.contains(&format!("/staff/cases/{dept}")),
            "no link to content"
        );
    }

    /// Law on Denunciation Art. 38: a missed resolution deadline opens the superior body's
    /// follow-up task. Two app nodes run their schedulers at the same moment against one
    /// database; the miss is escalated once.
    /// DESIGN.md property 8: every staff route, every role, the expected answer. A case of the
    /// caller's agency, not assigned to anyone; `-` is a caller without a session.
    pub async fn every_route_answers_every_role_as_the_policy_says(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, _) = app
            .submit_api_to("land", "Kiểm tra phân quyền", Some("tttp"))
            .await;
        let case = format!("/api/v1/staff/cases/{reference}");
        let page = format!("/staff/cases/{reference}");
        // (user, inbox, read case, reply, decide start_triage, admin page)
        let table: [(&str, u16, u16, u16, u16, u16); 7] = [
            ("tttp.tiepnhan", 200, 200, 201, 200, 403),
            ("tttp.lanhdao", 200, 200, 201, 409, 403), // the case is already in triage by then
            ("tttp.xuly", 200, 404, 404, 404, 403),    // not assigned: the case is hidden
            ("caugiay.tiepnhan", 200, 404, 404, 404, 403),
            ("giamsat", 200, 404, 404, 404, 403),
            ("admin", 403, 404, 404, 404, 200),
            ("kiemtoan", 403, 404, 404, 404, 403),
        ];
        for (user, inbox, read, reply, decide, admin) in table {
            let token = app.staff_token(user).await;
            let cookie = app.staff_cookie(user).await;
            assert_eq!(
                app.get_json("/api/v1/staff/inbox", &token).await.status,
                inbox,
                "{user} inbox (API)"
            );
            assert_eq!(
                app.get("/staff/inbox", Some(&cookie)).await.status,
                inbox,
                "{user} inbox (page)"
            );
            let seen = app.get_json(&case, &token).await;
            assert_eq!(seen.status, read, "{user} case (API)");
            assert_eq!(
                seen.body.contains("Kiểm tra phân quyền"),
                read == 200,
                "{user} content"
            );
            assert_eq!(
                app.get(&page, Some(&cookie)).await.status,
                read,
                "{user} case (page)"
            );
            let r = app
                .post_json(
                    &format!("{case}/messages"),
                    serde_json::json!({"body": "Xin chào"}),
                    Some(&token),
                )
                .await;
            assert_eq!(r.status, reply, "{user} reply");
            let r = app
                .transition_api(
                    &token,
                    &reference,
                    serde_json::json!({"kind": "start_triage"}),
                )
                .await;
            assert_eq!(r.status, decide, "{user} decision: {}", r.body);
            assert_eq!(
                app.get("/admin/legal", Some(&cookie)).await.status,
                admin,
                "{user} admin page"
            );
            assert_eq!(
                app.get("/staff/notifications", Some(&cookie)).await.status,
                200,
                "{user} notifications"
            );
        }
        // The pages of the custodians, the protection officers and the superior bodies' leads:
        // each answers its own role and no other.
        let pages: [(&str, &str); 3] = [
            ("/staff/custodian", "giamho.thanhtra"),
            ("/staff/protection", "tttp.baove"),
            ("/staff/exclusions", "tttp.lanhdao"),
        ];
        for user in [
            "tttp.tiepnhan",
            "tttp.lanhdao",
            "tttp.xuly",
            "tttp.baove",
            "giamho.thanhtra",
            "giamsat",
            "admin",
            "kiemtoan",
        ] {
            let cookie = app.staff_cookie(user).await;
            for (path, owner) in pages {
                let expected = if user == owner { 200 } else { 403 };
                assert_eq!(
                    app.get(path, Some(&cookie)).await.status,
                    expected,
                    "{user} {path}"
                );
            }
        }
        // Without a session: every staff route asks to sign in, and the reporter's status page too.
        for path in [
            "/staff/inbox",
            page.as_str(),
            "/staff/notifications",
            "/staff/custodian",
            "/staff/protection",
            "/staff/exclusions",
            "/admin/legal",
            "/status/case",
        ] {
            assert_eq!(app.get(path, None).await.status, 401, "- {path}");
        }
        for path in [
            "/api/v1/staff/inbox",
            case.as_str(),
            "/api/v1/reporter/case",
            "/api/v1/custodian/requests",
        ] {
            assert_eq!(app.get(path, None).await.status, 401, "- {path}");
        }
        // A reporter's token opens no staff route, and a staff token no reporter route.
        let reporter = app.reporter_login(&app.receipt_of(&reference)).await;
        assert_eq!(
            app.get_json("/api/v1/staff/inbox", &reporter).await.status,
            401
        );
        let officer = app.staff_token("tttp.tiepnhan").await;
        assert_eq!(
            app.get_json("/api/v1/reporter/case", &officer).await.status,
            401
        );
    }

    /// The landing page's promise about the people reported and their leaders, through the
    /// form a reporter uses: a report marked "the person leads this agency" goes to the
    /// superior body, and the ward's leader gets 404 on the page and the API and holds no key.
    pub async fn a_report_against_the_ward_chairman_is_kept_from_the_wards_leaders(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let form = app.report_form().await;
        let hoankiem = app.agency("hoankiem").to_string();
        let done = app
            .post_form(
                "/report",
                &[
                    ("token", form.as_str()),
                    ("category", "land"),
                    ("agency", hoankiem.as_str()),
                    ("accused_lead", "yes"),
                    ("what", "Chủ tịch phường chỉ đạo giao đất sai thẩm quyền"),
                ],
                None,
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        let reporter = app.reporter_login(&done.receipt()).await;
        let case = app.reporter_case_json(&reporter).await;
        let reference = case["reference"].as_str().unwrap().to_owned();
        let lead = app.staff_token("hoankiem.lanhdao").await;
        assert_eq!(
            app.get_json(&format!("/api/v1/staff/cases/{reference}"), &lead)
                .await
                .status,
            404
        );
        let cookie = app.staff_cookie("hoankiem.lanhdao").await;
        let page = app
            .get(&format!("/staff/cases/{reference}"), Some(&cookie))
            .await;
        assert_eq!(page.status, 404);
        assert!(!page.body.contains("giao đất sai thẩm quyền"));
        let inbox = app.get("/staff/inbox", Some(&cookie)).await;
        assert!(!inbox.body.contains(&reference));
        // The superior body (the City Inspectorate in the demo) opens it.
        let superior = app.staff_token("tttp.tiepnhan").await;
        let seen = app
            .get_json(&format!("/api/v1/staff/cases/{reference}"), &superior)
            .await;
        assert_eq!(seen.status, 200);
        assert!(seen.body.contains("giao đất sai thẩm quyền"));
        // No key row for any leader of the ward.
        let leads: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM case_keys k JOIN users u ON u.id = k.user_id \
             JOIN cases c ON c.id = k.case_id \
             WHERE c.reference = $1 AND u.agency_id = $2 AND u.role = 'agency_lead'",
        )
        .bind(reference.clone())
        .bind(app.agency("hoankiem"))
        .fetch_one(app.store.pool())
        .await
        .unwrap()
        .get("n");
        assert_eq!(leads, 0);
        // The form offers the choice in both languages.
        let vi = app.get("/report", None).await.body;
        assert!(vi.contains("name=\"accused_lead\""));
    }

    /// The landing page's promise about a named reporter, walked through the pages and the API:
    /// sealed from the officers, a written request, two of three custodians, the reporter told
    /// on their page before it takes effect, and never in clear in the database.
    pub async fn a_named_reporters_identity_is_released_by_two_custodians_and_the_reporter_is_told_first(
        engine: Engine,
    ) {
        let app = TestApp::spawn(engine).await;
        let name_marker = "Trần Văn NAMEVAULT42";
        let form = app.report_form().await;
        let hoankiem = app.agency("hoankiem").to_string();
        let done = app
            .post_form(
                "/report",
                &[
                    ("token", form.as_str()),
                    ("category", "land"),
                    ("agency", hoankiem.as_str()),
                    ("what", "Cán bộ địa chính đòi tiền"),
                    ("identity", "confidential"),
                    ("name", name_marker),
                    ("contact", "0987 000 111"),
                    ("address", "Số 9 phố ADDRMARK77"),
                    ("citizen_id", "001099012345"),
                ],
                None,
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        let receipt = done.receipt();
        let reporter = app.reporter_login(&receipt).await;
        let reference = app.reporter_case_json(&reporter).await["reference"]
            .as_str()
            .unwrap()
            .to_owned();
        let desk = app.staff_token("hoankiem.tiepnhan").await;
        for d in [
            serde_json::json!({"kind": "start_triage"}),
            serde_json::json!({"kind": "classify", "track": "denunciation"}),
            serde_json::json!({"kind": "accept", "document_number": "7/QĐ"}),
        ] {
            let r = app.transition_api(&desk, &reference, d).await;
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let handler_id = app
            .store
            .user_by_username("hoankiem.xuly")
            .await
            .unwrap()
            .unwrap()
            .id;
        let lead = app.staff_token("hoankiem.lanhdao").await;
        let r = app
            .transition_api(
                &lead,
                &reference,
                serde_json::json!({"kind": "assign", "handler": handler_id.0.to_string()}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);

        // The handler sees it sealed on the page and in the API, and asks through the form.
        let case_api = format!("/api/v1/staff/cases/{reference}");
        let handler = app.staff_token("hoankiem.xuly").await;
        let seen = app.get_json(&case_api, &handler).await;
        assert_eq!(seen.json()["identity"]["status"], "sealed", "{}", seen.body);
        assert!(!seen.body.contains("NAMEVAULT42"));
        let cookie = app.staff_cookie("hoankiem.xuly").await;
        let page = app
            .get(&format!("/staff/cases/{reference}"), Some(&cookie))
            .await;
        assert!(!page.body.contains("NAMEVAULT42"));
        let csrf = hidden(&page.body, "csrf");
        let asked = app
            .post_form(
                &format!("/staff/cases/{reference}/disclosure"),
                &[
                    ("csrf", csrf.as_str()),
                    ("justification", "Cần đối chất trực tiếp với người tố cáo"),
                    ("legal_basis", "Luật Tố cáo 2018, Điều 47"),
                ],
                Some(&cookie),
            )
            .await;
        assert_eq!(asked.status, 303, "{}", asked.body);

        // A custodian reads the request on their page, never the case.
        let custodian = app.staff_cookie("giamho.thanhtra").await;
        let list = app.get("/staff/custodian", Some(&custodian)).await;
        assert_eq!(list.status, 200);
        assert!(list.body.contains("đối chất trực tiếp"));
        assert!(!list.body.contains("đòi tiền"));
        assert_eq!(
            app.get(&format!("/staff/cases/{reference}"), Some(&custodian))
                .await
                .status,
            404
        );
        let approve = app
            .post_form(
                &format!(
                    "/staff/custodian/requests/{}",
                    list.body
                        .split("/staff/custodian/requests/")
                        .nth(1)
                        .and_then(|s| s.split('"').next())
                        .unwrap()
                ),
                &[
                    ("csrf", hidden(&list.body, "csrf").as_str()),
                    ("decision", "approve"),
                ],
                Some(&custodian),
            )
            .await;
        assert_eq!(approve.status, 303, "{}", approve.body);
        // The reporter is not told of a request that has not reached the quorum.
        let reporter_cookie = app.reporter_cookie(&receipt).await;
        let status = app.get("/status/case", Some(&reporter_cookie)).await;
        assert!(!status.body.contains("đã đồng ý đề nghị"));

        // The second custodian approves through the API: the reporter is told first.
        let second = app.staff_token("giamho.mttq").await;
        let requests = app.get_json("/api/v1/custodian/requests", &second).await;
        let id = requests.json()[0]["id"].as_i64().unwrap();
        let r = app
            .post_json(
                &format!("/api/v1/custodian/requests/{id}"),
                serde_json::json!({"decision": "approve"}),
                Some(&second),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["state"], "notice");
        let status = app.get("/status/case", Some(&reporter_cookie)).await;
        assert!(status.body.contains("đã đồng ý đề nghị"), "{}", status.body);
        assert!(status.body.contains("đối chất trực tiếp"));
        let seen = app.get_json(&case_api, &handler).await;
        assert_eq!(seen.json()["identity"]["status"], "sealed");

        // After the notice period the handler reads it; the database still holds no name.
        app.set_time(time::macros::datetime!(2026-12-10 09:00 +7));
        let handler = app.staff_token("hoankiem.xuly").await;
        let seen = app.get_json(&case_api, &handler).await;
        assert_eq!(
            seen.json()["identity"]["status"],
            "disclosed",
            "{}",
            seen.body
        );
        assert_eq!(seen.json()["identity"]["name"], name_marker);
        assert_eq!(seen.json()["identity"]["citizen_id"], "001099012345");
        assert!(seen.body.contains("ADDRMARK77"));
        let dump = app.dump_everything().await;
        for marker in ["NAMEVAULT42", "ADDRMARK77", "001099012345"] {
            assert!(!contains(&dump, marker.as_bytes()), "{marker} in clear");
        }
        let status = app
            .get("/status/case", Some(&app.reporter_cookie(&receipt).await))
            .await;
        assert!(
            status.body.contains("đã được mở cho một cán bộ"),
            "{}",
            status.body
        );
    }

    /// The decoy code: the same status, the same page (its sections) and a size within the same
    /// kilobyte as a real case page; and the protection request form of the real page works
    /// without script.
    pub async fn the_decoy_code_answers_like_a_real_receipt_and_protection_is_asked_with_plain_forms(
        engine: Engine,
    ) {
        let app = TestApp::spawn(engine).await;
        let form = app.report_form().await;
        let done = app
            .post_form(
                "/report",
                &[
                    ("token", form.as_str()),
                    ("category", "land"),
                    (
                        "what",
                        "Cán bộ phường thu tiền trái phép khi cấp phép xây dựng",
                    ),
                    ("decoy", "yes"),
                    ("decoy_what", "Hỏi về thủ tục cấp giấy phép xây dựng nhà ở"),
                ],
                None,
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        let receipt = done.receipt();
        let decoy = done
            .body
            .split("id=\"decoy\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .unwrap()
            .to_owned();
        assert_ne!(decoy, receipt);
        let sections = |body: &str| -> Vec<String> {
            body.split("<section")
                .skip(1)
                .map(|s| s.split('>').next().unwrap_or_default().to_owned())
                .collect()
        };
        let real = app
            .get("/status/case", Some(&app.reporter_cookie(&receipt).await))
            .await;
        let fake_cookie = app.reporter_cookie(&decoy).await;
        let fake = app.get("/status/case", Some(&fake_cookie)).await;
        assert_eq!(real.status, 200);
        assert_eq!(fake.status, real.status);
        assert_eq!(sections(&fake.body), sections(&real.body));
        assert!(
            real.body.len().abs_diff(fake.body.len()) < 1024,
            "{} vs {}",
            real.body.len(),
            fake.body.len()
        );
        assert!(fake.body.contains("Hỏi về thủ tục"));
        assert!(!fake.body.contains("thu tiền trái phép"));

        // The real page asks for protection with plain form fields.
        let cookie = app.reporter_cookie(&receipt).await;
        let page = app.get("/status/case", Some(&cookie)).await;
        let asked = app
            .post_form(
                "/status/case/protection",
                &[
                    ("csrf", hidden(&page.body, "csrf").as_str()),
                    ("person_self", "yes"),
                    ("person_child", "yes"),
                    ("urgent", "yes"),
                    ("details", "Có người lạ theo dõi nhà tôi"),
                ],
                Some(&cookie),
            )
            .await;
        assert_eq!(asked.status, 303, "{}", asked.body);
        let page = app.get("/status/case", Some(&cookie)).await;
        assert!(
            page.body
                .contains("Đề nghị bảo vệ của bạn đã được ghi nhận"),
            "{}",
            page.body
        );
        // The ward's protection officer sees it on their page; the decoy flag is there too.
        let officer = app.staff_cookie("tttp.baove").await;
        // The flag is written just after the decoy's answer: wait for it, boundedly.
        let mut list = app.get("/staff/protection", Some(&officer)).await;
        for _ in 0..50 {
            if list.body.contains("id=\"pressure\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            list = app.get("/staff/protection", Some(&officer)).await;
        }
        assert_eq!(list.status, 200);
        assert!(list.body.contains("Có người lạ theo dõi nhà tôi"));
        assert!(list.body.contains("id=\"pressure\""));
        // Nobody else sees the flag: the intake officer's case page does not carry it.
        let desk = app.staff_cookie("tttp.tiepnhan").await;
        let reference = page
            .body
            .split("HN-")
            .nth(1)
            .map(|s| format!("HN-{}", &s[..14]))
            .unwrap();
        let case = app
            .get(&format!("/staff/cases/{reference}"), Some(&desk))
            .await;
        assert_eq!(case.status, 200, "{reference}");
        assert!(!case.body.contains("id=\"pressure\""));
        assert!(!case.body.contains("mã giả"));
    }

    /// Every entry of a zip, decompressed, one after the other.
    fn unzipped(bytes: &[u8]) -> Vec<u8> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut out = Vec::new();
        for i in 0..zip.len() {
            std::io::Read::read_to_end(&mut zip.by_index(i).unwrap(), &mut out).unwrap();
        }
        out
    }

    pub async fn evidence_files_are_stripped_shown_to_the_reporter_sealed_and_downloaded_clean(
        engine: Engine,
    ) {
        use minhbach_evidence::samples;
        let app = TestApp::spawn(engine).await;
        let before = app.count_cases().await;
        // Planted in the metadata: GPS and author in EXIF, a PDF's title and author, a DOCX's
        // creator. Planted in the bodies: text that must reach the officer, sealed.
        let meta = "METAMARKERa41c7";
        let pdf_body = "PDFBODYMARKER29bd";
        let docx_body = "DOCXBODYMARKER5e81";
        let jpeg = samples::jpeg(meta);
        let pdf = samples::pdf(meta, pdf_body);
        let docx = samples::docx(meta, docx_body);
        assert!(contains(&jpeg, meta.as_bytes()) && contains(&pdf, meta.as_bytes()));
        assert!(contains(&unzipped(&docx), meta.as_bytes()));
        let what = "Biên bản nhận tiền ở phường, xem ảnh và tài liệu kèm theo";
        let form = app.report_form().await;
        let confirm = app
            .post_multipart(
                "/report",
                &[
                    ("token", form.as_str()),
                    ("category", "land"),
                    ("what", what),
                    ("identity", "anonymous"),
                ],
                &[
                    ("IMG_2026_nguyenvana.jpg", &jpeg),
                    ("bien-ban.pdf", &pdf),
                    ("to-trinh.docx", &docx),
                ],
                None,
            )
            .await;
        assert_eq!(confirm.status, 200, "{}", confirm.body);
        // The reporter sees, before anything is sent, what was removed and what was not.
        for shown in [
            "Vị trí GPS nơi chụp ảnh",
            "Tên tác giả, chủ sở hữu",
            "Tiêu đề, tác giả, chủ đề",
            "Thuộc tính tài liệu",
            "Những gì ảnh cho thấy",
            "IMG_2026_nguyenvana.jpg",
        ] {
            assert!(confirm.body.contains(shown), "{shown} not shown");
        }
        assert_eq!(
            app.count_cases().await,
            before,
            "nothing is recorded before confirming"
        );
        // Waiting for confirmation, the cleaned files are in the database, sealed under a key
        // only the page holds: no marker, and not even the bodies.
        let dump = app.dump_everything().await;
        for marker in [meta, pdf_body, docx_body] {
            assert!(!contains(&dump, marker.as_bytes()), "{marker} in a draft");
        }
        let fields = hidden_fields(&confirm.body);
        assert!(fields.iter().any(|(k, v)| k == "what" && v == what));
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let receipt_page = app.post_form("/report", &refs, None).await;
        assert_eq!(receipt_page.status, 200, "{}", receipt_page.body);
        let receipt = receipt_page.receipt();
        assert_eq!(app.count_cases().await, before + 1);

        let dump = app.dump_everything().await;
        for marker in [meta, pdf_body, docx_body, "nguyenvana"] {
            assert!(!contains(&dump, marker.as_bytes()), "{marker} in clear");
            assert!(
                !contains(&dump, hex::encode(marker).as_bytes()),
                "{marker} hex"
            );
        }

        // The reporter sees the files they sent.
        let reporter = app.reporter_cookie(&receipt).await;
        let status = app.get("/status/case", Some(&reporter)).await;
        assert!(status.body.contains("bien-ban.pdf"), "{}", status.body);

        // The officer downloads each file, decrypted, with nothing of the metadata in it.
        let officer = app.staff_cookie("tttp.tiepnhan").await;
        let token = app.reporter_login(&receipt).await;
        let reference = app.reporter_case_json(&token).await["reference"]
            .as_str()
            .unwrap()
            .to_owned();
        let page = app
            .get(&format!("/staff/cases/{reference}"), Some(&officer))
            .await;
        assert_eq!(page.status, 200);
        let links: Vec<String> = page
            .body
            .match_indices(&format!("/staff/cases/{reference}/files/"))
            .map(|(at, _)| page.body[at..].split('"').next().unwrap().to_owned())
            .collect();
        assert_eq!(links.len(), 3, "{}", page.body);
        let mut got = Vec::new();
        for link in &links {
            let (status, headers, bytes) = app.get_bytes(link, &officer).await;
            assert_eq!(status, 200);
            assert!(headers["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment"));
            assert_eq!(headers["cache-control"], "no-store");
            got.push((headers["content-type"].to_str().unwrap().to_owned(), bytes));
        }
        let of = |mime: &str| &got.iter().find(|(m, _)| m.contains(mime)).unwrap().1;
        let (jpeg_out, pdf_out, docx_out) = (of("jpeg"), of("pdf"), of("wordprocessing"));
        assert!(jpeg_out.starts_with(&[0xFF, 0xD8]));
        assert!(pdf_out.starts_with(b"%PDF"));
        let docx_plain = unzipped(docx_out);
        for (name, out) in [("jpeg", jpeg_out), ("pdf", pdf_out), ("docx", &docx_plain)] {
            assert!(
                !contains(out, meta.as_bytes()),
                "metadata left in the {name}"
            );
        }
        assert!(
            contains(&docx_plain, docx_body.as_bytes()),
            "the document's text arrives"
        );
        // Each download is in the audit log.
        let downloads: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'file.downloaded'")
                .fetch_one(app.store.pool())
                .await
                .unwrap()
                .get("n");
        assert_eq!(downloads, 3);
        // Another agency's officer cannot fetch them.
        let other = app.staff_cookie("caugiay.tiepnhan").await;
        let (status, _, _) = app.get_bytes(&links[0], &other).await;
        assert_eq!(status, 404);
    }

    pub async fn a_refused_or_expired_file_sends_nothing_and_keeps_the_text(engine: Engine) {
        use minhbach_evidence::samples;
        let app = TestApp::spawn(engine).await;
        let before = app.count_cases().await;
        let what = "Nội dung phản ánh phải được giữ lại khi tệp bị từ chối";
        let form = app.report_form().await;
        let fields = [
            ("token", form.as_str()),
            ("category", "land"),
            ("what", what),
            ("identity", "anonymous"),
        ];
        // A text file named like a photo: judged by its bytes.
        let r = app
            .post_multipart(
                "/report",
                &fields,
                &[("anh.jpg", b"not a picture at all")],
                None,
            )
            .await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(
            r.body.contains("anh.jpg") && r.body.contains(what),
            "{}",
            r.body
        );
        // A HEIC picture: its location cannot be removed, so it is refused with what to do.
        let mut heic = vec![0, 0, 0, 24];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heic");
        heic.extend_from_slice(&[0; 64]);
        let r = app
            .post_multipart("/report", &fields, &[("IMG_0001.HEIC", &heic)], None)
            .await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains("HEIC") && r.body.contains(what));
        assert_eq!(app.count_cases().await, before);
        // A confirmation whose key does not open the draft (or whose draft expired) records
        // nothing, and gives the text back.
        let confirm = app
            .post_multipart("/report", &fields, &[("a.png", &samples::png("x"))], None)
            .await;
        assert_eq!(confirm.status, 200, "{}", confirm.body);
        let mut posted = hidden_fields(&confirm.body);
        for (k, v) in &mut posted {
            if k == "draft_key" {
                *v = "00".repeat(32);
            }
        }
        let refs: Vec<(&str, &str)> = posted
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app.post_form("/report", &refs, None).await;
        assert_eq!(r.status, 410, "{}", r.body);
        assert!(r.body.contains(what));
        assert_eq!(app.count_cases().await, before);
        // Too many files.
        let png = samples::png("y");
        let many: Vec<(&str, &[u8])> = (0..6).map(|_| ("p.png", png.as_slice())).collect();
        let r = app.post_multipart("/report", &fields, &many, None).await;
        assert_eq!(r.status, 422);
        assert!(r.body.contains(what));
        assert_eq!(app.count_cases().await, before);
        // A draft nobody confirms is deleted, with its files, by the scheduler's sweep once it
        // expires (an hour by default); confirming it afterwards records nothing.
        let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM attachment_chunks")
            .fetch_one(app.store.pool())
            .await
            .unwrap()
            .get("n");
        assert!(left > 0, "the unconfirmed draft is still there");
        app.clock.advance(time::Duration::minutes(61));
        let legal = app.state.clone();
        let scheduler = minhbach_app::scheduler::Scheduler::new(
            app.store.clone(),
            app.state.clock.clone(),
            std::sync::Arc::new(move || legal.legal()),
            std::sync::Arc::new(minhbach_app::mail::NoMailer),
            "node-a",
            "http://127.0.0.1",
            minhbach_app::scheduler::SchedulerSettings::default(),
        );
        let run = scheduler.run_once().await.unwrap();
        assert_eq!(run.drafts_expired, 1, "{run:?}");
        for table in ["attachment_chunks", "attachments", "upload_drafts"] {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
                .fetch_one(app.store.pool())
                .await
                .unwrap()
                .get("n");
            assert_eq!(n, 0, "{table}");
        }
        let confirmed = hidden_fields(&confirm.body);
        let refs: Vec<(&str, &str)> = confirmed
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app.post_form("/report", &refs, None).await;
        assert_eq!(r.status, 410, "{}", r.body);
        assert_eq!(app.count_cases().await, before);
    }

    pub async fn the_lead_places_and_lifts_a_legal_hold_from_the_case_page(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let (reference, _) = app.submit_api("land", "Vụ việc cần giữ hồ sơ").await;
        let page = format!("/staff/cases/{reference}");
        // The intake desk works the case but cannot hold it.
        let desk = app.staff_cookie("tttp.tiepnhan").await;
        let seen = app.get(&page, Some(&desk)).await;
        assert_eq!(seen.status, 200);
        assert!(!seen.body.contains("id=\"hold\""));
        let lead = app.staff_cookie("tttp.lanhdao").await;
        let seen = app.get(&page, Some(&lead)).await;
        assert!(seen.body.contains("id=\"hold\""), "{}", seen.body);
        let csrf = hidden(&seen.body, "csrf");
        let held = |value: &'static str| {
            let (csrf, lead, hold) = (csrf.clone(), lead.clone(), format!("{page}/hold"));
            let app = &app;
            async move {
                app.post_form(
                    &hold,
                    &[("csrf", csrf.as_str()), ("hold", value)],
                    Some(&lead),
                )
                .await
            }
        };
        assert_eq!(held("yes").await.status, 303);
        let on: Option<i64> = sqlx::query("SELECT legal_hold_at FROM cases WHERE reference = $1")
            .bind(reference.clone())
            .fetch_one(app.store.pool())
            .await
            .unwrap()
            .get("legal_hold_at");
        assert!(on.is_some());
        let seen = app.get(&page, Some(&lead)).await;
        assert!(seen.body.contains("Bỏ giữ hồ sơ"), "{}", seen.body);
        // The desk's forged post changes nothing.
        let desk_csrf = hidden(&app.get(&page, Some(&desk)).await.body, "csrf");
        let r = app
            .post_form(
                &format!("{page}/hold"),
                &[("csrf", desk_csrf.as_str()), ("hold", "no")],
                Some(&desk),
            )
            .await;
        assert_eq!(r.status, 404);
        assert_eq!(held("no").await.status, 303);
        let seen = app.get(&page, Some(&lead)).await;
        assert!(seen.body.contains("Giữ hồ sơ</button>"), "{}", seen.body);
    }

    pub async fn the_receipt_page_survives_a_reload_until_written_down_and_never_resends(
        engine: Engine,
    ) {
        let app = TestApp::spawn(engine).await;
        let before = app.count_cases().await;
        let token = app.report_form().await;
        let fields = [
            ("token", token.as_str()),
            ("category", "land"),
            ("what", "Phản ánh để thử tải lại trang mã hồ sơ"),
            ("identity", "anonymous"),
        ];
        let sent = app.post_form_raw("/report", &fields, None).await;
        assert_eq!(sent.status, 303, "{}", sent.body);
        assert_eq!(sent.headers["location"], "/report/receipt");
        let cookie = sent.receipt_cookie().expect("receipt cookie");
        let set = sent.headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set.contains("HttpOnly")
                && set.contains("SameSite=Strict")
                && set.contains("Max-Age=900"),
            "{set}"
        );
        // The cookie holds the receipt sealed, not in clear.
        let first = app.get("/report/receipt", Some(&cookie)).await;
        assert_eq!(first.status, 200);
        let receipt = first.receipt();
        assert!(!cookie.contains(&receipt) && !cookie.contains(&receipt.replace('-', "")));
        // Reloading shows the same receipt and records nothing more.
        for _ in 0..3 {
            let again = app.get("/report/receipt", Some(&cookie)).await;
            assert_eq!(again.receipt(), receipt);
        }
        assert_eq!(app.count_cases().await, before + 1);
        // The receipt opens the case.
        app.reporter_login(&receipt).await;
        // A forged or altered cookie shows nothing.
        let forged = format!("{}00", cookie);
        let gone = app.get("/report/receipt", Some(&forged)).await;
        assert!(!gone.body.contains("id=\"receipt\""));
        assert!(gone.body.contains("Mã bí mật không còn hiển thị"));
        // "I have written it down" clears it from the browser.
        let done = app
            .post_form_raw("/report/receipt/done", &[], Some(&cookie))
            .await;
        assert_eq!(done.status, 303);
        assert!(done.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
        // After fifteen minutes the cookie's content is no longer shown, even if a browser kept it.
        app.clock.advance(time::Duration::minutes(16));
        let late = app.get("/report/receipt", Some(&cookie)).await;
        assert!(!late.body.contains("id=\"receipt\""), "{}", late.body);
        assert_eq!(app.count_cases().await, before + 1);
    }

    pub async fn the_status_page_names_the_step_awaited_and_its_legal_source_in_the_readers_language(
        engine: Engine,
    ) {
        let app = TestApp::spawn(engine).await;
        let (_, receipt) = app.submit_api("land", "Phản ánh để xem tên thời hạn").await;
        let cookie = app.reporter_cookie(&receipt).await;
        let vi = app.get("/status/case", Some(&cookie)).await;
        assert_eq!(vi.status, 200);
        // The step awaited is triage, named as such, and not mistaken for the resolution.
        assert!(
            vi.body
                .contains("Bạn đang chờ bước: Phân loại, xử lý ban đầu."),
            "{}",
            vi.body
        );
        assert!(vi.body.contains("Đây chưa phải hạn giải quyết"));
        assert!(!vi.body.contains("Thời hạn phải giải quyết"));
        // Its legal basis in Vietnamese on a Vietnamese page, in English on an English one.
        assert!(
            vi.body.contains("Luật Tố cáo, Điều 24 khoản 1"),
            "{}",
            vi.body
        );
        assert!(!vi.body.contains("Law on Denunciation"));
        // The sign-out button does not read as closing the case.
        assert!(vi.body.contains("Đăng xuất khỏi trang này"));
        assert!(!vi.body.contains("Đóng hồ sơ"));
        let en = app
            .get("/status/case", Some(&format!("{cookie}; mb_lang=en")))
            .await;
        assert!(
            en.body.contains("Law on Denunciation Art. 24(1)"),
            "{}",
            en.body
        );
        assert!(en.body.contains("You are waiting for: "));
    }

    pub async fn the_auditor_filters_the_log_to_one_case_exports_it_and_sees_the_chain_status(
        engine: Engine,
    ) {
        let app = TestApp::spawn(engine).await;
        let secret_text = "NOIDUNGMAT-audit-7c1";
        let (reference, _) = app.submit_api("land", secret_text).await;
        let (other, _) = app.submit_api("land", "Một phản ánh khác").await;
        let officer = app.staff_cookie("tttp.tiepnhan").await;
        app.get(&format!("/staff/cases/{reference}"), Some(&officer))
            .await;
        // The auditor lands on the log after signing in, and an officer may not open it.
        let token = app.form_token("/staff/login").await;
        let login = app
            .post_form(
                "/staff/login",
                &[
                    ("token", token.as_str()),
                    ("username", "kiemtoan"),
                    ("password", minhbach_app::demo::DEMO_PASSWORD),
                    ("code", ""),
                ],
                None,
            )
            .await;
        assert_eq!(login.status, 303, "{}", login.body);
        assert_eq!(login.headers["location"], "/audit");
        let auditor = login.cookie().unwrap();
        assert_eq!(app.get("/audit", Some(&officer)).await.status, 403);
        // Filtered to one case: its submission and the officer's reading, nothing of the other
        // case, and no content.
        let page = app
            .get(&format!("/audit?case={reference}"), Some(&auditor))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("<td>case.submitted</td>")
                && page.body.contains("<td>case.read</td>")
        );
        assert!(!page.body.contains(&other));
        assert!(!page.body.contains(secret_text));
        assert!(
            page.body.contains("chưa kiểm tra nhật ký"),
            "no check yet in this process"
        );
        // The staff bar offers the auditor their own page, not an inbox that would refuse them.
        assert!(page.body.contains("<a href=\"/audit\">"));
        assert!(!page.body.contains("href=\"/staff/inbox\""));
        let desk_inbox = app.get("/staff/inbox", Some(&officer)).await;
        assert!(desk_inbox.body.contains("href=\"/staff/inbox\""));
        assert!(!desk_inbox.body.contains("href=\"/audit\""));
        let only_reads = app
            .get(
                &format!("/audit?case={reference}&action=case.read"),
                Some(&auditor),
            )
            .await;
        assert!(only_reads.body.contains("<td>case.read</td>"));
        assert!(!only_reads.body.contains("<td>case.submitted</td>"));
        // The export holds the same events as CSV.
        let (status, headers, csv) = app
            .get_bytes(&format!("/audit/export.csv?case={reference}"), &auditor)
            .await;
        assert_eq!(status, 200);
        assert!(headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"));
        let csv = String::from_utf8(csv).unwrap();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("seq,at,actor,action,reference,detail"));
        let rows: Vec<&str> = lines.collect();
        assert!(rows.len() >= 2);
        assert!(rows.iter().all(|l| l.contains(&reference)), "{csv}");
        assert!(!csv.contains(secret_text));
        // A bad date is a clear error, not a crash.
        assert_eq!(
            app.get("/audit?from=05-12-2026", Some(&auditor))
                .await
                .status,
            422
        );
        // Once the server has verified the log, the page says so.
        let dir = tempfile::tempdir().unwrap();
        let checkpoints =
            minhbach_app::audit::Checkpoints::new(dir.path().join("cp"), &app.state.secret);
        let now = app.state.now();
        let outcome =
            minhbach_app::audit::verify(app.state.store.as_ref(), &checkpoints, now).await;
        minhbach_app::audit::record_status(&app.state.audit_status, now, &outcome);
        let page = app.get("/audit", Some(&auditor)).await;
        assert!(page.body.contains("Nguyên vẹn"), "{}", page.body);
    }

    pub async fn the_overseer_opens_any_cases_clocks_and_timeline_but_no_content(engine: Engine) {
        let app = TestApp::spawn(engine).await;
        let text = "NOIDUNG-oversee-41a";
        let reasons = "LYDO-oversee-9f2";
        let reply = "TINNHAN-oversee-c07";
        let (reference, _) = app.submit_api_to("land", text, Some("caugiay")).await;
        let officer = app.staff_token("caugiay.tiepnhan").await;
        app.post_json(
            &format!("/api/v1/staff/cases/{reference}/messages"),
            serde_json::json!({"body": reply}),
            Some(&officer),
        )
        .await;
        app.transition_api(
            &officer,
            &reference,
            serde_json::json!({"kind": "start_triage"}),
        )
        .await;
        let r = app
            .transition_api(
                &officer,
                &reference,
                serde_json::json!({"kind": "not_accept", "reasons": reasons}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        // From the inbox of every agency, the overseer opens the case's oversight page.
        let overseer = app.staff_cookie("giamsat").await;
        let inbox = app.get("/staff/inbox", Some(&overseer)).await;
        assert!(
            inbox.body.contains(&format!("/oversee/cases/{reference}")),
            "{}",
            inbox.body
        );
        let page = app
            .get(&format!("/oversee/cases/{reference}"), Some(&overseer))
            .await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"clocks\"") && page.body.contains("id=\"timeline\""));
        assert!(page.body.contains("Phân loại, xử lý ban đầu"));
        for secret in [text, reasons, reply] {
            assert!(
                !page.body.contains(secret),
                "{secret} shown to the overseer"
            );
        }
        // The reading is audited; an officer has no such page, and the overseer no content.
        let n: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'case.overseen'")
                .fetch_one(app.store.pool())
                .await
                .unwrap()
                .get("n");
        assert_eq!(n, 1);
        let desk = app.staff_cookie("caugiay.tiepnhan").await;
        assert_eq!(
            app.get(&format!("/oversee/cases/{reference}"), Some(&desk))
                .await
                .status,
            403
        );
        let content = app
            .get(&format!("/staff/cases/{reference}"), Some(&overseer))
            .await;
        assert!(!content.body.contains(text));
        assert_eq!(
            app.get("/oversee/cases/HN-2026-000000000", Some(&overseer))
                .await
                .status,
            404
        );
    }
}
