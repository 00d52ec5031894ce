//! Interruptions as values: Ctrl-C, SIGTERM and SIGHUP (what CI runners send when a job is
//! cancelled) and a closed stdout or stderr all *request* the end of the run. The request waits
//! for the protected sections (a refresh, from before its request is sent until its rotated
//! token is saved; an onboarding's save), then cancels the command, which unwinds to `main` so
//! that destructors (zeroizing, lock guards) run; `main` alone ends the process, with 130. Also
//! whether this run saved a credential, so the last message does not claim that nothing was,
//! and the store saves still running as tasks of their own, which `main` waits for.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::error::Error;

/// Protected sections in progress (and store saves still running as tasks of their own).
static PROTECTED: AtomicUsize = AtomicUsize::new(0);
/// Store saves still running as tasks of their own.
static SAVING: AtomicUsize = AtomicUsize::new(0);
/// Why the run is to end, once requested ([`Reason`] as a number; 0: not requested).
static REQUESTED: AtomicU8 = AtomicU8::new(0);
static SAVED: AtomicBool = AtomicBool::new(false);
static ROTATED: AtomicBool = AtomicBool::new(false);
/// Set by `main` once the command has returned: nothing is left to end.
static FINISHED: AtomicBool = AtomicBool::new(false);

/// What ended the run early. Kept in `REQUESTED` as its number (0 is "nothing yet").
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::FromRepr)]
#[repr(u8)]
pub enum Reason {
    /// Ctrl-C: SIGINT, or the key read from a terminal in raw mode.
    Interrupt = 1,
    /// SIGTERM: a supervisor or a cancelled CI job.
    Terminate = 2,
    /// SIGHUP: the terminal went away.
    Hangup = 3,
    /// stdout or stderr was closed by its reader (`| head -1`): nobody reads on.
    OutputClosed = 4,
}

impl Reason {
    /// How the end is announced: what arrived.
    pub fn describe(self) -> &'static str {
        match self {
            Reason::Interrupt => "interrupted (Ctrl-C)",
            Reason::Terminate => "terminated (SIGTERM)",
            Reason::Hangup => "the terminal hung up (SIGHUP)",
            Reason::OutputClosed => "the output was closed",
        }
    }
}

/// Records that this run saved a fresh credential.
pub fn mark_saved() {
    SAVED.store(true, Ordering::SeqCst);
}

/// Whether this run saved a fresh credential (then an interruption leaves it saved).
pub fn saved() -> bool {
    SAVED.load(Ordering::SeqCst)
}

/// Records that a refresh saved its rotated token (an interruption afterwards loses nothing).
pub fn mark_rotated_saved() {
    ROTATED.store(true, Ordering::SeqCst);
}

/// Asks the run to end (the first reason wins). It ends once no protected section is open.
pub fn request(reason: Reason) {
    let _ = REQUESTED.compare_exchange(0, reason as u8, Ordering::SeqCst, Ordering::SeqCst);
}

/// Why the run was asked to end, if it was.
pub fn requested() -> Option<Reason> {
    let code = REQUESTED.load(Ordering::SeqCst);
    Reason::from_repr(code)
}

/// The error a cancelled command ends with: exit 130, saying what arrived and whether a
/// credential was saved first.
pub fn error() -> Error {
    let reason = requested().unwrap_or(Reason::Interrupt);
    let mut error = if saved() {
        Error::interrupted_after_save()
    } else {
        Error::interrupted()
    };
    if !saved() && ROTATED.load(Ordering::SeqCst) {
        error.message = "interrupted; the rotated refresh token was saved first".into();
    }
    error.message = error.message.replacen("interrupted", reason.describe(), 1);
    error
}

/// An open protected section: the run is not cancelled while it lives.
#[must_use = "the section ends as soon as the guard is dropped"]
pub struct Protected(());

impl Protected {
    /// Opens a protected section, unless the run was already asked to end: then nothing may
    /// start (a refresh would rotate a token that nobody saves) and the error is the
    /// interruption's.
    pub fn enter() -> crate::error::Result<Protected> {
        PROTECTED.fetch_add(1, Ordering::SeqCst);
        // Read after the increment: either this sees the request and backs out, or the
        // canceller sees this section and waits for it (both use SeqCst).
        if requested().is_some() {
            PROTECTED.fetch_sub(1, Ordering::SeqCst);
            return Err(error());
        }
        Ok(Protected(()))
    }
}

impl Protected {
    /// Closes the section; an interruption that arrived meanwhile ends the command here, before
    /// it goes on to anything else.
    pub fn leave(self) -> crate::error::Result<()> {
        drop(self);
        match requested() {
            Some(_) => Err(error()),
            None => Ok(()),
        }
    }
}

