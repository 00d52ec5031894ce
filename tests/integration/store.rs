//! The credential stores and `profiles.json`, against the real things: a private Secret
//! Service (support/keyring.rs), real files, real concurrent writers, a writer killed mid-write.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use onboard::connection::{remove_onboarding, save_onboarding};
use onboard::error::Kind;
use onboard::profiles::{Connection, LocalProfiles, Profile, StoreKind};
use onboard::secret::Secret;
use onboard::store::{BlockingStore, FileStore, KeyringStore, TimedStore};

use crate::support::keyring::{
    child_command, keyring_services, private_secret_service, run_child, secret_service,
};
use crate::support::{Reaped, runtime};

fn profile(tenant: &str) -> Profile {
    Profile {
        connection: Connection {
            authority: format!("https://login.microsoftonline.com/{tenant}/v2.0"),
            cloud: Some("global".into()),
            tenant: tenant.into(),
            tenant_id: Some("11111111-2222-3333-4444-555555555555".into()),
            client_id: "66666666-7777-8888-9999-000000000000".into(),
            account: Some(format!("svc@{tenant}")),
            scopes: vec!["User.Read".into(), "offline_access".into()],
            redirect_uri: None,
            account_id: None,
            sign_in_flow: Default::default(),
        },
        store: StoreKind::Keyring,
        created_at: "2026-11-27T10:00:00Z".into(),
        last_validation: None,
        extra: Default::default(),
    }
}

