//! Identifiers Flink hands out or accepts (no IO).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Error;

macro_rules! hex_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses 32 hexadecimal digits (Flink's 128-bit id format).
            pub fn parse(s: &str) -> Result<Self, Error> {
                if s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Ok(Self(s.to_ascii_lowercase()))
                } else {
                    Err(Error::InvalidId { kind: $kind, value: s.chars().take(64).collect() })
                }
            }

            /// A deterministic id derived from `seed` (for instance a resource UID and a
            /// generation), so that a retried request names the same id.
            pub fn from_seed(seed: &[u8]) -> Self {
                Self(derive_hex(seed))
            }

            /// The id as Flink prints it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                Self::parse(s)
            }
        }
    };
}

hex_id!(
    /// A job id (`jid`): 32 hex digits. Choosing it at submission makes a retried run idempotent.
    JobId,
    "job id"
);
hex_id!(
    /// A trigger (request) id of an asynchronous operation: savepoint, stop, checkpoint,
    /// disposal. A caller-chosen trigger id makes a repeated trigger name the same operation.
    TriggerId,
    "trigger id"
);
hex_id!(
    /// A job vertex id: 32 hex digits.
    VertexId,
    "vertex id"
);

/// The id of an uploaded jar (the file name Flink stored it under, `<uuid>_<name>.jar`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JarId(pub String);

impl JarId {
    /// The id as Flink prints it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JarId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// 128 bits from `seed`, by two rounds of FNV-1a 64 (stable across builds and platforms;
/// not cryptographic, only meant to spread seeds over the id space).
fn derive_hex(seed: &[u8]) -> String {
    let fnv = |salt: u8| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in std::iter::once(salt).chain(seed.iter().copied()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    format!("{:016x}{:016x}", fnv(1), fnv(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex_digits() {
        assert!(JobId::parse("a3a1d4b7c0e5f60718293a4b5c6d7e8f").is_ok());
        assert!(JobId::parse("not-an-id").is_err());
        assert!(TriggerId::parse("A3A1D4B7C0E5F60718293A4B5C6D7E8").is_err());
    }

    #[test]
    fn seeded_ids_are_stable_and_distinct() {
        let a = TriggerId::from_seed(b"uid-1/7");
        assert_eq!(a, TriggerId::from_seed(b"uid-1/7"));
        assert_ne!(a, TriggerId::from_seed(b"uid-1/8"));
        assert!(TriggerId::parse(a.as_str()).is_ok());
    }
}