impl Drop for Protected {
    fn drop(&mut self) {
        PROTECTED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Held by the task that runs a store's save, however long it takes: a save that outlives its
/// timeout still keeps the run from being cancelled, and [`wait_for_saves`] waits for it.
pub struct Saving(());

impl Saving {
    pub fn start() -> Saving {
        PROTECTED.fetch_add(1, Ordering::SeqCst);
        SAVING.fetch_add(1, Ordering::SeqCst);
        Saving(())
    }
}

impl Drop for Saving {
    fn drop(&mut self) {
        SAVING.fetch_sub(1, Ordering::SeqCst);
        PROTECTED.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Store saves still running (after their caller stopped waiting).
pub fn saves_running() -> usize {
    SAVING.load(Ordering::SeqCst)
}

/// Waits up to `grace` for the store saves still running to end; `true` when none is left.
/// For `main`, before the process ends and takes those tasks with it.
pub fn wait_for_saves(grace: Duration) -> bool {
    let deadline = Instant::now() + grace;
    while saves_running() > 0 {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// Resolves once the run was asked to end and no protected section is open: the moment to
/// drop the command.
pub async fn cancelled() {
    loop {
        if requested().is_some() && PROTECTED.load(Ordering::SeqCst) == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Turns Ctrl-C, SIGTERM and SIGHUP (on Windows: Ctrl-C and Ctrl-Break) into requests, for as
/// long as the runtime runs. Once one arrived, a second Ctrl-C is taken the same way.
pub fn listen() {
    #[cfg(unix)]
    let arrived = signals_arrived();
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            // A prompt's key reading (the console crate) answers a read that a signal cut short
            // (EINTR) as if Ctrl-C had been typed: it raises SIGINT. The SIGTERM or SIGHUP that
            // cut it was handled on that same thread just before, so its flag is set already;
            // it is what arrived, whichever listener the runtime wakes first.
            #[cfg(unix)]
            let reason = arrived().unwrap_or(Reason::Interrupt);
            #[cfg(not(unix))]
            let reason = Reason::Interrupt;
            request(reason);
        }
    });
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        for (kind, reason) in [
            (SignalKind::terminate(), Reason::Terminate),
            (SignalKind::hangup(), Reason::Hangup),
        ] {
            if let Ok(mut signals) = signal(kind) {
                tokio::spawn(async move {
                    while signals.recv().await.is_some() {
                        request(reason);
                    }
                });
            }
        }
    }
    #[cfg(windows)]
    {
        if let Ok(mut breaks) = tokio::signal::windows::ctrl_break() {
            tokio::spawn(async move {
                while breaks.recv().await.is_some() {
                    request(Reason::Terminate);
                }
            });
        }
    }
}

/// SIGTERM or SIGHUP, if one has arrived: read from flags that their signal handlers set as
/// they run, before any interrupted system call returns (the tokio listeners below record
/// them too, but only once the runtime gets round to it).
#[cfg(unix)]
fn signals_arrived() -> impl Fn() -> Option<Reason> + Send + 'static {
    use std::sync::Arc;
    let flags: Vec<(Arc<AtomicBool>, Reason)> = [
        (signal_hook::consts::SIGTERM, Reason::Terminate),
        (signal_hook::consts::SIGHUP, Reason::Hangup),
    ]
    .into_iter()
    .filter_map(|(signal, reason)| {
        let flag = Arc::new(AtomicBool::new(false));
        signal_hook::flag::register(signal, Arc::clone(&flag))
            .ok()
            .map(|_| (flag, reason))
    })
    .collect();
    move || {
        flags
            .iter()
            .find(|(flag, _)| flag.load(Ordering::SeqCst))
            .map(|(_, reason)| *reason)
    }
}

/// How long a command may take to unwind once cancelled before the process is ended anyway:
/// only a thread blocked in a terminal read (a prompt waiting for a line) takes that long, and
/// by then no protected section is open.
pub const UNWIND_GRACE: Duration = Duration::from_secs(3);

/// Called by `main` once the command returned: the watchdog of [`end_if_stuck`] stands down.
pub fn finished() {
    FINISHED.store(true, Ordering::SeqCst);
}

/// Calls `end` when the run was cancelled and has not unwound within [`UNWIND_GRACE`] (a
/// prompt blocks the thread that would unwind). `main` passes the function that ends the
/// process, so that ending it stays in `main`.
pub fn end_if_stuck(end: fn(Error) -> !) {
    let _ = std::thread::Builder::new()
        .name("onboard-interrupt".into())
        .spawn(move || {
            loop {
                if requested().is_some() && PROTECTED.load(Ordering::SeqCst) == 0 {
                    std::thread::sleep(UNWIND_GRACE);
                    if FINISHED.load(Ordering::SeqCst) {
                        return;
                    }
                    if PROTECTED.load(Ordering::SeqCst) == 0 {
                        end(error());
                    }
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
}
