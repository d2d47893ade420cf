//! The connection state machine for both roles (RFC 6455 sections 5 and 7):
//! message reassembly, control frames, the closing handshake, keepalive.

use std::collections::VecDeque;
use std::fmt;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};

use crate::close::{
    CloseCode, CloseFrame, MAX_CLOSE_REASON, parse_close_payload, write_close_payload,
};
use crate::decoder::{Decoded, FrameDecoder};
use crate::encoder::encode_frame;
use crate::error::{Error, ProtocolError};
use crate::frame::{FrameHeader, HeaderRules, MAX_CONTROL_PAYLOAD, OpCode};
use chatwire_utf8::Utf8Stream;

/// Which end of the connection this is: clients mask what they send, servers must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Opened the connection; masks every frame.
    Client,
    /// Accepted the connection; requires masked frames.
    Server,
}

/// Bounds on what the peer may make this side buffer, checked before buffering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest frame payload accepted, in bytes (default 16 MiB).
    pub max_frame_size: u64,
    /// Largest message accepted, in bytes, summed over its fragments (default 64 MiB).
    pub max_message_size: usize,
    /// Most frames one message may be split into (default 131072).
    pub max_fragments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_frame_size: 16 << 20,
            max_message_size: 64 << 20,
            max_fragments: 1 << 17,
        }
    }
}

/// How a connection behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Size limits on received frames and messages.
    pub limits: Limits,
    /// Answer every ping with a pong automatically (default). Either way the ping is
    /// reported as [`Event::Ping`]; with this off, answering is the caller's duty.
    pub auto_pong: bool,
    /// Send a ping after this long without receiving anything (default: never).
    pub keepalive: Option<Duration>,
    /// How long to wait for the peer's close frame after sending ours (default 5 s).
    pub close_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            auto_pong: true,
            keepalive: None,
            close_timeout: Duration::from_secs(5),
        }
    }
}

/// Where the closing handshake stands (RFC 6455 section 4.1 readyState, without CONNECTING).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Messages flow both ways.
    Open,
    /// The closing handshake is under way: this side sent its close frame and waits
    /// for the peer's, or owes one (the peer closed, or broke the protocol) that the
    /// next [`Connection::poll_transmit`] writes.
    Closing,
    /// Nothing more will be sent or accepted: flush [`Connection::poll_transmit`], then
    /// close the socket (a client may first wait a moment for the server to close it).
    Closed,
}

/// Something the peer sent, or something that happened to the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A complete text message, checked to be UTF-8.
    Text(String),
    /// A complete binary message.
    Binary(Bytes),
    /// A ping. With [`Config::auto_pong`] the pong is already queued.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The peer's close frame (`None` when it carried no code). If this side had not
    /// closed yet, the answering close frame is already queued.
    Close(Option<CloseFrame>),
    /// The peer did not answer our close frame within [`Config::close_timeout`].
    CloseTimedOut,
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
pub struct Connection {
    role: Role,
    config: Config,
    masks: Option<MaskSource>,
    state: State,
    decoder: FrameDecoder,
    /// Received bytes not yet decoded.
    recv: BytesMut,
    /// The frame whose payload is being read.
    frame: Option<FrameHeader>,
    /// The data message being reassembled.
    message: Option<Assembly>,
    /// The control frame payload being collected (at most 125 bytes).
    control: Vec<u8>,
    events: VecDeque<Event>,
    /// Encoded frames waiting for [`Connection::poll_transmit`].
    out: Vec<u8>,
    sent_close: bool,
    /// A close frame owed to the peer (an answer to its close, or the code of a failure),
    /// written by the next `poll_transmit` so that replies to earlier messages go first.
    owed_close: Option<Option<CloseFrame>>,
    /// Set once the peer's close arrived or the connection failed: input is ignored.
    input_done: bool,
    /// Base time for keepalive: when something was last received.
    last_received: Option<Instant>,
    /// When waiting for the peer's close frame ends.
    close_deadline: Option<Instant>,
}

