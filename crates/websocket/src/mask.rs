//! Payload masking (RFC 6455 section 5.3).
//!
//! Masking is a XOR with a 4-byte key, repeated. Both functions take the
//! offset of the first byte within the frame's payload so that a payload that
//! arrives (or is written) in pieces is masked exactly as if it were whole.
//!
//! Payloads shorter than [`SHORT`] are masked inline, eight bytes at a time,
//! so small frames pay for no call and no CPU check. Longer ones go to the
//! widest kernel this CPU has, chosen once per process: AVX-512 or AVX2 on
//! x86 (the [`simd`] module), otherwise portable code that the compiler
//! vectorises for the target's baseline (SSE2 on x86-64).

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[allow(unsafe_code)]
mod simd;

/// Payloads from this length on are handed to the dispatched kernels; it is
/// also the widest vector (64 bytes), which those kernels rely on.
const SHORT: usize = 64;

/// Bytes handled per step by the portable kernels: wide enough for vector
/// XORs, short enough that the staging copy in [`portable::extend`] stays in
/// registers and L1.
const BLOCK: usize = 128;

/// XORs `data` in place with `key`, starting at payload offset `offset`.
///
/// Applying it twice with the same key and offset gives back the input.
#[inline]
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    if data.len() < SHORT {
        mask_short(data, key);
    } else {
        apply_long(data, key);
    }
}

/// Appends `src` masked with `key` (starting at payload offset `offset`) to `dst`.
///
/// The payload is read once and written once: there is no copy followed by a
/// second pass over `dst`.
#[inline]
pub fn mask_into(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    if src.len() < SHORT {
        extend_short(dst, src, key);
    } else {
        extend_long(dst, src, key);
    }
}

/// [`apply_mask`] for long payloads, with the key already rotated.
#[inline(never)]
fn apply_long(data: &mut [u8], key: [u8; 4]) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if let Some(kernel) = simd::Kernel::detected() {
        kernel.apply(data, key);
        return;
    }
    portable::apply(data, key);
}

/// [`mask_into`] for long payloads, with the key already rotated.
#[inline(never)]
fn extend_long(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if let Some(kernel) = simd::Kernel::detected() {
        kernel.extend(dst, src, key);
        return;
    }
    portable::extend(dst, src, key);
}

/// The key as seen from payload offset `offset`.
#[inline]
fn rotate(key: [u8; 4], offset: usize) -> [u8; 4] {
    // Little-endian, byte `offset % 4` is the low byte after rotating right by that many bytes.
    let shift = (offset % 4) as u32 * 8;
    u32::from_le_bytes(key).rotate_right(shift).to_le_bytes()
}

