//! The one integration-test binary: modules per area, shared fixtures in `support`.

mod browser;
mod cli;
mod completions;
// X11 clipboard (Xvfb, xclip), a shell-script browser and a Unix pty: Linux desktops only.
#[cfg(unix)]
mod desktop;
mod docs;
mod doctor;
mod entra;
mod facts;
mod faults;
mod file_layout;
mod fleet;
mod flow;
mod generated;
mod hardening;
mod help;
mod hostile;
mod hygiene;
mod interop;
mod keyring;
mod layers;
// MSAL Python against `onboard simulate --tls` (signals it with SIGTERM): Unix only.
#[cfg(unix)]
mod msal;
mod options;
mod permissions;
mod profiles;
mod properties;
mod races;
mod saving;
// Whole wizards on a scripted terminal, without a pty.
mod scripted;
// What the wizard prints on a Unix pty.
#[cfg(unix)]
mod screen;
// Signals: Unix only.
#[cfg(unix)]
mod signals;
mod simulator;
mod store;
mod support;
mod token;
mod validate;
mod vault;
// Runs the Windows build through Wine, which is a Linux program.
#[cfg(target_os = "linux")]
mod wine;
mod wizard;
