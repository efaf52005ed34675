//! A tutorial (in progress).
