//! The administration commands, run as a user runs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

fn minhbach(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_minhbach"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("MINHBACH_DATABASE_URL")
        .output()
        .unwrap()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A copy of a data directory, to attack one copy while keeping the original.
fn copy_of(data: &Path) -> tempfile::TempDir {
    let copy = tempfile::tempdir().unwrap();
    let ok = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", data.display()))
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(ok.success());
    copy
}

/// Opens the copy's database as someone who owns its tables: the append-only triggers dropped.
async fn raw_db(data: &Path) -> minhbach_store::SqlStore {
    let url = format!("sqlite://{}", data.join("minhbach.db").display());
    let store = minhbach_store::SqlStore::open(&minhbach_store::StoreConfig::new(url))
        .await
        .unwrap();
    for t in ["audit_log_no_update", "audit_log_no_delete"] {
        sqlx::query(&format!("DROP TRIGGER {t}"))
            .execute(store.pool())
            .await
            .unwrap();
    }
    store
}

/// What a database writer without the server key can compute: the plain SHA-256 chain.
fn plain_chain_value(prev: &[u8], r: &minhbach_store::AuditRecord) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"minhbach audit v1");
    h.update(prev);
    h.update(r.seq.to_be_bytes());
    h.update(r.at.to_be_bytes());
    for field in [r.actor.as_bytes(), r.action.as_bytes(), r.detail.as_bytes()] {
        h.update((field.len() as u64).to_be_bytes());
        h.update(field);
    }
    h.update(r.case.map_or(-1, |c| c.0).to_be_bytes());
    h.finalize().to_vec()
}

