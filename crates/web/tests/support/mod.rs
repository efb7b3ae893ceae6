//! `TestApp`: the real router on a free port over a temporary database, seeded with the demo
//! city, with a fixed clock and a plain HTTP client that follows no redirects and keeps no
//! cookies (tests pass them explicitly, as a browser without script would).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use minhbach_app::clock::{Clock, FixedClock};
use minhbach_app::demo;
use minhbach_crypto::{PasswordParams, ServerSecret};
use minhbach_domain::UserId;
use minhbach_store::{SqlStore, StoreConfig};
use minhbach_web::{AppState, WebConfig};
use sqlx::Row;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub fn postgres_url() -> Option<String> {
    std::env::var("MINHBACH_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Arc<SqlStore>,
    pub clock: Arc<FixedClock>,
    pub data: tempfile::TempDir,
    pub schema: Option<String>,
    pub agencies: Vec<(String, i64)>,
    pub state: AppState,
    receipts: Mutex<HashMap<String, String>>,
    errors: Arc<AtomicUsize>,
    /// The cookie that binds sign-in forms to this "browser", as a browser keeps it.
    binding: Mutex<Option<String>>,
}

/// A clock as the API shows it: (clock, due_on, completed_on, met).
pub type ClockSeen = (String, Option<String>, Option<String>, Option<bool>);

pub struct Resp {
    pub status: u16,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// `name=value` of the session cookie set by this response.
    pub fn cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| {
                c.starts_with("__Host-mb-")
                    && !c.starts_with("__Host-mb-form=")
                    && !c.starts_with("__Host-mb-receipt=")
            })
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }

    /// `name=value` of the cookie that keeps the receipt page reloadable.
    pub fn receipt_cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("__Host-mb-receipt="))
            .and_then(|c| c.split(';').next())
            .map(str::to_owned)
    }

    pub fn receipt(&self) -> String {
        let start = self
            .body
            .find("id=\"receipt\">")
            .expect("receipt on the page")
            + "id=\"receipt\">".len();
        self.body[start..start + 19].to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Every hidden input of a page, in order, with HTML entities decoded.
pub fn hidden_fields(body: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find("<input type=\"hidden\" name=\"") {
        rest = &rest[at + "<input type=\"hidden\" name=\"".len()..];
        let name = rest.split('"').next().unwrap_or_default().to_owned();
        let value_at = rest.find("value=\"").unwrap() + "value=\"".len();
        let value = rest[value_at..].split('"').next().unwrap_or_default();
        out.push((name, unescape(value)));
    }
    out
}

/// Decodes the entities askama writes.
pub fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of a hidden input on a page.
pub fn hidden(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name}"))
        + marker.len();
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_at(engine, time::macros::datetime!(2026-11-27 09:00 +7)).await
    }

    /// A server whose clock starts at `start` (Vietnam time).
    pub async fn spawn_at(engine: Engine, start: time::OffsetDateTime) -> TestApp {
        Self::spawn_with(engine, start, |_| {}).await
    }

    /// A server with some application settings changed (budgets, throttles).
    pub async fn spawn_with(
        engine: Engine,
        start: time::OffsetDateTime,
        change: impl FnOnce(&mut minhbach_app::AppSettings),
    ) -> TestApp {
        let data = tempfile::tempdir().unwrap();
        let (config, schema) = match engine {
            Engine::Sqlite => (
                StoreConfig::new(format!(
                    "sqlite://{}",
                    data.path().join("minhbach.db").display()
                )),
                None,
            ),
            Engine::Postgres => {
                let schema = format!("t_{}", hex::encode(rand::random::<[u8; 6]>()));
                let mut c = StoreConfig::new(postgres_url().unwrap());
                c.schema = Some(schema.clone());
                (c, Some(schema))
            }
        };
        let store = Arc::new(SqlStore::open(&config).await.unwrap());
        let clock = Arc::new(FixedClock::new(start));
        let mut web = WebConfig {
            app: minhbach_app::AppSettings {
                password: PasswordParams::TEST,
                receipt_failures_per_minute: 80,
                receipt_failures_per_form: 3,
                ..minhbach_app::AppSettings::default()
            },
            ..WebConfig::default()
        };
        change(&mut web.app);
        let secret = ServerSecret::generate(&mut rand::rngs::OsRng);
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let state = AppState::new(store.clone(), secret, dyn_clock, web).unwrap();
        state.load_legal().await.unwrap();
        let city = demo::seed(&state, PasswordParams::TEST).await.unwrap();
        let errors = Arc::new(AtomicUsize::new(0));
        let counter = errors.clone();
        let app = minhbach_web::router(state.clone()).layer(axum::middleware::from_fn(
            move |req: axum::extract::Request, next: axum::middleware::Next| {
                let counter = counter.clone();
                async move {
                    let r = next.run(req).await;
                    if r.status().is_server_error() {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    r
                }
            },
        ));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .unwrap();
        let receipts = city.receipts.iter().cloned().collect();
        TestApp {
            base,
            client,
            store,
            clock,
            data,
            schema,
            agencies: city
                .agencies
                .iter()
                .map(|(c, id)| (c.clone(), id.0))
                .collect(),
            state,
            receipts: Mutex::new(receipts),
            errors,
            binding: Mutex::new(None),
        }
    }

    pub fn agency(&self, code: &str) -> i64 {
        self.agencies.iter().find(|(c, _)| c == code).unwrap().1
    }

    pub fn receipt_of(&self, reference: &str) -> String {
        self.receipts.lock().unwrap()[reference].clone()
    }

    pub fn server_errors(&self) -> usize {
        self.errors.load(Ordering::SeqCst)
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.text().await.unwrap();
        Resp {
            status,
            body,
            headers,
        }
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Resp {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        self.send(req).await
    }

    pub async fn get_json(&self, path: &str, bearer: &str) -> Resp {
        self.send(
            self.client
                .get(format!("{}{path}", self.base))
                .bearer_auth(bearer),
        )
        .await
    }

    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Resp {
        let r = self.post_form_raw(path, fields, cookie).await;
        self.follow_receipt(r).await
    }

    /// [`Self::post_form`] without following the redirect to the receipt page.
    pub async fn post_form_raw(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> Resp {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        let binding = self.binding.lock().unwrap().clone();
        let cookies: Vec<&str> = cookie.into_iter().chain(binding.as_deref()).collect();
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        self.send(req).await
    }

    /// A recorded report answers with a redirect to the receipt page and the receipt in a
    /// short-lived cookie: follow it as a browser would, so the caller sees the receipt page.
    pub async fn follow_receipt(&self, r: Resp) -> Resp {
        let to_receipt = r.status == 303
            && r.headers.get("location").and_then(|v| v.to_str().ok()) == Some("/report/receipt");
        if !to_receipt {
            return r;
        }
        let cookie = r
            .receipt_cookie()
            .expect("the receipt cookie is set with the redirect");
        self.get("/report/receipt", Some(&cookie)).await
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: serde_json::Value,
        bearer: Option<&str>,
    ) -> Resp {
        let mut req = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        self.send(req).await
    }

    pub async fn post_raw_json(&self, path: &str, body: String) -> Resp {
        self.send(
            self.client
                .post(format!("{}{path}", self.base))
                .header("content-type", "application/json")
                .body(body),
        )
        .await
    }

    /// A `multipart/form-data` form with files, as a browser sends it: `files` are
    /// (file name, bytes) of the `files` input.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
        cookie: Option<&str>,
    ) -> Resp {
        let boundary = "----minhbachtestboundary7e3f";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .into_bytes(),
            );
        }
        for (name, bytes) in files {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\n\
                     Content-Type: application/octet-stream\r\n\r\n"
                )
                .into_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").into_bytes());
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body);
        let binding = self.binding.lock().unwrap().clone();
        let cookies: Vec<&str> = cookie.into_iter().chain(binding.as_deref()).collect();
        if !cookies.is_empty() {
            req = req.header("cookie", cookies.join("; "));
        }
        self.send(req).await
    }

    /// A download: status, headers and the raw bytes.
    pub async fn get_bytes(
        &self,
        path: &str,
        cookie: &str,
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.bytes().await.unwrap().to_vec())
    }

    /// The token of the form on `path`, kept with the form-binding cookie the page sets, which
    /// [`Self::post_form`] then sends like a browser.
    pub async fn form_token(&self, path: &str) -> String {
        let binding = self.binding.lock().unwrap().clone();
        let page = self.get(path, binding.as_deref()).await;
        if let Some(set) = page
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("__Host-mb-form="))
        {
            *self.binding.lock().unwrap() = set.split(';').next().map(str::to_owned);
        }
        hidden(&page.body, "token")
    }

    /// Forgets the form-binding cookie, as another browser would not have it.
    pub fn forget_binding(&self) {
        *self.binding.lock().unwrap() = None;
    }

    pub async fn report_form(&self) -> String {
        self.form_token("/report").await
    }

    pub async fn submit_api_to(
        &self,
        category: &str,
        what: &str,
        agency: Option<&str>,
    ) -> (String, String) {
        let agency = agency
            .map(|a| self.agency(a).to_string())
            .unwrap_or_default();
        let r = self
            .post_json(
                "/api/v1/reports",
                serde_json::json!({"category": category, "what": what, "agency": agency}),
                None,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        let (reference, receipt) = (
            v["reference"].as_str().unwrap().to_owned(),
            v["receipt"].as_str().unwrap().to_owned(),
        );
        self.receipts
            .lock()
            .unwrap()
            .insert(reference.clone(), receipt.clone());
        (reference, receipt)
    }

    pub async fn submit_api(&self, category: &str, what: &str) -> (String, String) {
        self.submit_api_to(category, what, None).await
    }

    /// Moves the fixed clock to `at` (never backwards: codes and sessions assume time moves on).
    pub fn set_time(&self, at: time::OffsetDateTime) {
        let now = self.clock.now();
        assert!(at >= now, "time only moves forward in tests");
        self.clock.advance(at - now);
    }

    /// The clocks of a case as the API shows them: (clock, due_on, completed_on, met).
    pub async fn clocks_of(
        &self,
        token: &str,
        reference: &str,
    ) -> Vec<(String, Option<String>, Option<String>, Option<bool>)> {
        let v = self
            .get_json(&format!("/api/v1/staff/cases/{reference}"), token)
            .await
            .json();
        v["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let s = |k: &str| c[k].as_str().map(str::to_owned);
                (
                    s("clock").unwrap(),
                    s("due_on"),
                    s("completed_on"),
                    c["met"].as_bool(),
                )
            })
            .collect()
    }

    /// The demo accounts' second-factor code, one step later than the previous one (a code is
    /// accepted once, so each sign-in moves the fixed clock on by one step).
    pub fn next_code(&self) -> String {
        self.clock.advance(time::Duration::seconds(30));
        demo::demo_code(self.clock.now().unix_timestamp())
    }

    pub async fn staff_token(&self, username: &str) -> String {
        let r = self
            .post_json(
                "/api/v1/staff/session",
                serde_json::json!({"username": username, "password": demo::DEMO_PASSWORD, "code": self.next_code()}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn staff_cookie(&self, username: &str) -> String {
        let token = self.form_token("/staff/login").await;
        let r = self
            .post_form(
                "/staff/login",
                &[
                    ("token", token.as_str()),
                    ("username", username),
                    ("password", demo::DEMO_PASSWORD),
                    ("code", self.next_code().as_str()),
                ],
                None,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        r.cookie().unwrap()
    }

    pub async fn reporter_login(&self, receipt: &str) -> String {
        let r = self
            .post_json(
                "/api/v1/reporter/session",
                serde_json::json!({"receipt": receipt}),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["token"].as_str().unwrap().to_owned()
    }

    pub async fn reporter_cookie(&self, receipt: &str) -> String {
        let token = self.form_token("/status").await;
        let r = self
            .post_form(
                "/status",
                &[("token", token.as_str()), ("receipt", receipt)],
                None,
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.body);
        r.cookie().unwrap()
    }

    pub async fn reporter_case_json(&self, token: &str) -> serde_json::Value {
        let r = self.get_json("/api/v1/reporter/case", token).await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    pub async fn reporter_message_api(&self, token: &str, body: &str) {
        let r = self
            .post_json(
                "/api/v1/reporter/messages",
                serde_json::json!({"body": body}),
                Some(token),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }

    pub async fn transition_api(
        &self,
        token: &str,
        reference: &str,
        body: serde_json::Value,
    ) -> Resp {
        self.post_json(
            &format!("/api/v1/staff/cases/{reference}/transitions"),
            body,
            Some(token),
        )
        .await
    }

    pub async fn count_cases(&self) -> i64 {
        sqlx::query("SELECT COUNT(*) AS n FROM cases")
            .fetch_one(self.store.pool())
            .await
            .unwrap()
            .get::<i64, _>("n")
    }

    pub async fn users_of(&self, agency: &str) -> Vec<UserId> {
        sqlx::query("SELECT id FROM users WHERE agency_id = $1")
            .bind(self.agency(agency))
            .fetch_all(self.store.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| UserId(r.get::<i64, _>("id")))
            .collect()
    }

    /// Everything a thief would take: every file of the data directory (database, WAL, secret)
    /// and, on PostgreSQL, every row of every table as text.
    pub async fn dump_everything(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut dirs = vec![PathBuf::from(self.data.path())];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    out.extend(std::fs::read(path).unwrap());
                }
            }
        }
        if let Some(schema) = &self.schema {
            let tables = sqlx::query("SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = $1")
                .bind(schema.clone())
                .fetch_all(self.store.pool())
                .await
                .unwrap();
            assert!(tables.len() >= 10);
            for t in tables {
                let table: String = t.get("t");
                let rows = sqlx::query(&format!(
                    "SELECT row_to_json(x)::text AS j FROM \"{schema}\".\"{table}\" x"
                ))
                .fetch_all(self.store.pool())
                .await
                .unwrap();
                for r in rows {
                    out.extend(r.get::<String, _>("j").into_bytes());
                }
            }
        } else {
            assert!(out.len() > 10_000, "the SQLite files were read");
        }
        out
    }
}
