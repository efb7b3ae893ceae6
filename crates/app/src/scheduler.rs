//! The in-process scheduler: every node runs one; the jobs table with leases makes sure each
//! job run happens on one node only (DESIGN.md, "Storage and scale"). Periodic jobs:
//!
//! - `scan_overdue` (every 5 minutes): marks missed deadlines, alerts the agency lead and the
//!   overseers, opens the superior's follow-up (Law on Denunciation Art. 38);
//! - `remind_due_soon` (hourly): deadlines within the next working days;
//! - `review_suspended` (daily): suspended cases without news, to the agency lead;
//! - `send_mail` (every minute): the notification queue, as content-free mails.
//!
//! Time comes only from the injected clock; dates are Vietnam dates (UTC+7).

use std::sync::Arc;
use std::time::Duration;

use minhbach_store::jobs::{
    NOTIFY_DUE_SOON, NOTIFY_OVERDUE, NOTIFY_SUPERIOR_FOLLOWUP, NOTIFY_SUSPENSION_REVIEW,
};
use minhbach_store::{Job, OverdueReport, ReminderReport, Store, StoreError};
use time::Date;

use crate::clock::{Clock, LOCAL_OFFSET};
use crate::mail::{attention_mail, AttentionKind, MailError, Mailer, OutgoingMail};
use crate::Lang;

pub const JOB_SCAN_OVERDUE: &str = "scan_overdue";
pub const JOB_REMIND_DUE_SOON: &str = "remind_due_soon";
pub const JOB_REVIEW_SUSPENDED: &str = "review_suspended";
pub const JOB_SEND_MAIL: &str = "send_mail";
/// Deletes expired sessions: reporters and staff open one at every visit, and the table would
/// otherwise only grow.
pub const JOB_EXPIRE_SESSIONS: &str = "expire_sessions";
/// Protection measures whose review date has come: their officers are told once.
pub const JOB_PROTECTION_REVIEWS: &str = "protection_reviews";
/// Finished cases whose retention period has ended: their content is destroyed.
pub const JOB_RETENTION: &str = "retention";
/// Yesterday's figures, published once (see `statistics`); run hourly so a node that was down at
/// midnight publishes them when it is back.
pub const JOB_PUBLISH_FIGURES: &str = "publish_figures";

/// The periodic jobs and their period in seconds.
pub const PERIODIC: [(&str, i64); 8] = [
    (JOB_SCAN_OVERDUE, 5 * 60),
    (JOB_REMIND_DUE_SOON, 60 * 60),
    (JOB_REVIEW_SUSPENDED, 24 * 60 * 60),
    (JOB_SEND_MAIL, 60),
    (JOB_EXPIRE_SESSIONS, 15 * 60),
    (JOB_PROTECTION_REVIEWS, 60 * 60),
    (JOB_RETENTION, 24 * 60 * 60),
    (JOB_PUBLISH_FIGURES, 60 * 60),
];

/// A failed job is tried again after this long (its error is kept in `jobs.last_error`).
const RETRY_SECS: i64 = 60;
/// At most this many jobs per tick, so a job rescheduled into the past cannot hold a tick.
const MAX_JOBS_PER_TICK: usize = 32;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// How often a node looks for due jobs.
    pub tick_secs: u64,
    /// How long a claimed job or mail stays ours; after that another node may take it over.
    pub lease_secs: i64,
    /// "Due soon" = due within this many working days from today.
    pub due_soon_working_days: u32,
    /// A suspended case is put to its agency lead after this many days without an event, and
    /// again every as many days while it stays so.
    pub suspended_review_days: i64,
    /// Mails sent per run of `send_mail`.
    pub mail_batch: i64,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            tick_secs: 30,
            lease_secs: 5 * 60,
            due_soon_working_days: 2,
            suspended_review_days: 30,
            mail_batch: 50,
        }
    }
}

