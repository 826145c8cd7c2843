//! Domains built on the store and the handler shell.

pub mod enrollment;
pub mod library;
pub mod sequence;

#[cfg(test)]
mod mutant_tests;
