//! The checks the cases make: like `assert_eq!` / `assert!` / `expect`, but
//! returning a [`CaseFailure`](super::CaseFailure) from the case instead of
//! panicking, so one broken rule never stops the other cases.

/// `ensure_eq!(actual, expected)` or `ensure_eq!(actual, expected, "what {}", x)`:
/// returns [`CaseFailure::Mismatch`](super::CaseFailure::Mismatch) from the
/// enclosing case unless `actual == expected` (compared by reference, as
/// `assert_eq!` does). The check is named by the message, or without one
/// by the `actual` expression.
macro_rules! ensure_eq {
    ($actual:expr, $expected:expr $(,)?) => {
        ensure_eq!(@check $actual, $expected, $crate::conformance::ensure::code(stringify!($actual)))
    };
    ($actual:expr, $expected:expr, $($msg:tt)+) => {
        ensure_eq!(@check $actual, $expected, format!($($msg)+))
    };
    (@check $actual:expr, $expected:expr, $check:expr) => {
        match (&$actual, &$expected) {
            (actual, expected) => {
                if !(*actual == *expected) {
                    return Err($crate::conformance::CaseFailure::Mismatch {
                        check: $check,
                        expected: format!("{expected:?}"),
                        actual: format!("{actual:?}"),
                        at: concat!(file!(), ":", line!()),
                    });
                }
            }
        }
    };
}

/// `ensure!(condition, "what {}", x)`: returns
/// [`CaseFailure::Violated`](super::CaseFailure::Violated) from the
/// enclosing case unless `condition` holds.
macro_rules! ensure {
    ($condition:expr, $($msg:tt)+) => {
        if !$condition {
            return Err($crate::conformance::CaseFailure::Violated {
                check: format!($($msg)+),
                at: concat!(file!(), ":", line!()),
            });
        }
    };
}

/// `ensure_ok!(result, "call {}", x)`: the `Ok` value of a store call, or
/// [`CaseFailure::StoreCallFailed`](super::CaseFailure::StoreCallFailed)
/// returned from the enclosing case.
macro_rules! ensure_ok {
    ($result:expr, $($msg:tt)+) => {
        match $result {
            Ok(value) => value,
            Err(error) => {
                return Err($crate::conformance::CaseFailure::StoreCallFailed {
                    call: format!($($msg)+),
                    error,
                    at: concat!(file!(), ":", line!()),
                });
            }
        }
    };
}

/// `ensure_err!(result, "call {}", x)`: the `Err` value of a store call
/// the rule requires to fail, or
/// [`CaseFailure::Violated`](super::CaseFailure::Violated) (naming the
/// `Ok` value) returned from the enclosing case.
macro_rules! ensure_err {
    ($result:expr, $($msg:tt)+) => {
        match $result {
            Err(error) => error,
            Ok(value) => {
                return Err($crate::conformance::CaseFailure::Violated {
                    check: format!("{}: expected an error, got Ok({value:?})", format_args!($($msg)+)),
                    at: concat!(file!(), ":", line!()),
                });
            }
        }
    };
}

/// `expression` (from `stringify!`) on one line, in backticks.
pub(crate) fn code(expression: &str) -> String {
    format!("`{}`", expression.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// `ensure_conflict!(result, position, after, "what {}", x)`: returns
/// [`CaseFailure::Mismatch`](super::CaseFailure::Mismatch) from the
/// enclosing case unless `result` is
/// `Err(StoreError::ConditionFailed { conflicting, after })` with the
/// given `after` echoed and `conflicting` either `Some(position)` or
/// `None`: the conflicting position is checked **when the store gives
/// it**, never required (the DCB specification does not require it).
/// `result` may be a `Result<_, StoreError>` or a bare `StoreError`
/// (write `Err(error)` for the latter).
macro_rules! ensure_conflict {
    ($result:expr, $position:expr, $after:expr, $($msg:tt)+) => {
        let expected_after: Option<$crate::store::Position> = $after;
        let expected_position: $crate::store::Position = $position;
        match &$result {
            Err($crate::store::StoreError::ConditionFailed { conflicting, after })
                if *after == expected_after && (conflicting.is_none() || *conflicting == Some(expected_position)) => {}
            other => {
                return Err($crate::conformance::CaseFailure::Mismatch {
                    check: format!($($msg)+),
                    expected: format!(
                        "Err(ConditionFailed {{ conflicting: Some({:?}) (or None: the position is optional), after: {:?} }})",
                        expected_position, expected_after
                    ),
                    actual: format!("{other:?}"),
                    at: concat!(file!(), ":", line!()),
                });
            }
        }
    };
}
