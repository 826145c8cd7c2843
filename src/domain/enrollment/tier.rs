//! Enrollment tiers and their course limits.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A student's subscription tier; it limits how many courses they may take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Tier {
    /// 2 courses (the tier a registration implies).
    #[default]
    Basic,
    /// 5 courses.
    Standard,
    /// 10 courses.
    Professional,
    /// 25 courses.
    Master,
}

impl Tier {
    /// Every tier, lowest first.
    pub const ALL: [Tier; 4] = [Tier::Basic, Tier::Standard, Tier::Professional, Tier::Master];

    /// The most courses a student of this tier may be enrolled in.
    pub fn max_courses(self) -> u32 {
        match self {
            Tier::Basic => 2,
            Tier::Standard => 5,
            Tier::Professional => 10,
            Tier::Master => 25,
        }
    }

    /// The tier's name as stored in event data.
    pub fn name(self) -> &'static str {
        match self {
            Tier::Basic => "Basic",
            Tier::Standard => "Standard",
            Tier::Professional => "Professional",
            Tier::Master => "Master",
        }
    }

    /// Parses [`Tier::name`].
    pub fn from_name(s: &str) -> Option<Tier> {
        Tier::ALL.into_iter().find(|t| t.name() == s)
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
