//! Alerts: Alertmanager's API v2 (`/api/v2/alerts`, `/api/v2/silences`) with plain reqwest,
//! or Prometheus's `/api/v1/alerts` when no Alertmanager is configured.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use serde::Deserialize;

use super::http::{chain, join};
use super::poll::{Poller, Runner};
use super::prometheus::Prom;
use crate::config::Config;
use crate::event::{AlertState, AlertStatus, Observation, SilenceStatus};

/// An Alertmanager client.
#[derive(Clone)]
pub struct Am {
    pub client: reqwest::Client,
    pub url: String,
}

impl Am {
    /// A client for the config's `[alertmanager]`, when it has a URL.
    pub fn from_config(config: &Config) -> Option<Result<Am, String>> {
        let endpoint = config.alertmanager.as_ref()?;
        let url = config.alertmanager_url()?.to_string();
        Some(super::http::client(endpoint).map(|client| Am { client, url }))
    }

    async fn get(&self, path: &str) -> Result<Vec<u8>, String> {
        let res = self
            .client
            .get(join(&self.url, path))
            .send()
            .await
            .map_err(|e| format!("alertmanager: {}", chain(&e)))?;
        let answer = super::decode::read("alertmanager", res).await?;
        if !answer.status.is_success() {
            let body = crate::text::cap(
                String::from_utf8_lossy(&answer.body).trim(),
                crate::text::MAX_ERROR_BODY,
            );
            return Err(format!("alertmanager: HTTP {}: {body}", answer.status));
        }
        Ok(answer.body)
    }

    /// Every alert Alertmanager holds, silenced and inhibited ones too.
    pub async fn alerts(&self) -> Result<Vec<AlertStatus>, String> {
        let body = self
            .get("api/v2/alerts?silenced=true&inhibited=true&active=true")
            .await?;
        super::decode::alertmanager_alerts(&body, Timestamp::now())
    }

