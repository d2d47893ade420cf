//! Receipts: a sender's message is acknowledged to its sender (XEP-0198
//! `h`) only once it is safe, so that a server killed with SIGKILL has
//! lost nothing it acknowledged. Every copy of a message on its way holds
//! a clone of the message's [`Receipt`]; the copy is dropped once it is
//! safe (stored offline, acknowledged by its recipient, or written to a
//! recipient without stream management), and when the last clone goes, the
//! sender's connection is told the stanza's number.

use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

/// A sender's stanza on its way; cloned for each copy.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// Held, never read: the last clone dropped confirms the stanza.
    _pending: Arc<Pending>,
}

#[derive(Debug)]
struct Pending {
    sender: Weak<Confirmations>,
    number: u32,
}

impl Receipt {
    /// The receipt for the stanza `number` of the connection that owns
    /// `sender`.
    pub fn new(sender: &Arc<Confirmations>, number: u32) -> Receipt {
        Receipt {
            _pending: Arc::new(Pending {
                sender: Arc::downgrade(sender),
                number,
            }),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // A sender that is gone has nothing left to acknowledge.
        if let Some(sender) = self.sender.upgrade() {
            sender.confirm(self.number);
        }
    }
}

/// The numbers of one connection's stanzas that became safe, waiting for
/// the connection to pass them to its session.
#[derive(Debug, Default)]
pub struct Confirmations {
    numbers: Mutex<Vec<u32>>,
    /// Wakes the connection.
    pub ready: Notify,
}

impl Confirmations {
    fn confirm(&self, number: u32) {
        if let Ok(mut numbers) = self.numbers.lock() {
            numbers.push(number);
        }
        self.ready.notify_one();
    }

    /// The numbers confirmed since the last call.
    pub fn take(&self) -> Vec<u32> {
        self.numbers
            .lock()
            .map(|mut numbers| std::mem::take(&mut *numbers))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmed_when_the_last_copy_is_dropped() {
        let sender = Arc::new(Confirmations::default());
        let receipt = Receipt::new(&sender, 7);
        let copy = receipt.clone();
        drop(receipt);
        assert!(sender.take().is_empty());
        drop(copy);
        assert_eq!(sender.take(), vec![7]);
        assert!(sender.take().is_empty());
    }

    #[test]
    fn a_sender_that_is_gone_is_not_told() {
        let sender = Arc::new(Confirmations::default());
        let receipt = Receipt::new(&sender, 1);
        drop(sender);
        drop(receipt);
    }
}
