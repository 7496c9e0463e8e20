//! sitrep: a terminal incident cockpit.
//!
//! The cockpit is a fold over events: sources send observations over one channel,
//! [`app::App::update`] folds them into state without doing I/O, and the UI draws that
//! state only when it changed. Live, drill and replay differ only in the plugged-in
//! sources and executor.

pub mod access;
pub mod app;
pub mod cli;
pub mod cluster;
pub mod command;
pub mod config;
pub mod drill;
pub mod event;
pub mod executors;
pub mod fuzzing;
pub mod gpu;
pub mod init;
pub mod journal;
pub mod journal_worker;
pub mod logging;
pub mod modes;
pub mod output;
pub mod recording;
pub mod replay;
pub mod runbook;
pub mod runtime;
pub mod signals;
pub mod slo;
pub mod snapshot;
pub mod sources;
pub mod terminal;
pub mod text;
pub mod ui;
