//! The connection state machine for both roles (RFC 6455 sections 5 and 7):
//! message reassembly, control frames, the closing handshake, keepalive, and
//! bounds on everything the connection holds.

use std::collections::VecDeque;
use std::fmt;
use std::io::IoSlice;
use std::time::Instant;

use bytes::Bytes;
use chatwire_utf8::Utf8Bytes;

use crate::close::{
    CloseCode, CloseFrame, MAX_CLOSE_REASON, parse_close_payload, write_close_payload,
};
use crate::config::Config;
#[cfg(feature = "deflate")]
use crate::deflate::{Deflate, DeflateParams};
use crate::encoder::encode_frame_with_rsv;
use crate::error::{Error, ProtocolError};
use crate::frame::{FrameHeader, HeaderRules, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, OpCode, RSV1};
use crate::mask::apply_mask;
use crate::output::Output;
use crate::reassembly::{MaskAt, Message, Reassembly};

/// Which end of the connection this is: clients mask what they send, servers must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Opened the connection; masks every frame.
    Client,
    /// Accepted the connection; requires masked frames.
    Server,
}

/// Where the closing handshake stands (RFC 6455 section 4.1 readyState, without CONNECTING).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// The closing handshake is under way: this side sent its close frame and waits
    /// for the peer's, or owes one (the peer closed, the peer broke the protocol, or
    /// it went silent) that the next [`Connection::poll_transmit`] writes.
    Closing,
    /// Nothing more will be sent or accepted: flush [`Connection::poll_transmit`], then
    /// close the socket (a client may first wait a moment for the server to close it).
    Closed,
}

/// Something the peer sent, or something that happened to the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A complete text message, checked to be UTF-8 once, as it arrived.
    Text(Utf8Bytes),
    /// A complete binary message.
    Binary(Bytes),
    /// A ping. With [`Config::auto_pong`] the pong is already queued.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer's close frame (`None` when it carried no code). If this side had not
    /// closed yet, the answering close frame is already queued.
    Close(Option<CloseFrame>),
    /// The peer did not answer our close frame within [`Config::close_timeout`]; the
    /// connection is [`State::Closed`] and ignores further input.
    CloseTimedOut,
    /// The peer sent nothing within [`Config::keepalive_timeout`] of our keepalive
    /// ping. A close frame with 1001 (going away) is queued without waiting for an
    /// answer: flush it, then close the socket. Reported locally like RFC 6455's
    /// 1006: the connection ended without a closing handshake.
    KeepaliveTimedOut,
}

/// Where mask keys for outgoing client frames come from: RFC 6455 section 5.3
/// wants them unpredictable, so the caller supplies a strong random source.
pub type MaskSource = Box<dyn FnMut() -> [u8; 4] + Send>;

/// A WebSocket connection after the opening handshake: bytes in, events and bytes out.
///
/// Drive it by calling [`handle_input`](Self::handle_input) with received bytes and
/// [`handle_timeout`](Self::handle_timeout) when [`poll_timeout`](Self::poll_timeout)
/// passes, then draining [`poll_event`](Self::poll_event) and
/// [`poll_transmit`](Self::poll_transmit).
///
/// # Memory
///
/// Once its events and output are drained, a connection holds under 2 KiB of heap
/// besides its struct (usually a few hundred bytes), whatever it carried before:
/// there is no receive buffer (a header or control frame cut between two inputs
/// waits in the struct), and the event queue and the output buffer give back
/// large allocations when they empty.
///
/// Each payload is copied out of the caller's input into an allocation of its own,
/// unmasked and (for text) checked on the way; nothing is sliced out of a shared
/// buffer. A message that arrives in one frame is allocated at exactly its length;
/// a fragmented one at most twice its length. So a payload the caller keeps never
/// holds more than twice its own size alive, and never holds the connection's
/// memory. Room is made as bytes arrive, not as a header announces them: a message
/// read in one piece is copied once, one spread over several reads is moved again
/// as its allocation doubles (allocations adding up to about 2.5 times its size).
///
/// With `permessage-deflate` (`Connection::with_deflate`, feature `deflate`),
/// add the compression state of each direction that keeps its context (about
/// 380 KB to deflate and 48 KB to inflate at 15-bit windows); a direction
/// without context takeover frees its state after every message.
///
/// Output is bounded by [`Config::max_queued_output`] (see
/// [`queued_output`](Self::queued_output)); automatic pongs coalesce, so a peer
/// cannot grow the output by pinging. A payload sent shared
/// ([`send_binary_shared`](Self::send_binary_shared)) is held by reference
/// until it is written, and let go then.
pub struct Connection {
    role: Role,
    config: Config,
    rules: HeaderRules,
    masks: Option<MaskSource>,
    state: State,

