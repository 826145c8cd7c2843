//! The failure reasons of the library's business rules.
//!
//! Each reason is stored, as its plain text, in the data of a `...Failed`
//! event, and is the second half of the business error a rejection returns:
//! `"<FailedEventType>: <reason>"`, e.g.
//! `LendingBookToReaderFailed: book is already lent` (the Go example's exact
//! texts).

use std::fmt;

/// Why a library command was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureReason {
    /// Lend: the reader is not registered, or their contract was canceled.
    ReaderNotCurrentlyRegistered,
    /// Lend: the copy was never added, or it was removed.
    BookNotInCirculation,
    /// Lend: the copy is lent to another reader.
    BookAlreadyLent,
    /// Lend: the reader already holds
    /// [`MAX_BOOKS_PER_READER`](super::MAX_BOOKS_PER_READER) copies.
    ReaderHasTooManyBooks,
    /// Remove, return: the copy was never added to circulation.
    BookNeverAddedToCirculation,
    /// Remove: the copy is lent.
    BookIsCurrentlyLent,
    /// Cancel, return: the reader never registered.
    ReaderNeverRegistered,
    /// Cancel: the reader still holds copies.
    ReaderHasOutstandingLoans,
    /// Return: the copy was never lent to this reader.
    BookNotLentToThisReader,
}

impl FailureReason {
    /// Every reason.
    pub const ALL: [FailureReason; 9] = [
        FailureReason::ReaderNotCurrentlyRegistered,
        FailureReason::BookNotInCirculation,
        FailureReason::BookAlreadyLent,
        FailureReason::ReaderHasTooManyBooks,
        FailureReason::BookNeverAddedToCirculation,
        FailureReason::BookIsCurrentlyLent,
        FailureReason::ReaderNeverRegistered,
        FailureReason::ReaderHasOutstandingLoans,
        FailureReason::BookNotLentToThisReader,
    ];

    /// The reason's text, as in the Go example and in event data.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::ReaderNotCurrentlyRegistered => "reader is not currently registered",
            FailureReason::BookNotInCirculation => "book is not in circulation",
            FailureReason::BookAlreadyLent => "book is already lent",
            FailureReason::ReaderHasTooManyBooks => "reader has too many books",
            FailureReason::BookNeverAddedToCirculation => "book was never added to circulation",
            FailureReason::BookIsCurrentlyLent => "book is currently lent",
            FailureReason::ReaderNeverRegistered => "reader was never registered",
            FailureReason::ReaderHasOutstandingLoans => "reader has outstanding book loans",
            FailureReason::BookNotLentToThisReader => "book is not lent to this reader",
        }
    }

    /// Parses [`FailureReason::as_str`]; `None` for any other text.
    pub fn from_text(text: &str) -> Option<FailureReason> {
        FailureReason::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_round_trips_through_its_text() {
        for r in FailureReason::ALL {
            assert_eq!(FailureReason::from_text(r.as_str()), Some(r));
            assert_eq!(r.to_string(), r.as_str());
        }
        assert_eq!(FailureReason::from_text("book is lent"), None);
    }

    #[test]
    fn texts_are_distinct() {
        let mut texts: Vec<_> = FailureReason::ALL.iter().map(|r| r.as_str()).collect();
        texts.sort_unstable();
        texts.dedup();
        assert_eq!(texts.len(), FailureReason::ALL.len());
    }
}
