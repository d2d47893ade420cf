//! The handshake on arbitrary bytes, read four ways: as a request (server side), as a
//! response (client side), as a `Sec-WebSocket-Extensions` value, and as the fields of
//! a client request to write. No panic; what is accepted is written back valid; what
//! is written reads back the same, and a refusal writes nothing.
#![no_main]

use chatwire_websocket::handshake::{
    Accept, ClientHandshake, ClientRequest, Extension, ExtensionOffer, FieldError, HandshakeLimits,
    parse_extensions, parse_request, write_extensions,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    server_reads(data);
    client_reads(data);
    extensions_round_trip(data);
    client_writes(data);
});

/// A request parses, or is answered with a 4xx. A complete one is incomplete when cut
/// short, and accepting what it offers writes a 101.
fn server_reads(data: &[u8]) {
    let limits = HandshakeLimits::default();
    match parse_request(data, &limits) {
        Ok(Some((request, used))) => {
            assert!(used <= data.len());
            let cut = used / 2;
            assert!(matches!(parse_request(&data[..cut], &limits), Ok(None)));
            let mut accept = Accept::new();
            accept.protocol = request.protocols.first().cloned();
            for offer in &request.extensions {
                if !accept.extensions.iter().any(|e| e.name == offer.name) {
                    accept.extensions.push(offer.clone());
                }
            }
            let mut out = Vec::new();
            match request.write_accept(&accept, &mut out) {
                Ok(()) => assert!(out.starts_with(b"HTTP/1.1 101 ")),
                // The parser keeps repeated parameters for the caller to judge.
                Err(FieldError::DuplicateParameter { .. }) => assert!(out.is_empty()),
                Err(e) => panic!("{e}: {request:?}"),
            }
        }
        Ok(None) => {}
        Err(e) => {
            let mut out = Vec::new();
            e.write_response(&mut out);
            assert!(out.starts_with(b"HTTP/1.1 4"));
        }
    }
}

/// A response is accepted only with what was offered.
fn client_reads(data: &[u8]) {
    let offer = ExtensionOffer::new(
        Extension::new("permessage-deflate").with_param("client_max_window_bits"),
    )
    .with_response_param("server_no_context_takeover");
    let request = ClientRequest::new("example.com", "/chat")
        .with_protocol("xmpp")
        .with_extension(offer);
    let mut out = Vec::new();
    let Ok(client) = ClientHandshake::new(&request, [7; 16], &mut out) else {
        panic!("a valid request was refused");
    };
    if let Ok(Some((response, used))) = client.handle_response(data) {
        assert!(used <= data.len());
        assert!(response.protocol.as_deref().is_none_or(|p| p == "xmpp"));
        assert!(response.extensions.len() <= 1);
        assert!(
            response
                .extensions
                .iter()
                .all(|e| e.name == "permessage-deflate")
        );
    }
}

/// Whatever parses as an extension list is written again and reads back the same.
fn extensions_round_trip(data: &[u8]) {
    let Ok(list) = parse_extensions(data) else {
        return;
    };
    let mut out = Vec::new();
    match write_extensions(&list, &mut out) {
        Ok(()) => assert_eq!(parse_extensions(&out), Ok(list)),
        Err(FieldError::DuplicateParameter { .. }) => assert!(out.is_empty()),
        Err(e) => panic!("{e}: {list:?}"),
    }
}

/// Fields separated by 0xFF: host, path, origin, protocol, extension name, parameter
/// name, parameter value, header name, header value. Written, they read back the same;
/// refused, nothing is written.
fn client_writes(data: &[u8]) {
    let mut fields = data
        .split(|b| *b == 0xff)
        .map(|f| String::from_utf8_lossy(f).into_owned());
    let mut next = || fields.next().unwrap_or_default();
    let (host, path, origin, protocol) = (next(), next(), next(), next());
    let extension = Extension::new(next()).with_param_value(next(), next());
    let mut request = ClientRequest::new(host, path)
        .with_protocol(protocol)
        .with_extension(extension.clone())
        .with_header(next(), next());
    if origin != "-" {
        request = request.with_origin(origin);
    }
    let mut out = Vec::new();
    if ClientHandshake::new(&request, [7; 16], &mut out).is_err() {
        assert!(out.is_empty());
        return;
    }
    let limits = HandshakeLimits::default().with_max_head_size(out.len());
    let Ok(Some((parsed, used))) = parse_request(&out, &limits) else {
        panic!("{}", String::from_utf8_lossy(&out));
    };
    assert_eq!(used, out.len());
    let target = if request.path.is_empty() {
        "/"
    } else {
        request.path.as_str()
    };
    assert_eq!(parsed.path, target);
    assert_eq!(parsed.host, request.host);
    assert_eq!(parsed.origin, request.origin);
    assert_eq!(parsed.protocols, request.protocols);
    assert_eq!(parsed.extensions, [extension]);
    assert!(parsed.headers.contains(&request.headers[0]));
}
