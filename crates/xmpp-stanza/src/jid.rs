//! JIDs (RFC 7622): `[localpart@]domainpart[/resourcepart]`.
//!
//! A JID is stored once in its normalised form behind an `Arc<str>`, so a
//! clone is a reference-count increment and comparison is a string
//! comparison. Pure-ASCII parts (nearly every JID on the wire) take a fast
//! path that gives the same answer as the PRECIS profiles.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use precis_core::profile::PrecisFastInvocation;
use precis_profiles::{OpaqueString, UsernameCaseMapped};

/// The longest a part may be (RFC 7622 section 3.1).
pub const MAX_PART_BYTES: usize = 1023;

/// Why a string is not a valid JID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JidError {
    /// The domainpart is empty.
    #[error("empty domainpart")]
    EmptyDomain,
    /// There is an `@` with nothing before it.
    #[error("empty localpart")]
    EmptyLocal,
    /// There is a `/` with nothing after it.
    #[error("empty resourcepart")]
    EmptyResource,
    /// A part is longer than 1023 bytes.
    #[error("{0} longer than 1023 bytes")]
    TooLong(&'static str),
    /// The localpart is not allowed by the UsernameCaseMapped profile or
    /// contains one of `"&'/:<>@`.
    #[error("invalid localpart")]
    Local,
    /// The domainpart is neither an IP literal nor a valid IDNA2008 name.
    #[error("invalid domainpart")]
    Domain,
    /// The resourcepart is not allowed by the OpaqueString profile.
    #[error("invalid resourcepart")]
    Resource,
}

/// A validated, normalised JID, bare or full.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Jid {
    s: Arc<str>,
    /// Byte offset of the domainpart (0 without a localpart).
    domain_start: u16,
    /// Byte offset just past the domainpart.
    domain_end: u16,
}

impl Jid {
    /// Parses and normalises a JID (RFC 7622 section 3).
    pub fn new(s: &str) -> Result<Jid, JidError> {
        let (rest, resource) = match split_at_byte(s, b'/') {
            Some((rest, res)) => (rest, Some(res)),
            None => (s, None),
        };
        let (local, domain) = match split_at_byte(rest, b'@') {
            Some((local, domain)) => (Some(local), domain),
            None => (None, rest),
        };
        let l = local.map(enforce_local).transpose()?;
        let d = enforce_domain(domain)?;
        let r = resource.map(enforce_resource).transpose()?;
        let unchanged = matches!(l, None | Some(Cow::Borrowed(_)))
            && matches!(d, Cow::Borrowed(x) if x.len() == domain.len())
            && matches!(r, None | Some(Cow::Borrowed(_)));
        if unchanged {
            // Already normalised (the common case): one allocation, no rebuild.
            let domain_start = local.map_or(0, |l| l.len() + 1);
            return Ok(Jid {
                s: Arc::from(s),
                domain_start: offset(domain_start, "localpart")?,
                domain_end: offset(domain_start + domain.len(), "domainpart")?,
            });
        }
        Jid::assemble(l, d, r)
    }

    /// Builds a JID from its parts, applying the same rules as [`Jid::new`].
    pub fn from_parts(
        local: Option<&str>,
        domain: &str,
        resource: Option<&str>,
    ) -> Result<Jid, JidError> {
        let local = local.map(enforce_local).transpose()?;
        let domain = enforce_domain(domain)?;
        let resource = resource.map(enforce_resource).transpose()?;
        Jid::assemble(local, domain, resource)
    }