/// The legal data in force at each run: the working-day calendar and the rule sets with their
/// retention classes (admins may import a new year or rule set meanwhile).
pub type LegalSource = Arc<dyn Fn() -> Arc<crate::legal::Legal> + Send + Sync>;

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunReport {
    pub jobs_run: u32,
    pub jobs_failed: u32,
    pub overdue: OverdueReport,
    pub due_soon: ReminderReport,
    pub suspension_reviews: ReminderReport,
    pub mails_sent: u32,
    /// Never to be sent: no mail for the kind, or an address refused for good.
    pub mails_skipped: u32,
    /// To be retried when their lease expires.
    pub mails_failed: u32,
    pub sessions_expired: u64,
    /// Drafts of evidence files that nobody confirmed in time, deleted with their files.
    pub drafts_expired: u64,
    pub protection_reviews: u64,
    /// Finished cases whose content was destroyed at the end of their retention period.
    pub cases_purged: u64,
    /// Days whose figures were published.
    pub figures_published: u32,
}

pub struct Scheduler {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub legal: LegalSource,
    pub mailer: Arc<dyn Mailer>,
    /// Unique per running process (see [`node_name`]): a lease names its holder.
    pub node: String,
    /// The address staff use, without a trailing slash, for links in mails.
    pub public_url: String,
    pub settings: SchedulerSettings,
}

/// A node name unique to this process: `host` plus a random suffix, so that a restarted
/// process never mistakes a lease of its previous life for its own.
pub fn node_name(host: &str) -> String {
    format!("{host}-{}", hex::encode(rand::random::<[u8; 6]>()))
}

/// A date as stored (`YYYY-MM-DD`).
pub fn iso_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Which mail a notification kind becomes; `None`: in-app only.
pub fn attention_kind(notification_kind: &str) -> Option<AttentionKind> {
    match notification_kind {
        "new_case" => Some(AttentionKind::NewCase),
        NOTIFY_DUE_SOON => Some(AttentionKind::DueSoon),
        NOTIFY_OVERDUE => Some(AttentionKind::Overdue),
        // Sent to the superior body's leads: for them the case was escalated for oversight
        // (AttentionKind::SuperiorFollowUp is the text for the agency asked to report).
        NOTIFY_SUPERIOR_FOLLOWUP | "escalated" => Some(AttentionKind::Escalated),
        "superior_request" => Some(AttentionKind::SuperiorFollowUp),
        "forwarded_to_you" => Some(AttentionKind::ForwardedToYou),
        "reporter_message" => Some(AttentionKind::ReporterMessage),
        // No composed text says "review this suspension": in-app only until one exists.
        NOTIFY_SUSPENSION_REVIEW => None,
        _ => None,
    }
}

