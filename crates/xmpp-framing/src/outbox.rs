//! The output queue: text waiting for `poll_transmit`, bounded and emptied
//! back to almost nothing once drained.

use std::collections::VecDeque;

use crate::Error;

/// Capacity kept for the next messages once the queue is drained; anything
/// above is given back so an idle connection holds almost nothing.
const KEEP_CAPACITY: usize = 1024;
/// Message lengths remembered without reallocating, once drained.
const KEEP_LENGTHS: usize = 16;

/// Queued output text, cut into messages (WebSocket hands them out one per
/// call; TCP takes everything).
#[derive(Debug)]
pub(crate) struct Outbox {
    text: String,
    /// Bytes at the front of `text` already handed out.
    head: usize,
    /// The length of each queued message, in order.
    lengths: VecDeque<usize>,
    max_queued_bytes: usize,
}

impl Outbox {
    pub(crate) fn new(max_queued_bytes: usize) -> Self {
        Outbox {
            text: String::new(),
            head: 0,
            lengths: VecDeque::new(),
            max_queued_bytes,
        }
    }

    /// Bytes queued and not handed out yet.
    pub(crate) fn queued(&self) -> usize {
        self.text.len().saturating_sub(self.head)
    }

    /// Queues one element given by the caller, within the queue limit.
    pub(crate) fn push_element(&mut self, element: &str) -> Result<(), Error> {
        let room = self.max_queued_bytes.saturating_sub(self.queued());
        if element.len() > room {
            return Err(Error::QueueFull {
                limit: self.max_queued_bytes,
            });
        }
        self.push_with(|text| text.push_str(element));
        Ok(())
    }

    /// Queues one message written by `write`. Used for headers, closes and
    /// stream errors, which are small, few per stream, and never refused.
    pub(crate) fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        let start = self.text.len();
        write(&mut self.text);
        self.lengths
            .push_back(self.text.len().saturating_sub(start));
    }

    /// Appends the next message to `out`; its length, 0 when none is queued.
    pub(crate) fn pop_message(&mut self, out: &mut String) -> usize {
        let Some(length) = self.lengths.pop_front() else {
            return 0;
        };
        let end = self.head.saturating_add(length);
        out.push_str(self.text.get(self.head..end).unwrap_or_default());
        self.head = end;
        if self.lengths.is_empty() {
            self.clear();
        } else if self.head > self.text.len() / 2 {
            // Drop what was handed out, at most once per half of the queue.
            self.text.drain(..self.head);
            self.head = 0;
        }
        length
    }

    /// Appends everything queued to `out`; how many bytes, 0 when none.
    pub(crate) fn pop_all(&mut self, out: &mut String) -> usize {
        let queued = self.text.get(self.head..).unwrap_or_default();
        out.push_str(queued);
        let length = queued.len();
        self.clear();
        length
    }

    /// Forgets everything queued, keeping only a small allocation.
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.head = 0;
        self.lengths.clear();
        if self.text.capacity() > KEEP_CAPACITY {
            self.text = String::new();
        }
        if self.lengths.capacity() > KEEP_LENGTHS {
            self.lengths = VecDeque::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_come_out_in_order_and_whole() {
        let mut outbox = Outbox::new(10);
        assert_eq!(outbox.push_element("<a/>"), Ok(()));
        outbox.push_with(|text| text.push_str("<bb/>"));
        assert_eq!(outbox.queued(), 9);
        assert_eq!(
            outbox.push_element("<c/>"),
            Err(Error::QueueFull { limit: 10 })
        );
        let mut out = String::new();
        assert_eq!(outbox.pop_message(&mut out), 4);
        assert_eq!(outbox.push_element("<c/>"), Ok(()));
        assert_eq!(outbox.pop_message(&mut out), 5);
        assert_eq!(outbox.pop_message(&mut out), 4);
        assert_eq!(outbox.pop_message(&mut out), 0);
        assert_eq!(out, "<a/><bb/><c/>");
        outbox.push_with(|text| text.push_str("<d/>"));
        outbox.push_with(|text| text.push_str("<e/>"));
        let mut all = String::new();
        assert_eq!(outbox.pop_all(&mut all), 8);
        assert_eq!(all, "<d/><e/>");
        assert_eq!(outbox.queued(), 0);
    }
}
