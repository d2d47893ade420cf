//! Per-message compression (RFC 7692 section 7.2): one raw-deflate stream per
//! direction, its state made lazily and freed when the agreement lets it go.

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

use crate::connection::Role;
use crate::error::ProtocolError;
use crate::mask::apply_mask;
use crate::reassembly::{MaskAt, Reassembly};

use super::{DeflateConfig, DeflateParams};

/// The bytes a sync flush ends with; stripped when sending, put back when
/// inflating (RFC 7692 sections 7.2.1 and 7.2.2).
const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Inflated bytes produced per step: the most a step can overshoot the
/// message limit by before it is refused.
const INFLATE_CHUNK: usize = 8192;

/// Masked input is unmasked into a stack buffer this large before inflating.
const UNMASK_CHUNK: usize = 4096;

/// The smallest window zlib compresses or inflates raw deflate with.
const ZLIB_MIN_WINDOW_BITS: u8 = 9;

/// One direction as agreed.
#[derive(Debug, Clone, Copy)]
struct Direction {
    window_bits: u8,
    no_context_takeover: bool,
}

/// A connection's compression state, both directions.
pub(crate) struct Deflate {
    level: Compression,
    threshold: usize,
    send: Direction,
    receive: Direction,
    /// Made on the first message worth compressing; dropped after each one
    /// without context takeover.
    compressor: Option<Compress>,
    /// Made on the first compressed message received; dropped after each one
    /// without context takeover.
    decompressor: Option<Decompress>,
    /// The peer ended its stream (a block with BFINAL) inside this message:
    /// the rest of the message is ignored and the next starts a new stream.
    stream_ended: bool,
}

impl std::fmt::Debug for Deflate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflate")
            .field("send", &self.send)
            .field("receive", &self.receive)
            .field("compressor", &self.compressor.is_some())
            .field("decompressor", &self.decompressor.is_some())
            .finish_non_exhaustive()
    }
}

impl Deflate {
    pub(crate) fn new(role: Role, params: DeflateParams, config: &DeflateConfig) -> Self {
        let server = Direction {
            window_bits: params.server_max_window_bits,
            no_context_takeover: params.server_no_context_takeover,
        };
        let client = Direction {
            window_bits: params.client_max_window_bits,
            no_context_takeover: params.client_no_context_takeover,
        };
        let (send, receive) = match role {
            Role::Server => (server, client),
            Role::Client => (client, server),
        };
        Self {
            level: Compression::new(config.level.min(9)),
            threshold: config.threshold,
            send,
            receive,
            compressor: None,
            decompressor: None,
            stream_ended: false,
        }
    }

    /// The compressed payload for a message, tail stripped, or `None` to send it
    /// as it is: below the threshold, or in a direction agreed at an 8-bit window,
    /// which zlib cannot compress within.
    pub(crate) fn compress(&mut self, payload: &[u8]) -> Option<Vec<u8>> {
        if payload.len() < self.threshold || self.send.window_bits < ZLIB_MIN_WINDOW_BITS {
            return None;
        }
        let (level, bits) = (self.level, self.send.window_bits);
        let compressor = self
            .compressor
            .get_or_insert_with(|| Compress::new_with_window_bits(level, false, bits));
        let start = compressor.total_in();
        // Chat text deflates to about half: usually one call, no regrowth.
        let mut out = Vec::with_capacity(payload.len() / 2 + 64);
        loop {
            let consumed = delta(start, compressor.total_in());
            let rest = payload.get(consumed..).unwrap_or_default();
            if out.len() == out.capacity() {
                out.reserve(out.capacity());
            }
            if compressor
                .compress_vec(rest, &mut out, FlushCompress::Sync)
                .is_err()
            {
                // A fresh stream next time; the peer reads it whatever its window holds.
                self.compressor = None;
                return None;
            }
            // A sync flush is complete once all input is in and output room is left.
            if delta(start, compressor.total_in()) >= payload.len() && out.len() < out.capacity() {
                break;
            }
        }
        if out.ends_with(&TAIL) {
            out.truncate(out.len().saturating_sub(TAIL.len()));
        } else if out.is_empty() {
            // zlib writes nothing for an empty message right after a flush; the
            // peer needs an empty stored block (RFC 7692 section 7.2.3.6).
            out.push(0x00);
        } else {
            // Not a whole flushed message: start afresh and send it as it is.
            self.compressor = None;
            return None;
        }
        if self.send.no_context_takeover {
            self.compressor = None;
        }
        Some(out)
    }