impl Scheduler {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        legal: LegalSource,
        mailer: Arc<dyn Mailer>,
        node: impl Into<String>,
        public_url: &str,
        settings: SchedulerSettings,
    ) -> Self {
        Scheduler {
            store,
            clock,
            legal,
            mailer,
            node: node.into(),
            public_url: public_url.trim_end_matches('/').to_owned(),
            settings,
        }
    }

    /// One tick: makes sure every periodic job exists, then claims and runs each due one.
    /// A job that fails is released for a retry; only a store failure outside a job (claiming,
    /// finishing) ends the tick with an error.
    pub async fn run_once(&self) -> Result<RunReport, StoreError> {
        let start = self.now();
        for (kind, _) in PERIODIC {
            self.store.ensure_periodic(kind, start).await?;
        }
        let mut report = RunReport::default();
        for _ in 0..MAX_JOBS_PER_TICK {
            let now = self.now();
            let Some(job) = self
                .store
                .claim_job(&self.node, now, self.settings.lease_secs)
                .await?
            else {
                break;
            };
            match self.run_job(&job, &mut report).await {
                Ok(()) => {
                    let next = period(&job.kind).map(|p| now.saturating_add(p));
                    let done_at = self.now();
                    if self
                        .store
                        .finish_job(job.id, &self.node, done_at, next)
                        .await?
                    {
                        report.jobs_run += 1;
                    } else {
                        // Our lease expired and another node took the job over: it reschedules.
                        tracing::warn!(job = job.id, kind = %job.kind, "job lease lost before finishing");
                    }
                }
                Err(error) => {
                    report.jobs_failed += 1;
                    tracing::warn!(job = job.id, kind = %job.kind, attempts = job.attempts, %error, "job failed; will retry");
                    self.store
                        .fail_job(
                            job.id,
                            &self.node,
                            &error,
                            self.now().saturating_add(RETRY_SECS),
                        )
                        .await?;
                }
            }
        }
        Ok(report)
    }

    /// Runs `run_once` every tick until the process ends. Errors are logged, never fatal.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick =
                tokio::time::interval(Duration::from_secs(self.settings.tick_secs.max(1)));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match self.run_once().await {
                    Ok(r) if r.jobs_run > 0 || r.jobs_failed > 0 => {
                        tracing::debug!(report = ?r, "scheduler tick")
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "scheduler tick failed; trying again next tick")
                    }
                }
            }
        })
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Today in Vietnam, the day deadlines are counted in.
    fn today(&self) -> Date {
        self.clock.now().to_offset(LOCAL_OFFSET).date()
    }

    async fn run_job(&self, job: &Job, report: &mut RunReport) -> Result<(), String> {
        let now = self.now();
        let today = self.today();
        let store_error = |e: StoreError| e.to_string();
        match job.kind.as_str() {
            JOB_SCAN_OVERDUE => {
                let r = self
                    .store
                    .scan_overdue(&iso_date(today), now)
                    .await
                    .map_err(store_error)?;
                report.overdue.breached += r.breached;
                report.overdue.followup_tasks += r.followup_tasks;
                report.overdue.notifications += r.notifications;
                if r.breached > 0 {
                    tracing::info!(breached = r.breached, "deadlines missed");
                }
            }
            JOB_REMIND_DUE_SOON => {
                let end = (self.legal)()
                    .calendar
                    .add_working_days(today, self.settings.due_soon_working_days);
                let r = self
                    .store
                    .remind_due_soon(&iso_date(today), &iso_date(end), now)
                    .await
                    .map_err(store_error)?;
                report.due_soon.items += r.items;
                report.due_soon.notifications += r.notifications;
            }
            JOB_REVIEW_SUSPENDED => {
                let r = self
                    .store
                    .review_suspended(now, self.settings.suspended_review_days)
                    .await
                    .map_err(store_error)?;
                report.suspension_reviews.items += r.items;
                report.suspension_reviews.notifications += r.notifications;
            }
            JOB_SEND_MAIL => self.send_mails(now, report).await.map_err(store_error)?,
            JOB_EXPIRE_SESSIONS => {
                report.sessions_expired += self
                    .store
                    .delete_expired_sessions(now)
                    .await
                    .map_err(store_error)?;
                // Unconfirmed evidence files expire with the same sweep.
                report.drafts_expired += self.store.purge_drafts(now).await.map_err(store_error)?;
            }
            JOB_PROTECTION_REVIEWS => {
                report.protection_reviews += self
                    .store
                    .remind_protection_reviews(&iso_date(today), now)
                    .await
                    .map_err(store_error)?;
            }
            JOB_RETENTION => {
                let legal = (self.legal)();
                report.cases_purged +=
                    crate::retention::sweep(&*self.store, &legal, self.clock.now())
                        .await
                        .map_err(store_error)?;
            }
            JOB_PUBLISH_FIGURES => {
                if crate::statistics::publish_due(&*self.store, self.clock.now())
                    .await
                    .map_err(|e| e.to_string())?
                    .is_some()
                {
                    report.figures_published += 1;
                }
            }
            // Perhaps a newer node's job: released, not dropped.
            other => return Err(format!("unknown job kind {other}")),
        }
        Ok(())
    }

    /// Mails the claimed notifications. A mail is at least once: a node that dies between
    /// sending and recording leaves it to be sent again when its lease expires.
    async fn send_mails(&self, now: i64, report: &mut RunReport) -> Result<(), StoreError> {
        let mails = self
            .store
            .pending_mails(now, self.settings.lease_secs, self.settings.mail_batch)
            .await?;
        for m in mails {
            let id = m.notification_id;
            let (Some(kind), Some(reference)) =
                (attention_kind(&m.kind), m.case_reference.as_deref())
            else {
                self.store.mail_skipped(id).await?;
                report.mails_skipped += 1;
                continue;
            };
            let link = format!("{}/staff/cases/{reference}", self.public_url);
            // Only the reference, the agency and the link: never content (mail.rs).
            let (subject, body) = attention_mail(
                Lang::Vi,
                kind,
                reference,
                m.agency_name_vi.as_deref().unwrap_or_default(),
                &link,
            );
            let mail = OutgoingMail {
                to: m.email,
                subject,
                body,
            };
            match self.mailer.send(mail).await {
                Ok(()) => {
                    self.store.mail_sent(id, self.now()).await?;
                    report.mails_sent += 1;
                }
                Err(MailError::Smtp(error)) if !error.is_permanent() => {
                    // The lease expires and a later run (of any node) tries again.
                    tracing::warn!(notification = id, %error, "mail not sent; will retry");
                    report.mails_failed += 1;
                }
                Err(error) => {
                    tracing::warn!(notification = id, %error, "mail refused for good; not retried");
                    self.store.mail_skipped(id).await?;
                    report.mails_skipped += 1;
                }
            }
        }
        Ok(())
    }
}

