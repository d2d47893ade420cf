//! SHA-1, SHA-256 and SHA-512 driven through their compression functions, with HMAC and
//! one-block PBKDF2 on top, so that every hash state SCRAM keeps is ours to wipe.
//!
//! The digest crates' hashers, built to wipe themselves, wipe on every drop; PBKDF2 through
//! them clones and drops a keyed HMAC each round, which made `Hi()` up to 17% slower. Here a
//! key's two padded states are computed once, each round is two compressions of blocks whose
//! padding was written once, and the working copies are wiped once at the end.

use zeroize::Zeroize;

/// A Merkle-Damgard hash seen through its compression function.
pub(crate) trait Sha {
    /// The chaining state.
    type State: Copy + Zeroize;
    /// One input block.
    type Block: Copy + Zeroize + AsRef<[u8]> + AsMut<[u8]>;
    /// The initial state (FIPS 180-4 s5.3).
    const IV: Self::State;
    /// A block of zeros.
    const ZERO: Self::Block;
    /// Bytes per block.
    const BLOCK: usize;
    /// Bytes of output.
    const OUT: usize;
    /// Bytes of the message-length field that ends the padding.
    const LEN_FIELD: usize;
    /// Runs the compression function over one block.
    fn compress(state: &mut Self::State, block: &Self::Block);
    /// Writes the state, big-endian, over the first [`Self::OUT`] bytes of `out`.
    fn write_digest(state: &Self::State, out: &mut [u8]);
}

/// SHA-1.
pub(crate) enum Sha1 {}
/// SHA-256.
pub(crate) enum Sha256 {}
/// SHA-512.
pub(crate) enum Sha512 {}

impl Sha for Sha1 {
    type State = [u32; 5];
    type Block = [u8; 64];
    const IV: Self::State = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    const ZERO: Self::Block = [0; 64];
    const BLOCK: usize = 64;
    const OUT: usize = 20;
    const LEN_FIELD: usize = 8;
    fn compress(state: &mut Self::State, block: &Self::Block) {
        sha1::block_api::compress(state, core::slice::from_ref(block));
    }
    fn write_digest(state: &Self::State, out: &mut [u8]) {
        for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
    }
}

impl Sha for Sha256 {
    type State = [u32; 8];
    type Block = [u8; 64];
    const IV: Self::State = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    const ZERO: Self::Block = [0; 64];
    const BLOCK: usize = 64;
    const OUT: usize = 32;
    const LEN_FIELD: usize = 8;
    fn compress(state: &mut Self::State, block: &Self::Block) {
        sha2::block_api::compress256(state, core::slice::from_ref(block));
    }
    fn write_digest(state: &Self::State, out: &mut [u8]) {
        for (bytes, word) in out.chunks_exact_mut(4).zip(state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
    }
}

impl Sha for Sha512 {
    type State = [u64; 8];
    type Block = [u8; 128];
    const IV: Self::State = [
        0x6a09_e667_f3bc_c908,
        0xbb67_ae85_84ca_a73b,
        0x3c6e_f372_fe94_f82b,
        0xa54f_f53a_5f1d_36f1,
        0x510e_527f_ade6_82d1,
        0x9b05_688c_2b3e_6c1f,
        0x1f83_d9ab_fb41_bd6b,
        0x5be0_cd19_137e_2179,
    ];
    const ZERO: Self::Block = [0; 128];
    const BLOCK: usize = 128;
    const OUT: usize = 64;
    const LEN_FIELD: usize = 16;
    fn compress(state: &mut Self::State, block: &Self::Block) {
        sha2::block_api::compress512(state, core::slice::from_ref(block));
    }
    fn write_digest(state: &Self::State, out: &mut [u8]) {
        for (bytes, word) in out.chunks_exact_mut(8).zip(state) {
            bytes.copy_from_slice(&word.to_be_bytes());
        }
    }
}

/// A hash in progress: the state, the partial block and the length so far. Wiped on drop.
struct Hasher<H: Sha> {
    state: H::State,
    block: H::Block,
    filled: usize,
    /// Leading bytes of `block` that may hold message data; the rest is zeros or padding.
    /// Only these are wiped: byte-wise volatile wiping of whole blocks was a measurable part
    /// of a SCRAM exchange.
    dirty: usize,
    /// Bytes hashed so far, including any prefix already folded into `state`.
    len: u64,
}

impl<H: Sha> Hasher<H> {
    /// Continues from `state`, which has already absorbed `len` bytes (a whole number of
    /// blocks).
    fn resume(state: H::State, len: u64) -> Self {
        Self {
            state,
            block: H::ZERO,
            filled: 0,
            dirty: 0,
            len,
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let Some(free) = self.block.as_mut().get_mut(self.filled..) else {
                return;
            };
            let taken = free.len().min(data.len());
            let (now, later) = data.split_at(taken);
            if let Some(slots) = free.get_mut(..taken) {
                slots.copy_from_slice(now);
            }
            self.filled += taken;
            self.dirty = self.dirty.max(self.filled);
            data = later;
            if self.filled == H::BLOCK {
                H::compress(&mut self.state, &self.block);
                self.filled = 0;
            }
        }
    }