/// Appends `src` to `dst` and masks the copy; `key` lines up with `src[0]`.
#[inline]
fn extend_short(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
    let start = dst.len();
    dst.extend_from_slice(src);
    mask_short(dst.get_mut(start..).unwrap_or_default(), key);
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

/// Kernels in safe Rust for any target: fixed-size blocks that the compiler
/// turns into the baseline vector instructions.
mod portable {
    use super::{BLOCK, mask_short};

    /// Masks `data` in place; `key` lines up with `data[0]`.
    pub(super) fn apply(data: &mut [u8], key: [u8; 4]) {
        let pattern = block_pattern(key);
        let mut blocks = data.chunks_exact_mut(BLOCK);
        for block in &mut blocks {
            for (byte, m) in block.iter_mut().zip(pattern.iter()) {
                *byte ^= m;
            }
        }
        // Whole blocks are a multiple of 4 bytes, so the key is still aligned here.
        mask_short(blocks.into_remainder(), key);
    }

    /// Appends `src` masked to `dst`, block by block through a staging array,
    /// so the data is read once and written once.
    pub(super) fn extend(dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
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
        super::extend_short(dst, blocks.remainder(), key);
    }

    /// The key repeated over one block.
    fn block_pattern(key: [u8; 4]) -> [u8; BLOCK] {
        let mut pattern = [0u8; BLOCK];
        for word in pattern.chunks_exact_mut(4) {
            word.copy_from_slice(&key);
        }
        pattern
    }
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

    /// One way of masking; the key lines up with the first byte.
    #[derive(Debug, Clone, Copy)]
    enum Path {
        /// The public functions, which pick one of the others.
        Dispatched,
        /// The short-payload code, used below [`SHORT`].
        Scalar,
        Portable,
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        Simd(simd::Kernel),
    }

    impl Path {
        fn apply(self, data: &mut [u8], key: [u8; 4]) {
            match self {
                Self::Dispatched => apply_mask(data, key, 0),
                Self::Scalar => mask_short(data, key),
                Self::Portable => portable::apply(data, key),
                #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
                Self::Simd(kernel) => kernel.apply(data, key),
            }
        }

        fn extend(self, dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
            match self {
                Self::Dispatched => mask_into(dst, src, key, 0),
                Self::Scalar => extend_short(dst, src, key),
                Self::Portable => portable::extend(dst, src, key),
                #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
                Self::Simd(kernel) => kernel.extend(dst, src, key),
            }
        }
    }

    /// Every path this CPU can run; a SIMD kernel the CPU lacks is left out
    /// with a note.
    fn paths() -> Vec<Path> {
        #[allow(unused_mut)]
        let mut paths = vec![Path::Dispatched, Path::Scalar, Path::Portable];
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        for (name, kernel) in [
            ("AVX2", simd::Kernel::avx2()),
            ("AVX-512F", simd::Kernel::avx512()),
        ] {
            match kernel {
                Some(kernel) => paths.push(Path::Simd(kernel)),
                None => eprintln!("this CPU has no {name}: that kernel is not tested here"),
            }
        }
        paths
    }

    const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
    /// Every start address modulo the widest vector.
    const ALIGNMENTS: usize = 64;
    const MAX_LEN: usize = 4096;
    /// Untouched bytes checked on either side of the masked range.
    const GUARD: usize = 64;
    const GUARD_BYTE: u8 = 0xa5;

    /// Input bytes: no period that divides 4, so a key applied at the wrong
    /// offset changes the result.
    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
    }

    /// A buffer whose byte `GUARD + align` sits at an address that is `align`
    /// modulo [`ALIGNMENTS`], with `GUARD_BYTE` everywhere; returns it and that index.
    fn aligned_buffer(align: usize) -> (Vec<u8>, usize) {
        let buffer = vec![GUARD_BYTE; MAX_LEN + 2 * GUARD + 2 * ALIGNMENTS];
        let misalignment = buffer.as_ptr() as usize % ALIGNMENTS;
        let start = GUARD + (ALIGNMENTS - misalignment) % ALIGNMENTS + align;
        (buffer, start)
    }

    /// Every path, in place, against the definition: every start alignment,
    /// every mask offset and every length from 0 to 4096, with the bytes around
    /// the payload checked to be left alone.
    #[test]
    fn apply_every_path_alignment_offset_and_length() {
        let input = pattern(MAX_LEN);
        for path in paths() {
            for offset in 0..4 {
                let key = rotate(KEY, offset);
                let expected = reference(&input, KEY, offset);
                for align in 0..ALIGNMENTS {
                    let (mut buffer, start) = aligned_buffer(align);
                    for len in 0..=MAX_LEN {
                        let end = start + len;
                        buffer[start..end].copy_from_slice(&input[..len]);
                        path.apply(&mut buffer[start..end], key);
                        let ok = buffer[start..end] == expected[..len]
                            && buffer[start - GUARD..start]
                                .iter()
                                .all(|&b| b == GUARD_BYTE)
                            && buffer[end..end + GUARD].iter().all(|&b| b == GUARD_BYTE);
                        assert!(ok, "{path:?} align {align} offset {offset} len {len}");
                    }
                }
            }
        }
    }

    /// Every path, as a fused copy, against the definition: every alignment of
    /// the destination (the source at another alignment), every mask offset and
    /// every length from 0 to 4096, after a prefix that must stay as it was.
    #[test]
    fn extend_every_path_alignment_offset_and_length() {
        let input = pattern(MAX_LEN + ALIGNMENTS);
        for path in paths() {
            for offset in 0..4 {
                let key = rotate(KEY, offset);
                for align in 0..ALIGNMENTS {
                    // The destination starts at an address that is `align`
                    // modulo 64, the source at another offset into `input`.
                    let src = &input[(align * 37 + 11) % ALIGNMENTS..];
                    let expected = reference(src, KEY, offset);
                    let mut out = Vec::with_capacity(MAX_LEN + 2 * ALIGNMENTS);
                    let misalignment = out.as_ptr() as usize % ALIGNMENTS;
                    let prefix = (align + ALIGNMENTS - misalignment) % ALIGNMENTS;
                    out.resize(prefix, GUARD_BYTE);
                    for len in 0..=MAX_LEN {
                        out.truncate(prefix);
                        path.extend(&mut out, &src[..len], key);
                        let ok = out.len() == prefix + len
                            && out[prefix..] == expected[..len]
                            && out[..prefix].iter().all(|&b| b == GUARD_BYTE);
                        assert!(ok, "{path:?} align {align} offset {offset} len {len}");
                    }
                }
            }
        }
    }

    /// Long payloads go to the widest kernel the CPU has, asked directly here.
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    #[test]
    fn long_payloads_use_the_widest_kernel() {
        let widest = if std::arch::is_x86_feature_detected!("avx512f") {
            simd::Kernel::avx512()
        } else if std::arch::is_x86_feature_detected!("avx2") {
            simd::Kernel::avx2()
        } else {
            None
        };
        assert_eq!(simd::Kernel::detected(), widest);
        // The second answer comes from the cache.
        assert_eq!(simd::Kernel::detected(), widest);
    }

    #[test]
    fn rfc6455_section_5_7_masked_hello() {
        // "Hello" masked with 37 fa 21 3d, from RFC 6455 section 5.7.
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        /// Every path on long payloads, in place and copied, at random
        /// alignments, offsets, keys and contents.
        #[test]
        fn every_path_on_large_payloads(
            len in MAX_LEN..(1usize << 20) + 2 * SHORT,
            align in 0..ALIGNMENTS,
            offset in 0usize..4,
            key: [u8; 4],
            seed: u8,
        ) {
            let input: Vec<u8> = pattern(len + align).iter().map(|b| b ^ seed).collect();
            let src = &input[align..];
            let expected = reference(src, key, offset);
            for path in paths() {
                let mut data = input.clone();
                path.apply(&mut data[align..], rotate(key, offset));
                prop_assert!(data[align..] == expected[..], "{:?} in place", path);
                prop_assert!(data[..align] == input[..align], "{:?} before the payload", path);
                let mut out = vec![GUARD_BYTE; align];
                path.extend(&mut out, src, rotate(key, offset));
                prop_assert!(out[align..] == expected[..], "{:?} copied", path);
            }
        }
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
