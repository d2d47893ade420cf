//! One test per finding of the handshake review. Each failed before the fix; the
//! comment above it says how.

use chatwire_websocket::handshake::{
    Accept, ClientHandshake, ClientRequest, Extension, ExtensionSyntaxError, FieldError,
    HandshakeError, write_reject,
};

use super::{
    RFC_NONCE, RFC_RESPONSE, client, deflate_offer, parse, rfc_request_with, rfc_response_with,
};

/// Writes `request`, expecting a refusal and nothing written.
fn refused(request: &ClientRequest) -> FieldError {
    let mut out = b"earlier bytes".to_vec();
    let error = ClientHandshake::new(request, RFC_NONCE, &mut out).unwrap_err();
    assert_eq!(out, b"earlier bytes", "{error}");
    error
}

fn on_host(path: &str) -> ClientRequest {
    ClientRequest::new("a.example", path)
}

// Before: the path went out verbatim, so `Evil: yes` became a header line of its own.
#[test]
fn path_crlf_cannot_inject_header_lines() {
    let path = "/chat HTTP/1.1\r\nEvil: yes\r\nX-Pad: /";
    assert_eq!(refused(&on_host(path)), FieldError::Path(path.into()));
}

// Before: `/a b` was written as is; even our own parser refused the result ("invalid
// HTTP version"). The others were written as given.
#[test]
fn path_that_is_not_an_origin_form_target_is_refused() {
    for path in [
        "/a b",
        "/a#fragment",
        "chat",
        "/%zz",
        "/%4",
        "/caf\u{e9}",
        "/\t",
        "*",
    ] {
        assert_eq!(
            refused(&on_host(path)),
            FieldError::Path(path.into()),
            "{path:?}"
        );
    }
}

// Before: CR and LF were dropped, so `a.exampleEvil: yes` went out as the host.
#[test]
fn host_that_is_not_a_uri_host_is_refused() {
    for host in [
        "a.example\r\nEvil: yes",
        "a b",
        "a/b",
        "",
        ":80",
        "a:",
        "a:8o",
        "[::1",
        "[]",
        "[::1]x",
        "a@b",
    ] {
        let request = ClientRequest::new(host, "/");
        assert_eq!(refused(&request), FieldError::Host(host.into()), "{host:?}");
    }
}

// Before: `a, b` was joined into the list and read back as two subprotocols.
#[test]
fn protocol_that_is_not_a_token_is_refused() {
    for protocol in ["a, b", "a b", "", "chat\r\nEvil: yes", "x/y", "\u{e9}"] {
        let request = on_host("/").with_protocol("chat").with_protocol(protocol);
        assert_eq!(
            refused(&request),
            FieldError::Protocol(protocol.into()),
            "{protocol:?}"
        );
    }
}

// Before: `Sec-WebSocket-Protocol: chat, chat` was written.
#[test]
fn duplicate_protocols_are_refused() {
    let request = on_host("/").with_protocol("chat").with_protocol("chat");
    assert_eq!(
        refused(&request),
        FieldError::DuplicateProtocol("chat".into())
    );
}

// Before: the offer was a hand-built string whose CR and LF were dropped, so
// `permessage-deflateEvil: yes` went out.
#[test]
fn extension_offer_that_is_not_made_of_tokens_is_refused() {
    let request = on_host("/").with_extension(Extension::new("permessage-deflate\r\nEvil: yes"));
    assert_eq!(
        refused(&request),
        FieldError::ExtensionName("permessage-deflate\r\nEvil: yes".into())
    );
    for extension in [
        Extension::new("x").with_param_value("p", "a,b"),
        Extension::new("x").with_param_value("p", "\"10\""),
        Extension::new("x").with_param_value("p", ""),
        Extension::new("x").with_param("p=1"),
        Extension::new("x").with_param("p; q"),
    ] {
        let parameter = extension.params[0].0.clone();
        let request = on_host("/").with_extension(extension);
        assert_eq!(
            refused(&request),
            FieldError::ExtensionParameter {
                extension: "x".into(),
                parameter
            }
        );
    }
    let twice = Extension::new("x")
        .with_param("p")
        .with_param_value("p", "1");
    assert_eq!(
        refused(&on_host("/").with_extension(twice)),
        FieldError::DuplicateParameter {
            extension: "x".into(),
            parameter: "p".into()
        }
    );
}