    fn assemble(
        local: Option<Cow<'_, str>>,
        domain: Cow<'_, str>,
        resource: Option<Cow<'_, str>>,
    ) -> Result<Jid, JidError> {
        let mut s = String::with_capacity(
            local.as_ref().map_or(0, |l| l.len() + 1)
                + domain.len()
                + resource.as_ref().map_or(0, |r| r.len() + 1),
        );
        if let Some(l) = &local {
            s.push_str(l);
            s.push('@');
        }
        let domain_start = s.len();
        s.push_str(&domain);
        let domain_end = s.len();
        if let Some(r) = &resource {
            s.push('/');
            s.push_str(r);
        }
        // Each part is at most 1023 bytes, so the offsets fit in u16.
        Ok(Jid {
            s: Arc::from(s),
            domain_start: offset(domain_start, "localpart")?,
            domain_end: offset(domain_end, "domainpart")?,
        })
    }

    /// The whole JID in normalised form.
    pub fn as_str(&self) -> &str {
        &self.s
    }

    /// The localpart, if any.
    pub fn local(&self) -> Option<&str> {
        let end = usize::from(self.domain_start).checked_sub(1)?;
        self.s.get(..end)
    }

    /// The domainpart.
    pub fn domain(&self) -> &str {
        self.s
            .get(usize::from(self.domain_start)..usize::from(self.domain_end))
            .unwrap_or_default()
    }

    /// The resourcepart, if any.
    pub fn resource(&self) -> Option<&str> {
        self.s.get(usize::from(self.domain_end).checked_add(1)?..)
    }

    /// Whether there is no resourcepart.
    pub fn is_bare(&self) -> bool {
        usize::from(self.domain_end) == self.s.len()
    }

    /// Whether there is a resourcepart.
    pub fn is_full(&self) -> bool {
        !self.is_bare()
    }

    /// The JID without its resourcepart (a clone when already bare).
    pub fn to_bare(&self) -> Jid {
        if self.is_bare() {
            return self.clone();
        }
        let bare = self
            .s
            .get(..usize::from(self.domain_end))
            .unwrap_or_default();
        Jid {
            s: Arc::from(bare),
            domain_start: self.domain_start,
            domain_end: self.domain_end,
        }
    }

    /// The bare part of this JID with `resource` as its resourcepart.
    pub fn with_resource(&self, resource: &str) -> Result<Jid, JidError> {
        let resource = enforce_resource(resource)?;
        let bare = self
            .s
            .get(..usize::from(self.domain_end))
            .unwrap_or_default();
        let mut s = String::with_capacity(bare.len() + 1 + resource.len());
        s.push_str(bare);
        s.push('/');
        s.push_str(&resource);
        Ok(Jid {
            s: Arc::from(s),
            domain_start: self.domain_start,
            domain_end: self.domain_end,
        })
    }
}

impl FromStr for Jid {
    type Err = JidError;
    fn from_str(s: &str) -> Result<Jid, JidError> {
        Jid::new(s)
    }
}

impl TryFrom<&str> for Jid {
    type Error = JidError;
    fn try_from(s: &str) -> Result<Jid, JidError> {
        Jid::new(s)
    }
}

impl fmt::Display for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.s)
    }
}

impl fmt::Debug for Jid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jid({:?})", &*self.s)
    }
}

impl AsRef<str> for Jid {
    fn as_ref(&self) -> &str {
        &self.s
    }
}

/// Applies a PRECIS profile once. Enforcement checks the string class on
/// its input, before mapping and normalisation, so an output that differs
/// from the input has its code points checked once more (RFC 8264 section
/// 7 requires enforcement to be idempotent): U+0387 normalises to the
/// contextual U+00B7, which the profile refuses, so the first form is
/// refused too. Input that is already enforced (nearly every JID on the
/// wire) is borrowed and goes through the profile exactly once.
fn precis<'s>(
    s: &'s str,
    enforce: impl Fn(&str) -> Option<Cow<'_, str>>,
    prepare: impl Fn(&str) -> bool,
) -> Option<Cow<'s, str>> {
    count::bump(&count::PRECIS_ENFORCE);
    let out = enforce(s)?;
    if out == s {
        return Some(Cow::Borrowed(s));
    }
    count::bump(&count::PRECIS_CHECK);
    let out = out.into_owned();
    prepare(&out).then_some(Cow::Owned(out))
}

