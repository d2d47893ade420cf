//! A push decoder for frames: feed it whatever bytes have arrived, get back
//! the header and then the payload piece by piece, unmasked in place.
//!
//! It never needs a whole frame in memory: a payload is handed out in as
//! many pieces as the input arrived in, and the mask resumes at any offset.

use crate::error::ProtocolError;
use crate::frame::{FrameHeader, HeaderRules};
use crate::mask::apply_mask;

/// One step of decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame was in the input: its header, then its complete payload (now
    /// unmasked) from byte `header_len` on. The common case, decoded in one step.
    Frame {
        /// The frame header.
        header: FrameHeader,
        /// Where the payload starts in the input.
        header_len: usize,
    },
    /// A frame begins whose payload has not fully arrived. At least one
    /// [`Decoded::Payload`] follows it.
    Header(FrameHeader),
    /// The first `len` bytes of the input are payload of the current frame, now unmasked.
    Payload {
        /// How many payload bytes (possibly 0 for an empty frame).
        len: usize,
        /// Whether these are the frame's last payload bytes.
        end_of_frame: bool,
    },
}

/// Splits a byte stream into frame headers and payload pieces.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    rules: HeaderRules,
    state: State,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Waiting for (the rest of) a header.
    Header,
    /// Inside a payload: `remaining` bytes still to come, masked with `key` from `key_offset`.
    Payload {
        key: Option<[u8; 4]>,
        key_offset: usize,
        remaining: u64,
    },
}

impl FrameDecoder {
    /// A decoder that enforces `rules` on every header.
    pub fn new(rules: HeaderRules) -> Self {
        Self {
            rules,
            state: State::Header,
        }
    }

    /// The rules in force (an extension may allow RSV bits after the handshake).
    pub fn rules_mut(&mut self) -> &mut HeaderRules {
        &mut self.rules
    }

    /// Whether the decoder sits between frames (no header or payload half read).
    pub fn is_between_frames(&self) -> bool {
        matches!(self.state, State::Header)
    }

