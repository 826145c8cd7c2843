//! Library commands: the six command handlers' inputs.
//!
//! Ids are plain strings (the Go example uses UUIDs); they become the tags
//! `book:<id>` and `reader:<id>`. The Go example's extra book fields (ISBN,
//! authors, edition, publisher, year) and timestamps are left out: no rule
//! reads them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A command of the library domain.
///
/// ```
/// use dcb_sim::domain::library::LibraryCommand;
/// let c: LibraryCommand = serde_json::from_str(r#"{"type":"lend_book_copy","book":"b1","reader":"r1"}"#).unwrap();
/// assert_eq!(c, LibraryCommand::LendBookCopy { book: "b1".into(), reader: "r1".into() });
/// assert_eq!(c.to_string(), "lend book b1 to reader r1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LibraryCommand {
    /// Add a book copy to circulation (again, after a removal).
    AddBookCopy {
        /// Book copy id.
        book: String,
        /// Its title.
        title: String,
    },
    /// Remove a book copy from circulation.
    RemoveBookCopy {
        /// Book copy id.
        book: String,
    },
    /// Register a reader (again, after a cancellation).
    RegisterReader {
        /// Reader id.
        reader: String,
        /// Their name.
        name: String,
    },
    /// Cancel a reader's contract.
    CancelReaderContract {
        /// Reader id.
        reader: String,
    },
    /// Lend a book copy to a reader.
    LendBookCopy {
        /// Book copy id.
        book: String,
        /// Reader id.
        reader: String,
    },
    /// A reader returns a book copy.
    ReturnBookCopy {
        /// Book copy id.
        book: String,
        /// Reader id.
        reader: String,
    },
}

impl fmt::Display for LibraryCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LibraryCommand::AddBookCopy { book, title } => write!(f, "add book {book} ({title:?})"),
            LibraryCommand::RemoveBookCopy { book } => write!(f, "remove book {book}"),
            LibraryCommand::RegisterReader { reader, name } => write!(f, "register reader {reader} ({name:?})"),
            LibraryCommand::CancelReaderContract { reader } => write!(f, "cancel contract of reader {reader}"),
            LibraryCommand::LendBookCopy { book, reader } => write!(f, "lend book {book} to reader {reader}"),
            LibraryCommand::ReturnBookCopy { book, reader } => write!(f, "return book {book} from reader {reader}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<LibraryCommand> {
        vec![
            LibraryCommand::AddBookCopy { book: "b1".into(), title: "Dune".into() },
            LibraryCommand::RemoveBookCopy { book: "b1".into() },
            LibraryCommand::RegisterReader { reader: "r1".into(), name: "Ada".into() },
            LibraryCommand::CancelReaderContract { reader: "r1".into() },
            LibraryCommand::LendBookCopy { book: "b1".into(), reader: "r1".into() },
            LibraryCommand::ReturnBookCopy { book: "b1".into(), reader: "r1".into() },
        ]
    }

    #[test]
    fn serde_uses_snake_case_type_tags_and_round_trips() {
        let tags: Vec<String> = all()
            .iter()
            .map(|c| serde_json::to_value(c).unwrap()["type"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            tags,
            ["add_book_copy", "remove_book_copy", "register_reader", "cancel_reader_contract", "lend_book_copy", "return_book_copy"]
        );
        for c in all() {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<LibraryCommand>(&json).unwrap(), c);
        }
    }

    #[test]
    fn display_names_the_ids() {
        let shown: Vec<String> = all().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "add book b1 (\"Dune\")",
                "remove book b1",
                "register reader r1 (\"Ada\")",
                "cancel contract of reader r1",
                "lend book b1 to reader r1",
                "return book b1 from reader r1",
            ]
        );
    }
}
