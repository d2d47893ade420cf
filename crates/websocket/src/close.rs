//! Close codes and close frame payloads (RFC 6455 sections 5.5.1 and 7.4).

use crate::error::ProtocolError;

/// A close status code. Any `u16` can be held; [`CloseCode::is_sendable`]
/// says whether it may appear in a close frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(pub u16);

impl CloseCode {
    /// 1000: the purpose of the connection is fulfilled.
    pub const NORMAL: Self = Self(1000);
    /// 1001: the endpoint is going away (server shutdown, page closed).
    pub const GOING_AWAY: Self = Self(1001);
    /// 1002: protocol error.
    pub const PROTOCOL_ERROR: Self = Self(1002);
    /// 1003: a data type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: Self = Self(1003);
    /// 1007: data inconsistent with the message type (e.g. invalid UTF-8 text).
    pub const INVALID_PAYLOAD: Self = Self(1007);
    /// 1008: a message that violates the endpoint's policy.
    pub const POLICY_VIOLATION: Self = Self(1008);
    /// 1009: a message too big to process.
    pub const TOO_BIG: Self = Self(1009);
    /// 1010: the client expected an extension the server did not negotiate.
    pub const MANDATORY_EXTENSION: Self = Self(1010);
    /// 1011: the server hit an unexpected condition.
    pub const INTERNAL_ERROR: Self = Self(1011);
    /// 1012: the service is restarting; a client may reconnect (IANA registry).
    pub const SERVICE_RESTART: Self = Self(1012);
    /// 1013: the service is overloaded; try again later (IANA registry).
    pub const TRY_AGAIN_LATER: Self = Self(1013);
    /// 1014: a gateway or proxy got an invalid answer upstream (IANA registry).
    pub const BAD_GATEWAY: Self = Self(1014);

    /// Whether the code may be sent in a close frame: 1000-1003 and 1007-1011
    /// (RFC 6455), 1012-1014 (registered with IANA since, in the range section 7.4.2
    /// reserves for that), and 3000-4999 (libraries, frameworks, applications).
    /// 1004-1006 and 1015 are reserved and never sent; everything else is unassigned.
    pub fn is_sendable(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        Self(code)
    }
}

/// The code and reason carried by a close frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CloseFrame {
    /// Why the connection is closing.
    pub code: CloseCode,
    /// Human-readable detail, at most 123 bytes of UTF-8.
    pub reason: String,
}

/// Most bytes a close reason can take: 125 minus the 2-byte code.
pub const MAX_CLOSE_REASON: usize = 123;

/// Parses a received close payload: empty (no code), or a code and a UTF-8 reason.
pub fn parse_close_payload(payload: &[u8]) -> Result<Option<CloseFrame>, ProtocolError> {
    let (code, reason) = match payload {
        [] => return Ok(None),
        [_] => return Err(ProtocolError::CloseFrameTooShort),
        [hi, lo, reason @ ..] => (CloseCode(u16::from_be_bytes([*hi, *lo])), reason),
    };
    if !code.is_sendable() {
        return Err(ProtocolError::InvalidCloseCode(code.0));
    }
    let reason = simdutf8::basic::from_utf8(reason).map_err(|_| ProtocolError::InvalidUtf8)?;
    Ok(Some(CloseFrame {
        code,
        reason: reason.to_owned(),
    }))
}

/// Appends a close payload (code then reason) to `out`.
pub fn write_close_payload(frame: &CloseFrame, out: &mut Vec<u8>) {
    out.extend_from_slice(&frame.code.0.to_be_bytes());
    out.extend_from_slice(frame.reason.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sendable_codes_follow_section_7_4() {
        let sendable: Vec<u16> = (0..=u16::MAX)
            .filter(|c| CloseCode(*c).is_sendable())
            .collect();
        // RFC 6455 section 7.4.1, and the IANA "WebSocket Close Code Number" registry
        // for 1012 (Service Restart), 1013 (Try Again Later) and 1014 (Bad Gateway).
        let expected: Vec<u16> = (1000..=1003)
            .chain(1007..=1014)
            .chain(3000..=4999)
            .collect();
        assert_eq!(sendable, expected);
        for reserved in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(reserved).is_sendable(), "{reserved}");
        }
    }

    #[test]
    fn close_payloads() {
        assert_eq!(parse_close_payload(&[]), Ok(None));
        assert_eq!(
            parse_close_payload(&[0x03]),
            Err(ProtocolError::CloseFrameTooShort)
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xE8, b'o', b'k']),
            Ok(Some(CloseFrame {
                code: CloseCode::NORMAL,
                reason: "ok".into()
            }))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xED]),
            Err(ProtocolError::InvalidCloseCode(1005))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xF4]),
            Ok(Some(CloseFrame {
                code: CloseCode::SERVICE_RESTART,
                reason: String::new()
            }))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xF7]),
            Err(ProtocolError::InvalidCloseCode(1015))
        );
        assert_eq!(
            parse_close_payload(&[0x03, 0xE8, 0xFF]),
            Err(ProtocolError::InvalidUtf8)
        );
    }
}
