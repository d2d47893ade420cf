//! Offline messages on their way to a session. Each stays stored until the
//! session acknowledges it (XEP-0198 `h` covers it) or, for a session
//! without stream management, until it is written to the socket: a crash
//! or a lost connection before that loses nothing, the message is simply
//! delivered again.

use std::collections::VecDeque;

use chatwire_xmpp_session::SmState;
use chatwire_xmpp_stanza::{AnyStanza, Element};

use crate::chat::hub::Outgoing;
use crate::chat::receipt::Receipt;
use crate::chat::store::OfflineId;

/// The offline messages a session was sent and has not confirmed.
#[derive(Debug, Default)]
pub struct InFlight {
    /// Sent with stream management on: the stanza's count on the stream
    /// (the `h` that acknowledges it) and its id, oldest first.
    counted: VecDeque<(u32, OfflineId)>,
    /// Sent without stream management: confirmed once written.
    written: Vec<OfflineId>,
    /// Not sent at all (the session was closing).
    unsent: Vec<OfflineId>,
    /// Receipts of messages sent with stream management on, by the
    /// stanza's count on the stream, oldest first.
    counted_receipts: VecDeque<(u32, Receipt)>,
    /// Receipts of messages sent without stream management: confirmed
    /// once written.
    written_receipts: Vec<Receipt>,
    /// Messages the session could no longer take, to route again.
    refused: Vec<(AnyStanza, Option<Receipt>)>,
}

/// What a session that ended leaves behind.
#[derive(Debug, Default)]
pub struct Leftovers {
    /// Messages it accepted and never confirmed, to route again, each
    /// with its sender's receipt.
    pub reroute: Vec<(AnyStanza, Option<Receipt>)>,
    /// Offline messages it never confirmed: still stored, to hand out
    /// again.
    pub release: Vec<OfflineId>,
    /// Offline messages it confirmed: to delete.
    pub delete: Vec<OfflineId>,
}

impl Leftovers {
    /// A stanza that was still queued for the session.
    pub fn queued(&mut self, outgoing: Outgoing) {
        match outgoing.offline {
            Some(id) => self.release.push(id),
            None => self
                .reroute
                .push((outgoing.envelope.to_stanza(), outgoing.receipt)),
        }
    }

    /// Adds what another ended session left.
    pub fn extend(&mut self, other: Leftovers) {
        self.reroute.extend(other.reroute);
        self.release.extend(other.release);
        self.delete.extend(other.delete);
    }
}

impl InFlight {
    /// The offline message `id` was just given to the session; `sm` is
    /// the session's stream management state after it, if enabled.
    pub fn sent(&mut self, id: OfflineId, sm: Option<&SmState>, sent: bool) {
        match (sent, sm) {
            (false, _) => self.unsent.push(id),
            (true, Some(sm)) => self.counted.push_back((sm.sent(), id)),
            (true, None) => self.written.push(id),
        }
    }

    /// A message with its sender's receipt was just given to the session
    /// (`sm` as after it); the receipt is kept until the message is safe.
    pub fn sent_receipt(&mut self, receipt: Receipt, sm: Option<&SmState>) {
        match sm {
            Some(sm) => self.counted_receipts.push_back((sm.sent(), receipt)),
            None => self.written_receipts.push(receipt),
        }
    }

    /// A message the session could no longer take (it is ending), to
    /// route again when it ends.
    pub fn refused(&mut self, stanza: AnyStanza, receipt: Option<Receipt>) {
        self.refused.push((stanza, receipt));
    }

    /// The messages the peer's latest `h` covers, taken out; their
    /// senders' receipts are let go.
    pub fn acked(&mut self, sm: Option<&SmState>) -> Vec<OfflineId> {
        let Some(sm) = sm else {
            return Vec::new();
        };
        let acked = sm.acked();
        while self
            .counted_receipts
            .front()
            .is_some_and(|(count, _)| covers(acked, *count))
        {
            self.counted_receipts.pop_front();
        }
        if self.counted_receipts.is_empty() && self.counted_receipts.capacity() > 0 {
            self.counted_receipts = VecDeque::new();
        }
        let mut done = Vec::new();
        while let Some(&(count, id)) = self.counted.front() {
            if !covers(acked, count) {
                break;
            }
            self.counted.pop_front();
            done.push(id);
        }
        done
    }

    /// The messages sent without stream management, now that what was
    /// queued reached the socket.
    pub fn flushed(&mut self) -> Vec<OfflineId> {
        self.written_receipts = Vec::new();
        std::mem::take(&mut self.written)
    }

    /// Splits what the session never had acknowledged when it ended:
    /// `unacked` (oldest first) follows the peer's count `acked`. The
    /// offline messages among them are released rather than routed again,
    /// since their stored copies are still there.
    pub fn end(mut self, acked: u32, unacked: Vec<Element>) -> Leftovers {
        let mut left = Leftovers {
            delete: self.written,
            release: self.unsent,
            reroute: std::mem::take(&mut self.refused),
        };
        let mut receipts: std::collections::HashMap<u32, Receipt> = self
            .counted_receipts
            .drain(..)
            .filter(|(count, _)| !covers(acked, *count))
            .collect();
        let mut offline = std::collections::HashMap::new();
        for (count, id) in self.counted.drain(..) {
            if covers(acked, count) {
                left.delete.push(id);
            } else {
                offline.insert(count, id);
            }
        }
        let mut count = acked;
        for element in unacked {
            count = count.wrapping_add(1);
            if let Some(id) = offline.remove(&count) {
                left.release.push(id);
            } else if let Element::Message(m) = element {
                left.reroute
                    .push((AnyStanza::Message(m), receipts.remove(&count)));
            }
        }
        // Counted but no longer among the unacknowledged: taken out
        // earlier, so never delivered for sure.
        left.release.extend(offline.into_values());
        left
    }
}

/// Whether the peer's count `acked` includes the stanza sent as `count`,
/// modulo 2^32 as XEP-0198 counts.
fn covers(acked: u32, count: u32) -> bool {
    acked.wrapping_sub(count) < 1 << 31
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_wraps_at_32_bits() {
        assert!(covers(5, 5));
        assert!(covers(6, 5));
        assert!(!covers(4, 5));
        assert!(covers(2, u32::MAX));
        assert!(!covers(u32::MAX, 2));
    }
}