#[tokio::test]
async fn audit_verify_catches_every_rewrite_and_the_server_key_is_never_regenerated() {
    use minhbach_store::Store;
    let dir = tempfile::tempdir().unwrap();
    let seeded = minhbach(dir.path(), &["demo", "--no-serve"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let out = String::from_utf8_lossy(&seeded.stdout);
    assert!(out.contains("ORGANISATION RECOVERY KEY") && out.contains("MBR1-"));
    assert!(out.contains("tttp.tiepnhan") && out.contains("HN-20"));

    let ok = minhbach(dir.path(), &["audit", "verify"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(
        said.contains("chain intact") && said.contains("checkpoint public key"),
        "{said}"
    );

    // Finding L6: the data directory and everything secret in it are the owner's only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path()), 0o700);
        assert_eq!(mode(&dir.path().join("secrets")), 0o700);
        for file in ["minhbach.db", "secrets/server.key", "audit/checkpoints"] {
            assert_eq!(mode(&dir.path().join(file)), 0o600, "{file}");
        }
    }

    // Finding H1, 1: one row edited.
    let edited = copy_of(dir.path());
    let db = raw_db(edited.path()).await;
    sqlx::query("UPDATE audit_log SET actor = 'someone-else' WHERE seq = 2")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let broken = minhbach(edited.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(stderr(&broken).contains("event 2"), "{}", stderr(&broken));

    // 2: rows deleted, the chain recomputed after them and the head moved, as the old chain
    // allowed; marking them as the old unkeyed kind does not help.
    for relabel in [false, true] {
        let rebuilt = copy_of(dir.path());
        let db = raw_db(rebuilt.path()).await;
        sqlx::query("DELETE FROM audit_log WHERE seq IN (3, 4)")
            .execute(db.pool())
            .await
            .unwrap();
        let mut log = db.audit_log().await.unwrap();
        let mut prev = log[1].hash.clone();
        for (i, r) in log.iter_mut().enumerate().skip(2) {
            let old = r.seq;
            r.seq = i64::try_from(i).unwrap() + 1;
            let value = plain_chain_value(&prev, r);
            sqlx::query(
                "UPDATE audit_log SET seq = $1, prev_hash = $2, hash = $3, v = $4 WHERE seq = $5",
            )
            .bind(r.seq)
            .bind(prev.clone())
            .bind(value.clone())
            .bind(if relabel { 1i64 } else { 2 })
            .bind(old)
            .execute(db.pool())
            .await
            .unwrap();
            prev = value;
        }
        let last = i64::try_from(log.len()).unwrap();
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2")
            .bind(last)
            .bind(prev)
            .execute(db.pool())
            .await
            .unwrap();
        db.close().await;
        let broken = minhbach(rebuilt.path(), &["audit", "verify"]);
        assert_eq!(broken.status.code(), Some(1), "relabel {relabel}");
        assert!(stderr(&broken).contains("event 3"), "{}", stderr(&broken));
    }

    // 3: the log emptied and the head set back to 0: shorter than the signed checkpoint.
    let emptied = copy_of(dir.path());
    let db = raw_db(emptied.path()).await;
    sqlx::query("DELETE FROM audit_log")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = 0, hash = $1")
        .bind(vec![0u8; 32])
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let broken = minhbach(emptied.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stderr(&broken).contains("checkpoint"),
        "{}",
        stderr(&broken)
    );
    // A server does not start on it either.
    let serve = minhbach(emptied.path(), &["serve"]);
    assert!(!serve.status.success());
    assert!(stderr(&serve).contains("audit log"), "{}", stderr(&serve));

    // 4: a checkpoint edited to match a shorter log does not carry the key's signature.
    let forged = copy_of(dir.path());
    let file = forged.path().join("audit/checkpoints");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut fields: Vec<String> = text
        .lines()
        .next()
        .unwrap()
        .split(' ')
        .map(str::to_owned)
        .collect();
    fields[1] = "1".into();
    std::fs::write(&file, fields.join(" ") + "\n").unwrap();
    let broken = minhbach(forged.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(stderr(&broken).contains("signature"), "{}", stderr(&broken));

    // Finding M5: a missing server key is not regenerated, and another key is refused.
    let keyless = copy_of(dir.path());
    std::fs::remove_file(keyless.path().join("secrets/server.key")).unwrap();
    for args in [&["serve"][..], &["audit", "verify"]] {
        let refused = minhbach(keyless.path(), args);
        assert!(!refused.status.success());
        assert!(stderr(&refused).contains("missing"), "{}", stderr(&refused));
    }
    assert!(!keyless.path().join("secrets/server.key").exists());
    std::fs::write(keyless.path().join("secrets/server.key"), [9u8; 32]).unwrap();
    let refused = minhbach(keyless.path(), &["serve"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("does not match"),
        "{}",
        stderr(&refused)
    );
}

#[tokio::test]
async fn a_backup_restores_only_when_its_key_and_log_check_out() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = minhbach(dir.path(), &["demo", "--no-serve"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let out = String::from_utf8_lossy(&seeded.stdout).into_owned();
    let receipts: Vec<String> = out
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let (r, k) = (w.next()?, w.next()?);
            (r.starts_with("HN-") && k.len() == 19).then(|| k.to_owned())
        })
        .collect();
    assert!(!receipts.is_empty(), "{out}");

    let backups = tempfile::tempdir().unwrap();
    let to = backups.path().join("b1");
    let made = minhbach(dir.path(), &["backup", to.to_str().unwrap()]);
    assert!(made.status.success(), "{}", stderr(&made));
    for part in ["minhbach.db", "secrets/server.key", "audit/checkpoints"] {
        assert!(to.join(part).exists(), "{part}");
    }
    let again = minhbach(dir.path(), &["backup", to.to_str().unwrap()]);
    assert!(!again.status.success(), "never over an earlier backup");

    // Restored into an empty directory: the log verifies and every receipt opens its case.
    let fresh = tempfile::tempdir().unwrap();
    let restored = minhbach(fresh.path(), &["restore", to.to_str().unwrap()]);
    assert!(restored.status.success(), "{}", stderr(&restored));
    let url = format!("sqlite://{}", fresh.path().join("minhbach.db").display());
    let key: [u8; 32] = std::fs::read(fresh.path().join("secrets/server.key"))
        .unwrap()
        .try_into()
        .unwrap();
    let store = std::sync::Arc::new(
        minhbach_store::SqlStore::open(&minhbach_store::StoreConfig::new(url))
            .await
            .unwrap(),
    );
    let app = minhbach_app::App::new(
        store.clone(),
        minhbach_crypto::ServerSecret::from_bytes(key),
        std::sync::Arc::new(minhbach_app::clock::SystemClock),
        minhbach_app::AppSettings::default(),
    )
    .unwrap();
    for r in &receipts {
        minhbach_app::reporter::reporter_login(
            &app,
            r,
            minhbach_app::reporter::ReceiptForm::Unbound,
        )
        .await
        .unwrap_or_else(|e| panic!("{r}: {e}"));
    }
    store.close().await;
    let busy = minhbach(fresh.path(), &["restore", to.to_str().unwrap()]);
    assert!(!busy.status.success(), "never over a data directory in use");

    // A backup whose log was cut, or whose key is another's, is not restored.
    let cut = backups.path().join("cut");
    assert!(Command::new("cp")
        .arg("-a")
        .arg(&to)
        .arg(&cut)
        .status()
        .unwrap()
        .success());
    let db = raw_db(&cut).await;
    sqlx::query("DELETE FROM audit_log WHERE seq > 3")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)")
        .execute(db.pool())
        .await
        .unwrap();
    // Into the database file itself: restore copies minhbach.db, not a write-ahead log.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let target = tempfile::tempdir().unwrap();
    let refused = minhbach(target.path(), &["restore", cut.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("not restored"),
        "{}",
        stderr(&refused)
    );
    assert!(
        !target.path().join("minhbach.db").exists(),
        "nothing left behind"
    );
    let other_key = backups.path().join("other-key");
    assert!(Command::new("cp")
        .arg("-a")
        .arg(&to)
        .arg(&other_key)
        .status()
        .unwrap()
        .success());
    std::fs::write(other_key.join("secrets/server.key"), [3u8; 32]).unwrap();
    let refused = minhbach(target.path(), &["restore", other_key.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("does not match"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn init_prints_the_recovery_key_once_and_refuses_a_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"],
    );
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    let key_line = out
        .lines()
        .find(|l| l.trim_start().starts_with("MBR1-"))
        .unwrap()
        .trim()
        .to_owned();
    // The private half is not kept anywhere in the data directory.
    let mut stored = Vec::new();
    for entry in walk(dir.path()) {
        stored.extend(std::fs::read(entry).unwrap());
    }
    assert!(!stored
        .windows(key_line.len())
        .any(|w| w == key_line.as_bytes()));
    let second = minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"],
    );
    assert!(!second.status.success());
    let short = minhbach(
        tempfile::tempdir().unwrap().path(),
        &["init", "--admin-password", "short"],
    );
    assert!(!short.status.success());
}

#[test]
fn an_unknown_configuration_key_is_refused_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("minhbach.toml"),
        "listen = \"127.0.0.1:0\"\nlisten_adress = \"x\"\n",
    )
    .unwrap();
    let out = minhbach(dir.path(), &["audit", "verify"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen_adress"));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn agencies_categories_and_staff_are_added_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"]
    )
    .status
    .success());
    let agency = minhbach(
        dir.path(),
        &[
            "agency",
            "add",
            "--code",
            "tayho",
            "--name-vi",
            "UBND phường Tây Hồ",
            "--name-en",
            "Tay Ho Ward",
            "--kind",
            "ward",
            "--default",
        ],
    );
    assert!(
        agency.status.success(),
        "{}",
        String::from_utf8_lossy(&agency.stderr)
    );
    let list = minhbach(dir.path(), &["agency", "list"]);
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("tayho")
            && String::from_utf8_lossy(&list.stdout).contains("default intake")
    );
    assert!(minhbach(
        dir.path(),
        &[
            "category",
            "set",
            "--code",
            "land",
            "--name-vi",
            "Đất đai",
            "--name-en",
            "Land"
        ]
    )
    .status
    .success());
    let user = minhbach(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "tayho.tiepnhan",
            "--name",
            "Cán bộ tiếp nhận",
            "--role",
            "intake_officer",
            "--agency",
            "tayho",
            "--password",
            "another long password",
        ],
    );
    assert!(
        user.status.success(),
        "{}",
        String::from_utf8_lossy(&user.stderr)
    );
    let out = String::from_utf8_lossy(&user.stdout);
    assert!(
        out.contains("otpauth://totp/") && out.contains("secret: "),
        "{out}"
    );
    let unknown = minhbach(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "x",
            "--name",
            "X",
            "--role",
            "intake_officer",
            "--agency",
            "nowhere",
            "--password",
            "another long password",
        ],
    );
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("nowhere"));
}

