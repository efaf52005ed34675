//! A cookbook (in progress).