fn offset(n: usize, part: &'static str) -> Result<u16, JidError> {
    u16::try_from(n).map_err(|_| JidError::TooLong(part))
}

fn check_len(s: &str, part: &'static str, empty: JidError) -> Result<(), JidError> {
    if s.is_empty() {
        return Err(empty);
    }
    if s.len() > MAX_PART_BYTES {
        return Err(JidError::TooLong(part));
    }
    Ok(())
}

/// Characters RFC 7622 section 3.3.1 forbids in a localpart on top of the
/// profile: `"&'/:<>@`.
fn is_forbidden_in_local(b: u8) -> bool {
    matches!(b, b'"' | b'&' | b'\'' | b'/' | b':' | b'<' | b'>' | b'@')
}

/// RFC 7622 section 3.3: UsernameCaseMapped plus the forbidden characters.
fn enforce_local(s: &str) -> Result<Cow<'_, str>, JidError> {
    check_len(s, "localpart", JidError::EmptyLocal)?;
    let out = if s.is_ascii() {
        // Printable ASCII is PVALID in the IdentifierClass; only case maps.
        let mut upper = false;
        for b in s.bytes() {
            if !(0x21..=0x7e).contains(&b) || is_forbidden_in_local(b) {
                return Err(JidError::Local);
            }
            upper |= b.is_ascii_uppercase();
        }
        return Ok(if upper {
            Cow::Owned(s.to_ascii_lowercase())
        } else {
            Cow::Borrowed(s)
        });
    } else {
        precis(
            s,
            |x| UsernameCaseMapped::enforce(x).ok(),
            |x| UsernameCaseMapped::prepare(x).is_ok(),
        )
        .ok_or(JidError::Local)?
    };
    if out.bytes().any(is_forbidden_in_local) {
        return Err(JidError::Local);
    }
    check_len(&out, "localpart", JidError::EmptyLocal)?;
    Ok(out)
}

/// RFC 7622 section 3.4: the OpaqueString profile.
fn enforce_resource(s: &str) -> Result<Cow<'_, str>, JidError> {
    check_len(s, "resourcepart", JidError::EmptyResource)?;
    let out = if s.is_ascii() {
        // Printable ASCII and space are valid in the FreeformClass and unmapped.
        if !s
            .bytes()
            .fold(true, |ok, b| ok & (0x20..=0x7e).contains(&b))
        {
            return Err(JidError::Resource);
        }
        Cow::Borrowed(s)
    } else {
        precis(
            s,
            |x| OpaqueString::enforce(x).ok(),
            |x| OpaqueString::prepare(x).is_ok(),
        )
        .ok_or(JidError::Resource)?
    };
    check_len(&out, "resourcepart", JidError::EmptyResource)?;
    Ok(out)
}

/// RFC 7622 section 3.2: an IP literal or an IDNA2008 name, lower-cased,
/// with A-labels turned into U-labels and a final dot removed.
fn enforce_domain(s: &str) -> Result<Cow<'_, str>, JidError> {
    let s = s.strip_suffix('.').unwrap_or(s);
    check_len(s, "domainpart", JidError::EmptyDomain)?;
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let addr: std::net::Ipv6Addr = inner.parse().map_err(|_| JidError::Domain)?;
        return Ok(Cow::Owned(format!("[{addr}]")));
    }
    match plain_ldh_domain(s) {
        Some(true) => Ok(Cow::Owned(s.to_ascii_lowercase())),
        Some(false) => Ok(Cow::Borrowed(s)),
        None => idna_domain(s),
    }
}