fn period(kind: &str) -> Option<i64> {
    PERIODIC.iter().find(|(k, _)| *k == kind).map(|(_, p)| *p)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::Mutex;

    use minhbach_crypto::{PasswordParams, ServerSecret};
    use minhbach_domain::{AgencyId, Role};
    use minhbach_store::{AuditEntry, Category, SqlStore, Store, StoreConfig};
    use sqlx::Row;
    use time::macros::{date, datetime};

    use super::*;
    use crate::clock::{Clock, FixedClock};
    use crate::mail::BoxFuture;

    #[derive(Default)]
    struct Capture(Mutex<Vec<OutgoingMail>>);

    impl Mailer for Capture {
        fn send(&self, mail: OutgoingMail) -> BoxFuture<'_, Result<(), MailError>> {
            self.0.lock().unwrap().push(mail);
            Box::pin(async { Ok(()) })
        }
    }

    #[test]
    fn dates_and_kinds() {
        assert_eq!(iso_date(date!(2026 - 03 - 09)), "2026-03-09");
        assert_eq!(attention_kind("overdue"), Some(AttentionKind::Overdue));
        assert_eq!(
            attention_kind("superior_followup"),
            Some(AttentionKind::Escalated)
        );
        assert_eq!(attention_kind("suspension_review"), None);
        assert_eq!(period(JOB_SEND_MAIL), Some(60));
        assert_eq!(period("nope"), None);
        assert_ne!(node_name("h"), node_name("h"));
    }

    /// A staff account made the way the product makes them, with a mail address.
    async fn user(
        secret: &ServerSecret,
        store: &SqlStore,
        name: &str,
        agency: Option<i64>,
        role: Role,
        email: &str,
    ) {
        let account = crate::admin::StaffAccount {
            username: name,
            display_name: name,
            password: "test password",
            agency: agency.map(AgencyId),
            role,
            totp: None,
        };
        let (id, _) = crate::admin::create_staff(store, secret, &account, PasswordParams::TEST, 1)
            .await
            .unwrap();
        sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
            .bind(email)
            .bind(id.0)
            .execute(store.pool())
            .await
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tick_raises_alarms_once_and_mails_without_content() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("s.db").display());
        let store = Arc::new(SqlStore::open(&StoreConfig::new(url)).await.unwrap());
        // 00:30 in Hanoi is still the 9th in UTC: "today" must be the Vietnam date.
        let clock = Arc::new(FixedClock::new(datetime!(2026-03-10 00:30 +7)));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let secret = ServerSecret::generate(&mut rand::rngs::OsRng);
        crate::admin::create_organisation(store.as_ref(), "T", "HN", false, 1)
            .await
            .unwrap();
        for code in ["ward", "tt"] {
            crate::admin::create_agency(
                store.as_ref(),
                code,
                &format!("Cơ quan {code}"),
                code,
                code,
                1,
            )
            .await
            .unwrap();
        }
        store
            .set_default_agency(AgencyId(2), &AuditEntry::new(1, "test", "default", None))
            .await
            .unwrap();
        let land = Category {
            code: "land".into(),
            name_vi: "Đất".into(),
            name_en: "Land".into(),
            position: 0,
        };
        crate::admin::create_category(store.as_ref(), land, 1)
            .await
            .unwrap();
        user(
            &secret,
            &store,
            "lead",
            Some(1),
            Role::AgencyLead,
            "lead@a.test",
        )
        .await;
        user(
            &secret,
            &store,
            "tt_lead",
            Some(2),
            Role::AgencyLead,
            "tt@a.test",
        )
        .await;
        user(
            &secret,
            &store,
            "overseer",
            None,
            Role::Overseer,
            "o@a.test",
        )
        .await;
        let case: i64 = sqlx::query(
            "INSERT INTO cases (reference, receipt_lookup, agency_id, category, state, channel, \
             anonymous, received_at, updated_at, content_sealed, case_key_reporter, \
             case_key_recovery) VALUES ('HN-2026-000001', $1, 1, 'land', 'VERIFYING', 'web', 1, \
             100, 100, $1, $1, $1) RETURNING id",
        )
        .bind(vec![1u8; 32])
        .fetch_one(store.pool())
        .await
        .unwrap()
        .try_get("id")
        .unwrap();
        // Tuesday 10 March 2026: one resolution deadline passed, one due Thursday (2 WD).
        for (name, due) in [("resolution", "2026-03-09"), ("notice", "2026-03-12")] {
            sqlx::query(
                "INSERT INTO case_clocks (case_id, clock, rule_id, rule_set, agency_id, \
                 started_on, due_on, created_at) VALUES ($1, $2, $2, '2026-01-01', 1, \
                 '2026-02-01', $3, 100)",
            )
            .bind(case)
            .bind(name)
            .bind(due)
            .execute(store.pool())
            .await
            .unwrap();
        }

        let mailer = Arc::new(Capture::default());
        let scheduler = Scheduler::new(
            store.clone(),
            dyn_clock,
            {
                let legal = Arc::new(crate::legal::Legal {
                    rules: Default::default(),
                    calendar: Default::default(),
                });
                Arc::new(move || legal.clone())
            },
            mailer.clone(),
            node_name("test"),
            "https://mb.test/",
            SchedulerSettings::default(),
        );

        // One session long expired, one still open.
        for (token, expires_at) in [(1u8, 0), (2, i64::MAX)] {
            store
                .create_session(&minhbach_store::NewSession {
                    token_hash: vec![token; 32],
                    kind: minhbach_store::SessionKind::Reporter,
                    user: None,
                    case: None,
                    sealed_key: vec![0; 48],
                    now: 0,
                    expires_at,
                })
                .await
                .unwrap();
        }

        let r = scheduler.run_once().await.unwrap();
        assert_eq!(r.jobs_run, PERIODIC.len() as u32, "{r:?}");
        assert_eq!(r.sessions_expired, 1);
        assert_eq!((r.overdue.breached, r.overdue.followup_tasks), (1, 1));
        assert_eq!(r.due_soon.items, 1);
        // overdue: lead + overseer; follow-up: the inspectorate's lead; due soon: the lead.
        // Mail ran in the same tick, after the scans (jobs are claimed by run_at, then id).
        let mails = mailer.0.lock().unwrap().clone();
        assert_eq!(r.mails_sent as usize, mails.len());
        assert_eq!(mails.len(), 4, "{mails:#?}");
        for m in &mails {
            assert!(m.subject.contains("HN-2026-000001"), "{}", m.subject);
            assert!(m
                .body
                .contains("https://mb.test/staff/cases/HN-2026-000001\n"));
            assert!(m.body.contains("Cơ quan ward"));
        }
        let to = |addr: &str| mails.iter().filter(|m| m.to == addr).count();
        assert_eq!(
            (to("lead@a.test"), to("o@a.test"), to("tt@a.test")),
            (2, 1, 1)
        );

        // Nothing is due again at once; five minutes later the scan and mail run, adding nothing.
        assert_eq!(scheduler.run_once().await.unwrap().jobs_run, 0);
        clock.advance(time::Duration::minutes(5));
        let r = scheduler.run_once().await.unwrap();
        assert_eq!(r.jobs_run, 2, "{r:?}");
        assert_eq!(r.overdue, OverdueReport::default());
        assert_eq!(mailer.0.lock().unwrap().len(), 4);
        let pending: i64 = sqlx::query("SELECT COUNT(*) AS n FROM jobs WHERE done_at IS NULL")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert_eq!(
            pending,
            PERIODIC.len() as i64,
            "one pending run per periodic job"
        );
        let log = store.audit_log().await.unwrap();
        assert_eq!(store.audit_verify(&[]).await.unwrap(), Ok(log.len()));
    }
}
