//! GPUs from DCGM exporter metrics: blank sentinels, assembling rows, the XID catalog.

pub mod xid;

use std::collections::{BTreeMap, HashMap};

use crate::config::GpusConfig;
use crate::event::GpuStatus;

/// Which DCGM field a sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Util,
    Temp,
    FbUsed,
    FbFree,
    Power,
    Xid,
}

impl Field {
    /// Every field, in query order.
    pub const ALL: [Field; 6] = [
        Field::Util,
        Field::Temp,
        Field::FbUsed,
        Field::FbFree,
        Field::Power,
        Field::Xid,
    ];

    /// The metric name for this field under `cfg`.
    pub fn metric(self, cfg: &GpusConfig) -> &str {
        match self {
            Field::Util => &cfg.util_metric,
            Field::Temp => &cfg.temp_metric,
            Field::FbUsed => &cfg.fb_used_metric,
            Field::FbFree => &cfg.fb_free_metric,
            Field::Power => &cfg.power_metric,
            Field::Xid => &cfg.xid_metric,
        }
    }
}

/// The PromQL selecting one field, with the configured matchers.
pub fn query(field: Field, cfg: &GpusConfig) -> String {
    let sel = cfg
        .selector
        .trim()
        .trim_start_matches('{')
        .trim_end_matches('}');
    if sel.is_empty() {
        field.metric(cfg).to_string()
    } else {
        format!("{}{{{sel}}}", field.metric(cfg))
    }
}

/// Whether DCGM means "no value" rather than a number: its blank and not-found/not-supported
/// sentinels sit just below the type's maximum (int32 0x7ffffff0.., int64
/// 0x7ffffffffffffff0.., such as 9223372036854775794) and at 2^47 for doubles.
pub fn is_blank(v: f64) -> bool {
    !v.is_finite() || v >= 140_737_488_355_328.0 || (2_147_483_632.0..=2_147_483_647.0).contains(&v)
}

/// Turns per-field samples (labels and value) into one status per GPU.
pub fn assemble(
    samples: &[(Field, HashMap<String, String>, f64)],
    cfg: &GpusConfig,
) -> Vec<GpuStatus> {
    let mut gpus: BTreeMap<(String, u32), GpuStatus> = BTreeMap::new();
    let mut free: BTreeMap<(String, u32), f64> = BTreeMap::new();
    for (field, labels, value) in samples {
        let label = |k: &str| labels.get(k).cloned().unwrap_or_default();
        let host = label(&cfg.host_label);
        let Ok(index) = label(&cfg.gpu_label).parse::<u32>() else {
            continue;
        };
        let key = (host.clone(), index);
        let g = gpus.entry(key.clone()).or_insert_with(|| GpuStatus {
            host,
            index,
            model: String::new(),
            util: None,
            mem_used_mib: None,
            mem_total_mib: None,
            temp_c: None,
            power_w: None,
            xid: None,
            pod: None,
        });
        if g.model.is_empty() {
            g.model = label(&cfg.model_label);
        }
        // Scraped without honor_labels, the exporter's own `pod` label names the exporter's
        // pod and the GPU's user moves to `exported_pod` (and `exported_namespace`).
        let exported = label(&format!("exported_{}", cfg.pod_label));
        let (pod, ns) = if exported.is_empty() {
            (label(&cfg.pod_label), label(&cfg.namespace_label))
        } else {
            (
                exported,
                label(&format!("exported_{}", cfg.namespace_label)),
            )
        };
        if !pod.is_empty() && g.pod.is_none() {
            g.pod = Some(if ns.is_empty() {
                pod
            } else {
                format!("{ns}/{pod}")
            });
        }
        let v = (!is_blank(*value)).then_some(*value);
        match field {
            Field::Util => g.util = v,
            Field::Temp => g.temp_c = v,
            Field::FbUsed => g.mem_used_mib = v,
            Field::FbFree => {
                if let Some(v) = v {
                    free.insert(key, v);
                }
            }
            Field::Power => g.power_w = v,
            Field::Xid => g.xid = v.filter(|x| *x > 0.0).map(|x| x as u32),
        }
    }
    for (key, g) in &mut gpus {
        g.mem_total_mib = match (g.mem_used_mib, free.get(key)) {
            (Some(u), Some(f)) => Some(u + f),
            _ => None,
        };
    }
    gpus.into_values().collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn labels(host: &str, gpu: &str, pod: Option<&str>) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("Hostname".to_string(), host.to_string()),
            ("gpu".to_string(), gpu.to_string()),
            ("modelName".to_string(), "NVIDIA A100".to_string()),
        ]
        .into();
        if let Some(p) = pod {
            m.insert("pod".into(), p.into());
            m.insert("namespace".into(), "ml".into());
        }
        m
    }

    #[test]
    fn dcgm_sentinels_are_not_numbers() {
        assert!(is_blank(9_223_372_036_854_775_794.0));
        assert!(is_blank(9_223_372_036_854_775_792.0));
        assert!(is_blank(2_147_483_632.0));
        assert!(is_blank(140_737_488_355_328.0));
        assert!(!is_blank(81_920.0));
        assert!(!is_blank(0.0));
    }

    #[test]
    fn rows_join_fields_and_blank_becomes_none() {
        let cfg = GpusConfig::default();
        let s = vec![
            (
                Field::FbUsed,
                labels("h1", "0", Some("trainer-0")),
                40_000.0,
            ),
            (Field::FbFree, labels("h1", "0", None), 41_920.0),
            (Field::Temp, labels("h1", "0", None), 71.0),
            (
                Field::Power,
                labels("h1", "0", None),
                9_223_372_036_854_775_794.0,
            ),
            (Field::Xid, labels("h1", "0", None), 48.0),
            (Field::Xid, labels("h1", "1", None), 0.0),
        ];
        let g = assemble(&s, &cfg);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].mem_total_mib, Some(81_920.0));
        assert_eq!(g[0].power_w, None);
        assert_eq!(g[0].xid, Some(48));
        assert_eq!(g[0].pod.as_deref(), Some("ml/trainer-0"));
        assert_eq!(g[0].model, "NVIDIA A100");
        assert_eq!(g[1].xid, None);
    }

    #[test]
    fn exported_labels_name_the_pod_behind_a_relabelling_scrape() {
        let cfg = GpusConfig::default();
        let mut l = labels("h1", "0", Some("dcgm-exporter-7x2"));
        l.insert("exported_pod".into(), "serving-0".into());
        l.insert("exported_namespace".into(), "snap".into());
        let g = assemble(&[(Field::Temp, l, 80.0)], &cfg);
        assert_eq!(g[0].pod.as_deref(), Some("snap/serving-0"));
    }

    #[test]
    fn selector_braces_are_optional() {
        let mut cfg = GpusConfig {
            selector: "{job=\"dcgm\"}".into(),
            ..GpusConfig::default()
        };
        assert_eq!(
            query(Field::Temp, &cfg),
            "DCGM_FI_DEV_GPU_TEMP{job=\"dcgm\"}"
        );
        cfg.selector = String::new();
        assert_eq!(query(Field::Util, &cfg), "DCGM_FI_DEV_GPU_UTIL");
    }
}