/// The domainpart through UTS #46 (IDNA2008 with the STD3 rules and the
/// hyphen and DNS length checks), in one pass that yields both the
/// Unicode form (what a JID holds) and the ASCII form (whose length DNS
/// limits).
fn idna_domain(s: &str) -> Result<Cow<'_, str>, JidError> {
    use idna::uts46::{AsciiDenyList, ErrorPolicy, Hyphens, ProcessingSuccess, Uts46};
    count::bump(&count::IDNA);
    let mut unicode = String::new();
    let mut ascii = String::new();
    let outcome = Uts46::new().process(
        s.as_bytes(),
        AsciiDenyList::STD3,
        Hyphens::Check,
        ErrorPolicy::FailFast,
        |_, _, _| true,
        &mut unicode,
        Some(&mut ascii),
    );
    let (unicode, ascii) = match outcome {
        Ok(ProcessingSuccess::Passthrough) => (Cow::Borrowed(s), s),
        Ok(ProcessingSuccess::WroteToSink) if ascii.is_empty() => {
            let unicode = Cow::<str>::Owned(unicode);
            if !idna::uts46::verify_dns_length(&unicode, false) {
                return Err(JidError::Domain);
            }
            return Ok(unicode);
        }
        Ok(ProcessingSuccess::WroteToSink) => (Cow::Owned(unicode), ascii.as_str()),
        Err(_) => return Err(JidError::Domain),
    };
    if !ascii.is_ascii() || !idna::uts46::verify_dns_length(ascii, false) {
        return Err(JidError::Domain);
    }
    check_len(&unicode, "domainpart", JidError::EmptyDomain)?;
    Ok(unicode)
}

/// Splits at the first `b` (an ASCII byte, so both halves stay UTF-8).
fn split_at_byte(s: &str, b: u8) -> Option<(&str, &str)> {
    let i = s.as_bytes().iter().position(|&x| x == b)?;
    Some((s.get(..i)?, s.get(i.checked_add(1)?..)?))
}

/// The longest domain name in text form, without a final dot (RFC 1035
/// section 2.3.4: 255 octets on the wire).
const MAX_DOMAIN_BYTES: usize = 253;

/// Letters, digits and hyphens in at most 253 bytes, labels of 1 to 63
/// bytes that neither begin nor end with a hyphen and have no hyphens in
/// both the third and fourth places (RFC 5890 section 2.3.1: those are
/// reserved, `xn--` A-labels among them, which need converting to
/// U-labels). Some(whether there are upper-case letters) for such a name,
/// which UTS #46 would pass through unchanged but for the case; None sends
/// the name down the slow path.
fn plain_ldh_domain(s: &str) -> Option<bool> {
    if s.len() > MAX_DOMAIN_BYTES {
        return None;
    }
    // The character set first, in a branch-free pass the compiler can
    // vectorise; then the label rules, a few checks per label.
    let (bad, upper) = s.bytes().fold((false, false), |(bad, upper), b| {
        let ldh = b.is_ascii_lowercase() | b.is_ascii_digit() | (b == b'-') | (b == b'.');
        let up = b.is_ascii_uppercase();
        (bad | !(ldh | up), upper | up)
    });
    if bad {
        return None;
    }
    s.split('.')
        .all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b.len() <= 63
                && b.first() != Some(&b'-')
                && b.last() != Some(&b'-')
                && b.get(2..4) != Some(b"--")
        })
        .then_some(upper)
}

/// Counts preparations in unit tests, so that a test can see each part
/// goes through PRECIS or IDNA once; nothing in other builds.
mod count {
    #[cfg(test)]
    use std::cell::Cell;

    #[cfg(test)]
    thread_local! {
        pub(super) static PRECIS_ENFORCE: Cell<usize> = const { Cell::new(0) };
        pub(super) static PRECIS_CHECK: Cell<usize> = const { Cell::new(0) };
        pub(super) static IDNA: Cell<usize> = const { Cell::new(0) };
    }

    #[cfg(test)]
    pub(super) fn bump(counter: &'static std::thread::LocalKey<Cell<usize>>) {
        counter.with(|c| c.set(c.get().saturating_add(1)));
    }

    #[cfg(test)]
    pub(super) fn take(counter: &'static std::thread::LocalKey<Cell<usize>>) -> usize {
        counter.with(|c| c.replace(0))
    }

