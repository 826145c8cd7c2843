//! Views of a run: the text [`timeline`] (one lane per client, every store
//! call on virtual time, violations marked) and the self-contained [`html`]
//! report. They read a [`History`](crate::sim::History) and never change it.
//! [`coverage_html`] renders an exploration's coverage table as HTML (the
//! page of `dcb-sim explore --html`).

pub mod coverage_html;
pub mod html;
pub(crate) mod timeline;

pub use timeline::{timeline, timeline_with};
