//! Feeds arbitrary messages (separated by 0xFF, which UTF-8 never contains)
//! to an RFC 7395 server through `handle_message`, `handle_binary_message`
//! (a message that is just 0xFE), `restart` (0xFD) and
//! `handle_transport_closed` (0xFC); answers like a server would, and checks
//! that a client accepts everything the server sends, one message per
//! `poll_transmit`, and that the output queue drains to nothing.
#![no_main]

use chatwire_utf8::Utf8Bytes;
use chatwire_xmpp_framing::websocket::{Config, WsFraming};
use chatwire_xmpp_framing::{Event, Limits, StreamHeader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default()
        .with_max_element_size(4096)
        .with_max_depth(16)
        .with_max_attributes(16)
        .with_max_header_size(512);
    let config = Config::new(true).with_limits(limits);
    let mut server = WsFraming::server(config);
    // The client takes our `<open/>` at the default size: it may echo a `to`.
    let mut client = WsFraming::client(Config::new(true));
    client
        .open(&StreamHeader::new().with_to("example.com"))
        .expect("a fresh client opens");
    let mut out = String::new();
    while client.poll_transmit(&mut out) > 0 {
        out.clear();
    }
    for message in data.split(|&b| b == 0xff) {
        if server.is_closed() {
            break;
        }
        let result = match message {
            [0xfe] => server.handle_binary_message(),
            [0xfd] => {
                // Both sides restart together, as after SASL success.
                if server.restart().is_ok() {
                    client.restart().expect("the client saw both opens");
                    client
                        .open(&StreamHeader::new())
                        .expect("open after restart");
                    while client.poll_transmit(&mut out) > 0 {
                        out.clear();
                    }
                }
                Ok(())
            }
            [0xfc] => {
                server.handle_transport_closed();
                Ok(())
            }
            text => match Utf8Bytes::try_from(text) {
                Ok(text) => server.handle_message(text),
                // The WebSocket layer never hands over anything else.
                Err(_) => continue,
            },
        };
        while let Some(event) = server.poll_event() {
            match event {
                Event::StreamOpen(_) => {
                    let reply = StreamHeader::new().with_from("example.com").with_id("id");
                    server.open(&reply).expect("open after the client's open");
                }
                Event::Element(element) => {
                    assert!(element.as_bytes().len() <= 4096);
                    assert!(std::str::from_utf8(element.as_bytes()).is_ok());
                }
                _ => {}
            }
        }
        if let Err(error) = result {
            if let Some(condition) = error.condition() {
                server
                    .stream_error(condition, Some("fuzz"))
                    .expect("first error");
            }
        }
        loop {
            let len = server.poll_transmit(&mut out);
            if len == 0 {
                break;
            }
            assert_eq!(len, out.len(), "one whole message per call");
            client
                .handle_message(Utf8Bytes::from(std::mem::take(&mut out)))
                .unwrap_or_else(|e| panic!("client refused our message: {e}"));
            while client.poll_event().is_some() {}
        }
        assert_eq!(server.queued_bytes(), 0);
    }
});
