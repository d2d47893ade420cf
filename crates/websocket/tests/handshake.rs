//! The opening handshake, with the examples of RFC 6455 sections 1.2, 1.3 and 4.
//!
//! Submodules: `regressions` (one test per finding of the handshake review, each of
//! which failed on the code before the fix), `extensions` (the `Sec-WebSocket-Extensions`
//! grammar, against vectors from Python `websockets`), `properties` (write-or-refuse
//! round trips, checked by tungstenite's parser too).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[path = "handshake/extensions.rs"]
mod extensions;
#[path = "handshake/properties.rs"]
mod properties;
#[path = "handshake/regressions.rs"]
mod regressions;
#[path = "handshake/strategies.rs"]
mod strategies;

use chatwire_websocket::handshake::{
    Accept, ClientHandshake, ClientRequest, Extension, ExtensionOffer, HandshakeError,
    HandshakeLimits, Request, accept_key, parse_request,
};

/// The client request of RFC 6455 section 1.2.
const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// The server response of RFC 6455 section 1.2.
const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";

/// The nonce whose base64 is the RFC's sample key, "the sample nonce".
const RFC_NONCE: [u8; 16] = *b"the sample nonce";

fn parse(request: &str) -> Result<Option<(Request, usize)>, HandshakeError> {
    parse_request(request.as_bytes(), &HandshakeLimits::default())
}

/// The RFC request with `extra` header lines added before the blank line.
fn rfc_request_with(extra: &str) -> String {
    RFC_REQUEST.replace("\r\n\r\n", &format!("\r\n{extra}\r\n"))
}

/// The RFC response with `extra` header lines added before the blank line.
fn rfc_response_with(extra: &str) -> String {
    RFC_RESPONSE.replace("\r\n\r\n", &format!("\r\n{extra}\r\n"))
}

/// A client that offered `protocols` and `offers`, with the RFC nonce.
fn client(protocols: &[&str], offers: &[ExtensionOffer]) -> (ClientHandshake, String) {
    let mut request =
        ClientRequest::new("server.example.com", "/chat").with_origin("http://example.com");
    for protocol in protocols {
        request = request.with_protocol(*protocol);
    }
    for offer in offers {
        request = request.with_extension(offer.clone());
    }
    let mut out = Vec::new();
    let handshake = ClientHandshake::new(&request, RFC_NONCE, &mut out).unwrap();
    (handshake, String::from_utf8(out).unwrap())
}

/// An extension with `params`, built through the public fields.
fn extension_with(name: impl Into<String>, params: Vec<(String, Option<String>)>) -> Extension {
    let mut extension = Extension::new(name);
    extension.params = params;
    extension
}

/// `permessage-deflate; client_max_window_bits`, as browsers offer it.
fn deflate_offer() -> ExtensionOffer {
    Extension::new("permessage-deflate")
        .with_param("client_max_window_bits")
        .into()
}

