//! Serde helpers: a [`Duration`] as whole microseconds (`u64`), so scenario
//! files read `"base_delay_us": 10000` instead of `{"secs":0,"nanos":…}`.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Serializes as microseconds (sub-microsecond parts are dropped).
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// Deserializes from microseconds.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    Ok(Duration::from_micros(u64::deserialize(d)?))
}

/// The same for `Option<Duration>` (`null` = none).
pub mod option {
    use super::*;

    /// Serializes as microseconds or `null`.
    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    /// Deserializes from microseconds or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(d)?.map(Duration::from_micros))
    }
}
