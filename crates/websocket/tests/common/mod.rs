//! Frames built by hand from RFC 6455 section 5.2, independent of the crate's
//! encoder, shared by the integration tests.

/// The masking key of every client frame built here (the one of section 5.7).
pub const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked client frame: `first_byte` (FIN, RSV, opcode), then `payload`.
pub fn client_frame(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first_byte];
    match payload.len() {
        n @ 0..=125 => out.push(0x80 | n as u8),
        n @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(&KEY);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ KEY[i % 4]));
    out
}
