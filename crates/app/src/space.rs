//! Watches the free space of the data directory and alerts the operators when it falls below
//! the reserve (the store then refuses writes that grow the data, see
//! `minhbach_store::SpaceGuard`) and when it recovers.
//!
//! The alert goes to the log at error level and, when addresses are configured, by mail sent
//! straight through the mailer: the mail queue lives in the database, which is what has no room.

use std::sync::Arc;
use std::time::Duration;

use minhbach_store::{SpaceStatus, Store};

use crate::mail::{Mailer, OutgoingMail};

/// What changed since the last look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpaceChange {
    /// Free space fell below the reserve (or could not be read).
    Low(Option<SpaceStatus>),
    /// Free space is back above the reserve.
    Recovered(SpaceStatus),
}

pub struct SpaceMonitor {
    store: Arc<dyn Store>,
    mailer: Arc<dyn Mailer>,
    alert_to: Vec<String>,
    low: bool,
}

impl SpaceMonitor {
    pub fn new(store: Arc<dyn Store>, mailer: Arc<dyn Mailer>, alert_to: Vec<String>) -> Self {
        SpaceMonitor {
            store,
            mailer,
            alert_to,
            low: false,
        }
    }

    /// Looks once; alerts on a change and returns it.
    pub async fn check(&mut self) -> Option<SpaceChange> {
        let change = match self.store.space()? {
            Ok(s) if s.low() && !self.low => SpaceChange::Low(Some(s)),
            Ok(s) if !s.low() && self.low => SpaceChange::Recovered(s),
            Ok(_) => return None,
            Err(error) if !self.low => {
                tracing::error!(%error, "cannot read the free space of the data directory");
                SpaceChange::Low(None)
            }
            Err(_) => return None,
        };
        self.low = matches!(change, SpaceChange::Low(_));
        match change {
            SpaceChange::Low(s) => tracing::error!(
                available_mib = s.map(|s| s.available_bytes >> 20),
                reserve_mib = s.map(|s| s.reserve_bytes >> 20),
                "data directory below its free-space reserve: new reports, messages and decisions \
                 are refused (503) until space is freed; reading goes on"
            ),
            SpaceChange::Recovered(s) => tracing::warn!(
                available_mib = s.available_bytes >> 20,
                "free space of the data directory is back above its reserve: writes accepted again"
            ),
        }
        self.mail(change).await;
        Some(change)
    }

    async fn mail(&self, change: SpaceChange) {
        let (subject, body) = alert_mail(change);
        for to in &self.alert_to {
            let mail = OutgoingMail {
                to: to.clone(),
                subject: subject.clone(),
                body: body.clone(),
            };
            if let Err(error) = self.mailer.send(mail).await {
                tracing::error!(%to, %error, "could not mail the free-space alert");
            }
        }
    }

    /// Looks every `every` until the process ends.
    pub fn spawn(mut self, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                self.check().await;
            }
        })
    }
}

/// The operators' mail, in both languages: figures only, nothing of any case.
pub fn alert_mail(change: SpaceChange) -> (String, String) {
    let mib = |b: u64| b >> 20;
    match change {
        SpaceChange::Low(s) => {
            let figures = s.map_or_else(
                || "không đọc được / could not be read".to_owned(),
                |s| {
                    format!(
                        "{} MiB (dự trữ / reserve {} MiB)",
                        mib(s.available_bytes),
                        mib(s.reserve_bytes)
                    )
                },
            );
            (
                "[Minh Bạch] Sắp hết dung lượng lưu trữ / Storage nearly full".to_owned(),
                format!(
                    "Dung lượng trống của thư mục dữ liệu: {figures}.\n\
                     Hệ thống đang từ chối phản ánh, tin nhắn và quyết định mới (mã 503) cho đến \
                     khi có thêm dung lượng; việc đọc hồ sơ vẫn tiếp tục.\n\
                     \n\
                     Free space of the data directory: {figures}.\n\
                     New reports, messages and decisions are refused (503) until space is freed; \
                     reading goes on.\n"
                ),
            )
        }
        SpaceChange::Recovered(s) => (
            "[Minh Bạch] Đã có lại dung lượng lưu trữ / Storage recovered".to_owned(),
            format!(
                "Dung lượng trống của thư mục dữ liệu: {} MiB. Hệ thống nhận phản ánh trở lại.\n\
                 \n\
                 Free space of the data directory: {} MiB. Reports are accepted again.\n",
                mib(s.available_bytes),
                mib(s.available_bytes)
            ),
        ),
    }
}