/// A token-like string of `len` ASCII bytes that differs per `seed`.
fn token(len: usize, seed: u8) -> Secret {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
    let text: String = (0..len)
        .map(|i| ALPHABET[(i * 7 + usize::from(seed) * 13) % ALPHABET.len()] as char)
        .collect();
    Secret::new(text)
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---- keyring, through a real Secret Service -------------------------------------------

#[test]
fn keyring_round_trip_splits_long_tokens_and_delete_removes_every_part() {
    let ss = secret_service();
    println!("private Secret Service started in {:?}", ss.started_in);
    run_child(
        "store::child::keyring_round_trip",
        &[("DBUS_SESSION_BUS_ADDRESS", &ss.bus_address)],
    );
}

#[test]
fn keyring_save_onboarding_records_the_profile_after_the_token() {
    let ss = secret_service();
    run_child(
        "store::child::keyring_save_onboarding",
        &[("DBUS_SESSION_BUS_ADDRESS", &ss.bus_address)],
    );
}

#[test]
fn no_secret_service_fails_at_once_with_exit_7_and_a_hint() {
    let out = run_child(
        "store::child::no_secret_service",
        &[(
            "DBUS_SESSION_BUS_ADDRESS",
            crate::support::NO_SECRET_SERVICE,
        )],
    );
    assert!(out.contains("no Secret Service: failed in"), "{out}");
}

#[test]
#[cfg(unix)] // a Unix socket posing as the bus
fn a_keyring_that_never_answers_times_out_with_exit_7() {
    // A bus socket that accepts connections and never says a word: zbus waits forever for
    // the D-Bus handshake, like a keyring stuck behind a prompt nobody can see.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("silent-bus");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let address = format!("unix:path={}", socket.display());
    let out = run_child(
        "store::child::silent_keyring_times_out",
        &[("DBUS_SESSION_BUS_ADDRESS", &address)],
    );
    assert!(out.contains("silent keyring: gave up after"), "{out}");
    assert!(
        out.contains("the process ends with the call still stuck"),
        "{out}"
    );
}

#[test]
fn a_locked_keyring_is_exit_7_with_unlock_in_the_hint() {
    // Its own daemons: locking the shared keyring would break the tests running beside it.
    let ss = private_secret_service();
    run_child(
        "store::child::locked_keyring_save",
        &[("DBUS_SESSION_BUS_ADDRESS", &ss.bus_address)],
    );
    ss.lock();
    let out = run_child(
        "store::child::locked_keyring",
        &[("DBUS_SESSION_BUS_ADDRESS", &ss.bus_address)],
    );
    assert!(out.contains("locked keyring: failed in"), "{out}");
}

/// The profile the keyring writer saves over and over.
const KILLED: &str = "killed.example";

/// The keyring token of save `i`: long enough for three to five entries (the length changes
/// with `i`, so parts of two saves never line up), its number first.
fn numbered_token(i: u64) -> Secret {
    let len = 4100 + usize::try_from(i % 3).unwrap() * 2048;
    let mut text = format!("token-{i:08}-");
    while text.len() < len {
        text.push(char::from(b'a' + u8::try_from(text.len() % 26).unwrap()));
    }
    Secret::new(text)
}

/// kill -9 of a process that saves a long (chunked) token in the keyring over and over, at a
/// different moment each round: the keyring always holds, whole, the last token that process
/// reported saved or the one it was saving, never a mix that reads as damaged; and a delete
/// afterwards leaves no part of any save behind.
#[test]
fn a_keyring_save_killed_at_any_moment_leaves_a_whole_token() {
    let ss = private_secret_service();
    let bus = ss.bus_address.as_str();
    for round in 0..10u64 {
        let dir = tempfile::tempdir().unwrap();
        let mut child = child_command(
            "store::child::keyring_writer_saves_until_killed",
            dir.path(),
            &[
                ("DBUS_SESSION_BUS_ADDRESS", bus),
                ("ONBOARD_TEST_FIRST", &(round * 1000).to_string()),
            ],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let saved_index = |line: &str| line.strip_prefix("SAVED ")?.trim().parse::<u64>().ok();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let wanted = round * 1000 + 3;
        let mut last_saved = None;
        let mut times = Vec::new();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(i) = saved_index(&line) {
                last_saved = Some(i);
                times.push(Instant::now());
                if i >= wanted {
                    break;
                }
            }
        }
        // A different moment of the next save each round: a tenth of a save further on.
        let period = times[times.len() - 1] - times[times.len() - 2];
        std::thread::sleep(period.mul_f64((f64::from(u32::try_from(round).unwrap()) + 0.5) / 10.0));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        for line in lines.map_while(Result::ok) {
            last_saved = saved_index(&line).or(last_saved);
        }
        let last_saved = last_saved.expect("the writer saved at least once");
        let out = run_child(
            "store::child::keyring_holds_a_whole_token",
            &[
                ("DBUS_SESSION_BUS_ADDRESS", bus),
                ("ONBOARD_TEST_LAST_SAVED", &last_saved.to_string()),
            ],
        );
        assert!(out.contains("HELD "), "{out}");
    }
    run_child(
        "store::child::keyring_delete_leaves_no_part",
        &[("DBUS_SESSION_BUS_ADDRESS", bus)],
    );
}

/// Run in a child process by the tests above, with `DBUS_SESSION_BUS_ADDRESS` set for them.
mod child {
    use super::*;
    use crate::support::keyring::{assert_in_child, child_dir};

    fn bus() -> String {
        std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap()
    }

    fn parts(profile: &str) -> Vec<String> {
        keyring_services(&bus(), &[("username", profile)])
    }

    #[test]
    #[ignore = "run by keyring_round_trip_splits_long_tokens_and_delete_removes_every_part"]
    fn keyring_round_trip() {
        assert_in_child();
        let store = KeyringStore::new();
        let name = "roundtrip.onmicrosoft.com";
        assert_eq!(store.load(name).unwrap(), None);

        let short = token(1500, 1);
        store.save(name, &short).unwrap();
        assert_eq!(store.load(name).unwrap().unwrap(), short);
        assert_eq!(parts(name), ["onboard"]);
        let raw = crate::support::keyring::secret_tool_on(
            &bus(),
            &["lookup", "service", "onboard", "username", name],
        );
        let raw = String::from_utf8_lossy(&raw.stdout);
        assert!(
            raw.starts_with("onboard-chunks/2 parts=1 bytes=1500 "),
            "{raw:.60}"
        );

        // 6 KiB: three entries of at most 2,048 token bytes each, the parts named after the
        // save's generation.
        let long = token(6 * 1024, 2);
        store.save(name, &long).unwrap();
        assert_eq!(
            parts(name),
            ["onboard", "onboard:g2:part-2", "onboard:g2:part-3"]
        );
        assert_eq!(store.load(name).unwrap().unwrap(), long);

        // Shrinking removes the parts the longer token needed.
        store.save(name, &short).unwrap();
        assert_eq!(parts(name), ["onboard"]);
        assert_eq!(store.load(name).unwrap().unwrap(), short);

        store.save(name, &long).unwrap();
        assert!(store.delete(name).unwrap());
        assert!(parts(name).is_empty(), "{:?}", parts(name));
        assert_eq!(store.load(name).unwrap(), None);
        assert!(!store.delete(name).unwrap());

        // Orphaned parts of an interrupted save are swept by delete.
        store.save(name, &long).unwrap();
        let _ = crate::support::keyring::secret_tool_on(
            &bus(),
            &["clear", "service", "onboard", "username", name],
        );
        assert_eq!(parts(name), ["onboard:g1:part-2", "onboard:g1:part-3"]);
        assert_eq!(store.load(name).unwrap(), None);
        assert!(store.delete(name).unwrap());
        assert!(parts(name).is_empty());

        // The same through the timed wrapper the commands use.
        let timed = TimedStore::blocking(Arc::new(KeyringStore::new()));
        let rt = runtime();
        rt.block_on(timed.save("timed", &long)).unwrap();
        assert_eq!(rt.block_on(timed.load("timed")).unwrap().unwrap(), long);
        assert!(rt.block_on(timed.delete("timed")).unwrap());
        assert!(parts("timed").is_empty());
        assert!(KeyringStore::new().check().is_ok());
    }

    #[test]
    #[ignore = "run by keyring_save_onboarding_records_the_profile_after_the_token"]
    fn keyring_save_onboarding() {
        let dir = child_dir();
        let store = TimedStore::blocking(Arc::new(KeyringStore::new()));
        let profiles = LocalProfiles::at(dir.join("config"));
        let name = "saved.onmicrosoft.com";
        let rt = runtime();
        let mut p = profile(name);
        p.store = StoreKind::File; // save_onboarding records the store it really used
        rt.block_on(save_onboarding(
            &store,
            &profiles.clone().into(),
            name,
            p,
            &token(3000, 3),
        ))
        .unwrap();
        assert_eq!(profiles.get(name).unwrap().store, StoreKind::Keyring);
        assert_eq!(parts(name), ["onboard", "onboard:g1:part-2"]);
        assert!(
            rt.block_on(remove_onboarding(&store, &profiles.clone().into(), name))
                .unwrap()
        );
        assert!(parts(name).is_empty());
        assert!(profiles.load().unwrap().profiles.is_empty());
        assert!(
            !rt.block_on(remove_onboarding(&store, &profiles.clone().into(), name))
                .unwrap()
        );
    }

    #[test]
    #[ignore = "run by a_locked_keyring_is_exit_7_with_unlock_in_the_hint"]
    fn locked_keyring_save() {
        assert_in_child();
        KeyringStore::new().save("locked", &token(3000, 9)).unwrap();
    }

    #[test]
    #[ignore = "run by a_locked_keyring_is_exit_7_with_unlock_in_the_hint"]
    fn locked_keyring() {
        assert_in_child();
        let store = TimedStore::blocking(Arc::new(KeyringStore::new()));
        let rt = runtime();
        let started = Instant::now();
        let e = rt.block_on(store.load("locked")).unwrap_err();
        let elapsed = started.elapsed();
        println!(
            "locked keyring: failed in {elapsed:?}: {e} / hint: {:?}",
            e.hint
        );
        assert_eq!(e.exit_code(), 7);
        assert_eq!(e.code, "keyring_locked");
        let hint = e.hint.unwrap();
        assert!(hint.contains("unlock"), "{hint}");
        assert!(hint.contains("--store file"), "{hint}");
        let e = rt
            .block_on(store.save("locked", &token(3000, 10)))
            .unwrap_err();
        assert_eq!(e.exit_code(), 7);
        println!("locked keyring, save: {e} / hint: {:?}", e.hint);
    }

    #[test]
    #[ignore = "run by no_secret_service_fails_at_once_with_exit_7_and_a_hint"]
    fn no_secret_service() {
        let dir = child_dir();
        let store = TimedStore::blocking(Arc::new(KeyringStore::new()));
        let rt = runtime();
        let started = Instant::now();
        let e = rt.block_on(store.save("p", &token(100, 4))).unwrap_err();
        let elapsed = started.elapsed();
        println!(
            "no Secret Service: failed in {elapsed:?}: {e} / hint: {:?}",
            e.hint
        );
        assert_eq!(e.kind, Kind::StoreUnavailable);
        assert_eq!(e.exit_code(), 7);
        assert_eq!(e.code, "no_keyring");
        let hint = e.hint.clone().unwrap();
        assert!(
            hint.contains("gnome-keyring-daemon --unlock --components=secrets"),
            "{hint}"
        );
        assert!(hint.contains("--store file"), "{hint}");
        // `no_keyring`, not `store_timeout`: it failed without waiting for the store's timeout.
        assert_eq!(rt.block_on(store.load("p")).unwrap_err().code, "no_keyring");

        // Saving an onboarding: nothing reaches profiles.json, and the hint offers the retry.
        let profiles = LocalProfiles::at(dir.join("config"));
        let e = rt
            .block_on(save_onboarding(
                &store,
                &profiles.clone().into(),
                "p",
                profile("p"),
                &token(100, 4),
            ))
            .unwrap_err();
        assert_eq!(e.exit_code(), 7);
        let hint = e.hint.unwrap();
        assert!(hint.contains("--store file"), "{hint}");
        assert!(!profiles.path().exists());
    }

    #[test]
    #[ignore = "run by a_keyring_that_never_answers_times_out_with_exit_7"]
    fn silent_keyring_times_out() {
        assert_in_child();
        let timeout = Duration::from_secs(1);
        let store = TimedStore::blocking(Arc::new(KeyringStore::new())).with_timeout(timeout);
        let rt = runtime();
        let started = Instant::now();
        let e = rt.block_on(store.save("p", &token(100, 5))).unwrap_err();
        let elapsed = started.elapsed();
        println!(
            "silent keyring: gave up after {elapsed:?}: {e} / hint: {:?}",
            e.hint
        );
        assert_eq!(e.exit_code(), 7);
        assert_eq!(e.code, "store_timeout");
        let hint = e.hint.unwrap();
        assert!(hint.contains("did not answer within 1 s"), "{hint}");
        assert!(hint.contains("unlock it"), "{hint}");
        assert!(hint.contains("--store file"), "{hint}");
        // The call itself never returns: only the timeout ends the wait.
        assert!(elapsed >= timeout, "{elapsed:?}");
        // The runtime is never dropped (a dropped runtime waits for its blocking tasks), so the
        // process ends with the call still stuck, as the tool does; were it to wait, this child
        // would be killed at its deadline.
        println!("the process ends with the call still stuck");
    }

    #[test]
    #[ignore = "run by a_keyring_save_killed_at_any_moment_leaves_a_whole_token"]
    fn keyring_writer_saves_until_killed() {
        assert_in_child();
        let first: u64 = std::env::var("ONBOARD_TEST_FIRST")
            .unwrap()
            .parse()
            .unwrap();
        let store = KeyringStore::new();
        for i in first.. {
            store.save(KILLED, &numbered_token(i)).unwrap();
            println!("SAVED {i}");
        }
    }

    #[test]
    #[ignore = "run by a_keyring_save_killed_at_any_moment_leaves_a_whole_token"]
    fn keyring_holds_a_whole_token() {
        assert_in_child();
        let last: u64 = std::env::var("ONBOARD_TEST_LAST_SAVED")
            .unwrap()
            .parse()
            .unwrap();
        let held = KeyringStore::new()
            .load(KILLED)
            .unwrap_or_else(|e| panic!("after save {last} was killed: {e}"))
            .expect("a token is still saved");
        let index: u64 = held
            .expose()
            .strip_prefix("token-")
            .and_then(|rest| rest.get(..8))
            .and_then(|n| n.parse().ok())
            .expect("a numbered token");
        assert!(
            index == last || index == last + 1,
            "holds save {index}, last reported {last}"
        );
        assert_eq!(held, numbered_token(index), "save {index} is whole");
        println!(
            "HELD {index} (last reported {last}; parts {:?})",
            parts(KILLED)
        );
    }

    #[test]
    #[ignore = "run by a_keyring_save_killed_at_any_moment_leaves_a_whole_token"]
    fn keyring_delete_leaves_no_part() {
        assert_in_child();
        let store = KeyringStore::new();
        store.save(KILLED, &numbered_token(1)).unwrap();
        assert_eq!(store.load(KILLED).unwrap().unwrap(), numbered_token(1));
        assert!(store.delete(KILLED).unwrap());
        assert!(parts(KILLED).is_empty(), "{:?}", parts(KILLED));
    }

    #[test]
    #[ignore = "run by a_credential_save_killed_at_any_moment_loses_nothing_saved_before"]
    fn credential_writer_saves_until_killed() {
        let store = FileStore::at(child_dir());
        for i in 0.. {
            store
                .save("p", &Secret::new(format!("token-{i:08}")))
                .unwrap();
            println!("SAVED {i}");
        }
    }

    #[test]
    #[ignore = "run by a_writer_killed_before_its_rename_leaves_the_previous_file_intact"]
    fn writer_pauses_before_rename() {
        let dir = child_dir();
        let profiles = LocalProfiles::at(dir).before_rename(|| {
            println!("READY");
            loop {
                std::thread::sleep(Duration::from_secs(60));
            }
        });
        profiles
            .update(|f| {
                f.profiles.insert("new".into(), profile("new"));
                Ok(())
            })
            .unwrap();
    }
}

// ---- profiles.json ------------------------------------------------------------------

#[test]
fn twenty_concurrent_writers_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = LocalProfiles::at(dir.path().join("onboard"));
    let writers: Vec<_> = (0..20)
        .map(|i| {
            let profiles = profiles.clone();
            std::thread::spawn(move || {
                profiles
                    .update(|f| {
                        // A profile of its own...
                        f.profiles
                            .insert(format!("p{i}"), profile(&format!("t{i}")));
                        // ...and one every writer changes.
                        f.profiles
                            .entry("shared".into())
                            .or_insert_with(|| {
                                let mut p = profile("shared");
                                p.connection.scopes.clear();
                                p
                            })
                            .connection
                            .scopes
                            .push(format!("scope{i}"));
                        Ok(())
                    })
                    .unwrap();
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    let file = profiles.load().unwrap();
    assert_eq!(file.profiles.len(), 21);
    for i in 0..20 {
        assert_eq!(
            file.profiles[&format!("p{i}")].connection.tenant,
            format!("t{i}")
        );
    }
    let scopes: BTreeSet<_> = file.profiles["shared"]
        .connection
        .scopes
        .iter()
        .cloned()
        .collect();
    assert_eq!(scopes.len(), 20, "{scopes:?}");
    let leftovers: Vec<_> = std::fs::read_dir(profiles.dir())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_writer_killed_before_its_rename_leaves_the_previous_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let profiles = LocalProfiles::at(dir.path());
    profiles
        .update(|f| {
            f.profiles.insert("old".into(), profile("old"));
            Ok(())
        })
        .unwrap();
    let before = std::fs::read(profiles.path()).unwrap();

    let child = Reaped::new(
        child_command("store::child::writer_pauses_before_rename", dir.path(), &[])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.take_stdout().unwrap();
    let ready = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("READY"));
    assert!(ready, "the writer never reached its rename");
    // The new content is complete and synced in its temp file, the lock is held: kill now.
    let temps = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count()
    };
    assert_eq!(temps(), 1);
    child.kill();

    assert_eq!(std::fs::read(profiles.path()).unwrap(), before);
    assert!(profiles.load().unwrap().profiles.contains_key("old"));
    // The dead writer's lock went with it, and the next writer sweeps its temp file.
    // A lock still held would make this update fail after its wait.
    profiles
        .update(|f| {
            f.profiles.insert("after".into(), profile("after"));
            Ok(())
        })
        .unwrap();
    assert_eq!(temps(), 0);
    let names: Vec<_> = profiles.load().unwrap().profiles.into_keys().collect();
    assert_eq!(names, ["after", "old"]);
}

/// kill -9 of a process that saves one credential over and over, at a different moment each
/// round: the file always holds the last token that process reported saved, or the one it was
/// saving, complete; and the next save works.
#[test]
fn a_credential_save_killed_at_any_moment_loses_nothing_saved_before() {
    for round in 0..12 {
        let dir = tempfile::tempdir().unwrap();
        let child = Reaped::new(
            child_command(
                "store::child::credential_writer_saves_until_killed",
                dir.path(),
                &[],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        );
        let saved_index = |line: &str| line.strip_prefix("SAVED ")?.trim().parse::<u64>().ok();
        let mut lines = BufReader::new(child.take_stdout().unwrap()).lines();
        let wanted = 1 + round * 7;
        let mut last_saved = None;
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(i) = saved_index(&line) {
                last_saved = Some(i);
                if i + 1 >= wanted {
                    break;
                }
            }
        }
        child.kill(); // SIGKILL
        // Saves it reported between our last read and the kill.
        for line in lines.map_while(Result::ok) {
            last_saved = saved_index(&line).or(last_saved);
        }
        let last_saved = last_saved.expect("the writer saved at least once");

        let store = FileStore::at(dir.path());
        let saved = store
            .load("p")
            .unwrap()
            .expect("a credential is still saved");
        let held: u64 = saved
            .expose()
            .strip_prefix("token-")
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("round {round}: a damaged credential was left"));
        assert!(
            held == last_saved || held == last_saved + 1,
            "round {round}: holds token {held}, but {last_saved} was saved last"
        );
        store.save("p", &token(64, round as u8)).unwrap();
        assert_eq!(
            store.load("p").unwrap().unwrap().expose(),
            token(64, round as u8).expose()
        );
    }
}

#[test]
#[cfg(unix)] // mode bits; Windows files are guarded by the profile's ACL instead
fn files_are_private_and_the_dir_onboard_creates_is_0700() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("config").join("onboard");
    let profiles = LocalProfiles::at(&dir);
    profiles
        .update(|f| {
            f.profiles.insert("p".into(), profile("p"));
            Ok(())
        })
        .unwrap();
    FileStore::at(&dir).save("p", &token(100, 6)).unwrap();
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&profiles.path()), 0o600);
    assert_eq!(mode(&dir.join("profiles.json.lock")), 0o600);
    assert_eq!(mode(&dir.join("credentials")), 0o700);
    assert_eq!(mode(&FileStore::at(&dir).path("p")), 0o600);
}

