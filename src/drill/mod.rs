//! Drills: scripted incidents on a simulated cluster, played at any speed and scored.

pub mod causes;
mod cluster;
pub mod from_recording;
pub mod headless;
pub mod library;
mod logs;
pub mod scenario;
pub mod scorecard;
mod scoring;
mod signals;
pub mod silences;
pub mod world;

pub use scenario::Scenario;
pub use scoring::Score;
pub use world::World;
