//! WebSocket frame decode and encode: chatwire beside tungstenite and a plain
//! memcpy of the same bytes, for payloads from 20 B to 1 MiB; and a
//! permessage-deflate round trip (compress, frame, inflate) beside flate2 alone.

use std::hint::black_box;
use std::io::{self, Read, Write};
use std::time::Instant;

use bytes::Bytes;
use chatwire_websocket::deflate::DeflateParams;
use chatwire_websocket::{
    Config, Connection, Decoded, DeflateConfig, Event, FrameDecoder, HeaderRules, Limits, OpCode,
    encode_frame,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};

const SIZES: [(&str, usize); 4] = [
    ("20B", 20),
    ("1KiB", 1024),
    ("16KiB", 16 * 1024),
    ("1MiB", 1024 * 1024),
];
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

/// A client frame: binary, final, masked.
fn client_frame(len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    encode_frame(OpCode::Binary, true, Some(KEY), &payload(len), &mut out);
    out
}

/// An in-memory stream that serves the same frame bytes over and over, and discards writes.
struct Replay {
    frame: Vec<u8>,
    pos: usize,
}

impl Read for Replay {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let rest = &self.frame[self.pos..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.pos = (self.pos + n) % self.frame.len();
        Ok(n)
    }
}

impl Write for Replay {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("websocket_decode");
    for (label, len) in SIZES {
        group.throughput(Throughput::Bytes(len as u64));
        let frame = client_frame(len);

        let mut buf = frame.clone();
        let rules = HeaderRules {
            require_mask: Some(true),
            ..HeaderRules::default()
        };
        let mut decoder = FrameDecoder::new(rules);
        group.bench_function(BenchmarkId::new("chatwire", label), |b| {
            b.iter(|| {
                let mut at = 0;
                let mut payload = 0..0;
                while let Ok(Some((step, used))) = decoder.decode(&mut buf[at..]) {
                    match step {
                        Decoded::Frame { header_len, .. } => {
                            payload = at + header_len..at + used;
                            break;
                        }
                        Decoded::Header(_) => payload = at + used..at + used,
                        Decoded::Payload { len, end_of_frame } => {
                            payload.end += len;
                            if end_of_frame {
                                break;
                            }
                        }
                    }
                    at += used;
                }
                black_box(&buf[payload]);
            })
        });

        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(None)
            .max_frame_size(None);
        let stream = Replay {
            frame: frame.clone(),
            pos: 0,
        };
        let mut ws = tungstenite::WebSocket::from_raw_socket(
            stream,
            tungstenite::protocol::Role::Server,
            Some(config),
        );
        group.bench_function(BenchmarkId::new("tungstenite", label), |b| {
            b.iter(|| black_box(ws.read().map(|m| m.len())))
        });

        let source = payload(len);
        let mut dest = vec![0u8; len];
        group.bench_function(BenchmarkId::new("memcpy", label), |b| {
            b.iter(|| {
                dest.copy_from_slice(black_box(&source));
                black_box(&dest);
            })
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("websocket_encode");
    for (label, len) in SIZES {
        group.throughput(Throughput::Bytes(len as u64));
        let data = payload(len);
        let mut out = Vec::with_capacity(len + 14);

        group.bench_function(BenchmarkId::new("chatwire", label), |b| {
            b.iter(|| {
                out.clear();
                encode_frame(OpCode::Binary, true, Some(KEY), black_box(&data), &mut out);
                black_box(&out);
            })
        });

        let shared = Bytes::from(data.clone());
        group.bench_function(BenchmarkId::new("tungstenite", label), |b| {
            b.iter(|| {
                out.clear();
                let mut frame = tungstenite::protocol::frame::Frame::message(
                    shared.clone(),
                    tungstenite::protocol::frame::coding::OpCode::Data(
                        tungstenite::protocol::frame::coding::Data::Binary,
                    ),
                    true,
                );
                frame.header_mut().mask = Some(KEY);
                frame.format(&mut out).ok();
                black_box(&out);
            })
        });

        group.bench_function(BenchmarkId::new("memcpy", label), |b| {
            b.iter(|| {
                out.clear();
                out.extend_from_slice(black_box(&data));
                black_box(&out);
            })
        });
    }
    group.finish();
}

/// Chat-like text: XMPP message stanzas with varied bodies, ASCII so that any
/// slice is a valid text message.
fn chat_corpus(len: usize) -> String {
    const WORDS: [&str; 16] = [
        "hello",
        "are",
        "you",
        "coming",
        "tonight",
        "the",
        "balcony",
        "moon",
        "Romeo",
        "Juliet",
        "wherefore",
        "art",
        "thou",
        "soft",
        "light",
        "window",
    ];
    let mut seed = 0x2545_f491_u32;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed
    };
    let mut text = String::with_capacity(len + 512);
    let mut id = 0;
    while text.len() < len {
        id += 1;
        let words: Vec<&str> = (0..3 + next() % 12)
            .map(|_| WORDS[(next() % 16) as usize])
            .collect();
        text.push_str(&format!(
            "<message from='user{}@chat.example/phone' to='user{}@chat.example' id='{:08x}' type='chat'><body>{}</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>",
            next() % 500,
            next() % 500,
            next(),
            words.join(" ")
        ));
        let _ = id;
    }
    text.truncate(len);
    text
}

/// One message each way through two deflate connections (server compresses and
/// frames, client reads and inflates) beside flate2's raw deflate and inflate of
/// the same bytes. Both keep their context across messages (the default), and
/// both walk the same corpus, so each message is new text.
fn deflate_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("websocket_deflate");
    let corpus = chat_corpus(4 << 20);
    for (label, len) in [("1KiB", 1024), ("16KiB", 16 * 1024), ("1MiB", 1024 * 1024)] {
        group.throughput(Throughput::Bytes(len as u64));
        let slices: Vec<&str> = corpus
            .as_bytes()
            .chunks(len)
            .filter(|c| c.len() == len)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();

        group.bench_function(BenchmarkId::new("chatwire", label), |b| {
            let now = Instant::now();
            let config = Config::default()
                .with_limits(Limits::default().with_max_frame_size(64 << 20))
                .with_deflate(DeflateConfig::default().with_threshold(0));
            let mut server =
                Connection::server(now, config.clone()).with_deflate(DeflateParams::default());
            let mut client =
                Connection::client(now, config, || KEY).with_deflate(DeflateParams::default());
            let mut wire = Vec::new();
            let mut i = 0;
            b.iter(|| {
                let text = slices[i % slices.len()];
                i += 1;
                server.send_text(text).unwrap();
                wire.clear();
                server.poll_transmit(&mut wire);
                client.handle_input(now, &wire).unwrap();
                match client.poll_event() {
                    Some(Event::Text(t)) => assert_eq!(t.len(), len),
                    other => panic!("{other:?}"),
                }
            })
        });

        group.bench_function(BenchmarkId::new("flate2", label), |b| {
            let mut compressor = Compress::new_with_window_bits(Compression::new(6), false, 15);
            let mut decompressor = Decompress::new_with_window_bits(false, 15);
            let mut deflated = Vec::with_capacity(len + 1024);
            let mut inflated = Vec::with_capacity(len + 1024);
            let mut i = 0;
            b.iter(|| {
                let text = slices[i % slices.len()].as_bytes();
                i += 1;
                deflated.clear();
                let start = compressor.total_in();
                while compressor.total_in() - start < len as u64
                    || deflated.len() == deflated.capacity()
                {
                    if deflated.len() == deflated.capacity() {
                        deflated.reserve(deflated.capacity());
                    }
                    let done = (compressor.total_in() - start) as usize;
                    compressor
                        .compress_vec(&text[done..], &mut deflated, FlushCompress::Sync)
                        .unwrap();
                }
                inflated.clear();
                let start = decompressor.total_in();
                while decompressor.total_in() - start < deflated.len() as u64
                    || inflated.len() == inflated.capacity()
                {
                    if inflated.len() == inflated.capacity() {
                        inflated.reserve(inflated.capacity());
                    }
                    let done = (decompressor.total_in() - start) as usize;
                    decompressor
                        .decompress_vec(&deflated[done..], &mut inflated, FlushDecompress::Sync)
                        .unwrap();
                }
                assert_eq!(inflated.len(), len);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, decode, encode, deflate_round_trip);
criterion_main!(benches);
