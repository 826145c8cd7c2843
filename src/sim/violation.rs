//! [`Violation`]: what a checker found, typed by kind.

use serde::{Deserialize, Serialize};

/// A problem found in one run. The kind maps to the CLI's exit code:
/// safety 1, liveness 3, harness 4 (2 is a usage error).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Violation {
    /// A safety invariant broke (something bad happened).
    #[error("[{invariant}]{} {detail}", command.map(|c| format!(" command #{c}:")).unwrap_or_default())]
    Safety {
        /// The invariant's name, e.g. `capacity`, `serializability`.
        invariant: String,
        /// Index of the command most to blame, if one is.
        command: Option<usize>,
        /// What was seen.
        detail: String,
    },
    /// Something good did not happen (e.g. all tasks blocked).
    #[error("[liveness] {detail}")]
    Liveness {
        /// What was seen.
        detail: String,
    },
    /// The harness itself failed (a panic in the run, a bad scenario).
    #[error("[harness] {detail}")]
    Harness {
        /// What was seen.
        detail: String,
    },
}

impl Violation {
    /// A safety violation.
    pub fn safety(invariant: &str, command: Option<usize>, detail: impl Into<String>) -> Self {
        Violation::Safety { invariant: invariant.to_string(), command, detail: detail.into() }
    }

    /// The invariant name (`liveness` / `harness` for those kinds).
    pub fn invariant(&self) -> &str {
        match self {
            Violation::Safety { invariant, .. } => invariant,
            Violation::Liveness { .. } => "liveness",
            Violation::Harness { .. } => "harness",
        }
    }

    /// The CLI exit code of this kind.
    pub fn exit_code(&self) -> i32 {
        match self {
            Violation::Safety { .. } => 1,
            Violation::Liveness { .. } => 3,
            Violation::Harness { .. } => 4,
        }
    }
}
