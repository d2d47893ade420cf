//! Who has said what on the current stream, and the ordering rules both
//! transports share (RFC 6120 sections 4.2-4.4 and 4.9.1.2, RFC 7395
//! sections 3.4-3.7).

use crate::escape;
use crate::{Error, StreamHeader};

/// Which end of the connection we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The initiating entity: sends the first stream header.
    Client,
    /// The receiving entity: answers the initiating entity's header.
    Server,
}

/// The state of one XML stream (restarts included) over one transport.
#[derive(Debug)]
pub(crate) struct StreamState {
    pub(crate) role: Role,
    /// We sent our header for the current stream (since the last restart).
    pub(crate) we_opened: bool,
    /// The peer's header for the current stream arrived.
    pub(crate) peer_opened: bool,
    pub(crate) we_closed: bool,
    pub(crate) peer_closed: bool,
    /// The peer broke a rule, or we sent a stream error: no more input.
    pub(crate) failed: bool,
    pub(crate) transport_closed: bool,
    /// The peer's latest header.
    pub(crate) peer_header: Option<StreamHeader>,
}

impl StreamState {
    pub(crate) fn new(role: Role) -> Self {
        StreamState {
            role,
            we_opened: false,
            peer_opened: false,
            we_closed: false,
            peer_closed: false,
            failed: false,
            transport_closed: false,
            peer_header: None,
        }
    }

    /// Whether the stream is over: both sides closed it, it failed, or the
    /// transport is gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.failed || self.transport_closed || (self.we_closed && self.peer_closed)
    }

    /// Input is still taken: the stream has not failed and the transport is
    /// up. (After the peer's close, TCP still reads: keepalive whitespace is
    /// fine, anything else is refused the same whatever the split.)
    pub(crate) fn check_input(&self) -> Result<(), Error> {
        if self.failed || self.transport_closed {
            return Err(Error::StreamClosed);
        }
        Ok(())
    }

    /// RFC 6120 section 4.2, RFC 7395 section 3.4: the initiating entity
    /// speaks first, so a client refuses anything before its own header.
    pub(crate) fn check_peer_may_speak(&self) -> Result<(), Error> {
        if self.role == Role::Client && !self.we_opened {
            return Err(Error::BadFormat("data before our stream header"));
        }
        Ok(())
    }

    /// A peer header is acceptable once per stream; a new one needs a restart.
    pub(crate) fn check_peer_header(&self) -> Result<(), Error> {
        self.check_peer_may_speak()?;
        if self.peer_opened {
            return Err(Error::BadFormat("stream header without a restart"));
        }
        Ok(())
    }

    pub(crate) fn peer_header_received(&mut self, header: StreamHeader) {
        self.peer_opened = true;
        self.peer_header = Some(header);
    }

    /// We may still queue something.
    pub(crate) fn check_commands(&self) -> Result<(), Error> {
        if self.we_closed || self.failed || self.transport_closed {
            return Err(Error::StreamClosed);
        }
        Ok(())
    }

    /// The client opens each stream; the server answers a header it received
    /// and has not answered yet.
    pub(crate) fn check_open(&self) -> Result<(), Error> {
        self.check_commands()?;
        if self.we_opened {
            return Err(Error::NotAllowed(
                "the stream is open; restart() comes before a new header",
            ));
        }
        if self.role == Role::Server && !self.peer_opened {
            return Err(Error::NotAllowed(
                "the server answers the client's stream header",
            ));
        }
        Ok(())
    }

    /// A client closes a stream it opened; a server may close before
    /// answering (RFC 7395 section 3.4 lets it answer `<open/>` with
    /// `<close/>`; over TCP its header goes first).
    pub(crate) fn check_close(&self) -> Result<(), Error> {
        self.check_commands()?;
        if self.role == Role::Client && !self.we_opened {
            return Err(Error::NotAllowed("the stream is not open"));
        }
        Ok(())
    }

    pub(crate) fn check_send(&self) -> Result<(), Error> {
        self.check_commands()?;
        if !self.we_opened {
            return Err(Error::NotAllowed("send the stream header first"));
        }
        Ok(())
    }

    /// A restart follows a completed header exchange (RFC 6120 section 4.3.3).
    pub(crate) fn check_restart(&self) -> Result<(), Error> {
        self.check_commands()?;
        if self.peer_closed {
            return Err(Error::StreamClosed);
        }
        if !(self.we_opened && self.peer_opened) {
            return Err(Error::NotAllowed(
                "restart after both stream headers were exchanged",
            ));
        }
        Ok(())
    }

    /// Starts the next stream; [`StreamState::check_restart`] passed.
    pub(crate) fn restart(&mut self) {
        self.we_opened = false;
        self.peer_opened = false;
    }

    /// The peer sent more after the element that ends the old stream
    /// (`<proceed/>`, `<success/>`): it belongs to neither stream (after
    /// `<proceed/>` it is plaintext an attacker may have injected), so the
    /// stream fails instead of restarting.
    pub(crate) fn refuse_unread(&mut self) -> Error {
        self.failed = true;
        Error::BadFormat("data between the last element and a restart")
    }

    /// A stream error may be sent until we closed our stream.
    pub(crate) fn check_stream_error(&self) -> Result<(), Error> {
        if self.we_closed || self.transport_closed {
            return Err(Error::StreamClosed);
        }
        Ok(())
    }

    /// A header we send only to carry a stream error. A server names itself
    /// with the domain the client asked for, if that looks like a domain:
    /// short (RFC 7622 section 3.2: at most 1023 bytes) and with nothing to
    /// escape, so a hostile `to` is never reflected, let alone enlarged.
    /// (A caller that knows its domain sends its own header with `open`
    /// before `stream_error`.)
    pub(crate) fn error_header(&self) -> StreamHeader {
        let mut header = StreamHeader::new();
        if self.role == Role::Server {
            header.from = self
                .peer_header
                .as_ref()
                .and_then(|h| h.to.as_deref())
                .filter(|to| to.len() <= 1023 && !to.bytes().any(escape::needs_escape))
                .map(str::to_owned);
        }
        header
    }

    /// Records the transport's end; the event to report.
    pub(crate) fn transport_closed(&mut self) -> Option<crate::Event> {
        if self.transport_closed {
            return None;
        }
        self.transport_closed = true;
        Some(crate::Event::TransportClosed {
            clean: self.peer_closed,
        })
    }
}
