//! SASLprep on arbitrary strings against the stringprep crate's, an independent SASLprep over
//! unicode-normalization's own NFKC: it must never panic, and wherever both accept a string they
//! give the same result. Ours prepares "as a query" (RFC 5802 s5.1), so it may accept what the
//! stringprep crate refuses, but only for a code point unassigned in Unicode 3.2; it never
//! refuses what that crate accepts.
//!
//! Input: UTF-8 text. U+200B is dropped first: it is both "mapped to nothing" and a non-ASCII
//! space, and the stringprep crate maps it to a space where we remove it (as libidn does).
#![no_main]

use libfuzzer_sys::fuzz_target;
use stringprep::tables;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let text: String = text.chars().filter(|&c| c != '\u{200B}').collect();
    let ours = chatwire_sasl::saslprep(&text);
    match (ours, stringprep::saslprep(&text)) {
        (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{text:?}"),
        (Ok(ours), Err(_)) => assert!(
            ours.chars().any(tables::unassigned_code_point),
            "{text:?} accepted as {ours:?}"
        ),
        (Err(_), Ok(theirs)) => panic!("{text:?} refused, stringprep gives {theirs:?}"),
        (Err(_), Err(_)) => {}
    }
});
