//! Who holds a case key (DESIGN.md properties 2 and 4): conflicts of interest are decided before
//! anyone reads, and the `case_keys` table always says what `keys::holders` says.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::BTreeSet;

use minhbach_app::admin::{self, StaffAccount};
use minhbach_app::{access, casework, conflicts, intake, keys, Error};
use minhbach_crypto::PasswordParams;
use minhbach_domain::{Channel, DomainError, RawDecision, RawReport, Role, UserId};
use minhbach_store::CaseRecord;
use rand::{Rng, SeedableRng};
use support::{harness, Engine, Harness};

impl Harness {
    async fn case(&self, reference: &str) -> CaseRecord {
        self.app
            .store
            .case_by_reference(reference)
            .await
            .unwrap()
            .unwrap()
    }

    async fn user_id(&self, username: &str) -> UserId {
        self.app
            .store
            .user_by_username(username)
            .await
            .unwrap()
            .unwrap()
            .id
    }

    /// The usernames that hold a wrap of the case key, read from the `case_keys` table.
    async fn holding(&self, reference: &str) -> BTreeSet<String> {
        let case = self.case(reference).await;
        let mut names = BTreeSet::new();
        for id in self.app.store.case_key_holders(case.id).await.unwrap() {
            names.insert(self.app.store.user(id).await.unwrap().unwrap().username);
        }
        names
    }

    /// What the key policy says should hold the key now.
    async fn policy(&self, reference: &str) -> BTreeSet<UserId> {
        let case = self.case(reference).await;
        let staff = self.app.store.staff_of(case.agency).await.unwrap();
        let exclusions = self.app.store.exclusions(case.id).await.unwrap();
        keys::holders(&case.facts(), &staff, &exclusions)
    }

    async fn decide(
        &self,
        username: &str,
        reference: &str,
        fields: &[(&str, &str)],
    ) -> Result<(), Error> {
        let mut d = RawDecision::default();
        for (k, v) in fields {
            let v = (*v).to_owned();
            match *k {
                "kind" => d.kind = v,
                "track" => d.track = v,
                "to_agency" => d.to_agency = v,
                "reasons" => d.reasons = v,
                "document_number" => d.document_number = v,
                "handler" => d.handler = v,
                other => panic!("field {other}"),
            }
        }
        let s = self.staff(username).await;
        casework::staff_transition(&self.app, &s, reference, &d)
            .await
            .map(|_| ())
    }

    /// A case at `agency`, accepted as a denunciation and ready to be assigned.
    async fn accepted_case(&self, agency: &str) -> String {
        self.accepted_case_by(&format!("{agency}.tiepnhan")).await
    }

    /// A case accepted by the given intake officer at their agency.
    async fn accepted_case_by(&self, desk: &str) -> String {
        let agency = desk.split('.').next().unwrap_or_default();
        let reference = intake::submit_report(
            &self.app,
            self.report("Cán bộ nhận tiền để cấp phép", agency),
            Channel::Api,
            None,
            true,
        )
        .await
        .unwrap()
        .reference;
        self.decide(desk, &reference, &[("kind", "start_triage")])
            .await
            .unwrap();
        self.decide(
            desk,
            &reference,
            &[("kind", "classify"), ("track", "denunciation")],
        )
        .await
        .unwrap();
        self.decide(
            desk,
            &reference,
            &[("kind", "accept"), ("document_number", "12/QĐ-TL")],
        )
        .await
        .unwrap();
        reference
    }

