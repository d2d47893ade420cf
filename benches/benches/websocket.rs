//! WebSocket frame decode and encode: chatwire beside tungstenite and a plain
//! memcpy of the same bytes, for payloads from 20 B to 1 MiB.

use std::hint::black_box;
use std::io::{self, Read, Write};

use bytes::Bytes;
use chatwire_websocket::{Decoded, FrameDecoder, HeaderRules, OpCode, encode_frame};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

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

criterion_group!(benches, decode, encode);
criterion_main!(benches);