/// The temp file a save writes first is its own: a symlink or a file planted where an earlier
/// version wrote its temp file (a fixed name) is never written through, and never lends the
/// credential its mode.
#[test]
#[cfg(unix)] // symlinks and mode bits
fn a_save_never_writes_through_a_planted_temp_file() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("onboard");
    let store = FileStore::at(&dir);
    store.save("p", &token(100, 1)).unwrap();
    let path = store.path("p");
    let planted = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().unwrap().to_string_lossy()
    ));
    // A symlink to a file of the attacker's choosing.
    let victim = root.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    store.save("p", &token(100, 2)).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    assert!(
        !std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink(),
        "the credential is a file of its own"
    );
    assert_eq!(store.load("p").unwrap().unwrap(), token(100, 2));
    // A readable file in the same place.
    let _ = std::fs::remove_file(&planted);
    std::fs::write(&planted, "").unwrap();
    std::fs::set_permissions(&planted, std::fs::Permissions::from_mode(0o644)).unwrap();
    store.save("p", &token(100, 3)).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(store.load("p").unwrap().unwrap(), token(100, 3));
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// credentials/ and locks/ must not be writable by others (whoever can write there can swap a
/// credential or hold the locks): exit 7 with the chmod that fixes it, nothing read or written.
#[test]
#[cfg(unix)] // mode bits
fn folders_that_hold_secrets_must_not_be_writable_by_others() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("onboard");
    let store = FileStore::at(&dir);
    store.save("p", &token(100, 1)).unwrap();
    let credentials = dir.join(onboard::store::file::CREDENTIALS_DIR);
    for bits in [0o770, 0o707, 0o777] {
        std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(bits)).unwrap();
        for e in [
            store.save("p", &token(100, 2)).unwrap_err(),
            store.load("p").unwrap_err(),
        ] {
            assert_eq!(e.exit_code(), 7, "{e}");
            assert_eq!(e.code, "unsafe_dir");
            assert!(e.hint.as_deref().unwrap().contains("chmod go-w"), "{e:?}");
        }
    }
    std::fs::set_permissions(&credentials, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(store.load("p").unwrap().unwrap(), token(100, 1));

    let locks = onboard::store::ProfileLocks::in_config_dir(&dir);
    drop(locks.lock("p", Duration::ZERO).unwrap());
    std::fs::set_permissions(dir.join("locks"), std::fs::Permissions::from_mode(0o777)).unwrap();
    let e = locks.lock("p", Duration::ZERO).err().expect("refused");
    assert_eq!(e.code, "unsafe_dir");
    assert_eq!(e.exit_code(), 7);
}

