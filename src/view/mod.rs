//! Views of a run: the text [`timeline`] (one lane per client, every store
//! call on virtual time, violations marked) and the self-contained [`html`]
//! report. They read a [`History`](crate::sim::History) and never change it.

pub mod html;
pub(crate) mod timeline;

pub use timeline::{timeline, timeline_with};
