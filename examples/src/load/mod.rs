//! The pieces of `chat-load`: many XMPP sessions in one process, each
//! sending numbered messages to another and checking what it receives.

pub mod agent;
pub mod driver;
pub mod report;
pub mod rss;
pub mod tally;
