//! 403s from watches, lists and log streams: read from the API server's Status, said once,
//! and waited out with a long backoff instead of a retry every second.

use std::time::Duration;

use futures::{Stream, StreamExt, stream};
use kube::runtime::watcher;

use crate::access::Forbidden;

/// How long a forbidden watch or log stream waits before asking again: permissions change
/// by a person's hand, and a retry a second only fills the API server's audit log.
pub const FORBIDDEN_RETRY: Duration = Duration::from_secs(300);

/// The first wait after another error, doubled up to [`RETRY_MAX`] (as kube's own backoff).
const RETRY_FIRST: Duration = Duration::from_millis(800);
const RETRY_MAX: Duration = Duration::from_secs(30);

/// The 403 a client error carries, if it is one.
pub fn of_client(e: &kube::Error) -> Option<Forbidden> {
    match e {
        kube::Error::Api(s) if s.code == 403 => Some(of_status(&s.message, &s.reason)),
        _ => None,
    }
}

fn of_status(message: &str, reason: &str) -> Forbidden {
    Forbidden::from_message(message).unwrap_or_else(|| Forbidden {
        resource: reason.to_string(),
        verb: String::new(),
        user: String::new(),
        namespace: String::new(),
    })
}

/// The 403 a watcher error carries, if it is one.
pub fn of_watch(e: &watcher::Error) -> Option<Forbidden> {
    match e {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => of_client(e),
        watcher::Error::WatchError(s) if s.code == 403 => Some(of_status(&s.message, &s.reason)),
        _ => None,
    }
}

/// A watch stream that waits after each error before polling again: exponentially for
/// ordinary errors, [`FORBIDDEN_RETRY`] after a 403. Every error is still delivered once.
pub fn backed_off<S, K>(s: S) -> impl Stream<Item = Result<K, watcher::Error>> + Send
where
    S: Stream<Item = Result<K, watcher::Error>> + Send + 'static,
    K: Send + 'static,
{
    let state = (Box::pin(s), None::<Duration>, Duration::ZERO);
    stream::unfold(state, |(mut s, wait, mut last)| async move {
        if let Some(w) = wait {
            tokio::time::sleep(w).await;
        }
        let item = s.next().await?;
        let wait = wait_after(&item, &mut last);
        Some((item, (s, wait, last)))
    })
}

/// How long to wait after `item` before polling again; `last` is the previous error's wait.
fn wait_after<K>(item: &Result<K, watcher::Error>, last: &mut Duration) -> Option<Duration> {
    match item {
        Ok(_) => {
            *last = Duration::ZERO;
            None
        }
        Err(e) if of_watch(e).is_some() => Some(FORBIDDEN_RETRY),
        Err(_) => {
            *last = (*last * 2).clamp(RETRY_FIRST, RETRY_MAX);
            Some(*last)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forbidden_watch_waits_minutes_and_other_errors_back_off() {
        let forbidden = || {
            let status = kube::core::Status::failure(
                "deployments.apps is forbidden: User \"viewer\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"shop\"",
                "Forbidden",
            )
            .with_code(403);
            Err::<u8, _>(watcher::Error::InitialListFailed(kube::Error::Api(
                Box::new(status),
            )))
        };
        let mut last = Duration::ZERO;
        let f = match forbidden() {
            Err(e) => of_watch(&e),
            Ok(_) => None,
        };
        assert_eq!(f.map(|f| f.user), Some("viewer".to_string()));
        assert_eq!(wait_after(&forbidden(), &mut last), Some(FORBIDDEN_RETRY));
        assert_eq!(wait_after(&forbidden(), &mut last), Some(FORBIDDEN_RETRY));
        let other = || Err::<u8, _>(watcher::Error::NoResourceVersion);
        assert_eq!(wait_after(&other(), &mut last), Some(RETRY_FIRST));
        assert_eq!(wait_after(&other(), &mut last), Some(RETRY_FIRST * 2));
        assert_eq!(wait_after(&Ok(1u8), &mut last), None);
        assert_eq!(wait_after(&other(), &mut last), Some(RETRY_FIRST));
    }
}
