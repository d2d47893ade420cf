//! AVX2 and AVX-512 masking kernels for x86, chosen at run time.
//!
//! This is the crate's only module with `unsafe` code: vector loads and
//! stores through raw pointers, calls into functions compiled for CPU
//! features the build target does not promise, and one `Vec::set_len`.
//! Its safe surface is [`Kernel`], which exists only once the CPU has been
//! seen to support the instructions its kernel uses.
//!
//! Each kernel XORs 32 or 64 bytes per instruction, four vectors per loop
//! turn, with stores at addresses aligned to the vector width. The first and
//! last vector of the payload are handled as two unaligned vectors that may
//! overlap the aligned body, so no byte loop remains at either end. Both are
//! loaded (and masked) before anything is stored, so the same code masks in
//! place: a byte written twice gets the same value both times.
//!
//! Checked by the tests in the parent module, which compare every kernel this
//! CPU has with the byte-by-byte definition for every start alignment modulo
//! 64, every mask offset and every length up to 4096, in place and copying,
//! plus random long payloads; a kernel whose feature the CPU lacks is skipped
//! with a note. Miri needs a nightly toolchain, which this project does not
//! use, so these kernels have not been run under it.
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(target_arch = "x86")]
use core::arch::x86::{
    __m256i, __m512i, _mm256_loadu_si256, _mm256_set1_epi32, _mm256_store_si256,
    _mm256_storeu_si256, _mm256_xor_si256, _mm512_loadu_si512, _mm512_set1_epi32,
    _mm512_store_si512, _mm512_storeu_si512, _mm512_xor_si512,
};
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::{
    __m256i, __m512i, _mm256_loadu_si256, _mm256_set1_epi32, _mm256_store_si256,
    _mm256_storeu_si256, _mm256_xor_si256, _mm512_loadu_si512, _mm512_set1_epi32,
    _mm512_store_si512, _mm512_storeu_si512, _mm512_xor_si512,
};
use std::sync::atomic::{AtomicU8, Ordering};

use super::SHORT;

/// A vector kernel the running CPU supports.
///
/// Only [`Kernel::detected`], [`Kernel::avx2`] and [`Kernel::avx512`] make
/// one, each after checking the CPU, so holding a `Kernel` proves that its
/// instructions can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Kernel(Level);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Level {
    Avx2 = 1,
    Avx512 = 2,
}

/// The best [`Level`] found on this CPU: `UNKNOWN` until the first call to
/// [`Kernel::detected`], `NONE` when neither is there.
static DETECTED: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = u8::MAX;
const NONE: u8 = 0;

impl Kernel {
    /// The widest kernel this CPU supports, or `None` for the portable code.
    ///
    /// The CPU is queried on the first call only; later calls read one atomic.
    #[inline]
    pub(super) fn detected() -> Option<Self> {
        match DETECTED.load(Ordering::Relaxed) {
            x if x == Level::Avx512 as u8 => Some(Self(Level::Avx512)),
            x if x == Level::Avx2 as u8 => Some(Self(Level::Avx2)),
            NONE => None,
            _ => Self::detect(),
        }
    }

    /// Queries the CPU and records the answer for [`Kernel::detected`].
    #[cold]
    fn detect() -> Option<Self> {
        let best = Self::avx512().or_else(Self::avx2);
        let level = best.map_or(NONE, |Self(level)| level as u8);
        DETECTED.store(level, Ordering::Relaxed);
        best
    }

    /// The AVX2 kernel, if this CPU has AVX2.
    pub(super) fn avx2() -> Option<Self> {
        is_x86_feature_detected!("avx2").then_some(Self(Level::Avx2))
    }

    /// The AVX-512 kernel, if this CPU has AVX-512F.
    pub(super) fn avx512() -> Option<Self> {
        is_x86_feature_detected!("avx512f").then_some(Self(Level::Avx512))
    }

    /// Masks `data` in place; `key` lines up with `data[0]`.
    pub(super) fn apply(self, data: &mut [u8], key: [u8; 4]) {
        if data.len() < SHORT {
            super::mask_short(data, key);
            return;
        }
        let len = data.len();
        let at = data.as_mut_ptr();
        // SAFETY: `at` is valid for reads and writes of `len` bytes, the whole
        // of `data`, which nothing else can reach while we hold `&mut data`;
        // the source and destination are the same address, which the kernels
        // allow; `len >= SHORT`, which is at least one vector of either
        // kernel; and `self` exists only if the CPU has the kernel's feature.
        unsafe { self.run(at.cast_const(), at, len, key) }
    }

    /// Appends `src` masked to `dst`; `key` lines up with `src[0]`.
    pub(super) fn extend(self, dst: &mut Vec<u8>, src: &[u8], key: [u8; 4]) {
        if src.len() < SHORT {
            super::extend_short(dst, src, key);
            return;
        }
        let len = src.len();
        dst.reserve(len);
        let start = dst.len();
        let out = dst.spare_capacity_mut().as_mut_ptr().cast::<u8>();
        // SAFETY: after `reserve`, the spare capacity behind `out` holds at
        // least `len` bytes, valid for writes; `src` is valid for reads of
        // `len` bytes and cannot overlap `dst`'s buffer, which we borrow
        // mutably; `len >= SHORT`, at least one vector of either kernel; and
        // `self` exists only if the CPU has the kernel's feature.
        unsafe { self.run(src.as_ptr(), out, len, key) };
        // SAFETY: the kernel has written all `len` bytes after `start` (each
        // kernel's documented contract), and `start + len` is within the
        // capacity reserved above.
        unsafe { dst.set_len(start + len) };
    }

