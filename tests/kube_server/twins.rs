//! A second namespace holding the same names: what makes "the first namespace that has it"
//! wrong. Every object of one namespace is copied into another, with its own uids and
//! images, so the two can be told apart by what they run.

use serde_json::Value;

use super::KubeServer;

/// Copies every object of namespace `from` into `to`; images gain a `-<to>` suffix.
pub fn copy_namespace(server: &KubeServer, from: &str, to: &str) {
    server.with(|s| {
        let objects: Vec<(String, Value)> = s
            .objects
            .iter()
            .filter(|((_, ns, _), _)| ns == from)
            .map(|((resource, _, _), o)| (resource.clone(), o.clone()))
            .collect();
        for (resource, o) in objects {
            let text = o
                .to_string()
                .replace(
                    &format!("\"namespace\":\"{from}\""),
                    &format!("\"namespace\":\"{to}\""),
                )
                // Owner references name the copied owner's uid, which `put` derives from
                // resource, namespace and name.
                .replace(&format!("-{from}-"), &format!("-{to}-"));
            let mut copy: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let meta = &mut copy["metadata"];
            meta["uid"] = Value::Null;
            meta["resourceVersion"] = Value::Null;
            rename_images(&mut copy, to);
            s.put(&resource, copy);
        }
    });
}

fn rename_images(v: &mut Value, to: &str) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                match child {
                    Value::String(s) if k == "image" => *s = format!("{s}-{to}"),
                    Value::String(s) if k == "kubernetes.io/change-cause" => {
                        *s = format!("{s}-{to}")
                    }
                    other => rename_images(other, to),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rename_images(c, to)),
        _ => {}
    }
}