    #[cfg(not(test))]
    pub(super) struct Counter;
    #[cfg(not(test))]
    pub(super) const PRECIS_ENFORCE: Counter = Counter;
    #[cfg(not(test))]
    pub(super) const PRECIS_CHECK: Counter = Counter;
    #[cfg(not(test))]
    pub(super) const IDNA: Counter = Counter;

    #[cfg(not(test))]
    #[inline(always)]
    pub(super) fn bump(_: &Counter) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> String {
        Jid::new(s)
            .unwrap_or_else(|e| panic!("{s}: {e}"))
            .to_string()
    }

    #[test]
    fn rfc7622_valid_examples() {
        // RFC 7622 section 3.5 examples of valid JIDs.
        for s in [
            "juliet@example.com",
            "juliet@example.com/foo",
            "juliet@example.com/foo bar",
            "juliet@example.com/foo@bar",
            "foo\\20bar@example.com",
            "fussball@example.com",
            "fu\u{df}ball@example.com",
            "\u{3c0}@example.com",
            "\u{3a3}@example.com/foo",
            "\u{3c3}@example.com/foo",
            "\u{3c2}@example.com",
            "king@example.com/\u{265a}",
            "example.com",
            "example.com/foobar",
            "a.example.com/b@example.net",
        ] {
            ok(s);
        }
        assert_eq!(ok("\u{3a3}@example.com/foo"), "\u{3c3}@example.com/foo");
        assert_eq!(ok("\u{3c2}@example.com"), "\u{3c2}@example.com");
    }

    #[test]
    fn ldh_fast_path() {
        assert_eq!(plain_ldh_domain("a-b.Example9"), Some(true));
        assert_eq!(plain_ldh_domain("a.example"), Some(false));
        for s in [
            "", "a..b", "-a.b", "a-.b", "a.", "a_b", "xn--a.b", "a.XN--b", "ab--cd", "a.b.ab--",
        ] {
            assert_eq!(plain_ldh_domain(s), None, "{s}");
        }
        assert_eq!(plain_ldh_domain("a--b.c-d.ab-c"), Some(false));
        assert_eq!(plain_ldh_domain(&"a".repeat(63)), Some(false));
        assert_eq!(plain_ldh_domain(&"a".repeat(64)), None);
        // RFC 1035 section 2.3.4: 253 bytes without the final dot.
        let label = "a".repeat(63);
        let longest = format!("{label}.{label}.{label}.{}", "a".repeat(61));
        assert_eq!(longest.len(), 253);
        assert_eq!(plain_ldh_domain(&longest), Some(false));
        assert_eq!(plain_ldh_domain(&format!("{longest}a")), None);
        assert!(Jid::new(&format!("{longest}a")).is_err());
        assert_eq!(ok(&format!("{longest}.")), longest);
        assert!(Jid::new("a@ab--cd.example").is_err());
        assert_eq!(ok("juliet@EXAMPLE-1.com"), "juliet@example-1.com");
        assert!(Jid::new("juliet@a..com").is_err());
    }

    #[test]
    fn rfc7622_invalid_examples() {
        // RFC 7622 section 3.5 examples of invalid JIDs.
        for s in [
            "\"juliet\"@example.com",
            "foo bar@example.com",
            "@example.com/",
            "henry\u{2163}@example.com",
            "\u{265a}@example.com",
            "juliet@",
            "/foobar",
        ] {
            assert!(Jid::new(s).is_err(), "{s} accepted");
        }
    }

    #[test]
    fn case_and_width_mapping() {
        assert_eq!(
            ok("Juliet@Example.COM/Balcony"),
            "juliet@example.com/Balcony"
        );
        // Full-width letters map to their ASCII forms in the localpart.
        assert_eq!(ok("\u{ff2a}uliet@example.com"), "juliet@example.com");
        // The domain is lower-cased and IDNA-mapped; A-labels become U-labels.
        assert_eq!(
            ok("juliet@M\u{dc}NCHEN.example"),
            "juliet@m\u{fc}nchen.example"
        );
        assert_eq!(
            ok("juliet@xn--mnchen-3ya.example"),
            "juliet@m\u{fc}nchen.example"
        );
        assert_eq!(ok("example.com."), "example.com");
    }

