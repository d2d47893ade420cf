//! The frame header (RFC 6455 section 5.2): decode and encode.
//!
//! A header is 2 to 14 bytes: FIN, RSV1-3 and the opcode, the mask bit and a
//! 7-bit length, then an optional 16- or 64-bit extended length, then an
//! optional 4-byte masking key.

use crate::error::ProtocolError;

/// Longest possible header: 2 fixed bytes, 8 length bytes, 4 key bytes.
pub const MAX_HEADER_LEN: usize = 14;

/// RSV1 in [`FrameHeader::rsv`]: set on the first frame of a compressed message
/// (RFC 7692 section 6).
pub const RSV1: u8 = 0b100;

/// Largest payload a control frame may carry (RFC 6455 section 5.5).
pub const MAX_CONTROL_PAYLOAD: u64 = 125;

/// The frame opcode (RFC 6455 section 5.2, section 11.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// `0x0`: continues a fragmented message.
    Continuation,
    /// `0x1`: the first (or only) frame of a text message.
    Text,
    /// `0x2`: the first (or only) frame of a binary message.
    Binary,
    /// `0x8`: begins or answers the closing handshake.
    Close,
    /// `0x9`: asks the peer for a pong.
    Ping,
    /// `0xA`: answers a ping, or a unidirectional heartbeat.
    Pong,
}

impl OpCode {
    /// The opcode for a 4-bit value, or `None` for the reserved values.
    pub fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            0x0 => Some(Self::Continuation),
            0x1 => Some(Self::Text),
            0x2 => Some(Self::Binary),
            0x8 => Some(Self::Close),
            0x9 => Some(Self::Ping),
            0xA => Some(Self::Pong),
            _ => None,
        }
    }

    /// The 4-bit wire value.
    pub fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xA,
        }
    }

    /// Close, ping and pong are control frames; they may not be fragmented.
    pub fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// A decoded or to-be-encoded frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// Set on the last frame of a message.
    pub fin: bool,
    /// RSV1, RSV2 and RSV3 as the bits `0b100`, `0b010`, `0b001`; extensions give them meaning.
    pub rsv: u8,
    /// What the frame carries.
    pub opcode: OpCode,
    /// The masking key, present on every frame a client sends.
    pub mask: Option<[u8; 4]>,
    /// Length of the payload in bytes (at most 2^63 - 1 on the wire).
    pub payload_len: u64,
}

/// What a decoder accepts, checked while the header is read and before any payload is buffered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderRules {
    /// Whether frames must be masked (`Some(true)`: a server reading a client),
    /// must not be (`Some(false)`: a client reading a server), or either (`None`).
    pub require_mask: Option<bool>,
    /// RSV bits an extension has negotiated (same layout as [`FrameHeader::rsv`]).
    pub allowed_rsv: u8,
    /// Largest payload accepted in one frame.
    pub max_payload_len: u64,
}

impl Default for HeaderRules {
    fn default() -> Self {
        Self {
            require_mask: None,
            allowed_rsv: 0,
            max_payload_len: 1 << 63,
        }
    }
}

