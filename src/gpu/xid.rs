//! NVIDIA's XID catalog, condensed: what an XID means and what the on-call engineer should do.
//! From NVIDIA's "XID Errors" table in the GPU deployment and management documentation.

/// An XID's meaning and the recommended action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Xid {
    pub code: u32,
    pub meaning: &'static str,
    pub action: &'static str,
}

const fn x(code: u32, meaning: &'static str, action: &'static str) -> Xid {
    Xid {
        code,
        meaning,
        action,
    }
}

/// The catalog, by code.
pub const CATALOG: &[Xid] = &[
    x(
        8,
        "GPU stopped processing",
        "restart the application; reset the GPU if it repeats",
    ),
    x(
        13,
        "graphics engine exception",
        "usually an application fault: check the pod's logs; run diagnostics if it repeats",
    ),
    x(
        31,
        "GPU memory page fault",
        "usually an application bug (illegal address): check the pod's logs",
    ),
    x(
        32,
        "invalid or corrupted push buffer stream",
        "check the PCIe link and driver; reset the GPU",
    ),
    x(
        38,
        "driver firmware error",
        "reset the GPU; update the driver if it repeats",
    ),
    x(
        43,
        "GPU stopped processing (channel reset)",
        "the application faulted: restart it; the GPU is fine",
    ),
    x(
        45,
        "preemptive cleanup after earlier errors",
        "look at the XID before it; restart the application",
    ),
    x(
        48,
        "double-bit ECC error",
        "reset the GPU; drain the node if it repeats",
    ),
    x(61, "internal micro-controller breakpoint", "reset the GPU"),
    x(62, "internal micro-controller halt", "reset the GPU"),
    x(
        63,
        "ECC page retirement or row remapping recorded",
        "reset the GPU when convenient to apply the remap",
    ),
    x(
        64,
        "ECC page retirement or row remapping failed",
        "drain the node and reset the GPU; RMA if it repeats",
    ),
    x(
        68,
        "video decoder (NVDEC) exception",
        "restart the application; reset the GPU if it repeats",
    ),
    x(
        69,
        "graphics engine class error",
        "restart the application; reset the GPU if it repeats",
    ),
    x(
        74,
        "NVLink error",
        "reset the GPU; check NVLink connections if it repeats",
    ),
    x(
        79,
        "GPU has fallen off the bus",
        "drain the node; check power and PCIe, then reboot",
    ),
    x(
        92,
        "high single-bit ECC error rate",
        "watch it; reset the GPU, RMA if it persists",
    ),
    x(
        94,
        "contained ECC error",
        "restart the affected application; reset the GPU when convenient",
    ),
    x(
        95,
        "uncontained ECC error",
        "drain the node and reset the GPU",
    ),
    x(
        119,
        "GSP RPC timeout",
        "reset the GPU; reboot the node if it repeats",
    ),
    x(
        120,
        "GSP error",
        "reset the GPU; reboot the node if it repeats",
    ),
    x(
        121,
        "C2C link error",
        "reset the GPU; drain the node if it repeats",
    ),
    x(
        140,
        "unrecovered ECC error",
        "drain the node and reset the GPU",
    ),
    x(
        154,
        "GPU recovery action changed",
        "follow the driver's recovery action: reset, reboot or drain",
    ),
];

/// What an XID means, when the catalog knows it.
pub fn lookup(code: u32) -> Option<&'static Xid> {
    CATALOG.iter().find(|x| x.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_the_ones_that_page() {
        assert!(lookup(48).is_some_and(
            |x| x.meaning.contains("double-bit ECC") && x.action.contains("reset the GPU")
        ));
        assert!(lookup(79).is_some_and(
            |x| x.meaning.contains("fallen off the bus") && x.action.contains("drain the node")
        ));
        assert!(lookup(1).is_none());
    }

    #[test]
    fn catalog_is_sorted_without_duplicates() {
        assert!(CATALOG.windows(2).all(|w| w[0].code < w[1].code));
    }
}