    #[test]
    fn ip_literals() {
        assert_eq!(ok("a@127.0.0.1/r"), "a@127.0.0.1/r");
        assert_eq!(ok("a@[::1]"), "a@[::1]");
        assert_eq!(ok("a@[2001:DB8:0::1]"), "a@[2001:db8::1]");
        assert!(Jid::new("a@[nope]").is_err());
    }

    #[test]
    fn forbidden_and_empty() {
        for s in [
            "",
            "a@",
            "@b",
            "a@b/",
            "a&b@c",
            "a'b@c",
            "a:b@c",
            "a<b@c",
            "a>b@c",
            "a@b@c",
            "a@-b.c",
            "a@b_c",
            "a@b..c",
            "a@b/\u{7}",
            "a\u{0}@b",
        ] {
            assert!(Jid::new(s).is_err(), "{s:?} accepted");
        }
    }

    #[test]
    fn enforcement_is_idempotent() {
        // Found by the jid_parse fuzzer: U+0387 normalises to U+00B7, which
        // the profile then refuses, so the first form must be refused too.
        assert_eq!(Jid::new("a@x/ra\u{387}"), Err(JidError::Resource));
        assert_eq!(Jid::new("a@x/ra\u{b7}"), Err(JidError::Resource));
    }

    #[test]
    fn size_limits() {
        let long = "a".repeat(1023);
        ok(&format!("{long}@example.com/{long}"));
        assert_eq!(
            Jid::new(&format!("{long}a@example.com")),
            Err(JidError::TooLong("localpart"))
        );
        assert_eq!(
            Jid::new(&format!("a@example.com/{long}a")),
            Err(JidError::TooLong("resourcepart"))
        );
        let label = "a".repeat(64);
        assert!(Jid::new(&format!("a@{label}.com")).is_err());
    }

    #[test]
    fn parts_and_forms() {
        let j = Jid::new("romeo@example.net/orchard").unwrap();
        assert_eq!(j.local(), Some("romeo"));
        assert_eq!(j.domain(), "example.net");
        assert_eq!(j.resource(), Some("orchard"));
        assert!(j.is_full());
        let bare = j.to_bare();
        assert_eq!(bare.as_str(), "romeo@example.net");
        assert!(bare.is_bare());
        assert_eq!(bare.resource(), None);
        assert_eq!(bare.with_resource("x/y").unwrap().resource(), Some("x/y"));
        let d = Jid::new("example.net").unwrap();
        assert_eq!(d.local(), None);
        assert_eq!(d.domain(), "example.net");
        assert!(Jid::new("a@b").unwrap() < Jid::new("a@b/c").unwrap());
        assert_eq!(
            Jid::from_parts(Some("A"), "B.example", Some("r")).unwrap(),
            Jid::new("a@b.example/r").unwrap()
        );
    }

    /// The three counters, read and reset.
    fn preparations() -> (usize, usize, usize) {
        (
            count::take(&count::PRECIS_ENFORCE),
            count::take(&count::PRECIS_CHECK),
            count::take(&count::IDNA),
        )
    }

    #[test]
    fn each_part_is_prepared_once() {
        preparations();
        // Already enforced (what peers are asked to send): one pass each.
        ok("j\u{fc}rgen@m\u{fc}nchen.example/b\u{e4}r");
        assert_eq!(preparations(), (2, 0, 1));
        // Mapped on the way: one pass each, plus a class check of each
        // changed output.
        ok("J\u{dc}RGEN@M\u{dc}NCHEN.example/b\u{e4}r\u{a0}x");
        assert_eq!(preparations(), (2, 2, 1));
        // ASCII takes the fast paths.
        ok("Juliet@Example.COM/Balcony");
        assert_eq!(preparations(), (0, 0, 0));
        // A refused part stops there.
        assert!(Jid::new("\u{265a}@m\u{fc}nchen.example").is_err());
        assert_eq!(preparations(), (1, 0, 0));
    }

