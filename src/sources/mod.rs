//! Sources: owned tasks that turn the world into observations on the one channel.

pub mod alertmanager;
pub mod clock;
pub mod decode;
pub mod drill;
pub mod health;
pub mod http;
pub mod kube;
pub mod kube_access;
pub mod kube_cluster;
pub mod kube_cluster_snapshot;
mod kube_coalesce;
pub mod kube_convert;
pub mod kube_events;
pub mod kube_forbidden;
pub mod kube_jobs;
pub mod kube_logs;
pub mod kube_metrics;
pub mod kube_nodes;
pub mod kube_rollouts;
pub mod kube_snapshot;
pub mod kube_switches;
pub mod loki;
pub mod poll;
pub mod prometheus;
pub mod replay;
pub mod service_check;