    /// The start of a frame header cut off at the end of the last input.
    header: PartialHeader,
    /// The frame whose payload is arriving.
    frame: Option<FrameInProgress>,
    /// The data message being put together.
    message: Option<Reassembly>,
    /// The message in progress arrived compressed (RSV1 on its first frame).
    compressed: bool,
    /// `permessage-deflate`, once negotiated.
    #[cfg(feature = "deflate")]
    deflate: Option<Deflate>,
    /// The payload of the control frame being read.
    control: ControlPayload,
    events: VecDeque<Event>,
    /// Set once the peer's close arrived, the connection failed or the close timed out.
    input_done: bool,

    /// Encoded frames and shared payloads waiting for [`Connection::poll_transmit`].
    out: Output,
    /// Automatic pongs written to `out` since the last `poll_transmit`.
    unsent_pongs: usize,
    /// The most recent ping, answered at the next `poll_transmit`, once too many
    /// pongs wait already (section 5.5.3 allows answering only the latest).
    deferred_pong: Option<ControlPayload>,
    our_close: OurClose,
    failure: Option<Failure>,

    /// When the peer last sent anything.
    last_heard: Instant,
    /// When our keepalive ping went out, while the peer has not answered it.
    keepalive_ping: Option<Instant>,
    /// When waiting for the peer's close frame ends.
    close_deadline: Option<Instant>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("queued_events", &self.events.len())
            .field("queued_output", &self.queued_output())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The server end, opened at `now`: frames from the client must be masked; ours are not.
    pub fn server(now: Instant, config: Config) -> Self {
        Self::new(now, Role::Server, config, None)
    }

    /// The client end, opened at `now`: every frame sent is masked with a key from `masks`.
    pub fn client(
        now: Instant,
        config: Config,
        masks: impl FnMut() -> [u8; 4] + Send + 'static,
    ) -> Self {
        Self::new(now, Role::Client, config, Some(Box::new(masks)))
    }

    fn new(now: Instant, role: Role, config: Config, masks: Option<MaskSource>) -> Self {
        let rules = HeaderRules {
            require_mask: Some(role == Role::Server),
            allowed_rsv: 0,
            max_payload_len: config.limits.max_frame_size,
        };
        Self {
            role,
            config,
            rules,
            masks,
            state: State::Open,
            header: PartialHeader::default(),
            frame: None,
            message: None,
            compressed: false,
            #[cfg(feature = "deflate")]
            deflate: None,
            control: ControlPayload::default(),
            events: VecDeque::new(),
            input_done: false,
            out: Output::default(),
            unsent_pongs: 0,
            deferred_pong: None,
            our_close: OurClose::NotSent,
            failure: None,
            last_heard: now,
            keepalive_ping: None,
            close_deadline: None,
        }
    }