#[test]
fn file_store_onboarding_saves_token_then_profile_and_removes_both() {
    let dir = tempfile::tempdir().unwrap();
    let store = TimedStore::blocking(Arc::new(FileStore::at(dir.path())));
    let profiles = LocalProfiles::at(dir.path());
    let rt = runtime();
    let rt_token = token(1500, 7);
    rt.block_on(save_onboarding(
        &store,
        &profiles.clone().into(),
        "contoso",
        profile("contoso"),
        &rt_token,
    ))
    .unwrap();
    assert_eq!(profiles.get("contoso").unwrap().store, StoreKind::File);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(FileStore::at(dir.path()).path("contoso")).unwrap())
            .unwrap();
    assert_eq!(saved["profile"], "contoso");
    assert_eq!(saved["refresh_token"], rt_token.expose());
    assert!(
        rt.block_on(remove_onboarding(
            &store,
            &profiles.clone().into(),
            "contoso"
        ))
        .unwrap()
    );
    assert_eq!(rt.block_on(store.load("contoso")).unwrap(), None);
    assert_eq!(profiles.get("contoso").unwrap_err().exit_code(), 3);
}

#[test]
fn a_profile_write_failure_takes_the_saved_token_back_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = TimedStore::blocking(Arc::new(FileStore::at(dir.path().join("creds"))));
    let profiles = LocalProfiles::at(dir.path().join("profiles"));
    std::fs::create_dir_all(profiles.dir()).unwrap();
    std::fs::write(profiles.path(), "not json").unwrap();
    let rt = runtime();
    let e = rt
        .block_on(save_onboarding(
            &store,
            &profiles.clone().into(),
            "contoso",
            profile("contoso"),
            &token(100, 8),
        ))
        .unwrap_err();
    assert_eq!(e.exit_code(), 2);
    assert!(e.message.contains("profiles.json"), "{}", e.message);
    assert_eq!(rt.block_on(store.load("contoso")).unwrap(), None);
}