impl FrameHeader {
    /// Decodes a header from the front of `input`.
    ///
    /// Returns `Ok(None)` when `input` holds only part of a header (nothing is
    /// consumed; call again with more bytes), or the header and its length in
    /// bytes. Every rule of RFC 6455 section 5.2 that can be checked from the
    /// header alone is checked here, together with `rules`.
    #[inline]
    pub fn decode(
        input: &[u8],
        rules: &HeaderRules,
    ) -> Result<Option<(Self, usize)>, ProtocolError> {
        let (Some(&b0), Some(&b1)) = (input.first(), input.get(1)) else {
            return Ok(None);
        };
        let fin = b0 & 0x80 != 0;
        let rsv = (b0 >> 4) & 0x07;
        let opcode =
            OpCode::from_bits(b0 & 0x0F).ok_or(ProtocolError::ReservedOpCode(b0 & 0x0F))?;
        if rsv & !rules.allowed_rsv != 0 {
            return Err(ProtocolError::ReservedBits(rsv));
        }
        let masked = b1 & 0x80 != 0;
        match rules.require_mask {
            Some(true) if !masked => return Err(ProtocolError::UnmaskedFrame),
            Some(false) if masked => return Err(ProtocolError::MaskedFrame),
            _ => {}
        }
        let (payload_len, mut pos) = match b1 & 0x7F {
            126 => {
                let Some(&[hi, lo]) = input.get(2..4) else {
                    return Ok(None);
                };
                let len = u16::from_be_bytes([hi, lo]);
                if len < 126 {
                    return Err(ProtocolError::NonMinimalLength);
                }
                (u64::from(len), 4)
            }
            127 => {
                let Some(Ok(be)) = input.get(2..10).map(<[u8; 8]>::try_from) else {
                    return Ok(None);
                };
                let len = u64::from_be_bytes(be);
                if len >> 63 != 0 {
                    return Err(ProtocolError::LengthTopBitSet);
                }
                if len <= u64::from(u16::MAX) {
                    return Err(ProtocolError::NonMinimalLength);
                }
                (len, 10)
            }
            short => (u64::from(short), 2),
        };
        if opcode.is_control() {
            if !fin {
                return Err(ProtocolError::FragmentedControlFrame);
            }
            if payload_len > MAX_CONTROL_PAYLOAD {
                return Err(ProtocolError::ControlFrameTooLong);
            }
        }
        if payload_len > rules.max_payload_len {
            return Err(ProtocolError::FrameTooLarge);
        }
        let mask = if masked {
            let Some(Ok(key)) = input.get(pos..pos + 4).map(<[u8; 4]>::try_from) else {
                return Ok(None);
            };
            pos += 4;
            Some(key)
        } else {
            None
        };
        Ok(Some((
            Self {
                fin,
                rsv,
                opcode,
                mask,
                payload_len,
            },
            pos,
        )))
    }

    /// How many bytes [`FrameHeader::encode`] writes.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        let len_bytes = match self.payload_len {
            0..=125 => 0,
            126..=0xFFFF => 2,
            _ => 8,
        };
        2 + len_bytes + if self.mask.is_some() { 4 } else { 0 }
    }

    /// Appends the header to `out`, always in the minimal length encoding.
    ///
    /// The caller keeps `payload_len` below 2^63 and control payloads at most 125 bytes;
    /// the connection layer checks both before it encodes.
    #[inline]
    pub fn encode(&self, out: &mut Vec<u8>) {
        // Built on the stack and appended once: one copy for the whole header.
        let mut head = [0u8; MAX_HEADER_LEN];
        let [b0, b1, rest @ ..] = &mut head;
        *b0 = (u8::from(self.fin) << 7) | ((self.rsv & 0x07) << 4) | self.opcode.bits();
        *b1 = if self.mask.is_some() { 0x80 } else { 0 };
        let len_bytes = match self.payload_len {
            len @ 0..=125 => {
                *b1 |= len as u8;
                0
            }
            len @ 126..=0xFFFF => {
                *b1 |= 126;
                write_prefix(rest, &(len as u16).to_be_bytes())
            }
            len => {
                *b1 |= 127;
                write_prefix(rest, &len.to_be_bytes())
            }
        };
        let key_bytes = match self.mask {
            Some(key) => write_prefix(rest.get_mut(len_bytes..).unwrap_or_default(), &key),
            None => 0,
        };
        out.extend_from_slice(head.get(..2 + len_bytes + key_bytes).unwrap_or_default());
    }
}

