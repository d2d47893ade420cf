//! The opening handshake, with the examples of RFC 6455 sections 1.2, 1.3 and 4.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chatwire_websocket::handshake::{
    ClientHandshake, ClientRequest, HandshakeError, HandshakeLimits, accept_key, parse_request,
};

/// The client request of RFC 6455 section 1.2.
const RFC_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

fn parse(
    request: &str,
) -> Result<Option<(chatwire_websocket::handshake::Request, usize)>, HandshakeError> {
    parse_request(request.as_bytes(), &HandshakeLimits::default())
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
    request.write_accept(Some("chat"), None, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    );
}

#[test]
fn a_request_split_anywhere_needs_more_then_parses() {
    for cut in 0..RFC_REQUEST.len() {
        assert_eq!(parse(&RFC_REQUEST[..cut]), Ok(None), "cut at {cut}");
    }
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
    let limits = HandshakeLimits {
        max_head_size: 256,
        max_headers: 8,
    };
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

fn client(protocols: &[&str], extensions: Option<&str>) -> (ClientHandshake, String) {
    let request = ClientRequest {
        host: "server.example.com".into(),
        path: "/chat".into(),
        protocols: protocols.iter().map(|p| p.to_string()).collect(),
        extensions: extensions.map(str::to_owned),
        headers: vec![("Origin".into(), "http://example.com".into())],
    };
    let mut out = Vec::new();
    // The nonce whose base64 is the RFC's sample key, "the sample nonce".
    let handshake = ClientHandshake::new(&request, *b"the sample nonce", &mut out);
    (handshake, String::from_utf8(out).unwrap())
}

#[test]
fn the_client_writes_the_rfc_request() {
    let (_, request) = client(&["chat", "superchat"], None);
    let (parsed, _) = parse(&request).unwrap().unwrap();
    assert_eq!(parsed.key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_eq!(parsed.protocols, ["chat", "superchat"]);
    assert_eq!(parsed.origin.as_deref(), Some("http://example.com"));
    assert!(request.starts_with("GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"));
}

const RFC_RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n";

#[test]
fn the_client_accepts_the_rfc_response_split_anywhere() {
    let (handshake, _) = client(&["chat", "superchat"], None);
    for cut in 0..RFC_RESPONSE.len() {
        assert_eq!(
            handshake.handle_response(&RFC_RESPONSE.as_bytes()[..cut]),
            Ok(None)
        );
    }
    let (response, used) = handshake
        .handle_response(RFC_RESPONSE.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(used, RFC_RESPONSE.len());
    assert_eq!(response.protocol.as_deref(), Some("chat"));
}

#[test]
fn the_client_refuses_bad_responses() {
    let (handshake, _) = client(
        &["chat"],
        Some("permessage-deflate; client_max_window_bits"),
    );
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
        RFC_RESPONSE.replace("Upgrade: websocket\r\n", ""),
        HandshakeError::BadHeader("Upgrade"),
    );
    check(
        RFC_RESPONSE.replace("Connection: Upgrade\r\n", ""),
        HandshakeError::BadHeader("Connection"),
    );
    check(
        RFC_RESPONSE.replace(
            "\r\n\r\n",
            "\r\nSec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n",
        ),
        HandshakeError::UnofferedExtension("x-webkit-deflate-frame".into()),
    );
    let accepted = RFC_RESPONSE.replace(
        "\r\n\r\n",
        "\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n\r\n",
    );
    let (response, _) = handshake
        .handle_response(accepted.as_bytes())
        .unwrap()
        .unwrap();
    assert_eq!(response.extensions[0].name, "permessage-deflate");
    assert_eq!(
        response.extensions[0].params,
        [("client_max_window_bits".to_string(), Some("10".to_string()))]
    );
}

#[test]
fn header_values_cannot_inject_lines() {
    let request = ClientRequest {
        host: "a.example\r\nEvil: yes".into(),
        path: "/".into(),
        ..ClientRequest::default()
    };
    let mut out = Vec::new();
    ClientHandshake::new(&request, [0; 16], &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(!text.contains("\r\nEvil"));
}