// Before: a name holding `: ` and CRLF was written (CR and LF dropped) as `Evil: yesX: 1`.
#[test]
fn header_that_cannot_be_written_is_refused() {
    let name = "Evil: yes\r\nX";
    assert_eq!(
        refused(&on_host("/").with_header(name, "1")),
        FieldError::HeaderName(name.into())
    );
    assert_eq!(
        refused(&on_host("/").with_header("X-A", "1\r\nEvil: yes")),
        FieldError::HeaderValue("X-A".into())
    );
    assert_eq!(
        refused(&on_host("/").with_header("X-A", " padded")),
        FieldError::HeaderValue("X-A".into())
    );
    for reserved in [
        "sec-websocket-key",
        "Host",
        "Origin",
        "Content-Length",
        "Sec-WebSocket-Extensions",
    ] {
        assert_eq!(
            refused(&on_host("/").with_header(reserved, "1")),
            FieldError::ReservedHeader(reserved.into())
        );
    }
}

// New field: before, `Origin` went through the free-form headers (see the test above).
#[test]
fn origin_that_is_not_a_serialized_origin_is_refused() {
    for origin in [
        "http://a.example/path",
        "a.example",
        "http://",
        "1http://a",
        "http://a.example\r\nEvil: yes",
    ] {
        assert_eq!(
            refused(&on_host("/").with_origin(origin)),
            FieldError::Origin(origin.into()),
            "{origin:?}"
        );
    }
    for origin in [
        "null",
        "https://a.example",
        "http://[::1]:8080",
        "chrome-extension://abc",
    ] {
        let mut out = Vec::new();
        ClientHandshake::new(&on_host("/").with_origin(origin), RFC_NONCE, &mut out).unwrap();
    }
}

fn deflate_client() -> ClientHandshake {
    client(&["chat"], &[deflate_offer()]).0
}

fn client_reads(extensions: &str) -> Result<(), HandshakeError> {
    let response = rfc_response_with(extensions);
    deflate_client()
        .handle_response(response.as_bytes())
        .map(|_| ())
}

// Before: accepted, with the extension listed twice in the response.
#[test]
fn an_extension_accepted_twice_is_refused() {
    let twice = HandshakeError::DuplicateExtension("permessage-deflate".into());
    assert_eq!(
        client_reads("Sec-WebSocket-Extensions: permessage-deflate, permessage-deflate\r\n"),
        Err(twice.clone())
    );
    assert_eq!(
        client_reads(
            "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"
        ),
        Err(twice)
    );
}

// Before: accepted; the client had kept only the offered names.
#[test]
fn a_parameter_outside_the_offer_is_refused() {
    assert_eq!(
        client_reads("Sec-WebSocket-Extensions: permessage-deflate; x_unknown=1\r\n"),
        Err(HandshakeError::UnofferedParameter {
            extension: "permessage-deflate".into(),
            parameter: "x_unknown".into()
        })
    );
}

// Before: accepted with both values.
#[test]
fn a_parameter_accepted_twice_is_refused() {
    assert_eq!(
        client_reads(
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10; client_max_window_bits=11\r\n"
        ),
        Err(HandshakeError::DuplicateParameter {
            extension: "permessage-deflate".into(),
            parameter: "client_max_window_bits".into()
        })
    );
}

