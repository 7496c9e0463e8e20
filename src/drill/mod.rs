//! Drills: scripted incidents on a simulated cluster, played at any speed and scored.

pub mod causes;
pub mod headless;
pub mod library;
pub mod scenario;
pub mod scorecard;
pub mod silences;
pub mod world;

pub use scenario::Scenario;
pub use world::World;
