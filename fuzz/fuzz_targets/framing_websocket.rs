//! Feeds arbitrary messages (separated by 0xFF, which UTF-8 never contains)
//! to an RFC 7395 server, answers like a server would, and checks that a
//! client accepts everything the server sends.
#![no_main]

use chatwire_xmpp_framing::websocket::{Config, WsFraming};
use chatwire_xmpp_framing::{Event, Limits, StreamHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default()
        .with_max_element_size(4096)
        .with_max_depth(16)
        .with_max_attributes(16);
    let mut server = WsFraming::server(Config::new(true).with_limits(limits));
    let mut client = WsFraming::client(Config::new(true).with_limits(limits));
    client
        .open(&StreamHeader::new().with_to("example.com"))
        .expect("a fresh client opens");
    let mut out = Vec::new();
    while client.poll_transmit(&mut out) {
        out.clear();
    }
    for message in data.split(|&b| b == 0xff) {
        if server.is_closed() {
            break;
        }
        let result = server.handle_message(message);
        while let Some(event) = server.poll_event() {
            if let Event::StreamOpen(_) = event {
                let reply = StreamHeader::new().with_from("example.com").with_id("id");
                server.open(&reply).expect("open after the client's open");
            }
        }
        if let Err(error) = result {
            if let Some(condition) = error.condition() {
                server
                    .stream_error(condition, Some("fuzz"))
                    .expect("first error");
            }
        }
        while server.poll_transmit(&mut out) {
            client.handle_message(&out).unwrap_or_else(|e| {
                panic!("client refused {:?}: {e}", String::from_utf8_lossy(&out))
            });
            while client.poll_event().is_some() {}
            out.clear();
        }
    }
});
