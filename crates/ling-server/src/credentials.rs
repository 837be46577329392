//! Passwords, recovery codes and session tokens.
//!
//! Passwords and recovery codes are hashed with argon2id (the crate's
//! default parameters: 19 MiB, 2 passes) on the blocking pool. Session tokens
//! are 256 random bits, so a fast SHA-256 is enough to store them: the
//! database never holds anything that logs in.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// Argon2 runs on a few dedicated threads (one per core, at most 4), never
/// on tokio's blocking pool (up to 512 threads). Each hash takes 19 MiB and a
/// core for ~20 ms, so a burst of registrations or logins queues here instead
/// of starving other requests and multiplying peak memory. (Freed hash memory
/// going back to the system is the allocator's part: see `main.rs`.)
fn run_hashing<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> tokio::sync::oneshot::Receiver<T> {
    type Job = Box<dyn FnOnce() + Send>;
    static POOL: std::sync::OnceLock<std::sync::mpsc::Sender<Job>> = std::sync::OnceLock::new();
    let sender = POOL.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<Job>();
        let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
        let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 4);
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("ling-argon2-{i}")).spawn(move || {
                loop {
                    let job = match rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password hashing thread");
            }
        }
        tx
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = tx.send(job());
    });
    let _ = sender.send(job);
    rx
}

/// Hashes a secret with argon2id.
pub async fn hash_secret(secret: String) -> ApiResult<String> {
    run_hashing(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(secret.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Checks a secret against an argon2id hash. With no hash (unknown user) it
/// still spends the same time, so timing does not tell which usernames exist.
pub async fn verify_secret(secret: String, hash: Option<String>) -> ApiResult<bool> {
    run_hashing(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let parsed = PasswordHash::new(&hash).map_err(ApiError::internal)?;
        let ok = Argon2::default().verify_password(secret.as_bytes(), &parsed).is_ok();
        Ok(ok && known)
    })
    .await
    .map_err(ApiError::internal)?
}

/// The argon2id hash of a random secret nobody knows, for unknown usernames.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default().hash_password(&secret, &salt).map(|h| h.to_string()).unwrap_or_default()
    })
}

/// A new session token and the hash to store.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Crockford's base32: no I, L, O, U, so codes read back without confusion.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new recovery code: 100 random bits as `XXXXX-XXXXX-XXXXX-XXXXX`.
pub fn new_recovery_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<u8> = (0..20).map(|_| CROCKFORD[(rng.next_u32() % 32) as usize]).collect();
    chars.chunks(5).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// A recovery code as typed, in the form that was hashed: upper case, no
/// separators, look-alike letters read as digits.
pub fn normalize_recovery_code(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn test_hash_and_verify() {
        let h = hash_secret("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_secret("correct horse".into(), Some(h.clone())).await.unwrap());
        assert!(!verify_secret("wrong horse".into(), Some(h)).await.unwrap());
        assert!(!verify_secret("anything".into(), None).await.unwrap());
    }

    #[test]
    fn test_tokens_are_random_and_hash_stably() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), ha);
    }

    #[test]
    fn test_recovery_codes_normalize_as_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 23);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalize_recovery_code(&typed), normalize_recovery_code(&code));
        assert_eq!(normalize_recovery_code("o1-il"), "0111");
    }
}