    /// Every silence, with its state.
    pub async fn silences(&self) -> Result<Vec<SilenceStatus>, String> {
        let body = self.get("api/v2/silences").await?;
        super::decode::alertmanager_silences(&body)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AmAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    starts_at: Timestamp,
    ends_at: Option<Timestamp>,
    status: AmAlertStatus,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmAlertStatus {
    #[serde(default)]
    silenced_by: Vec<String>,
}

impl AmAlert {
    pub(super) fn into_status(self, now: Timestamp) -> AlertStatus {
        let resolved = self.ends_at.is_some_and(|e| e <= now);
        status(
            self.labels,
            self.annotations,
            self.starts_at,
            if resolved {
                AlertState::Resolved
            } else {
                AlertState::Firing
            },
            self.status.silenced_by,
        )
    }
}

pub(super) fn status(
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    since: Timestamp,
    state: AlertState,
    silenced_by: Vec<String>,
) -> AlertStatus {
    use crate::text::{MAX_ANNOTATION, MAX_LABEL, cap};
    // Capped where they enter: an alert rule can put anything in its annotations.
    let labels: BTreeMap<String, String> = labels
        .into_iter()
        .map(|(k, v)| (cap(&k, MAX_LABEL), cap(&v, MAX_LABEL)))
        .collect();
    let ann = |k: &str| {
        cap(
            annotations.get(k).map_or("", String::as_str),
            MAX_ANNOTATION,
        )
    };
    AlertStatus {
        name: labels
            .get("alertname")
            .cloned()
            .unwrap_or_else(|| "unnamed".into()),
        severity: labels.get("severity").cloned().unwrap_or_default(),
        state,
        since,
        summary: ann("summary"),
        runbook_url: Some(ann("runbook_url")).filter(|u| !u.is_empty()),
        detail: String::new(),
        description: ann("description"),
        labels,
        silenced_by,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AmSilence {
    id: String,
    matchers: Vec<AmMatcher>,
    starts_at: Timestamp,
    ends_at: Timestamp,
    #[serde(default)]
    created_by: String,
    #[serde(default)]
    comment: String,
    status: AmSilenceState,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AmMatcher {
    name: String,
    value: String,
    is_regex: bool,
    #[serde(default = "yes")]
    is_equal: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct AmSilenceState {
    state: String,
}

impl AmSilence {
    pub(super) fn into_status(self) -> SilenceStatus {
        SilenceStatus {
            id: self.id,
            matchers: self
                .matchers
                .iter()
                .map(|m| {
                    let op = match (m.is_regex, m.is_equal) {
                        (false, true) => "=",
                        (false, false) => "!=",
                        (true, true) => "=~",
                        (true, false) => "!~",
                    };
                    format!("{}{op}{}", m.name, m.value)
                })
                .collect(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_by: self.created_by,
            comment: self.comment,
            state: self.status.state,
        }
    }
}

/// Prometheus's firing alerts (pending ones are not alerts yet).
pub async fn prometheus_alerts(prom: &Prom) -> Result<Vec<AlertStatus>, String> {
    prom.alerts().await
}

/// Where alerts come from.
#[derive(Clone)]
pub enum AlertSource {
    Alertmanager(Am),
    Prometheus(Prom),
}

impl AlertSource {
    /// Alertmanager when configured, else Prometheus, else nothing.
    pub fn from_config(config: &Config, prom: Option<Prom>) -> Result<Option<AlertSource>, String> {
        Ok(match Am::from_config(config).transpose()? {
            Some(am) => Some(AlertSource::Alertmanager(am)),
            None => prom.map(AlertSource::Prometheus),
        })
    }

    /// The alerts, one per name (the earliest firing one stands for the group), and silences.
    pub async fn fetch(&self) -> Result<(Vec<AlertStatus>, Option<Vec<SilenceStatus>>), String> {
        let (alerts, silences) = match self {
            AlertSource::Alertmanager(am) => {
                let (a, s) = futures::join!(am.alerts(), am.silences());
                (a?, Some(s?))
            }
            AlertSource::Prometheus(p) => (prometheus_alerts(p).await?, None),
        };
        let mut by_name: BTreeMap<String, AlertStatus> = BTreeMap::new();
        for a in alerts {
            match by_name.get(&a.name) {
                Some(b)
                    if (b.state == AlertState::Firing, std::cmp::Reverse(b.since))
                        >= (a.state == AlertState::Firing, std::cmp::Reverse(a.since)) => {}
                _ => {
                    by_name.insert(a.name.clone(), a);
                }
            }
        }
        Ok((by_name.into_values().collect(), silences))
    }
}

/// Alerts that disappear from the API were resolved: it keeps firing ones only.
struct AlertPoller {
    source: AlertSource,
    seen: BTreeMap<String, AlertStatus>,
}

impl Poller for AlertPoller {
    async fn poll(&mut self) -> Result<Vec<Observation>, String> {
        let (alerts, silences) = self.source.fetch().await?;
        let names: BTreeSet<&String> = alerts.iter().map(|a| &a.name).collect();
        let mut out: Vec<Observation> = self
            .seen
            .iter()
            .filter(|(n, _)| !names.contains(n))
            .map(|(_, a)| {
                Observation::Alert(AlertStatus {
                    state: AlertState::Resolved,
                    ..a.clone()
                })
            })
            .collect();
        self.seen = alerts.iter().map(|a| (a.name.clone(), a.clone())).collect();
        out.extend(alerts.into_iter().map(Observation::Alert));
        out.extend(silences.map(Observation::Silences));
        Ok(out)
    }
}

/// Hands `runner` the alerts poller when an Alertmanager or Prometheus is configured.
pub fn start(config: &Config, prom: Option<Prom>, runner: &mut impl Runner) -> Result<(), String> {
    let Some(source) = AlertSource::from_config(config, prom)? else {
        return Ok(());
    };
    let every = match &source {
        AlertSource::Alertmanager(_) => config.alertmanager.as_ref(),
        AlertSource::Prometheus(_) => config.prometheus.as_ref(),
    }
    .map(|e| e.refresh())
    .unwrap_or(std::time::Duration::from_secs(15));
    let poller = AlertPoller {
        source,
        seen: BTreeMap::new(),
    };
    runner.run("alerts".into(), every, poller);
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_alertmanager_v2_alerts_and_silences() {
        let alerts: Vec<AmAlert> = serde_json::from_str(
            r#"[{"annotations":{"summary":"5xx above 3%","runbook_url":"https://r/5xx","description":"d"},
                "endsAt":"2099-01-01T00:00:00Z","fingerprint":"f","receivers":[{"name":"x"}],
                "startsAt":"2026-11-22T10:00:00.123Z","status":{"inhibitedBy":[],"silencedBy":["s1"],"state":"suppressed"},
                "updatedAt":"2026-11-22T10:00:01Z","labels":{"alertname":"High5xx","severity":"critical","job":"a"}}]"#,
        )
        .unwrap();
        let a = alerts
            .into_iter()
            .next()
            .unwrap()
            .into_status(Timestamp::now());
        assert_eq!(a.name, "High5xx");
        assert_eq!(a.severity, "critical");
        assert_eq!(a.state, AlertState::Firing);
        assert_eq!(a.runbook_url.as_deref(), Some("https://r/5xx"));
        assert_eq!(a.silenced_by, vec!["s1"]);
        let s: Vec<AmSilence> = serde_json::from_str(
            r#"[{"id":"s1","status":{"state":"active"},"updatedAt":"2026-11-22T10:00:00Z",
                "comment":"c","createdBy":"me","endsAt":"2026-11-22T11:00:00Z","startsAt":"2026-11-22T10:00:00Z",
                "matchers":[{"isEqual":true,"isRegex":false,"name":"alertname","value":"High5xx"}]}]"#,
        )
        .unwrap();
        let s = s.into_iter().next().unwrap().into_status();
        assert_eq!(s.matchers, vec!["alertname=High5xx"]);
        assert_eq!(s.state, "active");
    }
}
