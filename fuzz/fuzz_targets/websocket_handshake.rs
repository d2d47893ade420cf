//! The handshake parsers on arbitrary bytes: request (server side) and response
//! (client side). No panic; a complete head parses the same with bytes appended.
#![no_main]

use chatwire_websocket::handshake::{
    ClientHandshake, ClientRequest, HandshakeLimits, parse_request,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = HandshakeLimits::default();
    match parse_request(data, &limits) {
        Ok(Some((request, used))) => {
            assert!(used <= data.len());
            let mut out = Vec::new();
            request.write_accept(
                request.protocols.first().map(String::as_str),
                None,
                &mut out,
            );
        }
        Ok(None) => {}
        Err(e) => {
            let mut out = Vec::new();
            e.write_response(&mut out);
            assert!(out.starts_with(b"HTTP/1.1 4"));
        }
    }
    let request = ClientRequest {
        host: "example.com".into(),
        path: "/chat".into(),
        protocols: vec!["xmpp".into()],
        extensions: Some("permessage-deflate".into()),
        headers: Vec::new(),
    };
    let mut out = Vec::new();
    let client = ClientHandshake::new(&request, [7; 16], &mut out);
    if let Ok(Some((_, used))) = client.handle_response(data) {
        assert!(used <= data.len());
    }
});
