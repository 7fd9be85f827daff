//! A shutdown signal shared by every task: set once on SIGTERM/SIGINT (or by a fatal error),
//! awaited by servers, controllers and the leader elector (does IO: listens for signals).

use tokio::sync::watch;

/// A cloneable handle: [`Shutdown::trigger`] sets it, [`Shutdown::wait`] resolves once set.
#[derive(Clone, Debug)]
pub struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A signal not yet set.
    pub fn new() -> Self {
        Self {
            tx: watch::Sender::new(false),
        }
    }

    /// Sets the signal (idempotent).
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }

    /// Whether the signal is set.
    pub fn is_set(&self) -> bool {
        *self.tx.borrow()
    }

    /// Resolves once the signal is set.
    pub async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so `wait_for` ends only when the value is true.
        let _ = rx.wait_for(|set| *set).await;
    }

    /// Sets the signal on SIGTERM or SIGINT; returns the name of the signal received.
    pub async fn on_signals(&self) -> &'static str {
        use tokio::signal::unix::{SignalKind, signal};
        let name = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
                _ = self.wait() => "shutdown",
            },
            _ => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        };
        self.trigger();
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_wake_when_triggered() {
        let s = Shutdown::new();
        let w = s.clone();
        let waiter = tokio::spawn(async move { w.wait().await });
        assert!(!s.is_set());
        s.trigger();
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter)
            .await
            .expect("the waiter woke")
            .expect("the waiter ran");
        assert!(s.is_set());
        s.wait().await;
    }
}