// Before: the value came out as `1\0` (quotes trimmed, the quoted-pair left in).
#[test]
fn quoted_pairs_are_unescaped() {
    let response = rfc_response_with(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"1\\0\"\r\n",
    );
    let (accepted, _) = deflate_client()
        .handle_response(response.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(
        accepted.extensions[0].param("client_max_window_bits"),
        Some(Some("10"))
    );
}

// Before: accepted, the value `10` read with its opening quote trimmed.
#[test]
fn an_unbalanced_quote_is_refused_by_the_client() {
    assert_eq!(
        client_reads(
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"10\r\n"
        ),
        Err(HandshakeError::BadExtensions(
            ExtensionSyntaxError::UnterminatedQuote(43)
        ))
    );
}

// Before: the first `Sec-WebSocket-Accept` was checked and the second ignored
// (RFC 6455 section 11.3.3: it must not appear more than once).
#[test]
fn two_accept_fields_are_refused() {
    assert_eq!(
        client_reads("Sec-WebSocket-Accept: AAAA\r\n"),
        Err(HandshakeError::BadHeader("Sec-WebSocket-Accept"))
    );
}

fn server_reads(extra: &str) -> Result<(), HandshakeError> {
    parse(&rfc_request_with(extra)).map(|_| ())
}

// Before: split at the quoted comma into `foo; bar="a`, `b"` and `baz`.
#[test]
fn a_comma_inside_quotes_does_not_split() {
    assert_eq!(
        server_reads("Sec-WebSocket-Extensions: foo; bar=\"a,b\", baz\r\n"),
        Err(HandshakeError::BadExtensions(
            ExtensionSyntaxError::QuotedNotToken(9)
        ))
    );
}

// Before: split at the quoted semicolon into the parameters `bar="a` and `b"`.
#[test]
fn a_semicolon_inside_quotes_does_not_split() {
    assert_eq!(
        server_reads("Sec-WebSocket-Extensions: foo; bar=\"a;b\"\r\n"),
        Err(HandshakeError::BadExtensions(
            ExtensionSyntaxError::QuotedNotToken(9)
        ))
    );
}

// Before: accepted, the opening quote trimmed away.
#[test]
fn an_unbalanced_quote_is_refused_by_the_server() {
    let error = parse(&rfc_request_with(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"10\r\n",
    ))
    .unwrap_err();
    assert_eq!(
        error,
        HandshakeError::BadExtensions(ExtensionSyntaxError::UnterminatedQuote(43))
    );
    assert_eq!(error.status(), 400);
}

// Before: accepted as an extension named `perm@ssage`.
#[test]
fn an_extension_name_that_is_not_a_token_is_refused() {
    assert_eq!(
        server_reads("Sec-WebSocket-Extensions: perm@ssage\r\n"),
        Err(HandshakeError::BadExtensions(
            ExtensionSyntaxError::Unexpected(4)
        ))
    );
}

// Before: accepted, with `super chat` as an offered subprotocol.
#[test]
fn a_requested_protocol_that_is_not_a_token_is_refused() {
    let request = rfc_request_with("").replace("chat, superchat", "chat, super chat");
    assert_eq!(
        parse(&request).map(|_| ()),
        Err(HandshakeError::BadHeader("Sec-WebSocket-Protocol"))
    );
}

// Before: the first Host was used and the second ignored (RFC 7230 section 5.4
// requires a 400).
#[test]
fn two_host_fields_get_400() {
    assert_eq!(
        server_reads("Host: evil.example\r\n"),
        Err(HandshakeError::BadHeader("Host"))
    );
}

// Before: accepted, with `server example/com` as the host.
#[test]
fn an_invalid_host_gets_400() {
    let request =
        rfc_request_with("").replace("Host: server.example.com", "Host: server example/com");
    assert_eq!(
        parse(&request).map(|_| ()),
        Err(HandshakeError::BadHeader("Host"))
    );
}

// Before: the first key was used and the second ignored (section 11.3.1).
#[test]
fn two_keys_get_400() {
    assert_eq!(
        server_reads("Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"),
        Err(HandshakeError::BadHeader("Sec-WebSocket-Key"))
    );
}

// Before: the first version was used and the second ignored (section 11.3.5).
#[test]
fn two_versions_get_400() {
    assert_eq!(
        server_reads("Sec-WebSocket-Version: 8\r\n"),
        Err(HandshakeError::BadHeader("Sec-WebSocket-Version"))
    );
}

/// The RFC request, parsed, offering `chat`, `superchat` and `permessage-deflate`.
fn offered_request() -> chatwire_websocket::handshake::Request {
    parse(&rfc_request_with(
        "Sec-WebSocket-Extensions: permessage-deflate\r\n",
    ))
    .unwrap()
    .unwrap()
    .0
}

fn server_refuses(accept: &Accept) -> FieldError {
    let mut out = b"earlier bytes".to_vec();
    let error = offered_request()
        .write_accept(accept, &mut out)
        .unwrap_err();
    assert_eq!(out, b"earlier bytes", "{error}");
    error
}

// Before: `Sec-WebSocket-Protocol: unoffered` was written.
#[test]
fn the_server_refuses_to_select_an_unoffered_protocol() {
    assert_eq!(
        server_refuses(&Accept::new().with_protocol("unoffered")),
        FieldError::UnofferedProtocol("unoffered".into())
    );
}

// Before: CR and LF were dropped and `chatEvil: yes` was written.
#[test]
fn the_server_refuses_a_protocol_that_is_not_a_token() {
    assert_eq!(
        server_refuses(&Accept::new().with_protocol("chat\r\nEvil: yes")),
        FieldError::Protocol("chat\r\nEvil: yes".into())
    );
}

// Before: the acceptance was a hand-built string, written whatever it held; an
// unoffered extension went out.
#[test]
fn the_server_refuses_an_unoffered_duplicate_or_malformed_extension() {
    assert_eq!(
        server_refuses(&Accept::new().with_extension(Extension::new("x-unoffered"))),
        FieldError::UnofferedExtension("x-unoffered".into())
    );
    let deflate = Extension::new("permessage-deflate");
    assert_eq!(
        server_refuses(
            &Accept::new()
                .with_extension(deflate.clone())
                .with_extension(deflate)
        ),
        FieldError::DuplicateExtension("permessage-deflate".into())
    );
    let bad_value =
        Extension::new("permessage-deflate").with_param_value("client_max_window_bits", "1 0");
    assert_eq!(
        server_refuses(&Accept::new().with_extension(bad_value)),
        FieldError::ExtensionParameter {
            extension: "permessage-deflate".into(),
            parameter: "client_max_window_bits".into()
        }
    );
    assert_eq!(
        server_refuses(&Accept::new().with_header("Sec-WebSocket-Accept", "x")),
        FieldError::ReservedHeader("Sec-WebSocket-Accept".into())
    );
}

// Before: `Forbidden\r\nEvil: yes` and the header `X: y: z` were written.
#[test]
fn write_reject_refuses_what_it_cannot_write() {
    let mut out = Vec::new();
    assert_eq!(
        write_reject(403, "Forbidden\r\nEvil: yes", &[], &mut out),
        Err(FieldError::Reason("Forbidden\r\nEvil: yes".into()))
    );
    assert_eq!(
        write_reject(403, "Forbidden", &[("X: y", "z")], &mut out),
        Err(FieldError::HeaderName("X: y".into()))
    );
    assert_eq!(
        write_reject(101, "Switching Protocols", &[], &mut out),
        Err(FieldError::Status(101))
    );
    assert!(out.is_empty());
    write_reject(403, "Forbidden", &[("Retry-After", "120")], &mut out).unwrap();
    assert_eq!(
        out,
        b"HTTP/1.1 403 Forbidden\r\nRetry-After: 120\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
}

// Unchanged behaviour, kept as a guard: two protocol fields in a response are refused.
#[test]
fn two_protocol_fields_in_a_response_are_refused() {
    let (handshake, _) = client(&["chat", "superchat"], &[]);
    let response = RFC_RESPONSE.replace(
        "Sec-WebSocket-Protocol: chat\r\n",
        "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: superchat\r\n",
    );
    assert_eq!(
        handshake.handle_response(response.as_bytes()),
        Err(HandshakeError::BadHeader("Sec-WebSocket-Protocol"))
    );
}