    /// Decodes the next step from the front of `input`, unmasking payload bytes in place.
    ///
    /// Returns the step and how many bytes of `input` it consumed, or `Ok(None)`
    /// when `input` holds too little to make progress (then nothing was consumed).
    #[inline]
    pub fn decode(&mut self, input: &mut [u8]) -> Result<Option<(Decoded, usize)>, ProtocolError> {
        match self.state {
            State::Header => {
                let Some((header, header_len)) = FrameHeader::decode(input, &self.rules)? else {
                    return Ok(None);
                };
                let whole = usize::try_from(header.payload_len)
                    .ok()
                    .and_then(|len| input.get_mut(header_len..header_len.checked_add(len)?));
                if let Some(payload) = whole {
                    if let Some(key) = header.mask {
                        apply_mask(payload, key, 0);
                    }
                    let used = header_len + payload.len();
                    return Ok(Some((Decoded::Frame { header, header_len }, used)));
                }
                self.state = State::Payload {
                    key: header.mask,
                    key_offset: 0,
                    remaining: header.payload_len,
                };
                Ok(Some((Decoded::Header(header), header_len)))
            }
            State::Payload {
                key,
                key_offset,
                remaining,
            } => {
                if remaining > 0 && input.is_empty() {
                    return Ok(None);
                }
                let len = usize::try_from(remaining)
                    .unwrap_or(usize::MAX)
                    .min(input.len());
                if let (Some(key), Some(piece)) = (key, input.get_mut(..len)) {
                    apply_mask(piece, key, key_offset);
                }
                let remaining = remaining - len as u64;
                self.state = if remaining == 0 {
                    State::Header
                } else {
                    State::Payload {
                        key,
                        key_offset: (key_offset + len) % 4,
                        remaining,
                    }
                };
                let end_of_frame = remaining == 0;
                Ok(Some((Decoded::Payload { len, end_of_frame }, len)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::OpCode;
    use crate::mask::mask_into;
    use proptest::prelude::*;

    /// Decodes `input` delivered in pieces cut at `cuts`, collecting (header, payload) pairs.
    fn decode_all(
        input: &[u8],
        cuts: &[usize],
        rules: HeaderRules,
    ) -> Result<Vec<(FrameHeader, Vec<u8>)>, ProtocolError> {
        let mut decoder = FrameDecoder::new(rules);
        let mut frames: Vec<(FrameHeader, Vec<u8>)> = Vec::new();
        let mut buffer: Vec<u8> = Vec::new();
        let mut fed = 0;
        for end in cuts.iter().copied().chain([input.len()]) {
            let end = end.clamp(fed, input.len());
            buffer.extend_from_slice(&input[fed..end]);
            fed = end;
            while let Some((step, used)) = decoder.decode(&mut buffer)? {
                match step {
                    Decoded::Frame { header, header_len } => {
                        frames.push((header, buffer[header_len..used].to_vec()))
                    }
                    Decoded::Header(h) => frames.push((h, Vec::new())),
                    Decoded::Payload { len, .. } => frames
                        .last_mut()
                        .unwrap()
                        .1
                        .extend_from_slice(&buffer[..len]),
                }
                buffer.drain(..used);
            }
        }
        assert!(
            buffer.is_empty() && decoder.is_between_frames(),
            "trailing bytes"
        );
        Ok(frames)
    }

    fn encode(opcode: OpCode, fin: bool, key: Option<[u8; 4]>, payload: &[u8], out: &mut Vec<u8>) {
        FrameHeader {
            fin,
            rsv: 0,
            opcode,
            mask: key,
            payload_len: payload.len() as u64,
        }
        .encode(out);
        match key {
            Some(key) => mask_into(out, payload, key, 0),
            None => out.extend_from_slice(payload),
        }
    }

    #[test]
    fn rfc6455_section_5_7_examples() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let server = HeaderRules {
            require_mask: Some(true),
            ..HeaderRules::default()
        };
        let frames = decode_all(
            &[
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
            ],
            &[],
            server,
        )
        .unwrap();
        assert_eq!(frames[0].1, b"Hello");
        assert_eq!(frames[0].0.mask, Some(key));
        let client = HeaderRules {
            require_mask: Some(false),
            ..HeaderRules::default()
        };
        let fragmented = [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f];
        let frames = decode_all(&fragmented, &[], client).unwrap();
        assert_eq!(
            (frames[0].0.opcode, frames[0].0.fin, &frames[0].1[..]),
            (OpCode::Text, false, &b"Hel"[..])
        );
        assert_eq!(
            (frames[1].0.opcode, frames[1].0.fin, &frames[1].1[..]),
            (OpCode::Continuation, true, &b"lo"[..])
        );
        let ping = [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        assert_eq!(decode_all(&ping, &[], client).unwrap()[0].1, b"Hello");
        let pong = [
            0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        assert_eq!(decode_all(&pong, &[], server).unwrap()[0].1, b"Hello");
        let mut big = vec![0x82, 0x7E, 0x01, 0x00];
        big.extend(std::iter::repeat_n(7u8, 256));
        assert_eq!(decode_all(&big, &[], client).unwrap()[0].1, vec![7u8; 256]);
        let mut huge = vec![0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00];
        huge.extend(std::iter::repeat_n(9u8, 65536));
        assert_eq!(
            decode_all(&huge, &[], client).unwrap()[0].1,
            vec![9u8; 65536]
        );
    }

    #[test]
    fn empty_frames_still_end() {
        let frames = decode_all(&[0x82, 0x00, 0x89, 0x00], &[], HeaderRules::default()).unwrap();
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|(_, p)| p.is_empty()));
    }

    fn any_frames() -> impl Strategy<Value = Vec<(bool, Option<[u8; 4]>, Vec<u8>)>> {
        proptest::collection::vec(
            (
                any::<bool>(),
                any::<Option<[u8; 4]>>(),
                proptest::collection::vec(any::<u8>(), 0..300),
            ),
            1..5,
        )
    }

    proptest! {
        #[test]
        fn every_split_decodes_the_same(frames in any_frames(), cuts in proptest::collection::vec(0usize..1500, 0..8)) {
            let mut wire = Vec::new();
            for (fin, key, payload) in &frames {
                encode(OpCode::Binary, *fin, *key, payload, &mut wire);
            }
            let mut cuts = cuts;
            cuts.sort_unstable();
            let whole = decode_all(&wire, &[], HeaderRules::default()).unwrap();
            let split = decode_all(&wire, &cuts, HeaderRules::default()).unwrap();
            prop_assert_eq!(&whole, &split);
            let payloads: Vec<&Vec<u8>> = whole.iter().map(|(_, p)| p).collect();
            let expected: Vec<&Vec<u8>> = frames.iter().map(|(_, _, p)| p).collect();
            prop_assert_eq!(payloads, expected);
        }
    }

    #[test]
    fn every_single_byte_split_of_a_stream() {
        let mut wire = Vec::new();
        encode(OpCode::Text, false, Some([1, 2, 3, 4]), b"Hel", &mut wire);
        encode(OpCode::Ping, true, Some([5, 6, 7, 8]), b"ping", &mut wire);
        encode(
            OpCode::Continuation,
            true,
            Some([9, 9, 9, 9]),
            &[b'o'; 200],
            &mut wire,
        );
        let whole = decode_all(&wire, &[], HeaderRules::default()).unwrap();
        for cut in 0..wire.len() {
            assert_eq!(
                decode_all(&wire, &[cut], HeaderRules::default()).unwrap(),
                whole,
                "cut at {cut}"
            );
        }
        let every_byte: Vec<usize> = (0..wire.len()).collect();
        assert_eq!(
            decode_all(&wire, &every_byte, HeaderRules::default()).unwrap(),
            whole
        );
    }
}