    /// Turns on `permessage-deflate` (RFC 7692) with the parameters the opening
    /// handshake agreed (see [`deflate`](crate::deflate)); compression follows
    /// [`Config::deflate`]. Call before any input or message.
    ///
    /// Received messages may then carry RSV1 on their first frame and are
    /// inflated; sent text and binary messages at or above the threshold are
    /// compressed. Control frames never are.
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, params: DeflateParams) -> Self {
        self.deflate = Some(Deflate::new(self.role, params, &self.config.deflate));
        self.rules.allowed_rsv = RSV1;
        self
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration the connection was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bytes waiting for [`poll_transmit`](Self::poll_transmit), close frames and
    /// pongs it will write included.
    pub fn queued_output(&self) -> usize {
        let pong = self
            .deferred_pong
            .as_ref()
            .map_or(0, |ping| self.frame_len(ping.len()));
        let close = match &self.our_close {
            OurClose::Owed(frame) => self.frame_len(frame.as_ref().map_or(0, close_payload_len)),
            OurClose::NotSent | OurClose::Sent => 0,
        };
        self.out.len().saturating_add(pong).saturating_add(close)
    }

    /// Feeds bytes received from the socket, in pieces of any size.
    ///
    /// Complete messages and control frames become events. On a protocol violation
    /// the error is returned, a close frame with the matching code is queued and the
    /// connection is [`State::Closed`] once it is flushed. Events decoded before the
    /// violation stay queued and may still be answered: sends are accepted until
    /// [`poll_event`](Self::poll_event) has returned `None`, and go out ahead of the
    /// close frame; after that they fail with [`Error::Failed`].
    /// Input after the peer's close frame, a violation or a timeout is ignored.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
        if self.input_done {
            return Ok(());
        }
        if !input.is_empty() {
            self.last_heard = now;
            self.keepalive_ping = None;
        }
        match self.decode(input) {
            Ok(()) => Ok(()),
            Err(violation) => {
                self.fail(violation.close_code(), true);
                Err(Error::Protocol(violation))
            }
        }
    }

    /// Runs the timers: the close timeout, keepalive pings and the keepalive timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closing
            && self.our_close == OurClose::Sent
            && self.close_deadline.is_some_and(|deadline| now >= deadline)
        {
            self.state = State::Closed;
            self.close_deadline = None;
            self.stop_reading();
            self.events.push_back(Event::CloseTimedOut);
        }
        let Some(due) = self.keepalive_due() else {
            return;
        };
        if now < due {
            return;
        }
        if self.keepalive_ping.is_some() {
            self.events.push_back(Event::KeepaliveTimedOut);
            self.fail(CloseCode::GOING_AWAY, false);
        } else {
            self.write(OpCode::Ping, &[]);
            self.keepalive_ping = Some(now);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called, if at all.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match (self.close_deadline, self.keepalive_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next event, or `None` when all have been taken.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop_front();
        if event.is_none() {
            if let Some(failure) = self.failure.as_mut() {
                failure.replies_open = false;
            }
            if self.events.capacity() > RETAINED_EVENTS {
                self.events = VecDeque::new();
            }
        }
        event
    }

    /// Appends every queued outgoing byte to `out`; returns how many were appended.
    ///
    /// `out` is only appended to, never replaced. A close frame owed to the peer (the
    /// answer to its close, or the one that fails the connection) is written here,
    /// after everything sent before this call.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        let mut total = 0;
        loop {
            let queued = self.peek_transmit();
            let n = queued.len();
            if n == 0 {
                return total;
            }
            out.extend_from_slice(queued);
            self.advance_transmit(n);
            total = total.saturating_add(n);
        }
    }

    /// The queued outgoing bytes, borrowed: the start of what
    /// [`poll_transmit`](Self::poll_transmit) would append, without copying it
    /// out. Write them to the socket from here, then call
    /// [`advance_transmit`](Self::advance_transmit) with how many were written;
    /// the rest comes first again next time, before anything sent since. Empty
    /// once nothing is queued.
    ///
    /// This is every queued byte unless a payload sent with
    /// [`send_binary_shared`](Self::send_binary_shared) or
    /// [`send_text_shared`](Self::send_text_shared) waits in its own memory: then
    /// it is the bytes up to the next such boundary, and
    /// [`peek_transmit_vectored`](Self::peek_transmit_vectored) shows them all.
    ///
    /// Like `poll_transmit`, this writes an owed close frame and a deferred pong
    /// first, and the connection is [`State::Closed`] once it has handed out our
    /// close frame.
    pub fn peek_transmit(&mut self) -> &[u8] {
        self.prepare_transmit();
        self.out.first()
    }

    /// The queued outgoing bytes as slices for a vectored write
    /// (`write_vectored`, `writev`): fills `slices` in order and returns how many
    /// it filled, 0 once nothing is queued. Call
    /// [`advance_transmit`](Self::advance_transmit) with how many bytes were
    /// written. Frames are encoded into one buffer; a shared payload is its own
    /// slice, so it reaches the socket without being copied.
    pub fn peek_transmit_vectored<'a>(&'a mut self, slices: &mut [IoSlice<'a>]) -> usize {
        self.prepare_transmit();
        self.out.slices(slices)
    }

    /// Writes what is owed before the queue is shown: a deferred pong, our close.
    fn prepare_transmit(&mut self) {
        self.write_deferred_pong();
        if let OurClose::Owed(frame) = &self.our_close {
            let frame = frame.clone();
            self.write_close(frame.as_ref());
            self.our_close = OurClose::Sent;
            self.state = State::Closed;
            self.close_deadline = None;
        }
        self.unsent_pongs = 0;
    }

    /// Marks the first `n` bytes returned by [`peek_transmit`](Self::peek_transmit)
    /// as written (more than are queued counts as all of them).
    pub fn advance_transmit(&mut self, n: usize) {
        self.out.advance(n);
    }

    /// Queues a text message in one frame.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.send(OpCode::Text, text.as_bytes())
    }

    /// Queues a binary message in one frame.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send(OpCode::Binary, data)
    }

    /// Queues a text message in one frame, keeping a reference to `text` rather
    /// than a copy where it can (see [`send_binary_shared`](Self::send_binary_shared)).
    pub fn send_text_shared(&mut self, text: Utf8Bytes) -> Result<(), Error> {
        self.send_shared(OpCode::Text, text.into_bytes())
    }

    /// Queues a binary message in one frame, keeping a reference to `data`
    /// rather than a copy where it can: a server echoing or forwarding a
    /// message it received sends the same allocation, and
    /// [`peek_transmit_vectored`](Self::peek_transmit_vectored) hands it to the
    /// socket. The connection holds `data` until it is written. Small payloads,
    /// a client's (masked on the way out) and compressed ones are copied as
    /// [`send_binary`](Self::send_binary) copies them; the bytes on the wire
    /// are the same either way.
    pub fn send_binary_shared(&mut self, data: Bytes) -> Result<(), Error> {
        self.send_shared(OpCode::Binary, data)
    }

    /// Queues a ping (payload at most 125 bytes).
    pub fn ping(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send_control(OpCode::Ping, payload)
    }

    /// Queues a pong: an answer to a ping when [`Config::auto_pong`] is off, or a heartbeat.
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.send_control(OpCode::Pong, payload)
    }

    /// Starts (or, after the peer's close, completes) the closing handshake.
    ///
    /// `code` must be one an endpoint may send and `reason` at most 123 bytes. After
    /// this no message can be sent; the peer's close frame arrives as [`Event::Close`],
    /// or [`Event::CloseTimedOut`] after [`Config::close_timeout`]. After a failure
    /// the failure's close frame stands: this returns [`Error::Failed`].
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), Error> {
        if !code.is_sendable() {
            return Err(Error::InvalidCloseCode(code.0));
        }
        if reason.len() > MAX_CLOSE_REASON {
            return Err(Error::ControlPayloadTooLong);
        }
        if let Some(failure) = &self.failure {
            return Err(Error::Failed(failure.code));
        }
        let peer_closed = match self.our_close {
            OurClose::Sent => return Err(Error::Closed),
            OurClose::Owed(_) => true,
            OurClose::NotSent => false,
        };
        self.write_deferred_pong();
        self.write_close(Some(&CloseFrame {
            code,
            reason: reason.to_owned(),
        }));
        self.our_close = OurClose::Sent;
        if peer_closed {
            self.state = State::Closed;
        } else {
            self.state = State::Closing;
            self.close_deadline = now.checked_add(self.config.close_timeout);
        }
        Ok(())
    }

    /// Sends `payload` by reference when the frame carries it as it is, else copies it.
    fn send_shared(&mut self, opcode: OpCode, payload: Bytes) -> Result<(), Error> {
        if payload.len() < MIN_SHARED_PAYLOAD || self.role == Role::Client || self.compresses() {
            return self.send(opcode, &payload);
        }
        self.check_open()?;
        self.check_room(self.frame_len(payload.len()))?;
        let header = FrameHeader {
            fin: true,
            rsv: 0,
            opcode,
            mask: None,
            payload_len: payload.len() as u64,
        };
        let buf = self.out.room(MAX_HEADER_LEN, self.config.max_queued_output);
        header.encode(buf);
        self.out.hold(payload);
        Ok(())
    }

    /// Whether data messages may go out compressed (permessage-deflate).
    #[cfg(feature = "deflate")]
    fn compresses(&self) -> bool {
        self.deflate.is_some()
    }

    #[cfg(not(feature = "deflate"))]
    fn compresses(&self) -> bool {
        false
    }

    /// Whether a message may be sent at all: not after our close or a failure
    /// (except answers to events decoded before it).
    fn check_open(&self) -> Result<(), Error> {
        if let Some(failure) = &self.failure {
            if !failure.replies_open || self.our_close == OurClose::Sent {
                return Err(Error::Failed(failure.code));
            }
        } else if self.our_close == OurClose::Sent {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// Whether a frame of `needed` bytes fits under the output limit.
    fn check_room(&self, needed: usize) -> Result<(), Error> {
        let queued = self.queued_output();
        let limit = self.config.max_queued_output;
        if queued.saturating_add(needed) > limit {
            return Err(Error::OutputFull {
                queued,
                needed,
                limit,
            });
        }
        Ok(())
    }

    /// Checks that a frame of `payload` bytes may be sent now, then writes it.
    fn send(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        let compressed = self.compress(opcode, payload);
        let (payload, rsv) = match &compressed {
            Some(deflated) => (deflated.as_slice(), RSV1),
            None => (payload, 0),
        };
        if let Err(full) = self.check_room(self.frame_len(payload.len())) {
            if compressed.is_some() {
                self.forget_compressor();
            }
            return Err(full);
        }
        self.write_frame(opcode, rsv, payload);
        Ok(())
    }

    /// The compressed payload of a data message, when deflate is on and it is worth it.
    #[cfg(feature = "deflate")]
    fn compress(&mut self, opcode: OpCode, payload: &[u8]) -> Option<Vec<u8>> {
        match (self.deflate.as_mut(), opcode) {
            (Some(deflate), OpCode::Text | OpCode::Binary) => deflate.compress(payload),
            _ => None,
        }
    }

    #[cfg(not(feature = "deflate"))]
    fn compress(&mut self, _opcode: OpCode, _payload: &[u8]) -> Option<Vec<u8>> {
        None
    }

    fn forget_compressor(&mut self) {
        #[cfg(feature = "deflate")]
        if let Some(deflate) = self.deflate.as_mut() {
            deflate.forget_compressor();
        }
    }

    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if payload.len() as u64 > MAX_CONTROL_PAYLOAD {
            return Err(Error::ControlPayloadTooLong);
        }
        self.send(opcode, payload)
    }

    fn keepalive_due(&self) -> Option<Instant> {
        if self.state != State::Open {
            return None;
        }
        let interval = self.config.keepalive?;
        match self.keepalive_ping {
            Some(sent) => sent.checked_add(self.config.keepalive_timeout),
            None => self.last_heard.checked_add(interval),
        }
    }

    /// Decodes `input` frame by frame, stopping at the first violation.
    fn decode(&mut self, mut input: &[u8]) -> Result<(), ProtocolError> {
        while !self.input_done {
            let used = if self.frame.is_some() {
                if input.is_empty() {
                    break;
                }
                self.read_payload(input)?
            } else {
                let Some((header, used)) = self.header.read(input, &self.rules)? else {
                    break;
                };
                self.begin_frame(header)?;
                used
            };
            input = input.get(used..).unwrap_or_default();
        }
        Ok(())
    }

    /// Checks a new frame against the message in progress and the limits.
    fn begin_frame(&mut self, header: FrameHeader) -> Result<(), ProtocolError> {
        let limits = self.config.limits;
        let frame_len =
            usize::try_from(header.payload_len).map_err(|_| ProtocolError::MessageTooLarge)?;
        match header.opcode {
            OpCode::Continuation => {
                // RFC 7692 section 6.1: RSV1 belongs to a message's first frame only.
                if header.rsv != 0 {
                    return Err(ProtocolError::ReservedBits(header.rsv));
                }
                let message = self
                    .message
                    .as_mut()
                    .ok_or(ProtocolError::UnexpectedContinuation)?;
                if message.add_fragment() > limits.max_fragments {
                    return Err(ProtocolError::TooManyFragments);
                }
                if message.len().saturating_add(frame_len) > limits.max_message_size {
                    return Err(ProtocolError::MessageTooLarge);
                }
            }
            OpCode::Text | OpCode::Binary => {
                if self.message.is_some() {
                    return Err(ProtocolError::ExpectedContinuation);
                }
                if frame_len > limits.max_message_size {
                    return Err(ProtocolError::MessageTooLarge);
                }
                self.message = Some(Reassembly::new(header.opcode == OpCode::Text));
                self.compressed = header.rsv & RSV1 != 0;
            }
            OpCode::Close | OpCode::Ping | OpCode::Pong => {
                // Control frames are never compressed (RFC 7692 section 6.1).
                if header.rsv != 0 {
                    return Err(ProtocolError::ReservedBits(header.rsv));
                }
                self.control = ControlPayload::default();
            }
        }
        self.frame = Some(FrameInProgress {
            header,
            remaining: frame_len,
            key_offset: 0,
        });
        if frame_len == 0 {
            self.end_frame()?;
        }
        Ok(())
    }

    /// Takes payload bytes of the current frame from the front of `input`; returns how many.
    fn read_payload(&mut self, input: &[u8]) -> Result<usize, ProtocolError> {
        let Some(frame) = self.frame.as_mut() else {
            return Ok(0);
        };
        let n = frame.remaining.min(input.len());
        let piece = input.get(..n).unwrap_or_default();
        let mask: MaskAt = frame.header.mask.map(|key| (key, frame.key_offset));
        if frame.header.opcode.is_control() {
            self.control.push(piece, mask);
        } else if let Some(message) = self.message.as_mut() {
            if self.compressed {
                #[cfg(feature = "deflate")]
                if let Some(deflate) = self.deflate.as_mut() {
                    deflate.inflate(piece, mask, message, self.config.limits.max_message_size)?;
                }
            } else {
                let ceiling = if frame.header.fin {
                    frame.remaining
                } else {
                    self.config
                        .limits
                        .max_message_size
                        .saturating_sub(message.len())
                };
                message.push(piece, mask, ceiling)?;
            }
        }
        frame.remaining = frame.remaining.saturating_sub(n);
        frame.key_offset = frame.key_offset.wrapping_add(n) % 4;
        if frame.remaining == 0 {
            self.end_frame()?;
        }
        Ok(n)
    }

    fn end_frame(&mut self) -> Result<(), ProtocolError> {
        let Some(frame) = self.frame.take() else {
            return Ok(());
        };
        if frame.header.opcode.is_control() {
            self.take_control(frame.header.opcode)
        } else if frame.header.fin {
            self.finish_message()
        } else {
            Ok(())
        }
    }

    fn finish_message(&mut self) -> Result<(), ProtocolError> {
        let Some(message) = self.message.take() else {
            return Ok(());
        };
        let message = self.finish_inflating(message)?;
        let event = match message.finish()? {
            Message::Text(text) => Event::Text(text),
            Message::Binary(data) => Event::Binary(data),
        };
        self.events.push_back(event);
        Ok(())
    }

    /// Inflates the tail of a compressed message (RFC 7692 section 7.2.2).
    #[cfg(feature = "deflate")]
    fn finish_inflating(&mut self, mut message: Reassembly) -> Result<Reassembly, ProtocolError> {
        if std::mem::take(&mut self.compressed)
            && let Some(deflate) = self.deflate.as_mut()
        {
            deflate.finish_message(&mut message, self.config.limits.max_message_size)?;
        }
        Ok(message)
    }

    #[cfg(not(feature = "deflate"))]
    fn finish_inflating(&mut self, message: Reassembly) -> Result<Reassembly, ProtocolError> {
        Ok(message)
    }

    fn take_control(&mut self, opcode: OpCode) -> Result<(), ProtocolError> {
        let payload = std::mem::take(&mut self.control);
        match opcode {
            OpCode::Ping => {
                self.answer_ping(&payload);
                self.events
                    .push_back(Event::Ping(Bytes::copy_from_slice(payload.as_slice())));
            }
            OpCode::Pong => self
                .events
                .push_back(Event::Pong(Bytes::copy_from_slice(payload.as_slice()))),
            _ => {
                let frame = parse_close_payload(payload.as_slice())?;
                self.stop_reading();
                if self.our_close == OurClose::Sent {
                    self.state = State::Closed;
                    self.close_deadline = None;
                } else {
                    // Echo the peer's code (section 5.5.1); an empty close is answered empty.
                    self.our_close = OurClose::Owed(frame.as_ref().map(|f| CloseFrame {
                        code: f.code,
                        reason: String::new(),
                    }));
                    self.state = State::Closing;
                }
                self.events.push_back(Event::Close(frame));
            }
        }
        Ok(())
    }

    /// Queues the pong for a ping, or keeps it for `poll_transmit` when enough pongs
    /// are queued already (then a later ping replaces it).
    fn answer_ping(&mut self, ping: &ControlPayload) {
        if !self.config.auto_pong || self.our_close != OurClose::NotSent {
            return;
        }
        let fits = self
            .queued_output()
            .saturating_add(self.frame_len(ping.len()))
            <= self.config.max_queued_output;
        if self.unsent_pongs < MAX_UNSENT_PONGS && fits {
            self.write(OpCode::Pong, ping.as_slice());
            self.unsent_pongs += 1;
        } else {
            self.deferred_pong = Some(ping.clone());
        }
    }

    fn write_deferred_pong(&mut self) {
        if let Some(ping) = self.deferred_pong.take() {
            self.write(OpCode::Pong, ping.as_slice());
        }
    }

    /// Fails the connection (section 7.1.7): one close frame with `code`, then nothing
    /// more. `replies_open` lets the caller still answer events decoded before.
    fn fail(&mut self, code: CloseCode, replies_open: bool) {
        self.failure = Some(Failure {
            code,
            replies_open: replies_open && !self.events.is_empty(),
        });
        self.stop_reading();
        self.keepalive_ping = None;
        if self.our_close == OurClose::NotSent {
            self.our_close = OurClose::Owed(Some(CloseFrame {
                code,
                reason: String::new(),
            }));
            self.state = State::Closing;
        } else {
            self.state = State::Closed;
            self.close_deadline = None;
        }
    }

    /// Ignores all further input and drops whatever was half received.
    fn stop_reading(&mut self) {
        self.input_done = true;
        self.header = PartialHeader::default();
        self.frame = None;
        self.message = None;
        self.compressed = false;
        #[cfg(feature = "deflate")]
        if let Some(deflate) = self.deflate.as_mut() {
            deflate.stop_receiving();
        }
    }

    fn write_close(&mut self, frame: Option<&CloseFrame>) {
        let mut payload = Vec::with_capacity(2 + MAX_CLOSE_REASON);
        if let Some(frame) = frame {
            write_close_payload(frame, &mut payload);
        }
        self.write(OpCode::Close, &payload);
        #[cfg(feature = "deflate")]
        if let Some(deflate) = self.deflate.as_mut() {
            deflate.stop_sending();
        }
    }

    fn write(&mut self, opcode: OpCode, payload: &[u8]) {
        self.write_frame(opcode, 0, payload);
    }

    fn write_frame(&mut self, opcode: OpCode, rsv: u8, payload: &[u8]) {
        let needed = self.frame_len(payload.len());
        let buf = self.out.room(needed, self.config.max_queued_output);
        let mask = self.masks.as_mut().map(|next| next());
        encode_frame_with_rsv(opcode, true, rsv, mask, payload, buf);
    }

    /// Encoded length of a frame this side sends with `payload_len` bytes.
    fn frame_len(&self, payload_len: usize) -> usize {
        let header = FrameHeader {
            fin: true,
            rsv: 0,
            opcode: OpCode::Binary,
            mask: (self.role == Role::Client).then_some([0; 4]),
            payload_len: payload_len as u64,
        };
        header.encoded_len().saturating_add(payload_len)
    }
}