#[test]
fn a_profile_write_failure_puts_the_previous_token_back() {
    let dir = tempfile::tempdir().unwrap();
    let store = TimedStore::blocking(Arc::new(FileStore::at(dir.path())));
    let profiles = LocalProfiles::at(dir.path());
    let rt = runtime();
    rt.block_on(save_onboarding(
        &store,
        &profiles.clone().into(),
        "contoso",
        profile("contoso"),
        &token(100, 1),
    ))
    .unwrap();
    let saved = std::fs::read(profiles.path()).unwrap();
    // A newer onboard's profiles.json cannot be rewritten: the second save fails after its
    // credential was written.
    let mut newer: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    newer["version"] = serde_json::json!(99);
    std::fs::write(profiles.path(), newer.to_string()).unwrap();
    let e = rt
        .block_on(save_onboarding(
            &store,
            &profiles.clone().into(),
            "contoso",
            profile("contoso"),
            &token(100, 2),
        ))
        .unwrap_err();
    assert_eq!(e.code, "newer_file");
    assert_eq!(
        rt.block_on(store.load("contoso")).unwrap(),
        Some(token(100, 1)),
        "the previous credential is back"
    );
}

#[test]
fn twenty_concurrent_file_store_writers_lose_no_token() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FileStore::at(dir.path()));
    let writers: Vec<_> = (0..20u8)
        .map(|i| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || store.save(&format!("p{i}"), &token(1500, i)).unwrap())
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    for i in 0..20u8 {
        assert_eq!(store.load(&format!("p{i}")).unwrap(), Some(token(1500, i)));
    }
}
