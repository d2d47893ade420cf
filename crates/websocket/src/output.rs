//! The queue of bytes a connection has to send: encoded frames in one buffer,
//! and between them the payloads the application handed over as shared
//! [`Bytes`], which go to the socket from where they are without being copied
//! (an echo or a broadcast sends the same allocation it received).

use std::collections::VecDeque;
use std::io::IoSlice;
use std::iter;

use bytes::{Buf, Bytes};

/// Output bytes kept once the queue empties; a larger buffer is freed.
const RETAINED_OUTPUT: usize = 1024;

/// Slots for shared payloads kept once the queue empties.
const RETAINED_HELD: usize = 4;

/// Encoded frames and shared payloads, in the order they go out.
///
/// Segments: `bytes[taken..held[0].at]`, `held[0].data`,
/// `bytes[held[0].at..held[1].at]`, `held[1].data`, ... , `bytes[last.at..]`.
#[derive(Default)]
pub(crate) struct Output {
    bytes: Vec<u8>,
    /// The first `taken` bytes of `bytes` are written.
    taken: usize,
    held: VecDeque<Held>,
    /// Unwritten bytes in `held`.
    held_len: usize,
}

/// A shared payload that goes out after `bytes[..at]`.
struct Held {
    at: usize,
    /// What is still to be written of it; never empty.
    data: Bytes,
}

impl Output {
    /// Bytes not written yet.
    pub(crate) fn len(&self) -> usize {
        self.bytes
            .len()
            .saturating_sub(self.taken)
            .saturating_add(self.held_len)
    }

    /// The buffer to encode a frame into, with room for `needed` more bytes.
    /// Grows by doubling, but not past `limit` unless `needed` takes it there: a
    /// peer that does not read costs at most the output limit.
    pub(crate) fn room(&mut self, needed: usize, limit: usize) -> &mut Vec<u8> {
        // Bytes already written make room before the buffer grows.
        if self.taken > 0 {
            let taken = self.taken.min(self.bytes.len());
            self.bytes.drain(..taken);
            for held in &mut self.held {
                held.at = held.at.saturating_sub(taken);
            }
            self.taken = 0;
        }
        let len = self.bytes.len();
        if self.bytes.capacity().saturating_sub(len) < needed {
            let least = len.saturating_add(needed);
            let doubled = self.bytes.capacity().saturating_mul(2);
            let target = doubled.min(limit).max(least);
            self.bytes.reserve_exact(target.saturating_sub(len));
        }
        &mut self.bytes
    }

    /// Queues `data` after everything encoded so far, without copying it.
    pub(crate) fn hold(&mut self, data: Bytes) {
        if data.is_empty() {
            return;
        }
        self.held_len = self.held_len.saturating_add(data.len());
        self.held.push_back(Held {
            at: self.bytes.len(),
            data,
        });
    }

    /// The first run of unwritten bytes that sits in one piece of memory.
    pub(crate) fn first(&self) -> &[u8] {
        let end = self.held.front().map_or(self.bytes.len(), |held| held.at);
        match self.bytes.get(self.taken..end) {
            Some(run) if !run.is_empty() => run,
            _ => self.held.front().map_or(&[], |held| held.data.as_ref()),
        }
    }

    /// Fills `slices` with the unwritten bytes in order, as far as they reach;
    /// returns how many slices it filled.
    pub(crate) fn slices<'a>(&'a self, slices: &mut [IoSlice<'a>]) -> usize {
        if self.held.is_empty() {
            // The usual case, one buffer: no need to walk the segments.
            let run = self.bytes.get(self.taken..).unwrap_or_default();
            return match slices.first_mut() {
                Some(slot) if !run.is_empty() => {
                    *slot = IoSlice::new(run);
                    1
                }
                _ => 0,
            };
        }
        let starts = iter::once(self.taken).chain(self.held.iter().map(|held| held.at));
        let ends = self
            .held
            .iter()
            .map(|held| held.at)
            .chain(iter::once(self.bytes.len()));
        let runs = starts
            .zip(ends)
            .map(|(start, end)| self.bytes.get(start..end).unwrap_or_default());
        let payloads = self
            .held
            .iter()
            .map(|held| Some(held.data.as_ref()))
            .chain(iter::once(None));
        let pieces = runs
            .zip(payloads)
            .flat_map(|(run, payload)| iter::once(run).chain(payload))
            .filter(|piece| !piece.is_empty());
        let mut filled = 0;
        for (slot, piece) in slices.iter_mut().zip(pieces) {
            *slot = IoSlice::new(piece);
            filled += 1;
        }
        filled
    }

    /// Marks the first `n` unwritten bytes as written (more than there are
    /// counts as all of them). Frees a large buffer once everything is written.
    pub(crate) fn advance(&mut self, mut n: usize) {
        loop {
            let end = self.held.front().map_or(self.bytes.len(), |held| held.at);
            let step = n.min(end.saturating_sub(self.taken));
            self.taken = self.taken.saturating_add(step);
            n = n.saturating_sub(step);
            if self.taken < end {
                break;
            }
            let Some(held) = self.held.front_mut() else {
                break;
            };
            if n == 0 {
                break;
            }
            let step = n.min(held.data.len());
            held.data.advance(step);
            self.held_len = self.held_len.saturating_sub(step);
            n = n.saturating_sub(step);
            if !held.data.is_empty() {
                break;
            }
            self.held.pop_front();
        }
        if self.len() == 0 {
            self.taken = 0;
            if self.held.capacity() > RETAINED_HELD {
                self.held = VecDeque::new();
            }
            if self.bytes.capacity() > RETAINED_OUTPUT {
                self.bytes = Vec::new();
            } else {
                self.bytes.clear();
            }
        }
    }
}