    /// Runs the kernel of this level.
    ///
    /// # Safety
    /// As for [`xor_avx2`] and [`xor_avx512`], whose widths are at most
    /// [`SHORT`]: the caller passes `len >= SHORT`.
    #[inline]
    unsafe fn run(self, src: *const u8, dst: *mut u8, len: usize, key: [u8; 4]) {
        let key = u32::from_le_bytes(key);
        match self.0 {
            // SAFETY: the caller upholds the kernel's contract (see above),
            // and a `Kernel` of this level exists only on a CPU with AVX2.
            Level::Avx2 => unsafe { xor_avx2(src, dst, len, key) },
            // SAFETY: as above, with AVX-512F.
            Level::Avx512 => unsafe { xor_avx512(src, dst, len, key) },
        }
    }
}

/// The mask word for payload position `at`, given the one for position 0
/// (little-endian: the key's first byte is the low byte).
#[inline(always)]
fn key_at(key: u32, at: usize) -> i32 {
    key.rotate_right((at % 4) as u32 * 8) as i32
}

/// Writes a kernel: `src[i] ^ key byte (i % 4)` into `dst[i]` for every `i < len`.
macro_rules! xor_kernel {
    (
        $(#[$doc:meta])*
        fn $name:ident, feature = $feature:literal, vector = $vector:ty,
        splat = $splat:ident, xor = $xor:ident,
        loadu = $loadu:ident, store = $store:ident, storeu = $storeu:ident $(,)?
    ) => {
        $(#[$doc])*
        ///
        /// # Safety
        /// - The CPU supports the target feature this function is compiled for.
        /// - `src` is valid for reads and `dst` for writes of `len` bytes, and
        ///   `len` is at least one vector.
        /// - `src` and `dst` are either the same address (masking in place) or
        ///   ranges that do not overlap.
        ///
        /// On return every one of the `len` bytes at `dst` has been written,
        /// and no byte outside them.
        #[target_feature(enable = $feature)]
        unsafe fn $name(src: *const u8, dst: *mut u8, len: usize, key: u32) {
            const WIDTH: usize = size_of::<$vector>();
            const UNROLL: usize = 4;
            debug_assert!(len >= WIDTH);
            let last_at = len - WIDTH;
            // SAFETY: `0..WIDTH` and `last_at..len` lie within `0..len`, which
            // `src` may be read at; unaligned loads accept any address.
            let (first, last) = unsafe {
                (
                    $loadu(src.cast::<$vector>()),
                    $loadu(src.add(last_at).cast::<$vector>()),
                )
            };
            // Both are masked now, from the bytes as they were, because the
            // body may overwrite them when masking in place.
            let first = $xor(first, $splat(key_at(key, 0)));
            let last = $xor(last, $splat(key_at(key, last_at)));

            // The body starts at the first aligned address after `dst` (one
            // whole vector on if `dst` is aligned: `first` covers that one).
            let mut at = WIDTH - dst.addr() % WIDTH;
            let body_key = $splat(key_at(key, at));
            while at + UNROLL * WIDTH <= len {
                // SAFETY: `at..at + UNROLL * WIDTH` lies within `0..len`; the
                // stores are aligned because `dst + at` is a multiple of WIDTH
                // and so is each step. With `src == dst`, each vector is loaded
                // before it is stored and no later load reads a stored byte.
                unsafe {
                    let a = $loadu(src.add(at).cast::<$vector>());
                    let b = $loadu(src.add(at + WIDTH).cast::<$vector>());
                    let c = $loadu(src.add(at + 2 * WIDTH).cast::<$vector>());
                    let d = $loadu(src.add(at + 3 * WIDTH).cast::<$vector>());
                    $store(dst.add(at).cast::<$vector>(), $xor(a, body_key));
                    $store(dst.add(at + WIDTH).cast::<$vector>(), $xor(b, body_key));
                    $store(dst.add(at + 2 * WIDTH).cast::<$vector>(), $xor(c, body_key));
                    $store(dst.add(at + 3 * WIDTH).cast::<$vector>(), $xor(d, body_key));
                }
                at += UNROLL * WIDTH;
            }
            while at + WIDTH <= len {
                // SAFETY: as in the loop above, for one vector.
                unsafe {
                    let a = $loadu(src.add(at).cast::<$vector>());
                    $store(dst.add(at).cast::<$vector>(), $xor(a, body_key));
                }
                at += WIDTH;
            }
            // The body ended less than a vector before `len`, and started at
            // most a vector after 0: `first` and `last` cover what is left.
            // SAFETY: both ranges lie within `0..len`, which `dst` may be
            // written at; unaligned stores accept any address.
            unsafe {
                $storeu(dst.cast::<$vector>(), first);
                $storeu(dst.add(last_at).cast::<$vector>(), last);
            }
        }
    };
}

xor_kernel! {
    /// The AVX2 kernel: 32-byte vectors.
    fn xor_avx2, feature = "avx2", vector = __m256i,
    splat = _mm256_set1_epi32, xor = _mm256_xor_si256,
    loadu = _mm256_loadu_si256, store = _mm256_store_si256, storeu = _mm256_storeu_si256,
}

xor_kernel! {
    /// The AVX-512 kernel: 64-byte vectors, AVX-512F instructions only.
    fn xor_avx512, feature = "avx512f", vector = __m512i,
    splat = _mm512_set1_epi32, xor = _mm512_xor_si512,
    loadu = _mm512_loadu_si512, store = _mm512_store_si512, storeu = _mm512_storeu_si512,
}
