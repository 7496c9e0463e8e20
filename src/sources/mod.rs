//! Sources: owned tasks that turn the world into observations on the one channel.

pub mod drill;
