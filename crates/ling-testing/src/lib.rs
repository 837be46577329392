//! What Ling's test crates share: one way to wait for something another
//! task or process will do (the server's, the client's, the call engine's,
//! the end-to-end and the window tests all use it). A test that waits names
//! what it waits for, and when it gives up it says so and what it last saw.
//!
//! Logic that decides is tested with no waiting at all (pure functions, or
//! `tokio::time::pause`); this is for what crosses real sockets, threads and
//! processes. Under paused time it waits in paused time.

#[cfg(feature = "model")]
pub mod model;

use std::fmt::Display;
use std::time::Duration;

/// How often a condition is looked at.
pub const STEP: Duration = Duration::from_millis(50);

/// How long a condition may take before the test fails: generous, for a
/// loaded two-core CI machine running tests side by side.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// What a check says: done (with a value), or not yet (with why, if it
/// knows).
pub trait Progress {
    type Done;
    fn progress(self) -> Result<Self::Done, Option<String>>;
}

impl Progress for bool {
    type Done = ();
    fn progress(self) -> Result<(), Option<String>> {
        if self { Ok(()) } else { Err(None) }
    }
}

impl<T> Progress for Option<T> {
    type Done = T;
    fn progress(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T, E: Display> Progress for Result<T, E> {
    type Done = T;
    fn progress(self) -> Result<T, Option<String>> {
        self.map_err(|e| Some(e.to_string()))
    }
}

/// Looks at `check` every [`STEP`] until it is done, for at most
/// `patience`; past it, the last reason it gave.
pub async fn poll<P: Progress>(patience: Duration, check: impl AsyncFnMut() -> P) -> Result<P::Done, String> {
    poll_every(STEP, patience, check).await
}

/// [`poll`], looking every `step` (a check that is costly itself: a script
/// run in a window).
pub async fn poll_every<P: Progress>(
    step: Duration,
    patience: Duration,
    mut check: impl AsyncFnMut() -> P,
) -> Result<P::Done, String> {
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match check().await.progress() {
            Ok(done) => return Ok(done),
            Err(why) if tokio::time::Instant::now() >= deadline => {
                return Err(why.unwrap_or_else(|| "it never was".to_owned()));
            }
            Err(_) => tokio::time::sleep(step).await,
        }
    }
}

/// Waits (up to [`PATIENCE`]) until `check` is done; the test fails naming
/// `what` otherwise.
pub async fn eventually<P: Progress>(what: &str, check: impl AsyncFnMut() -> P) -> P::Done {
    match poll(PATIENCE, check).await {
        Ok(done) => done,
        Err(last) => panic!("timed out after {PATIENCE:?} waiting until {what}: {last}"),
    }
}

/// [`eventually`] for a condition that needs no awaiting.
pub async fn until(what: &str, mut check: impl FnMut() -> bool) {
    eventually(what, async || check()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn it_waits_until_done_and_gives_the_value() {
        let start = tokio::time::Instant::now();
        let mut looks = 0;
        let v = eventually("the third look", async || {
            looks += 1;
            (looks == 3).then_some(looks * 10)
        })
        .await;
        assert_eq!(v, 30);
        assert_eq!(start.elapsed(), STEP * 2, "two waits between three looks");
    }

    #[tokio::test(start_paused = true)]
    async fn past_its_patience_it_says_what_it_last_saw() {
        let start = tokio::time::Instant::now();
        let r: Result<(), String> = poll(Duration::from_secs(1), async || Err::<(), _>("still two rows")).await;
        assert_eq!(r, Err("still two rows".to_owned()));
        assert!(start.elapsed() >= Duration::from_secs(1) && start.elapsed() < Duration::from_secs(1) + STEP * 2);
        assert_eq!(poll(STEP, async || false).await, Err("it never was".to_owned()));
    }

    #[tokio::test(start_paused = true)]
    #[should_panic(expected = "waiting until the moon is green")]
    async fn a_test_that_waits_in_vain_fails_naming_what_it_waited_for() {
        until("the moon is green", || false).await;
    }
}