/// Automatic pongs queued between two `poll_transmit` calls before only the most
/// recent ping is answered. Autobahn case 2.10 sends ten pings at once and wants ten pongs.
const MAX_UNSENT_PONGS: usize = 16;

/// Event slots kept once the queue empties; a larger queue (after a burst) is freed.
const RETAINED_EVENTS: usize = 16;

/// Payloads shorter than this are copied even when sent shared: a slice of its
/// own costs the socket write more than copying a few hundred bytes.
const MIN_SHARED_PAYLOAD: usize = 1024;

/// Our side of the closing handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
enum OurClose {
    NotSent,
    /// Owed to the peer (an answer to its close, or a failure's code), written by the
    /// next `poll_transmit` so that replies to earlier messages go first.
    Owed(Option<CloseFrame>),
    Sent,
}

/// Why and how the connection failed.
#[derive(Debug, Clone, Copy)]
struct Failure {
    /// The code of the close frame that fails it.
    code: CloseCode,
    /// Whether events decoded before the failure may still be answered.
    replies_open: bool,
}

/// A frame whose payload is arriving.
#[derive(Debug, Clone, Copy)]
struct FrameInProgress {
    header: FrameHeader,
    /// Payload bytes still to come.
    remaining: usize,
    /// Where the next payload byte falls in the masking key.
    key_offset: usize,
}

