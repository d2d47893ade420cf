//! The shape both transports share, so a session layer can be generic over
//! them.

use crate::{Error, Event, Role, StreamErrorCondition, StreamHeader};

/// The commands and outputs of one XML stream, whatever carries it:
/// [`WsFraming`](crate::WsFraming) (RFC 7395) and
/// [`TcpFraming`](crate::TcpFraming) (RFC 6120).
///
/// Input stays transport-specific (`WsFraming::handle_message` takes whole
/// WebSocket text messages, `TcpFraming::handle_input` takes bytes split
/// anywhere); everything after it is the same: the same [`Event`]s, the
/// same ordering rules (the client opens each stream, the server answers
/// each header once, a stream error goes after our own header when the
/// failure comes first), and restarts through [`Framing::restart`].
///
/// Both types also have these methods inherently, so callers that know the
/// transport need not import the trait.
///
/// ```
/// use chatwire_xmpp_framing::{Event, Framing, StreamErrorCondition, StreamHeader};
///
/// /// A server's answer to every new stream, for either transport.
/// fn answer<F: Framing>(framing: &mut F, out: &mut String) -> Result<(), chatwire_xmpp_framing::Error> {
///     while let Some(event) = framing.poll_event() {
///         match event {
///             Event::StreamOpen(header) if header.to.as_deref() == Some("example.com") => {
///                 framing.open(&StreamHeader::new().with_from("example.com").with_id("s1"))?;
///                 framing.send("<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>")?;
///             }
///             Event::StreamOpen(_) => framing.stream_error(StreamErrorCondition::HostUnknown, None)?,
///             _ => {}
///         }
///     }
///     while framing.poll_transmit(out) > 0 {}
///     Ok(())
/// }
///
/// let mut server = chatwire_xmpp_framing::TcpFraming::server(Default::default());
/// server.handle_input(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>")?;
/// let mut out = String::new();
/// answer(&mut server, &mut out)?;
/// assert!(out.ends_with("<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>"));
/// # Ok::<(), chatwire_xmpp_framing::Error>(())
/// ```
pub trait Framing {
    /// Our role.
    fn role(&self) -> Role;

    /// The peer's latest stream header.
    fn peer_header(&self) -> Option<&StreamHeader>;

    /// Whether the stream is over: close the transport once
    /// [`Framing::poll_transmit`] is drained.
    fn is_closed(&self) -> bool;

    /// Bytes queued for [`Framing::poll_transmit`].
    fn queued_bytes(&self) -> usize;

    /// Queues our stream header: the client's (re)opening, or the server's
    /// answer to the client's latest header.
    fn open(&mut self, header: &StreamHeader) -> Result<(), Error>;

    /// Queues one complete element.
    fn send(&mut self, element: &str) -> Result<(), Error>;

    /// Queues the end of our stream.
    fn close(&mut self) -> Result<(), Error>;

    /// Queues a stream error and the end of our stream, after our header if
    /// it was not sent for the current stream.
    fn stream_error(
        &mut self,
        condition: StreamErrorCondition,
        text: Option<&str>,
    ) -> Result<(), Error>;

    /// Starts a new stream after STARTTLS or SASL succeeded. Call it as
    /// soon as the event of `<proceed/>` or `<success/>` is handled: if the
    /// peer sent anything after that element (not handed out yet, or half
    /// read), it is dropped and the restart fails with [`Error::BadFormat`].
    fn restart(&mut self) -> Result<(), Error>;

    /// The transport closed under us; yields [`Event::TransportClosed`].
    fn handle_transport_closed(&mut self);

    /// The next event, if any.
    fn poll_event(&mut self) -> Option<Event>;

    /// Appends queued output to `out` (one WebSocket message, or all TCP
    /// output); the number of bytes, 0 when nothing is queued.
    fn poll_transmit(&mut self, out: &mut String) -> usize;
}

/// Implements [`Framing`] for a type whose inherent methods of the same
/// names and signatures do the work.
macro_rules! delegate_framing {
    ($framing:ty) => {
        impl $crate::Framing for $framing {
            fn role(&self) -> $crate::Role {
                <$framing>::role(self)
            }
            fn peer_header(&self) -> Option<&$crate::StreamHeader> {
                <$framing>::peer_header(self)
            }
            fn is_closed(&self) -> bool {
                <$framing>::is_closed(self)
            }
            fn queued_bytes(&self) -> usize {
                <$framing>::queued_bytes(self)
            }
            fn open(&mut self, header: &$crate::StreamHeader) -> Result<(), $crate::Error> {
                <$framing>::open(self, header)
            }
            fn send(&mut self, element: &str) -> Result<(), $crate::Error> {
                <$framing>::send(self, element)
            }
            fn close(&mut self) -> Result<(), $crate::Error> {
                <$framing>::close(self)
            }
            fn stream_error(
                &mut self,
                condition: $crate::StreamErrorCondition,
                text: Option<&str>,
            ) -> Result<(), $crate::Error> {
                <$framing>::stream_error(self, condition, text)
            }
            fn restart(&mut self) -> Result<(), $crate::Error> {
                <$framing>::restart(self)
            }
            fn handle_transport_closed(&mut self) {
                <$framing>::handle_transport_closed(self)
            }
            fn poll_event(&mut self) -> Option<$crate::Event> {
                <$framing>::poll_event(self)
            }
            fn poll_transmit(&mut self, out: &mut String) -> usize {
                <$framing>::poll_transmit(self, out)
            }
        }
    };
}
pub(crate) use delegate_framing;
