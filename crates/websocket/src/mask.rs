//! Payload masking (RFC 6455 section 5.3).
//!
//! Masking is a XOR with a 4-byte key, repeated. Both functions take the
//! offset of the first byte within the frame's payload so that a payload that
//! arrives (or is written) in pieces is masked exactly as if it were whole.

/// Bytes handled per step on long payloads: wide enough for vector XORs, short
/// enough that the staging copy in [`mask_into`] stays in registers and L1.
const BLOCK: usize = 128;

/// XORs `data` in place with `key`, starting at payload offset `offset`.
///
/// Applying it twice with the same key and offset gives back the input.
#[inline]
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    if data.len() < BLOCK {
        mask_short(data, key);
        return;
    }
    let pattern = block_pattern(key);
    let mut blocks = data.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        for (byte, m) in block.iter_mut().zip(pattern.iter()) {
            *byte ^= m;
        }
    }
    mask_short(blocks.into_remainder(), key);
}

/// Appends `src` masked with `key` (starting at payload offset `offset`) to `dst`.
///
/// Long payloads are masked block by block into a staging array and appended
/// from there, so the data is read once and written once.
#[inline]
pub fn mask_into(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    let start = dst.len();
    if src.len() < BLOCK {
        dst.extend_from_slice(src);
        mask_short(dst.get_mut(start..).unwrap_or_default(), key);
        return;
    }
    dst.reserve(src.len());
    let pattern = block_pattern(key);
    let mut blocks = src.chunks_exact(BLOCK);
    let mut staged = [0u8; BLOCK];
    for block in &mut blocks {
        for ((out, byte), m) in staged.iter_mut().zip(block).zip(pattern.iter()) {
            *out = byte ^ m;
        }
        dst.extend_from_slice(&staged);
    }
    let tail_start = dst.len();
    dst.extend_from_slice(blocks.remainder());
    // Whole blocks are a multiple of 4 bytes, so the key is still aligned here.
    mask_short(dst.get_mut(tail_start..).unwrap_or_default(), key);
}

/// The key as seen from payload offset `offset`.
#[inline]
fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    // Little-endian, byte `offset % 4` is the low byte after rotating right by that many bytes.
    let shift = (offset % 4) as u32 * 8;
    u32::from_le_bytes(key).rotate_right(shift).to_le_bytes()
}

/// Masks a short run eight bytes at a time; `key` lines up with `data[0]`.
#[inline]
fn mask_short(data: &mut [u8], key: [u8; 4]) {
    let word = u64::from(u32::from_ne_bytes(key));
    let word = word | (word << 32);
    let mut words = data.chunks_exact_mut(8);
    for chunk in &mut words {
        if let Ok(bytes) = <[u8; 8]>::try_from(&*chunk) {
            chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
        }
    }
    // At most seven bytes are left: four at once if there are four, then the rest.
    let rest = words.into_remainder();
    let rest = match rest.split_first_chunk_mut::<4>() {
        Some((head, tail)) => {
            *head = (u32::from_ne_bytes(*head) ^ u32::from_ne_bytes(key)).to_ne_bytes();
            tail
        }
        None => rest,
    };
    for (byte, m) in rest.iter_mut().zip(key) {
        *byte ^= m;
    }
}

/// The key repeated over one block.
fn block_pattern(key: [u8; 4]) -> [u8; BLOCK] {
    let mut pattern = [0u8; BLOCK];
    for word in pattern.chunks_exact_mut(4) {
        word.copy_from_slice(&key);
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The definition from RFC 6455 section 5.3, byte by byte.
    fn reference(data: &[u8], key: [u8; 4], offset: usize) -> Vec<u8> {
        data.iter()
            .enumerate()
            .map(|(i, b)| b ^ key[(i + offset) % 4])
            .collect()
    }

    #[test]
    fn rfc6455_section_5_7_masked_hello() {
        // "Hello" masked with 37 fa 21 3d, from RFC 6455 section 5.7.
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    proptest! {
        #[test]
        fn apply_mask_matches_definition(data in proptest::collection::vec(any::<u8>(), 0..600), key: [u8; 4], offset in 0usize..10) {
            let mut masked = data.clone();
            apply_mask(&mut masked, key, offset);
            prop_assert_eq!(&masked, &reference(&data, key, offset));
        }

        #[test]
        fn mask_into_matches_definition(prefix in proptest::collection::vec(any::<u8>(), 0..5), data in proptest::collection::vec(any::<u8>(), 0..600), key: [u8; 4], offset in 0usize..10) {
            let mut out = prefix.clone();
            mask_into(&mut out, &data, key, offset);
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            prop_assert_eq!(&out[prefix.len()..], &reference(&data, key, offset)[..]);
        }

        #[test]
        fn masking_in_pieces_equals_masking_whole(data in proptest::collection::vec(any::<u8>(), 0..600), key: [u8; 4], cut in 0usize..600) {
            let cut = cut.min(data.len());
            let mut pieces = data.clone();
            let (a, b) = pieces.split_at_mut(cut);
            apply_mask(a, key, 0);
            apply_mask(b, key, cut);
            prop_assert_eq!(pieces, reference(&data, key, 0));
        }
    }
}
