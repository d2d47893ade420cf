//! The `Sec-WebSocket-Extensions` grammar (RFC 6455 section 9.1 over RFC 7230 section
//! 3.2.6), shared by both roles: vectors whose expected results come from an
//! independent implementation, and writer/parser round trips.

use chatwire_websocket::handshake::ExtensionSyntaxError::{
    self, BadQuotedByte, ExpectedToken, QuotedNotToken, Unexpected, UnterminatedQuote,
};
use chatwire_websocket::handshake::{Extension, FieldError, parse_extensions, write_extensions};
use proptest::prelude::*;

use super::extension_with;
use super::strategies::any_extension;

type Expected = Result<
    &'static [(
        &'static str,
        &'static [(&'static str, Option<&'static str>)],
    )],
    ExtensionSyntaxError,
>;

/// Field values and what Python `websockets` 17.4 (`websockets.headers.parse_extension`)
/// makes of them: the same extensions, or an error at the same offset. Its error
/// kinds map onto ours: "expected token" = `ExpectedToken`, "expected comma" =
/// `Unexpected`, "expected quoted string" = `UnterminatedQuote`, "invalid quoted header
/// content" = `QuotedNotToken`.
const WEBSOCKETS_VECTORS: &[(&str, Expected)] = &[
    ("permessage-deflate", Ok(&[("permessage-deflate", &[])])),
    (
        "permessage-deflate; client_max_window_bits",
        Ok(&[("permessage-deflate", &[("client_max_window_bits", None)])]),
    ),
    (
        "permessage-deflate; client_max_window_bits=10",
        Ok(&[(
            "permessage-deflate",
            &[("client_max_window_bits", Some("10"))],
        )]),
    ),
    (
        "permessage-deflate; client_max_window_bits=\"10\"",
        Ok(&[(
            "permessage-deflate",
            &[("client_max_window_bits", Some("10"))],
        )]),
    ),
    (
        "permessage-deflate; client_max_window_bits=\"1\\0\"",
        Ok(&[(
            "permessage-deflate",
            &[("client_max_window_bits", Some("10"))],
        )]),
    ),
    (
        "permessage-deflate ; client_max_window_bits = 10 ;server_no_context_takeover",
        Ok(&[(
            "permessage-deflate",
            &[
                ("client_max_window_bits", Some("10")),
                ("server_no_context_takeover", None),
            ],
        )]),
    ),
    (
        "permessage-deflate; client_max_window_bits, permessage-deflate",
        Ok(&[
            ("permessage-deflate", &[("client_max_window_bits", None)]),
            ("permessage-deflate", &[]),
        ]),
    ),
    ("a, b, c", Ok(&[("a", &[]), ("b", &[]), ("c", &[])])),
    (", a,, b ,", Ok(&[("a", &[]), ("b", &[])])),
    (
        "a;b=1;c;d=\"e\"",
        Ok(&[("a", &[("b", Some("1")), ("c", None), ("d", Some("e"))])]),
    ),
    ("foo; bar=\"a,b\", baz", Err(QuotedNotToken(9))),
    ("foo; bar=\"a;b\"", Err(QuotedNotToken(9))),
    ("foo; bar=\"a b\"", Err(QuotedNotToken(9))),
    ("foo; bar=\"\"", Err(QuotedNotToken(9))),
    ("foo; bar=\"10", Err(UnterminatedQuote(9))),
    ("foo; bar=\"\\\"", Err(UnterminatedQuote(9))),
    ("foo; bar=10\"", Err(Unexpected(11))),
    ("foo; bar=\"1\"0", Err(Unexpected(12))),
    ("foo;", Err(ExpectedToken(4))),
    ("foo;;bar", Err(ExpectedToken(4))),
    ("foo bar", Err(Unexpected(4))),
    ("foo; bar baz", Err(Unexpected(9))),
    ("foo; =1", Err(ExpectedToken(5))),
    ("foo; bar=", Err(ExpectedToken(9))),
    ("foo; bar=a=b", Err(Unexpected(10))),
    ("perm@ssage", Err(Unexpected(4))),
    (";foo", Err(ExpectedToken(0))),
    ("foo,;bar", Err(ExpectedToken(4))),
    (
        "x-webkit-deflate-frame",
        Ok(&[("x-webkit-deflate-frame", &[])]),
    ),
    ("foo; bar=\"\\t\"", Ok(&[("foo", &[("bar", Some("t"))])])),
    ("foo; bar='1'", Ok(&[("foo", &[("bar", Some("'1'"))])])),
    (
        "foo;\tbar=1\t,\tbaz",
        Ok(&[("foo", &[("bar", Some("1"))]), ("baz", &[])]),
    ),
    ("foo; bar=\"a\\,b\"", Err(QuotedNotToken(9))),
    ("foo; bar=\" \"", Err(QuotedNotToken(9))),
    ("a; b=\"c\" d", Err(Unexpected(9))),
    ("", Err(ExpectedToken(0))),
    // websockets reports 0, where the blank starts; we report where the missing token would be.
    (" ", Err(ExpectedToken(1))),
    (",", Err(ExpectedToken(1))),
];