#[test]
fn rule_sets_and_calendars_are_imported_and_bad_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    assert!(minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"]
    )
    .status
    .success());
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../rules/vn/2026-07-01.toml"
    ))
    .unwrap();
    let later = dir.path().join("later.toml");
    std::fs::write(
        &later,
        shipped.replace("effective_from = 2026-07-01", "effective_from = 2027-01-01"),
    )
    .unwrap();
    let ok = minhbach(dir.path(), &["rules", "import", later.to_str().unwrap()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("2027-01-01"));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "year = 2028\nsource = \"x\"\n[[day]]\ndate = 2028-01-01\nkind = \"party\"\nname_vi = \"x\"\nname_en = \"x\"\n").unwrap();
    let refused = minhbach(dir.path(), &["calendar", "import", bad.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("party"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}

/// Runs a command with `input` on standard input (the recovery key is never an argument).
fn minhbach_stdin(data: &Path, args: &[&str], input: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_minhbach"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("MINHBACH_DATABASE_URL")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn custodians_superiors_leavers_and_resharing_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let init = minhbach(
        dir.path(),
        &["init", "--admin-password", "a long enough password"],
    );
    assert!(init.status.success());
    let recovery = String::from_utf8_lossy(&init.stdout)
        .lines()
        .find(|l| l.trim_start().starts_with("MBR1-"))
        .unwrap()
        .trim()
        .to_owned();
    for code in ["thanhtra", "tayho"] {
        let added = minhbach(
            dir.path(),
            &[
                "agency",
                "add",
                "--code",
                code,
                "--name-vi",
                code,
                "--name-en",
                code,
            ],
        );
        assert!(added.status.success());
    }
    let superior = minhbach(
        dir.path(),
        &["agency", "superior", "tayho", "--superior", "thanhtra"],
    );
    assert!(superior.status.success());
    // A cycle is refused with its reason.
    let cycle = minhbach(
        dir.path(),
        &["agency", "superior", "thanhtra", "--superior", "tayho"],
    );
    assert!(!cycle.status.success());
    assert!(String::from_utf8_lossy(&cycle.stderr).contains("cycle"));
    // Custodians need no agency (the procuracy's liaison sits outside the platform).
    for name in ["giamho.a", "giamho.b", "giamho.c"] {
        let user = minhbach(
            dir.path(),
            &[
                "user",
                "add",
                "--username",
                name,
                "--name",
                name,
                "--role",
                "custodian",
                "--password",
                "a long enough password",
            ],
        );
        assert!(
            user.status.success(),
            "{}",
            String::from_utf8_lossy(&user.stderr)
        );
    }
    let too_high = minhbach(
        dir.path(),
        &[
            "custodians",
            "set",
            "--threshold",
            "4",
            "giamho.a",
            "giamho.b",
            "giamho.c",
        ],
    );
    assert!(!too_high.status.success());
    let set = minhbach(
        dir.path(),
        &[
            "custodians",
            "set",
            "--threshold",
            "2",
            "giamho.a",
            "giamho.b",
            "giamho.c",
        ],
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    // Re-sharing reads the recovery key on standard input and refuses another key.
    let reshared = minhbach_stdin(dir.path(), &["recovery", "reshare"], &recovery);
    assert!(
        reshared.status.success(),
        "{}",
        String::from_utf8_lossy(&reshared.stderr)
    );
    assert!(String::from_utf8_lossy(&reshared.stdout).contains("re-shared"));
    let wrong = minhbach_stdin(dir.path(), &["recovery", "reshare"], "MBR1-not-a-key");
    assert!(!wrong.status.success());
    // A leaver is deactivated.
    let gone = minhbach(dir.path(), &["user", "deactivate", "giamho.c"]);
    assert!(gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stdout).contains("deactivated"));
    let unknown = minhbach(dir.path(), &["user", "deactivate", "nobody"]);
    assert!(!unknown.status.success());
}