    /// Drops the compressor after a compressed message could not be queued: its
    /// history now holds bytes the peer never saw, so the next message starts a
    /// new stream (which never refers to the peer's window).
    pub(crate) fn forget_compressor(&mut self) {
        self.compressor = None;
    }

    /// Inflates a piece of a compressed message into `message`, unmasking it
    /// first; fails once the message would pass `limit` bytes.
    pub(crate) fn inflate(
        &mut self,
        piece: &[u8],
        mask: MaskAt,
        message: &mut Reassembly,
        limit: usize,
    ) -> Result<(), ProtocolError> {
        let Some((key, mut offset)) = mask else {
            return self.feed(piece, message, limit);
        };
        let mut buf = [0u8; UNMASK_CHUNK];
        for block in piece.chunks(UNMASK_CHUNK) {
            let Some(unmasked) = buf.get_mut(..block.len()) else {
                break;
            };
            unmasked.copy_from_slice(block);
            apply_mask(unmasked, key, offset);
            offset = offset.wrapping_add(block.len()) % 4;
            self.feed(unmasked, message, limit)?;
        }
        Ok(())
    }

    /// Ends a compressed message: inflates the stripped tail, then frees the
    /// decompressor if the peer resets its context after every message.
    pub(crate) fn finish_message(
        &mut self,
        message: &mut Reassembly,
        limit: usize,
    ) -> Result<(), ProtocolError> {
        let result = self.feed(&TAIL, message, limit);
        if self.receive.no_context_takeover || self.stream_ended {
            self.decompressor = None;
        }
        self.stream_ended = false;
        result
    }

    /// Forgets a message cut short (the connection failed or closed).
    pub(crate) fn stop_receiving(&mut self) {
        self.decompressor = None;
        self.stream_ended = false;
    }

    /// Frees the compressor once nothing more will be sent.
    pub(crate) fn stop_sending(&mut self) {
        self.compressor = None;
    }

    /// Inflates `input` into `message`, at most [`INFLATE_CHUNK`] bytes a step.
    fn feed(
        &mut self,
        mut input: &[u8],
        message: &mut Reassembly,
        limit: usize,
    ) -> Result<(), ProtocolError> {
        if self.stream_ended {
            return Ok(());
        }
        // A larger window than the peer's is harmless when inflating.
        let bits = self.receive.window_bits.max(ZLIB_MIN_WINDOW_BITS);
        let decompressor = self
            .decompressor
            .get_or_insert_with(|| Decompress::new_with_window_bits(false, bits));
        let mut chunk = [0u8; INFLATE_CHUNK];
        loop {
            let (in_before, out_before) = (decompressor.total_in(), decompressor.total_out());
            let status = decompressor
                .decompress(input, &mut chunk, FlushDecompress::None)
                .map_err(|_| ProtocolError::InvalidCompressedData)?;
            let used = delta(in_before, decompressor.total_in());
            let produced = delta(out_before, decompressor.total_out());
            input = input.get(used..).unwrap_or_default();
            if produced > 0 {
                let room = limit.saturating_sub(message.len());
                if produced > room {
                    return Err(ProtocolError::MessageTooLarge);
                }
                message.push(chunk.get(..produced).unwrap_or_default(), None, room)?;
            }
            if status == Status::StreamEnd {
                self.stream_ended = true;
                return Ok(());
            }
            let drained = input.is_empty() && produced < chunk.len();
            if drained || (used == 0 && produced == 0) {
                return Ok(());
            }
        }
    }
}

/// How far a zlib byte counter moved.
fn delta(before: u64, after: u64) -> usize {
    usize::try_from(after.saturating_sub(before)).unwrap_or(usize::MAX)
}
