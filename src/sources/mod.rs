//! Sources: owned tasks that turn the world into observations on the one channel.

pub mod alertmanager;
pub mod drill;
pub mod health;
pub mod http;
pub mod poll;
pub mod prometheus;