    /// Pads and compresses the last block(s), leaving the final state in `self.state`.
    fn finish(&mut self) {
        let bits = self.len.wrapping_mul(8);
        if let Some(byte) = self.block.as_mut().get_mut(self.filled) {
            *byte = 0x80;
        }
        if let Some(rest) = self.block.as_mut().get_mut(self.filled + 1..) {
            rest.fill(0);
        }
        // The padding has overwritten everything after the message's tail.
        self.dirty = self.filled;
        if self.filled + 1 + H::LEN_FIELD > H::BLOCK {
            H::compress(&mut self.state, &self.block);
            self.block.as_mut().zeroize();
            self.dirty = 0;
        }
        write_length(&mut self.block, bits);
        H::compress(&mut self.state, &self.block);
        self.filled = 0;
    }
}

impl<H: Sha> Drop for Hasher<H> {
    fn drop(&mut self) {
        self.state.zeroize();
        if let Some(data) = self.block.as_mut().get_mut(..self.dirty) {
            data.zeroize();
        }
    }
}

/// Ends `block` with the message length in bits (the high bytes of SHA-512's 128-bit field
/// stay zero: no SCRAM message comes near 2^61 bytes).
fn write_length<B: AsMut<[u8]>>(block: &mut B, bits: u64) {
    if let Some(tail) = block.as_mut().last_chunk_mut::<8>() {
        *tail = bits.to_be_bytes();
    }
}

/// `H(data)` into the first [`Sha::OUT`] bytes of `out`.
pub(crate) fn digest<H: Sha>(data: &[u8], out: &mut [u8]) {
    let mut hasher = Hasher::<H>::resume(H::IV, 0);
    hasher.update(data);
    hasher.finish();
    H::write_digest(&hasher.state, out);
}

/// An HMAC key as the states after its inner and outer padded blocks (RFC 2104): what every
/// MAC under the key starts from. Wiped on drop.
pub(crate) struct HmacKey<H: Sha> {
    inner: H::State,
    outer: H::State,
}

impl<H: Sha> Clone for HmacKey<H> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner,
            outer: self.outer,
        }
    }
}

impl<H: Sha> HmacKey<H> {
    pub(crate) fn new(key: &[u8]) -> Self {
        let mut padded = H::ZERO;
        // Past the key, the padded blocks hold only the public pad bytes.
        let key_len = if key.len() > H::BLOCK {
            digest::<H>(key, padded.as_mut());
            H::OUT
        } else {
            for (slot, byte) in padded.as_mut().iter_mut().zip(key) {
                *slot = *byte;
            }
            key.len()
        };
        let mut this = Self {
            inner: H::IV,
            outer: H::IV,
        };
        padded.as_mut().iter_mut().for_each(|b| *b ^= 0x36);
        H::compress(&mut this.inner, &padded);
        padded.as_mut().iter_mut().for_each(|b| *b ^= 0x36 ^ 0x5c);
        H::compress(&mut this.outer, &padded);
        if let Some(secret) = padded.as_mut().get_mut(..key_len) {
            secret.zeroize();
        }
        this
    }

    /// `HMAC(key, part0 || part1 || ...)` into the first [`Sha::OUT`] bytes of `out`.
    pub(crate) fn mac(&self, parts: &[&[u8]], out: &mut [u8]) {
        let mut hasher = Hasher::<H>::resume(self.inner, H::BLOCK as u64);
        for part in parts {
            hasher.update(part);
        }
        hasher.finish();
        // The outer hash reuses the same hasher (one state and one block to wipe): its
        // message, the inner digest, goes straight into the block.
        H::write_digest(&hasher.state, hasher.block.as_mut());
        hasher.dirty = hasher.dirty.max(H::OUT);
        hasher.state = self.outer;
        hasher.filled = H::OUT;
        hasher.len = (H::BLOCK + H::OUT) as u64;
        hasher.finish();
        H::write_digest(&hasher.state, out);
    }
}

