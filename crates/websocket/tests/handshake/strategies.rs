//! Generators shared by the property tests.

use chatwire_websocket::handshake::Extension;
use proptest::prelude::*;

use super::extension_with;

/// Anything: valid-looking text, separators, controls, non-ASCII.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_-]{1,8}",
        "[!#$%&'*+.^_`|~a-zA-Z0-9-]{0,6}",
        "[ -~]{0,8}",
        any::<String>(),
        prop::sample::select(vec![
            "",
            " ",
            "a,b",
            "a;b",
            "a=b",
            "\"",
            "\\",
            "a\r\nEvil: yes",
            "/a b",
            "/a#b",
            "[::1]",
            "null",
            "10",
        ])
        .prop_map(str::to_owned),
    ]
}

/// A token: RFC 7230 `tchar`s.
pub fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~a-zA-Z0-9-]{1,10}"
}

/// An extension made of tokens, each parameter once.
pub fn valid_extension() -> impl Strategy<Value = Extension> {
    (
        token(),
        prop::collection::btree_map(token(), prop::option::of(token()), 0..3),
    )
        .prop_map(|(name, params)| extension_with(name, params.into_iter().collect()))
}

/// An extension of either kind: valid, or made of any text.
pub fn any_extension() -> impl Strategy<Value = Extension> {
    prop_oneof![
        valid_extension(),
        (
            any_text(),
            prop::collection::vec((any_text(), prop::option::of(any_text())), 0..3)
        )
            .prop_map(|(name, params)| extension_with(name, params)),
    ]
}
