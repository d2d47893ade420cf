//! Errors: what the peer did wrong (with the close code it earns) apart from
//! what the caller asked for that cannot be done.

use crate::close::CloseCode;

/// A violation of RFC 6455 by the peer. Each one fails the connection with
/// the close code [`ProtocolError::close_code`] names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// An opcode reserved for future use (0x3-0x7, 0xB-0xF).
    #[error("reserved opcode {0:#x}")]
    ReservedOpCode(u8),
    /// RSV bits set that no negotiated extension defines.
    #[error("reserved bits {0:#05b} set without an extension")]
    ReservedBits(u8),
    /// A client sent a frame without a mask (section 5.1).
    #[error("client frame is not masked")]
    UnmaskedFrame,
    /// A server sent a masked frame (section 5.1).
    #[error("server frame is masked")]
    MaskedFrame,
    /// A payload length not in its shortest encoding (section 5.2).
    #[error("payload length not minimally encoded")]
    NonMinimalLength,
    /// A 64-bit payload length with its most significant bit set (section 5.2).
    #[error("payload length has its top bit set")]
    LengthTopBitSet,
    /// A control frame without FIN (section 5.5).
    #[error("fragmented control frame")]
    FragmentedControlFrame,
    /// A control frame with more than 125 bytes of payload (section 5.5).
    #[error("control frame payload over 125 bytes")]
    ControlFrameTooLong,
    /// A continuation frame with no message to continue (section 5.4).
    #[error("continuation frame without a message in progress")]
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message is in progress (section 5.4).
    #[error("new data frame inside a fragmented message")]
    ExpectedContinuation,
    /// A close frame with a one-byte payload (section 5.5.1).
    #[error("close frame payload of one byte")]
    CloseFrameTooShort,
    /// A close code that may not appear on the wire (section 7.4).
    #[error("invalid close code {0}")]
    InvalidCloseCode(u16),
    /// Text (a text message or a close reason) that is not UTF-8 (section 8.1).
    #[error("invalid UTF-8 in text")]
    InvalidUtf8,
    /// A frame larger than [`Limits::max_frame_size`](crate::Limits::max_frame_size).
    #[error("frame exceeds the size limit")]
    FrameTooLarge,
    /// A message larger than [`Limits::max_message_size`](crate::Limits::max_message_size).
    #[error("message exceeds the size limit")]
    MessageTooLarge,
    /// A message in more frames than [`Limits::max_fragments`](crate::Limits::max_fragments).
    #[error("message exceeds the fragment limit")]
    TooManyFragments,
    /// A compressed message (RFC 7692) that is not valid raw deflate data.
    #[error("invalid compressed data")]
    InvalidCompressedData,
}

impl ProtocolError {
    /// The close code sent when failing the connection for this error (section 7.4.1).
    pub fn close_code(&self) -> CloseCode {
        match self {
            Self::InvalidUtf8 | Self::InvalidCompressedData => CloseCode::INVALID_PAYLOAD,
            Self::FrameTooLarge | Self::MessageTooLarge | Self::TooManyFragments => {
                CloseCode::TOO_BIG
            }
            _ => CloseCode::PROTOCOL_ERROR,
        }
    }
}

/// An error from a [`Connection`](crate::Connection) call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke the protocol; a close frame with the matching code is queued
    /// and the connection is now closed.
    #[error("protocol violation: {0}")]
    Protocol(#[from] ProtocolError),
    /// A message or close was requested after this side sent its close frame
    /// (or after the close timed out).
    #[error("the connection is closing or closed")]
    Closed,
    /// A ping, pong or close payload over 125 bytes was requested.
    #[error("control frame payload over 125 bytes")]
    ControlPayloadTooLong,
    /// A close code that an endpoint may not send (section 7.4).
    #[error("close code {0} may not be sent")]
    InvalidCloseCode(u16),
    /// The connection has failed (the peer broke the protocol or went silent) with
    /// this code: nothing more can be sent. Its close frame carries the code, unless
    /// this side had sent its own close frame before the failure.
    #[error("the connection failed with close code {}", .0.0)]
    Failed(CloseCode),
    /// Queuing this frame would take the output past
    /// [`Config::max_queued_output`](crate::Config::max_queued_output): write out
    /// what [`poll_transmit`](crate::Connection::poll_transmit) returns first, or
    /// give up on a peer that does not read.
    #[error("{queued} bytes queued, {needed} more would pass the limit of {limit}")]
    OutputFull {
        /// Bytes already queued.
        queued: usize,
        /// Encoded size of the refused frame.
        needed: usize,
        /// [`Config::max_queued_output`](crate::Config::max_queued_output).
        limit: usize,
    },
}
