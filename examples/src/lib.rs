//! The library half of the chatwire examples: what the binaries share.
//! Everything here does IO on behalf of the sans-IO crates.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chat;
pub mod deflate_flags;
pub mod echo;
pub mod load;
pub mod payload;