impl<H: Sha> Drop for HmacKey<H> {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}

/// `Hi(password, salt, iterations)` (RFC 5802 s2.2, PBKDF2 with one block) into the first
/// [`Sha::OUT`] bytes of `out`. `iterations` of zero is treated as one; callers refuse it.
pub(crate) fn hi<H: Sha>(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8]) {
    let key = HmacKey::<H>::new(password);
    // Every later message, U(i-1) and each inner digest, is OUT bytes after one key block: the
    // two blocks below carry that padding for the whole loop and only their first OUT bytes
    // change.
    let bits = ((H::BLOCK + H::OUT) as u64) * 8;
    let mut inner_block = H::ZERO;
    let mut outer_block = H::ZERO;
    for block in [&mut inner_block, &mut outer_block] {
        if let Some(byte) = block.as_mut().get_mut(H::OUT) {
            *byte = 0x80;
        }
        write_length(block, bits);
    }

    // U1 = HMAC(password, salt || INT(1)): the inner hash takes a message of any length.
    let mut first = Hasher::<H>::resume(key.inner, H::BLOCK as u64);
    first.update(salt);
    first.update(&1u32.to_be_bytes());
    first.finish();
    H::write_digest(&first.state, outer_block.as_mut());
    drop(first);
    let mut state = key.outer;
    H::compress(&mut state, &outer_block);
    H::write_digest(&state, inner_block.as_mut());
    let mut sum = inner_block;

    for _ in 1..iterations {
        state = key.inner;
        H::compress(&mut state, &inner_block);
        H::write_digest(&state, outer_block.as_mut());
        state = key.outer;
        H::compress(&mut state, &outer_block);
        H::write_digest(&state, inner_block.as_mut());
        for (acc, byte) in sum.as_mut().iter_mut().zip(inner_block.as_ref()) {
            *acc ^= byte;
        }
    }

    for (slot, byte) in out.iter_mut().zip(sum.as_ref()).take(H::OUT) {
        *slot = *byte;
    }
    state.zeroize();
    inner_block.zeroize();
    outer_block.zeroize();
    sum.zeroize();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS 180-2 appendix examples ("abc"), and the two-block message that tests padding
    /// across a block boundary.
    #[test]
    fn digests_match_fips_examples() {
        let mut out = [0u8; 64];
        digest::<Sha1>(b"abc", &mut out);
        assert_eq!(hex(&out[..20]), "a9993e364706816aba3e25717850c26c9cd0d89d");
        digest::<Sha256>(
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            &mut out,
        );
        assert_eq!(
            hex(&out[..32]),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
        digest::<Sha512>(b"abc", &mut out);
        assert_eq!(
            hex(&out),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
             2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        );
    }

    /// RFC 6070 (PBKDF2-HMAC-SHA1, 20-byte output) and RFC 4231 cases 1 and 6 (a key
    /// longer than the block is hashed first).
    #[test]
    fn hi_and_hmac_match_rfc_vectors() {
        let mut out = [0u8; 64];
        for (iterations, expected) in [
            (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
            (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
            (4096, "4b007901b765489abead49d926f721d065a429c1"),
        ] {
            hi::<Sha1>(b"password", b"salt", iterations, &mut out);
            assert_eq!(hex(&out[..20]), expected);
        }
        HmacKey::<Sha256>::new(&[0x0b; 20]).mac(&[b"Hi ", b"There"], &mut out);
        assert_eq!(
            hex(&out[..32]),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        HmacKey::<Sha512>::new(&[0x0b; 20]).mac(&[b"Hi There"], &mut out);
        assert_eq!(
            hex(&out),
            "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
             daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"
        );
        HmacKey::<Sha256>::new(&[0xaa; 131]).mac(
            &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
            &mut out,
        );
        assert_eq!(
            hex(&out[..32]),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    /// Only the first `dirty` bytes of a block are wiped, so no message byte may sit past
    /// them: message bytes are 0xAA, which neither the padding nor a length below 2^11 bits
    /// contains.
    #[test]
    fn message_bytes_never_sit_past_the_wiped_prefix() {
        fn check<H: Sha>() {
            let clean = |h: &Hasher<H>| h.block.as_ref().iter().skip(h.dirty).all(|b| *b != 0xAA);
            for len in 0..=2 * H::BLOCK + 1 {
                for split in [0, len / 3, len] {
                    let msg = vec![0xAA; len];
                    let (a, b) = msg.split_at(split);
                    let mut h = Hasher::<H>::resume(H::IV, 0);
                    h.update(a);
                    assert!(clean(&h), "after a part: {len} split {split}");
                    h.update(b);
                    assert!(clean(&h), "after the message: {len}");
                    h.finish();
                    assert!(clean(&h), "after padding: {len}");
                }
            }
        }
        check::<Sha1>();
        check::<Sha256>();
        check::<Sha512>();
    }

    /// The hmac, pbkdf2 and sha crates, called directly, as the oracle.
    mod against_the_digest_crates {
        use super::super::*;
        use hmac::{Hmac, KeyInit, Mac};
        use proptest::prelude::*;
        use sha2::Digest;

        fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
            proptest::collection::vec(any::<u8>(), 0..max)
        }

        /// Splits `data` at the given points so messages arrive in several parts.
        fn parts(data: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
            let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
            points.sort_unstable();
            let mut out = Vec::new();
            let mut start = 0;
            for p in points {
                out.push(data[start..p].to_vec());
                start = p;
            }
            out.push(data[start..].to_vec());
            out
        }

        fn ours_mac<H: Sha>(key: &[u8], msg: &[Vec<u8>]) -> Vec<u8> {
            let refs: Vec<&[u8]> = msg.iter().map(Vec::as_slice).collect();
            let mut out = vec![0; H::OUT];
            HmacKey::<H>::new(key).mac(&refs, &mut out);
            out
        }

        fn theirs_mac<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
            let mut mac = <M as KeyInit>::new_from_slice(key).unwrap();
            mac.update(msg);
            mac.finalize().into_bytes().to_vec()
        }

        fn ours_digest<H: Sha>(msg: &[u8]) -> Vec<u8> {
            let mut out = vec![0; H::OUT];
            digest::<H>(msg, &mut out);
            out
        }

        fn ours_hi<H: Sha>(password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
            let mut out = vec![0; H::OUT];
            hi::<H>(password, salt, iterations, &mut out);
            out
        }

        proptest! {
            // Lengths reach past two SHA-512 blocks, so every padding case (the length field
            // fitting in the last block or spilling into a new one) comes up for each hash.
            #[test]
            fn digest_matches(msg in bytes(300)) {
                prop_assert_eq!(ours_digest::<Sha1>(&msg), sha1::Sha1::digest(&msg).to_vec());
                prop_assert_eq!(ours_digest::<Sha256>(&msg), sha2::Sha256::digest(&msg).to_vec());
                prop_assert_eq!(ours_digest::<Sha512>(&msg), sha2::Sha512::digest(&msg).to_vec());
            }

            #[test]
            fn hmac_matches(key in bytes(300), msg in bytes(300), cuts in bytes(4)) {
                let cuts: Vec<usize> = cuts.iter().map(|c| usize::from(*c) * 2).collect();
                let split = parts(&msg, &cuts);
                prop_assert_eq!(ours_mac::<Sha1>(&key, &split), theirs_mac::<Hmac<sha1::Sha1>>(&key, &msg));
                prop_assert_eq!(ours_mac::<Sha256>(&key, &split), theirs_mac::<Hmac<sha2::Sha256>>(&key, &msg));
                prop_assert_eq!(ours_mac::<Sha512>(&key, &split), theirs_mac::<Hmac<sha2::Sha512>>(&key, &msg));
            }

            #[test]
            fn hi_matches(password in bytes(300), salt in bytes(300), iterations in 1u32..40) {
                let mut theirs = [0u8; 64];
                pbkdf2::pbkdf2_hmac::<sha1::Sha1>(&password, &salt, iterations, &mut theirs[..20]);
                prop_assert_eq!(ours_hi::<Sha1>(&password, &salt, iterations), &theirs[..20]);
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&password, &salt, iterations, &mut theirs[..32]);
                prop_assert_eq!(ours_hi::<Sha256>(&password, &salt, iterations), &theirs[..32]);
                pbkdf2::pbkdf2_hmac::<sha2::Sha512>(&password, &salt, iterations, &mut theirs);
                prop_assert_eq!(ours_hi::<Sha512>(&password, &salt, iterations), theirs.to_vec());
            }
        }
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
