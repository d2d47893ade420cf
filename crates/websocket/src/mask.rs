//! Payload masking (RFC 6455 section 5.3).
//!
//! Masking is a XOR with a 4-byte key, repeated. Both functions take the
//! offset of the first byte within the frame's payload so that a payload that
//! arrives (or is written) in pieces is masked exactly as if it were whole.

/// Bytes handled per step: wide enough for the compiler to use vector XORs.
const BLOCK: usize = 64;

/// XORs `data` in place with `key`, starting at payload offset `offset`.
///
/// Applying it twice with the same key and offset gives back the input.
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    if data.len() < BLOCK {
        // Short payloads (most chat messages): skip building the block pattern.
        let mut rotated = key;
        rotated.rotate_left(offset % 4);
        for word in data.chunks_mut(4) {
            for (byte, m) in word.iter_mut().zip(rotated) {
                *byte ^= m;
            }
        }
        return;
    }
    let pattern = block_pattern(key, offset);
    let mut blocks = data.chunks_exact_mut(BLOCK);
    for block in &mut blocks {
        for (byte, m) in block.iter_mut().zip(pattern.iter()) {
            *byte ^= m;
        }
    }
    for (byte, m) in blocks.into_remainder().iter_mut().zip(pattern.iter()) {
        *byte ^= m;
    }
}

/// Appends `src` masked with `key` (starting at payload offset `offset`) to `dst`.
///
/// The copy and the XOR happen in one pass over the data.
pub fn mask_into(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    let pattern = block_pattern(key, offset);
    dst.reserve(src.len());
    let mut blocks = src.chunks_exact(BLOCK);
    let mut tmp = [0u8; BLOCK];
    for block in &mut blocks {
        for ((t, s), m) in tmp.iter_mut().zip(block.iter()).zip(pattern.iter()) {
            *t = s ^ m;
        }
        dst.extend_from_slice(&tmp);
    }
    let rest = blocks.remainder();
    for ((t, s), m) in tmp.iter_mut().zip(rest.iter()).zip(pattern.iter()) {
        *t = s ^ m;
    }
    dst.extend_from_slice(tmp.get(..rest.len()).unwrap_or_default());
}

/// The key repeated over one block, rotated so that byte 0 lines up with `offset`.
fn block_pattern(key: [u8; 4], offset: usize) -> [u8; BLOCK] {
    let mut rotated = key;
    rotated.rotate_left(offset % 4);
    let mut pattern = [0u8; BLOCK];
    for word in pattern.chunks_exact_mut(4) {
        word.copy_from_slice(&rotated);
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
        fn apply_mask_matches_definition(data in proptest::collection::vec(any::<u8>(), 0..300), key: [u8; 4], offset in 0usize..10) {
            let mut masked = data.clone();
            apply_mask(&mut masked, key, offset);
            prop_assert_eq!(&masked, &reference(&data, key, offset));
        }

        #[test]
        fn mask_into_matches_definition(prefix in proptest::collection::vec(any::<u8>(), 0..5), data in proptest::collection::vec(any::<u8>(), 0..300), key: [u8; 4], offset in 0usize..10) {
            let mut out = prefix.clone();
            mask_into(&mut out, &data, key, offset);
            prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
            prop_assert_eq!(&out[prefix.len()..], &reference(&data, key, offset)[..]);
        }

        #[test]
        fn masking_in_pieces_equals_masking_whole(data in proptest::collection::vec(any::<u8>(), 0..300), key: [u8; 4], cut in 0usize..300) {
            let cut = cut.min(data.len());
            let mut pieces = data.clone();
            let (a, b) = pieces.split_at_mut(cut);
            apply_mask(a, key, 0);
            apply_mask(b, key, cut);
            prop_assert_eq!(pieces, reference(&data, key, 0));
        }
    }
}
