//! Polling until something is ready, with a deadline that names what was awaited.

use std::time::{Duration, Instant};

use crate::{Error, Result};

/// Calls `probe` every `every` until it returns `Some`, or fails with [`Error::Timeout`]
/// naming `what` after `timeout`.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut probe: impl FnMut() -> Option<T>,
) -> Result<T> {
    let start = Instant::now();
    loop {
        if let Some(v) = probe() {
            return Ok(v);
        }
        if start.elapsed() >= timeout {
            return Err(Error::Timeout {
                what: what.to_string(),
                secs: start.elapsed().as_secs_f64(),
            });
        }
        std::thread::sleep(every);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_first_ready_value() {
        let mut n = 0;
        let v = wait_until(
            "n to reach 3",
            Duration::from_secs(1),
            Duration::ZERO,
            || {
                n += 1;
                (n >= 3).then_some(n)
            },
        );
        assert_eq!(v.expect("ready"), 3);
    }

    #[test]
    fn times_out_with_the_name_of_what_it_waited_for() {
        let err = wait_until::<()>(
            "never",
            Duration::from_millis(20),
            Duration::from_millis(5),
            || None,
        )
        .expect_err("must time out");
        assert!(err.to_string().contains("never"), "{err}");
    }
}