    async fn add_staff(&self, username: &str, agency: &str, role: Role) -> UserId {
        let account = StaffAccount {
            username,
            display_name: username,
            password: minhbach_app::demo::DEMO_PASSWORD,
            agency: self.city.agency(agency),
            role,
            totp: Some(minhbach_app::demo::DEMO_TOTP_SECRET),
        };
        admin::create_staff(
            self.app.store.as_ref(),
            &self.app.secret,
            &account,
            PasswordParams::TEST,
            self.app.now(),
        )
        .await
        .unwrap()
        .0
    }
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

fn is_not_found(r: Result<impl Sized, Error>) -> bool {
    matches!(r, Err(Error::Domain(DomainError::NotFound)))
}

async fn a_report_against_an_agency_head_goes_to_the_superior_and_its_leads_never_hold_the_key(
    engine: Engine,
) {
    let h = harness(engine).await;
    let raw = RawReport {
        accused_lead: "yes".into(),
        ..h.report("Chủ tịch phường nhận hối lộ", "hoankiem")
    };
    let reference = intake::submit_report(&h.app, raw, Channel::Api, None, true)
        .await
        .unwrap()
        .reference;
    let case = h.case(&reference).await;
    assert_eq!(
        Some(case.agency),
        h.city.agency("tttp"),
        "the superior body"
    );
    assert_eq!(
        h.holding(&reference).await,
        names(&["tttp.lanhdao", "tttp.tiepnhan"])
    );
    // The superior forwards it back down for verification: the ward's desk gets the key, its
    // leader never does.
    h.decide("tttp.tiepnhan", &reference, &[("kind", "start_triage")])
        .await
        .unwrap();
    let hoankiem = h.city.agency("hoankiem").unwrap().0.to_string();
    h.decide(
        "tttp.tiepnhan",
        &reference,
        &[
            ("kind", "forward"),
            ("to_agency", &hoankiem),
            ("reasons", "Thuộc thẩm quyền xác minh của phường"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(h.holding(&reference).await, names(&["hoankiem.tiepnhan"]));
    let lead = h.staff("hoankiem.lanhdao").await;
    assert!(is_not_found(
        casework::staff_case_view(&h.app, &lead, &reference).await
    ));
    // Not even in the leader's inbox.
    let inbox = casework::inbox(
        &h.app,
        &lead,
        minhbach_store::InboxOrder::DueFirst,
        Default::default(),
        1,
    )
    .await
    .unwrap();
    assert!(inbox.rows.iter().all(|r| r.reference != reference));

    // Saying so without naming the agency is refused, and nothing is written.
    let before = h.app.store.audit_log().await.unwrap().len();
    let raw = RawReport {
        accused_lead: "yes".into(),
        ..h.report("Không rõ cơ quan", "")
    };
    let refused = intake::submit_report(&h.app, raw, Channel::Api, None, true).await;
    assert!(
        matches!(&refused, Err(Error::Domain(DomainError::Invalid(f))) if f[0].field == "agency"),
        "{:?}",
        refused.err()
    );
    assert_eq!(h.app.store.audit_log().await.unwrap().len(), before);
}

async fn an_accused_or_recused_officer_loses_the_key_at_once_and_never_gets_it_back(
    engine: Engine,
) {
    let h = harness(engine).await;
    let reference = h.accepted_case("hoankiem").await;
    let handler = h.user_id("hoankiem.xuly").await.0.to_string();
    h.decide(
        "hoankiem.lanhdao",
        &reference,
        &[("kind", "assign"), ("handler", &handler)],
    )
    .await
    .unwrap();
    assert_eq!(
        h.holding(&reference).await,
        names(&["hoankiem.lanhdao", "hoankiem.tiepnhan", "hoankiem.xuly"])
    );
    // The desk marks the assigned handler as accused: the handler and their leader lose the key
    // in the same transaction.
    let desk = h.staff("hoankiem.tiepnhan").await;
    conflicts::mark_accused(&h.app, &desk, &reference, "hoankiem.xuly")
        .await
        .unwrap();
    assert_eq!(h.holding(&reference).await, names(&["hoankiem.tiepnhan"]));
    for who in ["hoankiem.xuly", "hoankiem.lanhdao"] {
        let s = h.staff(who).await;
        assert!(is_not_found(
            casework::staff_case_view(&h.app, &s, &reference).await
        ));
    }
    // Assigning the accused again is refused; no decision brings the key back.
    let again = h
        .decide(
            "hoankiem.tiepnhan",
            &reference,
            &[("kind", "assign"), ("handler", &handler)],
        )
        .await;
    assert!(again.is_err());
    let log = h.app.store.audit_log().await.unwrap();
    assert!(log.iter().any(|e| e.action == "case.accused_marked"));

    // An unknown account, and oneself, are refused with the field named; nothing changes.
    for name in ["khong.ton.tai", "hoankiem.tiepnhan"] {
        let r = conflicts::mark_accused(&h.app, &desk, &reference, name).await;
        assert!(
            matches!(&r, Err(Error::Domain(DomainError::Invalid(f))) if f[0].field == "accused"),
            "{name}"
        );
    }

    // The desk recuses itself: nobody of the ward holds the key now, and the reporter's own
    // wrap and the recovery wrap are untouched (they are not staff wraps).
    conflicts::recuse(&h.app, &desk, &reference).await.unwrap();
    assert!(h.holding(&reference).await.is_empty());
    assert!(is_not_found(
        casework::staff_case_view(&h.app, &desk, &reference).await
    ));
    let recused = h.app.store.audit_log().await.unwrap();
    assert!(recused.iter().any(|e| e.action == "case.recused"));

    // The superior body (the City Inspectorate) may let the ward's leader back, with reasons;
    // another ward's leader may not.
    let lead_id = h.user_id("hoankiem.lanhdao").await;
    assert!(!h.policy(&reference).await.contains(&lead_id));
    let other = h.staff("caugiay.lanhdao").await;
    assert!(conflicts::chain_exclusions(&h.app, &other)
        .await
        .unwrap()
        .is_empty());
    let superior = h.staff("tttp.lanhdao").await;
    let listed = conflicts::chain_exclusions(&h.app, &superior)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(matches!(
        conflicts::override_chain(&h.app, &other, listed[0].id, "Không liên quan").await,
        Err(Error::Domain(DomainError::NotFound))
    ));
    assert!(
        conflicts::override_chain(&h.app, &superior, listed[0].id, " ")
            .await
            .is_err()
    );
    conflicts::override_chain(
        &h.app,
        &superior,
        listed[0].id,
        "Chủ tịch phường không liên quan đến cán bộ bị tố cáo",
    )
    .await
    .unwrap();
    assert!(h.policy(&reference).await.contains(&lead_id));
    // The accused stays out.
    let accused = h.user_id("hoankiem.xuly").await;
    assert!(!h.policy(&reference).await.contains(&accused));
}

async fn a_reassigned_handler_and_a_deactivated_account_lose_their_wraps(engine: Engine) {
    let h = harness(engine).await;
    h.add_staff("hoankiem.xuly2", "hoankiem", Role::Handler)
        .await;
    let reference = h.accepted_case("hoankiem").await;
    let first = h.user_id("hoankiem.xuly").await.0.to_string();
    let second = h.user_id("hoankiem.xuly2").await.0.to_string();
    h.decide(
        "hoankiem.lanhdao",
        &reference,
        &[("kind", "assign"), ("handler", &first)],
    )
    .await
    .unwrap();
    assert!(h.holding(&reference).await.contains("hoankiem.xuly"));
    h.decide(
        "hoankiem.lanhdao",
        &reference,
        &[("kind", "assign"), ("handler", &second)],
    )
    .await
    .unwrap();
    let holding = h.holding(&reference).await;
    assert!(!holding.contains("hoankiem.xuly"), "{holding:?}");
    assert!(holding.contains("hoankiem.xuly2"));

    let other = h.accepted_case("hoankiem").await;
    let wraps = admin::deactivate_user(h.app.store.as_ref(), "hoankiem.tiepnhan", h.app.now())
        .await
        .unwrap();
    assert!(wraps >= 2, "{wraps}");
    for r in [&reference, &other] {
        assert!(!h.holding(r).await.contains("hoankiem.tiepnhan"));
    }
    let id = h.user_id("hoankiem.tiepnhan").await;
    assert!(h.app.store.cases_held_by(id).await.unwrap().is_empty());
}

async fn an_officer_who_joins_later_gets_the_keys_of_open_cases_from_a_lead(engine: Engine) {
    let h = harness(engine).await;
    let reference = h.accepted_case("caugiay").await;
    let newcomer = h
        .add_staff("caugiay.tiepnhan2", "caugiay", Role::IntakeOfficer)
        .await;
    assert!(!h.holding(&reference).await.contains("caugiay.tiepnhan2"));
    // Only a lead may grant.
    let desk = h.staff("caugiay.tiepnhan").await;
    assert!(matches!(
        access::grant_open_cases(&h.app, &desk).await,
        Err(Error::Domain(DomainError::Forbidden))
    ));
    let lead = h.staff("caugiay.lanhdao").await;
    assert!(access::grant_open_cases(&h.app, &lead).await.unwrap() >= 1);
    assert!(h.holding(&reference).await.contains("caugiay.tiepnhan2"));
    let s = h.staff("caugiay.tiepnhan2").await;
    let view = casework::staff_case_view(&h.app, &s, &reference)
        .await
        .unwrap();
    assert_eq!(view.content.what, "Cán bộ nhận tiền để cấp phép");
    let case = h.case(&reference).await;
    let log = h.app.store.audit_log().await.unwrap();
    assert!(log.iter().any(|e| e.action == "case.keys_granted"
        && e.case == Some(case.id)
        && e.detail.contains(&newcomer.0.to_string())));
}

/// Random sequences of decisions, exclusions, arrivals and departures: after each step the
/// `case_keys` table holds exactly what `keys::holders` says (less newcomers no lead has
/// granted yet), and never anyone excluded.
async fn the_case_keys_table_always_matches_the_key_policy(engine: Engine) {
    let h = harness(engine).await;
    let runs = match engine {
        Engine::Sqlite => 8,
        Engine::Postgres => 4,
    };
    let mut gone: BTreeSet<String> = BTreeSet::new();
    let mut reconciliations = 0;
    for run in 0..runs {
        let mut rng = rand::rngs::StdRng::seed_from_u64(0x6b65_7973 + run);
        // Each run starts from a fresh case and a fresh desk, lead and handler.
        for (suffix, role) in [
            ("tiepnhan", Role::IntakeOfficer),
            ("lanhdao", Role::AgencyLead),
            ("xuly", Role::Handler),
        ] {
            if run > 0 {
                h.add_staff(&format!("hoankiem.{suffix}{run}"), "hoankiem", role)
                    .await;
            }
        }
        let name = |suffix: &str| match run {
            0 => format!("hoankiem.{suffix}"),
            _ => format!("hoankiem.{suffix}{run}"),
        };
        let mut people = vec![name("tiepnhan"), name("lanhdao"), name("xuly")];
        let reference = h.accepted_case_by(&people[0]).await;
        let mut pending: BTreeSet<UserId> = BTreeSet::new();
        for step in 0..10 {
            let pick =
                |rng: &mut rand::rngs::StdRng, v: &[String]| v[rng.gen_range(0..v.len())].clone();
            let actor = pick(&mut rng, &people);
            let reconciled = match rng.gen_range(0..6) {
                0 => {
                    let target = pick(&mut rng, &people);
                    let id = h.user_id(&target).await.0.to_string();
                    h.decide(&actor, &reference, &[("kind", "assign"), ("handler", &id)])
                        .await
                        .is_ok()
                }
                1 => {
                    let target = pick(&mut rng, &people);
                    let s = h.staff(&actor).await;
                    conflicts::mark_accused(&h.app, &s, &reference, &target)
                        .await
                        .is_ok()
                }
                2 => {
                    let s = h.staff(&actor).await;
                    conflicts::recuse(&h.app, &s, &reference).await.is_ok()
                }
                3 => {
                    let name = format!("hoankiem.moi{run}{step}");
                    let role =
                        [Role::IntakeOfficer, Role::Handler, Role::AgencyLead][rng.gen_range(0..3)];
                    pending.insert(h.add_staff(&name, "hoankiem", role).await);
                    people.push(name);
                    false
                }
                4 => {
                    // A grant reconciles the cases whose key the lead holds.
                    let s = h.staff(&actor).await;
                    let held = h.holding(&reference).await.contains(&actor);
                    access::grant_open_cases(&h.app, &s).await.is_ok() && held
                }
                _ => {
                    // Someone leaves (never the last person, so the walk goes on).
                    if people.len() > 2 {
                        let target = pick(&mut rng, &people);
                        admin::deactivate_user(h.app.store.as_ref(), &target, h.app.now())
                            .await
                            .unwrap();
                        people.retain(|p| *p != target);
                        gone.insert(target);
                    }
                    false
                }
            };
            if reconciled {
                pending.clear();
                reconciliations += 1;
            }
            let case = h.case(&reference).await;
            let table: BTreeSet<UserId> = h
                .app
                .store
                .case_key_holders(case.id)
                .await
                .unwrap()
                .into_iter()
                .collect();
            let policy: BTreeSet<UserId> = h
                .policy(&reference)
                .await
                .difference(&pending)
                .copied()
                .collect();
            assert_eq!(table, policy, "run {run} step {step}");
            let exclusions = h.app.store.exclusions(case.id).await.unwrap();
            for id in &table {
                let u = h.app.store.user(*id).await.unwrap().unwrap();
                assert!(u.active && !gone.contains(&u.username));
                assert!(!keys::is_excluded(u.id, u.agency, u.role, &exclusions));
            }
        }
    }
    // The walk did change who holds keys, not only fail to.
    eprintln!("{reconciliations} reconciling steps");
    assert!(reconciliations >= runs, "{reconciliations}");
}

on_both_engines!(
    a_report_against_an_agency_head_goes_to_the_superior_and_its_leads_never_hold_the_key,
    an_accused_or_recused_officer_loses_the_key_at_once_and_never_gets_it_back,
    a_reassigned_handler_and_a_deactivated_account_lose_their_wraps,
    an_officer_who_joins_later_gets_the_keys_of_open_cases_from_a_lead,
    the_case_keys_table_always_matches_the_key_policy,
);