/// Copies `bytes` to the front of `dst` (which is always long enough here); returns how many.
#[inline]
fn write_prefix(dst: &mut [u8], bytes: &[u8]) -> usize {
    if let Some(front) = dst.get_mut(..bytes.len()) {
        front.copy_from_slice(bytes);
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn decode(bytes: &[u8]) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        FrameHeader::decode(bytes, &HeaderRules::default())
    }

    #[test]
    fn rfc6455_section_5_7_headers() {
        // Single-frame unmasked text "Hello".
        let (h, n) = decode(&[0x81, 0x05]).unwrap().unwrap();
        assert_eq!(
            (h.fin, h.opcode, h.mask, h.payload_len, n),
            (true, OpCode::Text, None, 5, 2)
        );
        // Masked "Hello".
        let (h, n) = decode(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d])
            .unwrap()
            .unwrap();
        assert_eq!(
            (h.mask, h.payload_len, n),
            (Some([0x37, 0xfa, 0x21, 0x3d]), 5, 6)
        );
        // First fragment "Hel", then continuation "lo".
        let (h, _) = decode(&[0x01, 0x03]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode), (false, OpCode::Text));
        let (h, _) = decode(&[0x80, 0x02]).unwrap().unwrap();
        assert_eq!((h.fin, h.opcode), (true, OpCode::Continuation));
        // Unmasked ping and masked pong.
        let (h, _) = decode(&[0x89, 0x05]).unwrap().unwrap();
        assert_eq!(h.opcode, OpCode::Ping);
        let (h, _) = decode(&[0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d])
            .unwrap()
            .unwrap();
        assert_eq!(h.opcode, OpCode::Pong);
        // 256 bytes binary: 16-bit length; 64 KiB binary: 64-bit length.
        let (h, n) = decode(&[0x82, 0x7E, 0x01, 0x00]).unwrap().unwrap();
        assert_eq!((h.opcode, h.payload_len, n), (OpCode::Binary, 256, 4));
        let (h, n) = decode(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00])
            .unwrap()
            .unwrap();
        assert_eq!((h.payload_len, n), (65536, 10));
    }

    #[test]
    fn partial_headers_need_more() {
        let full = [0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 1, 2, 3, 4];
        for cut in 0..full.len() {
            assert_eq!(decode(&full[..cut]), Ok(None), "cut at {cut}");
        }
        assert!(decode(&full).unwrap().is_some());
    }

    #[test]
    fn wire_violations_are_refused() {
        assert_eq!(decode(&[0x83, 0]), Err(ProtocolError::ReservedOpCode(3)));
        assert_eq!(decode(&[0x8B, 0]), Err(ProtocolError::ReservedOpCode(0xB)));
        assert_eq!(decode(&[0xC1, 0]), Err(ProtocolError::ReservedBits(0b100)));
        assert_eq!(
            decode(&[0x09, 0]),
            Err(ProtocolError::FragmentedControlFrame)
        );
        assert_eq!(
            decode(&[0x89, 0x7E, 0, 126]),
            Err(ProtocolError::ControlFrameTooLong)
        );
        assert_eq!(
            decode(&[0x82, 0x7E, 0, 125]),
            Err(ProtocolError::NonMinimalLength)
        );
        assert_eq!(
            decode(&[0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]),
            Err(ProtocolError::NonMinimalLength)
        );
        assert_eq!(
            decode(&[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0]),
            Err(ProtocolError::LengthTopBitSet)
        );
        let server = HeaderRules {
            require_mask: Some(true),
            ..HeaderRules::default()
        };
        assert_eq!(
            FrameHeader::decode(&[0x81, 0x00], &server),
            Err(ProtocolError::UnmaskedFrame)
        );
        let client = HeaderRules {
            require_mask: Some(false),
            ..HeaderRules::default()
        };
        assert_eq!(
            FrameHeader::decode(&[0x81, 0x80, 0, 0, 0, 0], &client),
            Err(ProtocolError::MaskedFrame)
        );
        let small = HeaderRules {
            max_payload_len: 100,
            ..HeaderRules::default()
        };
        assert_eq!(
            FrameHeader::decode(&[0x82, 101], &small),
            Err(ProtocolError::FrameTooLarge)
        );
        let deflate = HeaderRules {
            allowed_rsv: 0b100,
            ..HeaderRules::default()
        };
        assert!(FrameHeader::decode(&[0xC1, 0], &deflate).unwrap().is_some());
    }

    fn any_header() -> impl Strategy<Value = FrameHeader> {
        let opcode = prop_oneof![
            Just(OpCode::Continuation),
            Just(OpCode::Text),
            Just(OpCode::Binary),
            Just(OpCode::Close),
            Just(OpCode::Ping),
            Just(OpCode::Pong),
        ];
        let len = prop_oneof![0u64..=125, 126u64..=0xFFFF, 0x1_0000u64..(1 << 63)];
        (any::<bool>(), 0u8..8, opcode, any::<Option<[u8; 4]>>(), len).prop_map(
            |(fin, rsv, opcode, mask, len)| {
                let control = opcode.is_control();
                FrameHeader {
                    fin: fin || control,
                    rsv,
                    opcode,
                    mask,
                    payload_len: if control { len % 126 } else { len },
                }
            },
        )
    }

    proptest! {
        #[test]
        fn encode_then_decode_round_trips(header in any_header()) {
            let mut out = Vec::new();
            header.encode(&mut out);
            prop_assert_eq!(out.len(), header.encoded_len());
            let rules = HeaderRules { allowed_rsv: 0b111, ..HeaderRules::default() };
            prop_assert_eq!(FrameHeader::decode(&out, &rules), Ok(Some((header, out.len()))));
        }

        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..16)) {
            let _ = decode(&bytes);
        }
    }
}