fn extension(name: &str, params: &[(&str, Option<&str>)]) -> Extension {
    let params = params
        .iter()
        .map(|(param, value)| ((*param).to_owned(), value.map(str::to_owned)))
        .collect();
    extension_with(name, params)
}

#[test]
fn parses_like_python_websockets() {
    for (value, expected) in WEBSOCKETS_VECTORS {
        let expected = expected.map(|list| {
            list.iter()
                .map(|(name, params)| extension(name, params))
                .collect::<Vec<_>>()
        });
        assert_eq!(parse_extensions(value.as_bytes()), expected, "{value:?}");
    }
}

#[test]
fn control_characters_and_bare_backslashes_are_refused_inside_quotes() {
    assert_eq!(parse_extensions(b"a; b=\"1\x010\""), Err(BadQuotedByte(5)));
    assert_eq!(parse_extensions(b"a; b=\"1\\\x7f\""), Err(BadQuotedByte(5)));
    assert_eq!(parse_extensions(b"a; b=\"1\\"), Err(UnterminatedQuote(5)));
    // obs-text is allowed by the grammar, but then the value is not a token.
    assert_eq!(parse_extensions(b"a; b=\"\xe9\""), Err(QuotedNotToken(5)));
    assert_eq!(parse_extensions(b"a; b=\xe9"), Err(ExpectedToken(5)));
}

#[test]
fn the_writer_separates_items_and_parameters() {
    let mut out = Vec::new();
    write_extensions(
        &[
            extension("permessage-deflate", &[("client_max_window_bits", None)]),
            extension("permessage-deflate", &[]),
            extension("x", &[("a", Some("1")), ("b", None)]),
        ],
        &mut out,
    )
    .unwrap();
    assert_eq!(
        out,
        b"permessage-deflate; client_max_window_bits, permessage-deflate, x; a=1; b"
    );
    // One bad extension: nothing of the list is written.
    let mut out = Vec::new();
    let bad = [extension("x", &[]), extension("y z", &[])];
    assert_eq!(
        write_extensions(&bad, &mut out),
        Err(FieldError::ExtensionName("y z".into()))
    );
    assert!(out.is_empty());
}

/// A token in the test's own terms: RFC 7230 `tchar`s, at least one.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

proptest! {
    /// Whatever the writer is given, it either writes something that parses back to
    /// exactly that, or refuses because a name or value is not a token or a parameter
    /// repeats, and then writes nothing.
    #[test]
    fn written_extensions_parse_back_or_are_refused(list in prop::collection::vec(any_extension(), 1..4)) {
        let mut out = Vec::new();
        let writable = list.iter().all(|e| {
            is_token(&e.name)
                && e.params.iter().enumerate().all(|(i, (p, v))| {
                    is_token(p)
                        && v.as_deref().is_none_or(is_token)
                        && !e.params[..i].iter().any(|(earlier, _)| earlier == p)
                })
        });
        match write_extensions(&list, &mut out) {
            Ok(()) => {
                prop_assert!(writable);
                prop_assert_eq!(parse_extensions(&out), Ok(list));
            }
            Err(_) => {
                prop_assert!(!writable);
                prop_assert!(out.is_empty());
            }
        }
    }

    /// Any token value reads the same bare or quoted, with any byte escaped, and with
    /// whitespace around the separators.
    #[test]
    fn quoted_and_escaped_tokens_read_as_the_token(
        value in "[!#$%&'*+.^_`|~a-zA-Z0-9-]{1,8}",
        escape in prop::collection::vec(any::<bool>(), 8),
        blank in "[ \t]{0,2}",
    ) {
        let quoted: String = value
            .chars()
            .zip(escape.iter().cycle())
            .map(|(c, escape)| if *escape { format!("\\{c}") } else { c.to_string() })
            .collect();
        let header = format!("x{blank};{blank}p{blank}={blank}\"{quoted}\"{blank},{blank}y");
        prop_assert_eq!(
            parse_extensions(header.as_bytes()),
            Ok(vec![Extension::new("x").with_param_value("p", value), Extension::new("y")])
        );
    }

    /// The parser never panics on bytes made mostly of the grammar's separators, and
    /// whatever it accepts the writer writes again, unless a parameter repeats (which
    /// the parser keeps for the caller to judge and the writer refuses).
    #[test]
    fn arbitrary_bytes_parse_or_are_refused(
        bytes in prop::collection::vec(
            prop_oneof![
                3 => prop::sample::select(b"ab;=,\" \\\t".to_vec()),
                1 => any::<u8>(),
            ],
            0..48,
        )
    ) {
        if let Ok(list) = parse_extensions(&bytes) {
            let mut out = Vec::new();
            match write_extensions(&list, &mut out) {
                Ok(()) => prop_assert_eq!(parse_extensions(&out), Ok(list)),
                Err(FieldError::DuplicateParameter { .. }) => {}
                Err(e) => panic!("{e}: {list:?}"),
            }
        }
    }
}
