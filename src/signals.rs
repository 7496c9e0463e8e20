//! Signals, as events for the cockpit's loop: SIGTERM, SIGINT, SIGHUP and SIGQUIT end
//! the cockpit the way a confirmed quit does (terminal given back, journal flushed, a
//! drill's incident closed) and sitrep exits with the conventional 128 + signal number;
//! SIGTSTP and SIGCONT leave the alternate screen and come back to it.

use std::io;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// What a signal asks of the cockpit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caught {
    /// Stop, as a confirmed quit, and exit with 128 + this signal number.
    Terminate(i32),
    /// Give the terminal back and stop the process (ctrl-z, `kill -TSTP`).
    Suspend,
    /// The process was continued (`fg`): take the terminal again and redraw.
    Continue,
}

/// The signals the cockpit listens to, installed once before it takes the terminal.
pub struct Signals {
    terminate: Vec<(i32, Signal)>,
    suspend: Signal,
    resume: Signal,
}

impl Signals {
    /// Installs the handlers (from then on these signals no longer have their default
    /// action: the cockpit must act on each one it receives).
    pub fn install() -> io::Result<Signals> {
        let mut terminate = Vec::new();
        for (no, kind) in [
            (libc_no::SIGTERM, SignalKind::terminate()),
            (libc_no::SIGINT, SignalKind::interrupt()),
            (libc_no::SIGHUP, SignalKind::hangup()),
            (libc_no::SIGQUIT, SignalKind::quit()),
        ] {
            terminate.push((no, signal(kind)?));
        }
        Ok(Signals {
            terminate,
            suspend: signal(SignalKind::from_raw(libc_no::SIGTSTP))?,
            resume: signal(SignalKind::from_raw(libc_no::SIGCONT))?,
        })
    }

    /// The next signal.
    pub async fn recv(&mut self) -> Caught {
        let terminate = futures::future::select_all(
            self.terminate
                .iter_mut()
                .map(|(no, s)| Box::pin(async move { s.recv().await.map(|_| *no) })),
        );
        tokio::select! {
            (no, _, _) = terminate => match no {
                Some(no) => Caught::Terminate(no),
                // A signal stream never ends while the runtime lives.
                None => std::future::pending().await,
            },
            Some(()) = self.suspend.recv() => Caught::Suspend,
            Some(()) = self.resume.recv() => Caught::Continue,
        }
    }
}

/// Stops this process as the default action of SIGTSTP would (the handler installed for
/// SIGTSTP replaced it); returns once the process is continued.
pub fn stop_self() {
    let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGSTOP);
}

/// Signal numbers (Linux and the BSDs agree on these).
pub mod libc_no {
    /// Hangup: the terminal went away.
    pub const SIGHUP: i32 = nix::sys::signal::Signal::SIGHUP as i32;
    /// Interrupt (ctrl-c when it is not a key).
    pub const SIGINT: i32 = nix::sys::signal::Signal::SIGINT as i32;
    /// Quit (ctrl-\).
    pub const SIGQUIT: i32 = nix::sys::signal::Signal::SIGQUIT as i32;
    /// Terminate: `kill`'s default.
    pub const SIGTERM: i32 = nix::sys::signal::Signal::SIGTERM as i32;
    /// Terminal stop (ctrl-z).
    pub const SIGTSTP: i32 = nix::sys::signal::Signal::SIGTSTP as i32;
    /// Continue (`fg`).
    pub const SIGCONT: i32 = nix::sys::signal::Signal::SIGCONT as i32;
}
