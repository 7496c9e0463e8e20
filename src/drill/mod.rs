//! Drills: scripted incidents on a simulated cluster, played at any speed and scored.

mod cluster;
mod logs;
pub mod scenario;
mod scoring;
mod signals;
pub mod silences;
pub mod world;

pub use scenario::Scenario;
pub use scoring::Score;
pub use world::World;
