//! What each load message carries and what each receiver checks: every
//! message it was owed arrived once, in order per sender.
//!
//! A body is `chat-load RUN SENDER SEQ MICROS`: the run's random id (so a
//! message stored offline by an earlier run is told apart), the sender's
//! index, its sequence number from 0, and the send time in microseconds
//! since the run's epoch (sender and receiver share the process's clock).

use std::collections::HashMap;
use std::ops::Range;

/// One load message's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Body {
    /// The run's id.
    pub run: u32,
    /// The sender's index.
    pub sender: u32,
    /// The sequence number, from 0.
    pub seq: u32,
    /// Microseconds from the run's epoch to the send.
    pub sent_micros: u64,
}

impl Body {
    /// The text of the `<body/>`.
    pub fn encode(&self) -> String {
        format!(
            "chat-load {} {} {} {}",
            self.run, self.sender, self.seq, self.sent_micros
        )
    }

    /// A body made by [`Body::encode`], or None.
    pub fn parse(text: &str) -> Option<Body> {
        let mut words = text.split(' ');
        if words.next()? != "chat-load" {
            return None;
        }
        let body = Body {
            run: words.next()?.parse().ok()?,
            sender: words.next()?.parse().ok()?,
            seq: words.next()?.parse().ok()?,
            sent_micros: words.next()?.parse().ok()?,
        };
        words.next().is_none().then_some(body)
    }
}

/// One receiver's record of what arrived.
#[derive(Debug, Default)]
pub struct Inbox {
    run: u32,
    messages: u32,
    senders: HashMap<u32, Track>,
    /// Messages of this run counted once (duplicates left out).
    pub received: u64,
    /// Messages that arrived again.
    pub duplicated: u64,
    /// Messages that arrived after a later one from the same sender.
    pub reordered: u64,
    /// Load messages of another run (stored offline by an earlier one).
    pub stale: u64,
    /// Messages that are not load messages, or carry a sequence number
    /// past the run's count.
    pub foreign: u64,
    /// Send-to-delivery time of each message counted, in microseconds.
    pub latencies_micros: Vec<u64>,
}

/// What arrived from one sender: a bit per sequence number.
#[derive(Debug, Default)]
struct Track {
    seen: Vec<u64>,
    highest: Option<u32>,
    received: u32,
}

impl Inbox {
    /// An empty inbox for run `run` in which each sender sends `messages`.
    pub fn new(run: u32, messages: u32) -> Inbox {
        Inbox {
            run,
            messages,
            ..Inbox::default()
        }
    }

    /// Records a message body that arrived at `now_micros`.
    pub fn receive(&mut self, text: &str, now_micros: u64) {
        let Some(body) = Body::parse(text) else {
            self.foreign += 1;
            return;
        };
        if body.run != self.run {
            self.stale += 1;
            return;
        }
        if body.seq >= self.messages {
            self.foreign += 1;
            return;
        }
        let words = (self.messages as usize).div_ceil(64);
        let track = self.senders.entry(body.sender).or_insert_with(|| Track {
            seen: vec![0; words],
            ..Track::default()
        });
        let (word, bit) = ((body.seq / 64) as usize, 1u64 << (body.seq % 64));
        let Some(slot) = track.seen.get_mut(word) else {
            self.foreign += 1;
            return;
        };
        if *slot & bit != 0 {
            self.duplicated += 1;
            return;
        }
        *slot |= bit;
        track.received += 1;
        self.received += 1;
        if track.highest.is_some_and(|h| h > body.seq) {
            self.reordered += 1;
        }
        track.highest = Some(track.highest.map_or(body.seq, |h| h.max(body.seq)));
        self.latencies_micros
            .push(now_micros.saturating_sub(body.sent_micros));
    }

    /// How many distinct messages of `sender` arrived.
    pub fn received_from(&self, sender: u32) -> u32 {
        self.senders.get(&sender).map_or(0, |t| t.received)
    }

    /// The sequence numbers below `sent` that never arrived from
    /// `sender`, as ranges.
    pub fn missing(&self, sender: u32, sent: u32) -> Vec<Range<u32>> {
        let track = self.senders.get(&sender);
        let seen = |seq: u32| {
            track.is_some_and(|t| {
                t.seen
                    .get((seq / 64) as usize)
                    .is_some_and(|w| w & (1u64 << (seq % 64)) != 0)
            })
        };
        let mut ranges: Vec<Range<u32>> = Vec::new();
        for seq in 0..sent {
            if seen(seq) {
                continue;
            }
            match ranges.last_mut() {
                Some(last) if last.end == seq => last.end = seq + 1,
                _ => ranges.push(seq..seq + 1),
            }
        }
        ranges
    }
}

/// `ranges` cut where `flag` changes, each piece with its flag: lost
/// messages listed apart by whether the server had acknowledged them.
pub fn split_by(ranges: &[Range<u32>], flag: impl Fn(u32) -> bool) -> Vec<(Range<u32>, bool)> {
    let mut pieces: Vec<(Range<u32>, bool)> = Vec::new();
    for range in ranges {
        for seq in range.clone() {
            let f = flag(seq);
            match pieces.last_mut() {
                Some((last, lf)) if last.end == seq && *lf == f => last.end = seq + 1,
                _ => pieces.push((seq..seq + 1, f)),
            }
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(seq: u32) -> String {
        Body {
            run: 7,
            sender: 3,
            seq,
            sent_micros: 100,
        }
        .encode()
    }

    #[test]
    fn bodies_round_trip() {
        let b = Body {
            run: 1,
            sender: 2,
            seq: 3,
            sent_micros: 4,
        };
        assert_eq!(Body::parse(&b.encode()), Some(b));
        assert_eq!(Body::parse("chat-load 1 2 3"), None);
        assert_eq!(Body::parse("chat-load 1 2 3 4 5"), None);
        assert_eq!(Body::parse("hello"), None);
    }

    #[test]
    fn counts_duplicates_reordering_and_gaps() {
        let mut inbox = Inbox::new(7, 100);
        for seq in [0, 1, 3, 2, 3, 5] {
            inbox.receive(&body(seq), 150);
        }
        inbox.receive("chat-load 8 3 4 100", 150);
        inbox.receive(&body(100), 150);
        assert_eq!(inbox.received, 5);
        assert_eq!(inbox.duplicated, 1);
        assert_eq!(inbox.reordered, 1);
        assert_eq!(inbox.stale, 1);
        assert_eq!(inbox.foreign, 1);
        assert_eq!(inbox.received_from(3), 5);
        assert_eq!(inbox.missing(3, 8), vec![4..5, 6..8]);
        assert_eq!(inbox.missing(9, 2), vec![0..2]);
        assert_eq!(inbox.latencies_micros, vec![50; 5]);
    }

    #[test]
    fn splits_ranges_where_the_flag_changes() {
        let pieces = split_by(&[0..3, 5..9], |seq| (2..7).contains(&seq));
        assert_eq!(
            pieces,
            vec![(0..2, false), (2..3, true), (5..7, true), (7..9, false)]
        );
        assert!(split_by(&[], |_| true).is_empty());
    }
}
