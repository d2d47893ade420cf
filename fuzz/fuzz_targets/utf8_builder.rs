//! Feeds arbitrary bytes to a `Utf8Builder` in pieces cut where the input
//! says; std's validator is the oracle: the builder accepts exactly the
//! valid strings, keeps refusing once it has refused, and a slice of what it
//! builds agrees with `str::get`.
#![no_main]

use bytes::BytesMut;
use chatwire_utf8::{Utf8Builder, Utf8Bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&cuts, text)) = data.split_first() else {
        return;
    };
    let mut builder = Utf8Builder::new();
    let mut refused = false;
    let mut rest = text;
    let mut turn = 0u32;
    while !rest.is_empty() {
        let step = 1 + usize::from(cuts.rotate_left(turn) % 7);
        let (piece, tail) = rest.split_at(step.min(rest.len()));
        let result = match turn % 3 {
            0 => builder.push(piece),
            1 => builder.push_owned(BytesMut::from(piece)),
            _ => builder.push_transformed(piece, |_| {}),
        };
        if refused {
            assert!(result.is_err(), "a refusal must be final");
        }
        refused |= result.is_err();
        rest = tail;
        turn += 1;
    }
    let built = builder.finish();
    match std::str::from_utf8(text) {
        Ok(s) => {
            let built = built.expect("valid text is accepted");
            assert_eq!(built.as_bytes(), text);
            let (a, b) = (usize::from(cuts) % (s.len() + 1), s.len() / 2);
            let (start, end) = (a.min(b), a.max(b));
            assert_eq!(
                built.slice(start..end).as_ref().map(Utf8Bytes::as_str),
                s.get(start..end)
            );
        }
        Err(_) => assert!(built.is_err(), "invalid text is refused"),
    }
});
