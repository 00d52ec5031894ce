//! Ctrl-C: exit 130 at once with the terminal restored, except while a save is under way, which
//! finishes first so that nothing is half-saved; and whether this run has saved a credential,
//! so the last message does not claim that nothing was.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

static CRITICAL: AtomicUsize = AtomicUsize::new(0);
static SAVED: AtomicBool = AtomicBool::new(false);

/// Records that this run saved a fresh credential.
pub fn mark_saved() {
    SAVED.store(true, Ordering::SeqCst);
}

/// Whether this run saved a fresh credential (then an interruption leaves it saved).
pub fn saved() -> bool {
    SAVED.load(Ordering::SeqCst)
}

/// Held while the credential and profile are written.
pub struct Critical;

impl Critical {
    pub fn enter() -> Critical {
        CRITICAL.fetch_add(1, Ordering::SeqCst);
        Critical
    }
}

impl Drop for Critical {
    fn drop(&mut self) {
        CRITICAL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Waits for Ctrl-C, lets a save in progress finish, then ends the process with 130.
pub async fn exit_on_ctrl_c(on_exit: fn()) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    while CRITICAL.load(Ordering::SeqCst) > 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    exit(on_exit);
}

/// Ctrl-C read as a key (a terminal in raw mode sends no signal): the same ending as the signal.
pub fn exit_interrupted(on_exit: fn()) -> ! {
    while CRITICAL.load(Ordering::SeqCst) > 0 {
        std::thread::sleep(Duration::from_millis(20));
    }
    exit(on_exit)
}

fn exit(on_exit: fn()) -> ! {
    on_exit();
    std::process::exit(crate::error::Kind::Interrupted.exit_code());
}