/// A text or binary message whose frames are arriving.
struct Assembly {
    text: Option<Utf8Stream>,
    data: BytesMut,
    fragments: usize,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("buffered_input", &self.recv.len())
            .field("pending_output", &self.out.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The server end: frames from the client must be masked; ours are not.
    pub fn server(config: Config) -> Self {
        Self::new(Role::Server, config, None)
    }

    /// The client end: every frame sent is masked with a key from `masks`.
    pub fn client(config: Config, masks: impl FnMut() -> [u8; 4] + Send + 'static) -> Self {
        Self::new(Role::Client, config, Some(Box::new(masks)))
    }

    fn new(role: Role, config: Config, masks: Option<MaskSource>) -> Self {
        let rules = HeaderRules {
            require_mask: Some(role == Role::Server),
            allowed_rsv: 0,
            max_payload_len: config.limits.max_frame_size,
        };
        Self {
            role,
            config,
            masks,
            state: State::Open,
            decoder: FrameDecoder::new(rules),
            recv: BytesMut::new(),
            frame: None,
            message: None,
            control: Vec::new(),
            events: VecDeque::new(),
            out: Vec::new(),
            sent_close: false,
            owed_close: None,
            input_done: false,
            last_received: None,
            close_deadline: None,
        }
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where the closing handshake stands.
    pub fn state(&self) -> State {
        self.state
    }

    /// Feeds bytes received from the socket, in pieces of any size.
    ///
    /// Complete messages and control frames become events. On a protocol violation
    /// the error is returned, a close frame with the matching code is queued and the
    /// connection is [`State::Closed`] once it is flushed; events decoded before the
    /// violation stay queued, and replies sent to them before the next
    /// [`poll_transmit`](Self::poll_transmit) go out ahead of the close frame.
    /// Input after the peer's close frame, or after a violation, is ignored.
    pub fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
        if self.input_done {
            return Ok(());
        }
        self.last_received = Some(now);
        self.recv.extend_from_slice(input);
        match self.decode_buffered() {
            Ok(()) => Ok(()),
            Err(violation) => {
                self.fail(violation.close_code());
                Err(Error::Protocol(violation))
            }
        }
    }

    /// Runs the timers: keepalive pings and the close timeout.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.last_received.is_none() {
            self.last_received = Some(now);
        }
        if self.state == State::Closing
            && self.close_deadline.is_some_and(|deadline| now >= deadline)
        {
            self.state = State::Closed;
            self.close_deadline = None;
            self.events.push_back(Event::CloseTimedOut);
        }
        if self.keepalive_due().is_some_and(|due| now >= due) {
            self.write(OpCode::Ping, true, &[]);
            self.last_received = Some(now);
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
        self.events.pop_front()
    }

