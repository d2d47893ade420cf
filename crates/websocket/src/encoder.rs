//! Writing whole frames into a caller-owned buffer.

use crate::frame::{FrameHeader, OpCode};
use crate::mask::mask_into;

/// Appends one frame (header, then the payload masked with `mask` if given) to `out`.
///
/// The caller keeps control payloads at most 125 bytes; [`Connection`](crate::Connection)
/// checks that before it calls this.
#[inline]
pub fn encode_frame(
    opcode: OpCode,
    fin: bool,
    mask: Option<[u8; 4]>,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    encode_frame_with_rsv(opcode, fin, 0, mask, payload, out);
}

/// [`encode_frame`] with RSV bits set (same layout as [`FrameHeader::rsv`]), for
/// frames an extension has transformed.
#[inline]
pub fn encode_frame_with_rsv(
    opcode: OpCode,
    fin: bool,
    rsv: u8,
    mask: Option<[u8; 4]>,
    payload: &[u8],
    out: &mut Vec<u8>,
) {
    let header = FrameHeader {
        fin,
        rsv: rsv & 0b111,
        opcode,
        mask,
        payload_len: payload.len() as u64,
    };
    out.reserve(header.encoded_len() + payload.len());
    header.encode(out);
    match mask {
        Some(key) => mask_into(out, payload, key, 0),
        None => out.extend_from_slice(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_section_5_7_encodings() {
        let mut out = Vec::new();
        encode_frame(OpCode::Text, true, None, b"Hello", &mut out);
        assert_eq!(out, [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        out.clear();
        encode_frame(
            OpCode::Text,
            true,
            Some([0x37, 0xfa, 0x21, 0x3d]),
            b"Hello",
            &mut out,
        );
        assert_eq!(
            out,
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        out.clear();
        encode_frame(OpCode::Text, false, None, b"Hel", &mut out);
        encode_frame(OpCode::Continuation, true, None, b"lo", &mut out);
        assert_eq!(out, [0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]);
        out.clear();
        encode_frame(OpCode::Ping, true, None, b"Hello", &mut out);
        assert_eq!(out, [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
        out.clear();
        encode_frame(
            OpCode::Pong,
            true,
            Some([0x37, 0xfa, 0x21, 0x3d]),
            b"Hello",
            &mut out,
        );
        assert_eq!(
            out,
            [
                0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
        out.clear();
        encode_frame(OpCode::Binary, true, None, &[0u8; 256], &mut out);
        assert_eq!(out[..4], [0x82, 0x7E, 0x01, 0x00]);
        out.clear();
        encode_frame(OpCode::Binary, true, None, &vec![0u8; 65536], &mut out);
        assert_eq!(out[..10], [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]);
        assert_eq!(out.len(), 10 + 65536);
    }
}