/// The start of a frame header that arrived without the rest (at most 13 bytes).
#[derive(Debug, Clone, Default)]
struct PartialHeader {
    bytes: [u8; MAX_HEADER_LEN],
    len: usize,
}

impl PartialHeader {
    /// Decodes a header from what was kept plus the front of `input`. Returns it with
    /// the number of bytes of `input` it used, or keeps `input` (then all used) and
    /// returns `None` when the header is still incomplete.
    fn read(
        &mut self,
        input: &[u8],
        rules: &HeaderRules,
    ) -> Result<Option<(FrameHeader, usize)>, ProtocolError> {
        if self.len == 0
            && let Some(found) = FrameHeader::decode(input, rules)?
        {
            return Ok(Some(found));
        }
        // A header is at most MAX_HEADER_LEN bytes: more input than that cannot be needed.
        let kept = self.len;
        let mut joined = self.bytes;
        let take = MAX_HEADER_LEN.saturating_sub(kept).min(input.len());
        if let (Some(slot), Some(piece)) = (joined.get_mut(kept..kept + take), input.get(..take)) {
            slot.copy_from_slice(piece);
        }
        let available = joined.get(..kept + take).unwrap_or_default();
        match FrameHeader::decode(available, rules)? {
            Some((header, len)) => {
                *self = Self::default();
                Ok(Some((header, len.saturating_sub(kept))))
            }
            None => {
                self.bytes = joined;
                self.len = kept + take;
                Ok(None)
            }
        }
    }
}

/// A control frame payload: at most 125 bytes, kept in the struct.
#[derive(Clone)]
struct ControlPayload {
    bytes: [u8; MAX_CONTROL_PAYLOAD as usize],
    len: usize,
}

impl Default for ControlPayload {
    fn default() -> Self {
        Self {
            bytes: [0; MAX_CONTROL_PAYLOAD as usize],
            len: 0,
        }
    }
}

impl fmt::Debug for ControlPayload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ControlPayload")
            .field(&self.as_slice())
            .finish()
    }
}

impl ControlPayload {
    fn len(&self) -> usize {
        self.len
    }

    fn as_slice(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// Appends `piece` (the header check keeps the total within 125 bytes), unmasked.
    fn push(&mut self, piece: &[u8], mask: MaskAt) {
        let end = self.len.saturating_add(piece.len());
        if let Some(slot) = self.bytes.get_mut(self.len..end) {
            slot.copy_from_slice(piece);
            if let Some((key, offset)) = mask {
                apply_mask(slot, key, offset);
            }
            self.len = end;
        }
    }
}

fn close_payload_len(frame: &CloseFrame) -> usize {
    2usize.saturating_add(frame.reason.len())
}
