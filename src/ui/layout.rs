//! Where each pane goes: the geometry lives in `app::layout`, so `App::update` can hit-test
//! and size sparklines without reaching into the UI; drawing uses the same function.

pub use crate::app::layout::*;