#[test]
fn rfc6455_section_1_3_accept_key() {
    assert_eq!(
        accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}

#[test]
fn rfc6455_section_1_2_request_and_response() {
    let (request, used) = parse(RFC_REQUEST).unwrap().unwrap();
    assert_eq!(used, RFC_REQUEST.len());
    assert_eq!(request.path, "/chat");
    assert_eq!(request.host, "server.example.com");
    assert_eq!(request.origin.as_deref(), Some("http://example.com"));
    assert_eq!(request.protocols, ["chat", "superchat"]);
    assert!(request.offers_protocol("chat") && !request.offers_protocol("Chat"));
    let mut out = Vec::new();
    request
        .write_accept(&Accept::new().with_protocol("chat"), &mut out)
        .unwrap();
    assert_eq!(String::from_utf8(out).unwrap(), RFC_RESPONSE);
}

#[test]
fn a_request_split_anywhere_needs_more_then_parses() {
    let request = rfc_request_with(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"1\\0\", x-y; z=\"a\"\r\n",
    );
    for cut in 0..request.len() {
        assert_eq!(parse(&request[..cut]), Ok(None), "cut at {cut}");
    }
    let (parsed, used) = parse(&request).unwrap().unwrap();
    assert_eq!(used, request.len());
    assert_eq!(
        parsed.extensions,
        [
            Extension::new("permessage-deflate").with_param_value("client_max_window_bits", "10"),
            Extension::new("x-y").with_param_value("z", "a"),
        ]
    );
    // Frame bytes after the head are not consumed.
    let mut with_frame = RFC_REQUEST.as_bytes().to_vec();
    with_frame.extend_from_slice(&[0x81, 0x80, 1, 2, 3, 4]);
    let (_, used) = parse_request(&with_frame, &HandshakeLimits::default())
        .unwrap()
        .unwrap();
    assert_eq!(used, RFC_REQUEST.len());
}

#[test]
fn header_names_and_tokens_are_case_insensitive() {
    let request = RFC_REQUEST
        .replace("Upgrade: websocket", "UPGRADE: WebSocket")
        .replace("Connection: Upgrade", "connection: keep-alive, upgrade");
    assert!(parse(&request).unwrap().is_some());
}

fn status_for(request: &str) -> (u16, String) {
    let error = parse(request).unwrap_err();
    let mut out = Vec::new();
    error.write_response(&mut out);
    (error.status(), String::from_utf8(out).unwrap())
}

#[test]
fn missing_or_wrong_headers_get_400() {
    for (from, to) in [
        ("Host: server.example.com\r\n", ""),
        ("Upgrade: websocket\r\n", ""),
        ("Upgrade: websocket\r\n", "Upgrade: h2c\r\n"),
        ("Connection: Upgrade\r\n", "Connection: keep-alive\r\n"),
        ("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""),
        ("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="),
        ("Sec-WebSocket-Version: 13\r\n", ""),
        ("GET", "POST"),
        ("HTTP/1.1", "HTTP/1.0"),
    ] {
        let (status, response) = status_for(&RFC_REQUEST.replace(from, to));
        assert_eq!(status, 400, "{from} -> {to}");
        assert!(
            response.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{response}"
        );
    }
    assert_eq!(status_for("GARBAGE\0\r\n\r\n").0, 400);
}

#[test]
fn other_versions_get_426_with_the_supported_version() {
    let (status, response) = status_for(&RFC_REQUEST.replace("Version: 13", "Version: 8"));
    assert_eq!(status, 426);
    assert!(response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    assert!(response.contains("\r\nSec-WebSocket-Version: 13\r\n"));
}

#[test]
fn oversized_heads_are_refused_before_they_complete() {
    let limits = HandshakeLimits::default()
        .with_max_head_size(256)
        .with_max_headers(8);
    let padded = RFC_REQUEST.replace("Origin:", &format!("X-Pad: {}\r\nOrigin:", "a".repeat(300)));
    // Still incomplete, but already over the limit.
    let error = parse_request(&padded.as_bytes()[..280], &limits).unwrap_err();
    assert_eq!(error, HandshakeError::TooLarge);
    assert_eq!(error.status(), 431);
    let many = RFC_REQUEST.replace("Origin:", &format!("{}Origin:", "X-A: b\r\n".repeat(10)));
    assert_eq!(
        parse_request(many.as_bytes(), &limits),
        Err(HandshakeError::TooLarge)
    );
}

#[test]
fn the_client_writes_the_rfc_request() {
    let (_, request) = client(&["chat", "superchat"], &[]);
    let (parsed, _) = parse(&request).unwrap().unwrap();
    assert_eq!(parsed.key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(parsed.protocols, ["chat", "superchat"]);
    assert_eq!(parsed.origin.as_deref(), Some("http://example.com"));
    assert!(request.starts_with("GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"));
}

#[test]
fn the_client_accepts_the_rfc_response_split_anywhere() {
    let (handshake, _) = client(&["chat", "superchat"], &[deflate_offer()]);
    let response = rfc_response_with(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=\"10\"\r\n",
    );
    for cut in 0..response.len() {
        assert_eq!(
            handshake.handle_response(&response.as_bytes()[..cut]),
            Ok(None)
        );
    }
    let (accepted, used) = handshake
        .handle_response(response.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(used, response.len());
    assert_eq!(accepted.protocol.as_deref(), Some("chat"));
    assert_eq!(
        accepted.extensions,
        [Extension::new("permessage-deflate").with_param_value("client_max_window_bits", "10")]
    );
}

#[test]
fn the_client_refuses_bad_responses() {
    let (handshake, _) = client(&["chat"], &[deflate_offer()]);
    let check = |response: String, expected: HandshakeError| {
        assert_eq!(
            handshake.handle_response(response.as_bytes()),
            Err(expected)
        );
    };
    check(
        RFC_RESPONSE.replace("101 Switching Protocols", "403 Forbidden"),
        HandshakeError::Status(403),
    );
    check(
        RFC_RESPONSE.replace("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "dGhlIHNhbXBsZSBub25jZQ=="),
        HandshakeError::BadAccept,
    );
    check(
        RFC_RESPONSE.replace("Protocol: chat", "Protocol: superchat"),
        HandshakeError::UnofferedProtocol("superchat".into()),
    );
    check(
        RFC_RESPONSE.replace("Protocol: chat", "Protocol: chat, superchat"),
        HandshakeError::BadHeader("Sec-WebSocket-Protocol"),
    );
    check(
        RFC_RESPONSE.replace("Upgrade: websocket\r\n", ""),
        HandshakeError::BadHeader("Upgrade"),
    );
    check(
        RFC_RESPONSE.replace("Connection: Upgrade\r\n", ""),
        HandshakeError::BadHeader("Connection"),
    );
    check(
        rfc_response_with("Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n"),
        HandshakeError::UnofferedExtension("x-webkit-deflate-frame".into()),
    );
    let accepted = rfc_response_with(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n",
    );
    let (response, _) = handshake
        .handle_response(accepted.as_bytes())
        .unwrap()
        .unwrap();
    let deflate = response.extension("permessage-deflate").unwrap();
    assert_eq!(deflate.param("client_max_window_bits"), Some(Some("10")));
    assert_eq!(deflate.param("server_max_window_bits"), None);
}

/// RFC 7692 section 5's example of alternatives (`permessage-deflate; client_max_window_bits=10,
/// permessage-deflate`) and section 7.1.1.1's unsolicited `server_no_context_takeover`.
#[test]
fn rfc7692_offers_with_alternatives_and_response_only_parameters() {
    let offers = [
        ExtensionOffer::new(
            Extension::new("permessage-deflate").with_param_value("client_max_window_bits", "10"),
        )
        .with_response_param("server_no_context_takeover"),
        ExtensionOffer::new(Extension::new("permessage-deflate"))
            .with_response_param("server_no_context_takeover"),
    ];
    let (handshake, request) = client(&["chat"], &offers);
    assert!(request.contains(
        "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10, permessage-deflate\r\n"
    ));
    assert_eq!(handshake.offers(), offers);
    for accepted in [
        "permessage-deflate",
        "permessage-deflate; client_max_window_bits=10",
        "permessage-deflate; server_no_context_takeover",
        "permessage-deflate;server_no_context_takeover;client_max_window_bits=\"10\"",
    ] {
        let response = rfc_response_with(&format!("Sec-WebSocket-Extensions: {accepted}\r\n"));
        assert!(
            handshake.handle_response(response.as_bytes()).is_ok(),
            "{accepted}"
        );
    }
    let response = rfc_response_with(
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n",
    );
    assert_eq!(
        handshake.handle_response(response.as_bytes()),
        Err(HandshakeError::UnofferedParameter {
            extension: "permessage-deflate".into(),
            parameter: "server_max_window_bits".into(),
        })
    );
}

/// Section 9.1: the server lists the extensions in use; split over several fields they
/// read as one list (RFC 6455 erratum 3433).
#[test]
fn extensions_split_over_several_fields_read_as_one_list() {
    let offers = [deflate_offer(), Extension::new("x-foo").into()];
    let (handshake, _) = client(&[], &offers);
    let response = RFC_RESPONSE.replace(
        "Sec-WebSocket-Protocol: chat\r\n",
        "Sec-WebSocket-Extensions: x-foo\r\nSec-WebSocket-Extensions: permessage-deflate\r\n",
    );
    let (accepted, _) = handshake
        .handle_response(response.as_bytes())
        .unwrap()
        .unwrap();
    let names: Vec<&str> = accepted
        .extensions
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["x-foo", "permessage-deflate"]);
}

#[test]
fn the_server_echoes_only_what_was_offered() {
    let request = rfc_request_with(
        "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n",
    );
    let (request, _) = parse(&request).unwrap().unwrap();
    let offered: Vec<&Extension> = request.extension_offers("permessage-deflate").collect();
    assert_eq!(offered.len(), 1);
    assert_eq!(offered[0].param("client_max_window_bits"), Some(None));
    let accept = Accept::new()
        .with_protocol("superchat")
        .with_extension(
            Extension::new("permessage-deflate")
                .with_param("server_no_context_takeover")
                .with_param_value("client_max_window_bits", "12"),
        )
        .with_header("Set-Cookie", "session=1; HttpOnly");
    let mut out = Vec::new();
    request.write_accept(&accept, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with(
        "Sec-WebSocket-Protocol: superchat\r\nSec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_max_window_bits=12\r\nSet-Cookie: session=1; HttpOnly\r\n\r\n"
    ), "{text}");
}
