//! Plain-text tables: columns as wide as their widest cell, two spaces
//! apart, each left- or right-aligned.

use std::fmt;

/// A table's column widths and alignment.
pub(crate) struct Columns<const N: usize> {
    widths: [usize; N],
    left: [bool; N],
}

impl<const N: usize> Columns<N> {
    /// Widths fitting `head` and every row; `left[i]` left-aligns column `i`
    /// (the others are right-aligned).
    pub(crate) fn fit(head: &[&str; N], rows: &[[String; N]], left: [bool; N]) -> Self {
        let mut widths = head.map(|h| h.chars().count());
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        Columns { widths, left }
    }

    /// Writes one line of `cells`.
    pub(crate) fn line<S: AsRef<str>>(&self, f: &mut fmt::Formatter<'_>, cells: &[S; N]) -> fmt::Result {
        for (i, cell) in cells.iter().enumerate() {
            let (cell, w) = (cell.as_ref(), self.widths[i]);
            let sep = if i == 0 { "" } else { "  " };
            if self.left[i] {
                write!(f, "{sep}{cell:<w$}")?;
            } else {
                write!(f, "{sep}{cell:>w$}")?;
            }
        }
        writeln!(f)
    }
}
