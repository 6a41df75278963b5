//! Random secrets, their hashes, enrolment codes and password hashing.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::store::SecretHash;

/// A random token of 256 bits, URL-safe base64 (43 characters).
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A random identifier of 128 bits, URL-safe base64 (22 characters).
pub fn id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of a secret: what the store keeps instead of the secret.
pub fn hash(secret: &str) -> SecretHash {
    Sha256::digest(secret.as_bytes()).into()
}

/// Letters of enrolment codes: no 0/O, 1/I/L, so a code read aloud or off paper survives.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new enrolment code, `XXXX-XXXX-XXXX` (about 59 bits: enough for a one-time, expiring code).
pub fn enrolment_code() -> String {
    let mut out = String::with_capacity(14);
    for group in 0..3 {
        if group > 0 {
            out.push('-');
        }
        for _ in 0..4 {
            let i = (rand::rngs::OsRng.next_u32() as usize) % CODE_ALPHABET.len();
            out.push(char::from(CODE_ALPHABET[i]));
        }
    }
    out
}

/// The form a code is hashed in: upper case, without spaces or dashes.
pub fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Argon2id hash of a password, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A PHC string to verify against when the user does not exist, so that the time taken does
/// not tell whether a user name exists.
pub fn decoy_password_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password").unwrap_or_default())
}

/// A TURN credential in the "REST API" scheme coturn checks with `use-auth-secret`:
/// the user name carries its own expiry (`<unix seconds>:<who>`) and the password is
/// base64(HMAC-SHA1(secret, user name)), so the TURN server needs no database of users.
pub fn turn_credential(secret: &str, expires_at_secs: u64, who: &str) -> (String, String) {
    use hmac::{Hmac, Mac};
    let username = format!("{expires_at_secs}:{who}");
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(username.as_bytes());
    let credential = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (username, credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_readable_and_normalise() {
        let c = enrolment_code();
        assert_eq!(c.len(), 14);
        assert_eq!(
            normalise_code(&c.to_lowercase().replace('-', " ")),
            c.replace('-', "")
        );
    }

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("correct horse").unwrap();
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a phc string"));
    }

    #[test]
    fn tokens_are_long_and_distinct() {
        assert_eq!(token().len(), 43);
        assert_ne!(token(), token());
        assert_eq!(id().len(), 22);
    }

    #[test]
    fn turn_credentials_follow_the_coturn_rest_scheme() {
        // Reference value computed independently (Python's hmac + base64).
        let (user, password) = turn_credential("north-wind", 1_700_000_000, "p1");
        assert_eq!(user, "1700000000:p1");
        assert_eq!(password, "vzR15Wp4VzbyXODW4qwWwO/8zB0=");
    }
}
