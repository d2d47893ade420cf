//! A data message put together from its frames (RFC 6455 section 5.4), in an
//! allocation of its own sized to the message.
//!
//! Every payload byte is copied from the caller's input into the message and
//! unmasked on the way; text is checked for UTF-8 in the same pass, once. When
//! the allocation grows, the bytes already in it move along (amortised: each
//! byte moves about once more). A message that arrives in one frame gets an allocation of exactly its
//! length (the frame header says how long it is; room is made as bytes arrive,
//! so a peer that announces a large frame and sends nothing costs nothing). A
//! fragmented message grows by doubling, never past the end of its final frame,
//! so the finished payload never keeps alive more than twice its own size.

use bytes::Bytes;
use chatwire_utf8::{Utf8Builder, Utf8Bytes};

use crate::error::ProtocolError;
use crate::mask::{apply_mask, mask_into};

/// A text or binary message whose frames are arriving.
#[derive(Debug)]
pub(crate) struct Reassembly {
    body: Body,
    fragments: usize,
}

/// A finished message.
#[derive(Debug)]
pub(crate) enum Message {
    Text(Utf8Bytes),
    Binary(Bytes),
}

#[derive(Debug)]
enum Body {
    Text(Utf8Builder),
    Binary(Vec<u8>),
}

/// Where a masked piece sits in its frame: the key and the offset into it.
pub(crate) type MaskAt = Option<([u8; 4], usize)>;

/// How far below doubling a buffer grows, so that the bookkeeping `Bytes` adds
/// to a buffer with spare room (24 bytes) stays within twice the payload.
const GROWTH_MARGIN: usize = 32;

impl Reassembly {
    /// A message that begins with a text (`text`) or binary frame.
    pub(crate) fn new(text: bool) -> Self {
        let body = if text {
            Body::Text(Utf8Builder::new())
        } else {
            Body::Binary(Vec::new())
        };
        Self { body, fragments: 1 }
    }

    /// Bytes received so far.
    pub(crate) fn len(&self) -> usize {
        match &self.body {
            Body::Text(text) => text.len(),
            Body::Binary(data) => data.len(),
        }
    }

    /// Counts one more frame; returns how many the message now has.
    pub(crate) fn add_fragment(&mut self) -> usize {
        self.fragments = self.fragments.saturating_add(1);
        self.fragments
    }

    /// Appends `piece`, unmasking it with `mask` and, for text, checking it.
    ///
    /// `ceiling` is the most bytes, `piece` included, that can still belong to the
    /// message: the rest of the frame when it is the final one, else what the
    /// size limit leaves.
    pub(crate) fn push(
        &mut self,
        piece: &[u8],
        mask: MaskAt,
        ceiling: usize,
    ) -> Result<(), ProtocolError> {
        let unmask = |bytes: &mut [u8]| {
            if let Some((key, offset)) = mask {
                apply_mask(bytes, key, offset);
            }
        };
        match &mut self.body {
            Body::Text(text) => {
                if text.capacity().saturating_sub(text.len()) < piece.len() {
                    text.reserve_exact(growth(text.len(), piece.len(), ceiling));
                }
                text.push_transformed(piece, unmask)
                    .map_err(|_| ProtocolError::InvalidUtf8)
            }
            Body::Binary(data) => {
                if data.capacity().saturating_sub(data.len()) < piece.len() {
                    data.reserve_exact(growth(data.len(), piece.len(), ceiling));
                }
                // Copied and unmasked in one pass.
                match mask {
                    Some((key, offset)) => mask_into(data, piece, key, offset),
                    None => data.extend_from_slice(piece),
                }
                Ok(())
            }
        }
    }

    /// The whole message, once its final frame is in.
    pub(crate) fn finish(self) -> Result<Message, ProtocolError> {
        match self.body {
            Body::Text(text) => text
                .finish()
                .map(Message::Text)
                .map_err(|_| ProtocolError::InvalidUtf8),
            Body::Binary(data) => Ok(Message::Binary(Bytes::from(data))),
        }
    }
}

/// How many bytes to make room for before appending `piece` bytes to `held`:
/// nearly double (appends stay linear), at least the piece, at most `ceiling`.
fn growth(held: usize, piece: usize, ceiling: usize) -> usize {
    piece.max(held.saturating_sub(GROWTH_MARGIN).min(ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_doubles_but_stops_at_the_end_of_the_message() {
        // Nothing held: exactly the piece.
        assert_eq!(growth(0, 100, 1000), 100);
        // Doubling (less the margin), capped by what can still arrive.
        assert_eq!(growth(1000, 10, 1 << 20), 968);
        assert_eq!(growth(1000, 10, 500), 500);
        // A piece bigger than the doubling is taken whole.
        assert_eq!(growth(100, 5000, 1 << 20), 5000);
    }

    #[test]
    fn a_message_in_one_frame_gets_an_allocation_of_its_size() {
        let payload = vec![7u8; 1000];
        for (text, cuts) in [
            (false, vec![1000]),
            (false, vec![1, 10, 300, 689]),
            (true, vec![3, 997]),
        ] {
            let mut message = Reassembly::new(text);
            let mut left = payload.len();
            let mut start = 0;
            for cut in cuts {
                message
                    .push(&payload[start..start + cut], None, left)
                    .unwrap();
                start += cut;
                left -= cut;
            }
            let (ptr_len, cap) = match &message.body {
                Body::Text(t) => (t.len(), t.capacity()),
                Body::Binary(b) => (b.len(), b.capacity()),
            };
            assert_eq!((ptr_len, cap), (1000, 1000));
        }
    }
}