    /// The slow path alone, as `enforce_domain` would be without the fast path.
    fn slow_domain(s: &str) -> Result<String, JidError> {
        let s = s.strip_suffix('.').unwrap_or(s);
        check_len(s, "domainpart", JidError::EmptyDomain)?;
        idna_domain(s).map(Cow::into_owned)
    }

    fn domain_label() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[a-zA-Z0-9]{1,3}",
            "[a-z0-9-]{1,8}",
            // Hyphens in the third and fourth places.
            "[a-zA-Z0-9]{2}--[a-z0-9-]{0,4}",
            "[xX][nN]--[a-z0-9]{1,10}",
            // A-labels that decode.
            Just("xn--mnchen-3ya".to_owned()),
            Just("xn--r8jz45g".to_owned()),
            // U-labels, mapped characters, disallowed ones.
            "[a-z\u{e4}\u{f6}\u{fc}\u{df}\u{3b1}-\u{3c9}\u{4e00}-\u{4e10}]{1,10}",
            "[A-Z\u{c4}\u{d6}\u{dc}\u{ff21}-\u{ff3a}\u{2163}_]{1,4}",
            // Around the 63-byte label limit.
            "[a-z]{60,66}",
        ]
    }

    fn domain() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            (
                proptest::collection::vec(domain_label(), 1..6),
                any::<bool>()
            ),
            // Names around the 253-byte limit.
            (
                proptest::collection::vec("[a-z]{60,66}", 3..5),
                any::<bool>()
            ),
        ]
        .prop_map(|(labels, dot)| {
            let mut d = labels.join(".");
            if dot {
                d.push('.');
            }
            d
        })
    }

    proptest::proptest! {
        #[test]
        fn domain_fast_path_matches_slow_path(d in domain()) {
            let fast = enforce_domain(&d).map(Cow::into_owned);
            proptest::prop_assert_eq!(fast, slow_domain(&d));
        }

        #[test]
        fn ldh_fast_path_only_takes_what_the_slow_path_keeps(d in "[a-zA-Z0-9.-]{1,300}") {
            if let Some(upper) = plain_ldh_domain(&d) {
                let slow = idna_domain(&d).map(Cow::into_owned);
                proptest::prop_assert_eq!(slow, Ok(d.to_ascii_lowercase()));
                proptest::prop_assert_eq!(upper, d.bytes().any(|b| b.is_ascii_uppercase()));
            }
        }

        #[test]
        fn never_panics_and_is_idempotent(s in "\\PC{0,40}") {
            if let Ok(j) = Jid::new(&s) {
                let again = Jid::new(j.as_str()).unwrap();
                proptest::prop_assert_eq!(&again, &j);
                proptest::prop_assert_eq!(again.local(), j.local());
                proptest::prop_assert_eq!(again.resource(), j.resource());
            }
        }

        #[test]
        fn ascii_fast_path_matches_precis(s in "[!-~]{1,20}") {
            let fast = enforce_local(&s).ok().map(|c| c.into_owned());
            let slow = UsernameCaseMapped::enforce(s.as_str()).ok()
                .filter(|o| !o.contains(['"', '&', '\'', '/', ':', '<', '>', '@']))
                .map(|c| c.into_owned());
            proptest::prop_assert_eq!(fast, slow);
            let fast = enforce_resource(&s).ok().map(|c| c.into_owned());
            let slow = OpaqueString::enforce(s.as_str()).ok().map(|c| c.into_owned());
            proptest::prop_assert_eq!(fast, slow);
        }
    }
}