    /// Appends every queued outgoing byte to `out`; returns how many were appended.
    ///
    /// A close frame owed to the peer (the answer to its close, or the one that fails
    /// the connection) is written here, after everything sent before this call.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        if let Some(frame) = self.owed_close.take() {
            if !self.sent_close {
                self.write_close(frame.as_ref());
            }
            self.state = State::Closed;
            self.close_deadline = None;
        }
        let n = self.out.len();
        if out.is_empty() {
            std::mem::swap(out, &mut self.out);
        } else {
            out.append(&mut self.out);
        }
        n
    }

    /// Queues a text message in one frame.
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.send_data(OpCode::Text, text.as_bytes())
    }

    /// Queues a binary message in one frame.
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send_data(OpCode::Binary, data)
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
    /// or [`Event::CloseTimedOut`] after [`Config::close_timeout`].
    pub fn close(&mut self, now: Instant, code: CloseCode, reason: &str) -> Result<(), Error> {
        if !code.is_sendable() {
            return Err(Error::InvalidCloseCode(code.0));
        }
        if reason.len() > MAX_CLOSE_REASON {
            return Err(Error::ControlPayloadTooLong);
        }
        if self.sent_close {
            return Err(Error::Closed);
        }
        self.write_close(Some(&CloseFrame {
            code,
            reason: reason.to_owned(),
        }));
        self.state = State::Closing;
        self.close_deadline = now.checked_add(self.config.close_timeout);
        Ok(())
    }

    fn send_data(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if self.sent_close {
            return Err(Error::Closed);
        }
        self.write(opcode, true, payload);
        Ok(())
    }

    fn send_control(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if payload.len() as u64 > MAX_CONTROL_PAYLOAD {
            return Err(Error::ControlPayloadTooLong);
        }
        self.send_data(opcode, payload)
    }

    fn keepalive_due(&self) -> Option<Instant> {
        if self.state != State::Open {
            return None;
        }
        self.last_received?.checked_add(self.config.keepalive?)
    }

    /// Decodes everything buffered, stopping at the first violation.
    fn decode_buffered(&mut self) -> Result<(), ProtocolError> {
        while !self.input_done {
            let Some((step, used)) = self.decoder.decode(&mut self.recv)? else {
                break;
            };
            match step {
                Decoded::Frame { header, header_len } => {
                    self.recv.advance(header_len);
                    self.begin_frame(header)?;
                    let piece = self.recv.split_to(used - header_len);
                    self.take_payload(piece, true)?;
                }
                Decoded::Header(header) => {
                    self.recv.advance(used);
                    self.begin_frame(header)?;
                }
                Decoded::Payload { len, end_of_frame } => {
                    let piece = self.recv.split_to(len);
                    self.take_payload(piece, end_of_frame)?;
                }
            }
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
                let message = self
                    .message
                    .as_mut()
                    .ok_or(ProtocolError::UnexpectedContinuation)?;
                message.fragments += 1;
                if message.fragments > limits.max_fragments {
                    return Err(ProtocolError::TooManyFragments);
                }
                if message.data.len().saturating_add(frame_len) > limits.max_message_size {
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
                self.message = Some(Assembly {
                    text: (header.opcode == OpCode::Text).then(Utf8Stream::new),
                    data: BytesMut::new(),
                    fragments: 1,
                });
            }
            OpCode::Close | OpCode::Ping | OpCode::Pong => self.control.clear(),
        }
        self.frame = Some(header);
        Ok(())
    }

    /// Takes payload bytes of the current frame.
    fn take_payload(&mut self, piece: BytesMut, end_of_frame: bool) -> Result<(), ProtocolError> {
        let Some(header) = self.frame else {
            return Ok(());
        };
        if header.opcode.is_control() {
            self.control.extend_from_slice(&piece);
            if end_of_frame {
                self.frame = None;
                self.take_control(header.opcode)?;
            }
            return Ok(());
        }
        let Some(message) = self.message.as_mut() else {
            return Ok(());
        };
        if let Some(utf8) = message.text.as_mut() {
            utf8.feed(&piece).map_err(|_| ProtocolError::InvalidUtf8)?;
        }
        let whole_message_in_one_piece =
            end_of_frame && header.fin && message.fragments == 1 && message.data.is_empty();
        if whole_message_in_one_piece {
            message.data = piece;
        } else {
            message.data.extend_from_slice(&piece);
        }
        if end_of_frame {
            self.frame = None;
            if header.fin {
                self.finish_message()?;
            }
        }
        Ok(())
    }

    fn finish_message(&mut self) -> Result<(), ProtocolError> {
        let Some(message) = self.message.take() else {
            return Ok(());
        };
        let event = match message.text {
            Some(mut utf8) => {
                utf8.finish().map_err(|_| ProtocolError::InvalidUtf8)?;
                let text = String::from_utf8(message.data.to_vec())
                    .map_err(|_| ProtocolError::InvalidUtf8)?;
                Event::Text(text)
            }
            None => Event::Binary(message.data.freeze()),
        };
        self.events.push_back(event);
        Ok(())
    }

    fn take_control(&mut self, opcode: OpCode) -> Result<(), ProtocolError> {
        let payload = std::mem::take(&mut self.control);
        match opcode {
            OpCode::Ping => {
                if self.config.auto_pong && !self.sent_close {
                    self.write(OpCode::Pong, true, &payload);
                }
                self.events.push_back(Event::Ping(Bytes::from(payload)));
            }
            OpCode::Pong => self.events.push_back(Event::Pong(Bytes::from(payload))),
            _ => {
                let frame = parse_close_payload(&payload)?;
                self.input_done = true;
                self.message = None;
                if self.sent_close {
                    self.state = State::Closed;
                    self.close_deadline = None;
                } else {
                    // Echo the peer's code (section 5.5.1); an empty close is answered empty.
                    self.owed_close = Some(frame.as_ref().map(|f| CloseFrame {
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

    /// Fails the connection (section 7.1.7): one close frame with `code`, then nothing more.
    fn fail(&mut self, code: CloseCode) {
        self.owed_close = Some(Some(CloseFrame {
            code,
            reason: String::new(),
        }));
        self.input_done = true;
        self.state = State::Closing;
        self.message = None;
        self.frame = None;
        self.recv.clear();
    }

    fn write_close(&mut self, frame: Option<&CloseFrame>) {
        let mut payload = Vec::with_capacity(2 + MAX_CLOSE_REASON);
        if let Some(frame) = frame {
            write_close_payload(frame, &mut payload);
        }
        self.write(OpCode::Close, true, &payload);
        self.sent_close = true;
    }

    fn write(&mut self, opcode: OpCode, fin: bool, payload: &[u8]) {
        let mask = self.masks.as_mut().map(|next| next());
        encode_frame(opcode, fin, mask, payload, &mut self.out);
    }
}
