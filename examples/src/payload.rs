//! Deterministic test messages for the interop checks: chat-like text and
//! pseudo-random bytes drawn from a small alphabet.
//!
//! Both compress (deflate finds the repeats in the text and entropy-codes the
//! bytes) without being trivially repetitive, so a broken window, a lost
//! context or a missing tail shows up as a mismatch rather than passing by
//! luck. The same size always gives the same bytes, so a failure reproduces.

/// Chat-like text of exactly `len` bytes (ASCII): XMPP message stanzas with
/// numbered ids and bodies that vary from line to line.
pub fn chat_text(len: usize) -> String {
    const WORDS: [&str; 8] = [
        "hello", "are", "you", "coming", "tonight", "the", "train", "late",
    ];
    let mut text = String::with_capacity(len + 128);
    let mut rng = XorShift::new(len as u64);
    let mut id = 0u64;
    while text.len() < len {
        let body: Vec<&str> = (0..1 + rng.below(6))
            .map(|_| WORDS[rng.below(WORDS.len())])
            .collect();
        text.push_str(&format!(
            "<message to='juliet@example.com' id='m{id}'><body>{}</body></message>\n",
            body.join(" ")
        ));
        id += 1;
    }
    text.truncate(len);
    text
}

/// `len` pseudo-random bytes, each one of 16 values spread over the byte
/// range: about half the size after deflate, and not valid UTF-8.
pub fn compressible_bytes(len: usize) -> Vec<u8> {
    let mut rng = XorShift::new(!(len as u64));
    (0..len).map(|_| (rng.below(16) as u8) * 17).collect()
}

/// xorshift64: a few lines of deterministic noise, no dependency.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// A number below `n` (n > 0); the slight bias does not matter here.
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sizes_and_deterministic() {
        for len in [0, 1, 10, 1000, 1 << 20] {
            assert_eq!(chat_text(len).len(), len);
            assert_eq!(compressible_bytes(len).len(), len);
        }
        assert_eq!(chat_text(5000), chat_text(5000));
        assert_eq!(compressible_bytes(5000), compressible_bytes(5000));
        assert!(std::str::from_utf8(&compressible_bytes(1000)).is_err());
    }
}
