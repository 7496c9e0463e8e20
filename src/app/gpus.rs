//! The GPUs pane's state: each GPU's latest reading, the nodes' `nvidia.com/gpu` counts
//! for clusters without DCGM metrics, and the selected GPU.

use std::collections::BTreeMap;
use std::ops::Deref;

use crate::event::GpuStatus;

/// GPUs keyed by host and index.
pub type Gpus = BTreeMap<(String, u32), GpuStatus>;

/// The GPUs and the selected one.
#[derive(Debug, Clone, Default)]
pub struct GpusPane {
    pub list: Gpus,
    pub selected: usize,
    /// `nvidia.com/gpu` capacity and allocatable count by node, from the cluster.
    pub nodes: BTreeMap<String, (u32, u32)>,
}

/// The pane reads as its GPUs: `app.gpus.values()`, `app.gpus.len()`.
impl Deref for GpusPane {
    type Target = Gpus;
    fn deref(&self) -> &Gpus {
        &self.list
    }
}

impl GpusPane {
    /// Replaces every GPU with a fresh list, keeping the selection in range.
    pub fn replace(&mut self, list: Vec<GpuStatus>) {
        self.list = list
            .into_iter()
            .map(|g| ((g.host.clone(), g.index), g))
            .collect();
        self.selected = self.selected.min(self.list.len().saturating_sub(1));
    }

    /// One GPU's new reading.
    pub fn upsert(&mut self, g: GpuStatus) {
        self.list.insert((g.host.clone(), g.index), g);
    }

    /// A node's GPU counts; a node with none is forgotten.
    pub fn set_node(&mut self, node: String, capacity: u32, allocatable: u32) {
        if capacity == 0 {
            self.nodes.remove(&node);
        } else {
            self.nodes.insert(node, (capacity, allocatable));
        }
    }

    /// Moves the selection by `delta` rows, within the list.
    pub fn select_by(&mut self, delta: isize) {
        self.selected = super::step(self.selected, self.list.len(), delta);
    }
}
