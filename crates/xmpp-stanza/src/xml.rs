//! Restricted XML (RFC 6120 section 11) on top of quick-xml: namespace
//! resolution, the well-formedness checks quick-xml leaves to its caller,
//! per-element limits, and the writer helpers every element shares.
//!
//! The reader works on one complete top-level element. quick-xml splits it
//! into tags, text and references; names, attributes, references and `]]>`
//! are checked here against XML 1.0 (fifth edition) and Namespaces in XML
//! 1.0. Namespace prefixes are resolved here rather than by quick-xml so
//! that the framing layer's context (the inherited default namespace and
//! the prefixes of a TCP stream header) is bound before the first byte is
//! read.

use std::borrow::Cow;
use std::ops::Deref;
use std::rc::Rc;

use quick_xml::events::{BytesStart, Event};

use crate::error::{EXCERPT_CHARS, Error, excerpt, excerpt_of};
use crate::extra_attr::ExtraAttr;
use crate::ns;
use crate::serialize_error::SerializeError;
use crate::{Context, Limits};

/// What an element kept in an unknown-payload tree counts against
/// [`Limits::max_nodes`]: minidom stores one in 170 to 550 bytes (an
/// element with one child pays for four in its child vector), several
/// times what a typed value takes per node (measured in `tests/memory.rs`).
const TREE_ELEMENT_NODES: usize = 5;

/// Each element of a tree keeps its own copy of its namespace name (and a
/// prefixed attribute may too), so copies count one more node per this
/// many bytes: a long namespace inherited by many small elements costs
/// what it occupies.
const NAMESPACE_BYTES_PER_NODE: usize = 64;

/// What a map minidom keeps attributes in counts against
/// [`Limits::max_nodes`]: attributes live in a B-tree per namespace inside
/// a B-tree of namespaces, and the first entry of each allocates a whole
/// leaf of about 540 bytes. An element's first attribute costs two such
/// leaves, an attribute with a prefix new to the element one more.
const ATTR_MAP_NODES: usize = 5;

/// Namespace names of prefixed attributes kept for sharing within a tree.
const SHARED_ATTR_NAMESPACES: usize = 4;

/// The namespace name `xmlns` prefixes are bound to; nothing else may be.
pub(crate) const XMLNS_NAMESPACE: &str = "http://www.w3.org/2000/xmlns/";

/// A namespace name as bound: borrowed from the input or the context, or
/// shared once resolved when it was written with references. Every
/// element and prefixed attribute in its scope holds a clone, so a clone
/// never copies the name.
#[derive(Clone)]
enum NsName<'a> {
    Borrowed(&'a str),
    Shared(Rc<str>),
}

impl Deref for NsName<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            NsName::Borrowed(s) => s,
            NsName::Shared(s) => s,
        }
    }
}

impl<'a> From<Cow<'a, str>> for NsName<'a> {
    /// Inlined, so that the common borrowed name is written straight into
    /// its binding rather than returned through memory.
    #[inline]
    fn from(s: Cow<'a, str>) -> Self {
        match s {
            Cow::Borrowed(s) => NsName::Borrowed(s),
            Cow::Owned(s) => NsName::Shared(Rc::from(s)),
        }
    }
}

/// A namespace binding in scope: `prefix` None is the default namespace.
struct Binding<'a> {
    prefix: Option<&'a str>,
    ns: NsName<'a>,
    /// The position in the stack of the first binding in scope to the
    /// same namespace name: equal for equal names, so attributes compare
    /// their namespaces without comparing the names again.
    ns_id: usize,
    depth: usize,
}

/// An attribute that is not a namespace declaration. A prefix is looked
/// up again where its namespace is needed (duplicate checks and kept
/// trees, both rare), which keeps the common attribute small.
struct Attr<'a> {
    prefix: Option<&'a str>,
    local: &'a str,
    value: Cow<'a, str>,
}

/// A start tag with its element namespace resolved and its attributes
/// read once.
pub(crate) struct Start<'a> {
    local: &'a str,
    ns: NsName<'a>,
    attrs: Vec<Attr<'a>>,
}

impl<'a> Start<'a> {
    /// The local name (without prefix).
    pub(crate) fn local(&self) -> &'a str {
        self.local
    }

    /// The resolved namespace.
    pub(crate) fn ns(&self) -> &str {
        &self.ns
    }

    /// Whether this is `name` in `ns`.
    pub(crate) fn is(&self, name: &str, ns: &str) -> bool {
        self.local() == name && *self.ns == *ns
    }

    /// Calls `f` for every attribute that is not a namespace declaration,
    /// with its prefix (if any), local name and unescaped value. Most child
    /// elements have none: that is checked inline, the loop is a call.
    #[inline]
    pub(crate) fn each_attr<'s>(
        &'s self,
        f: impl FnMut(Option<&'s str>, &'s str, Cow<'s, str>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.attrs.is_empty() {
            return Ok(());
        }
        self.each_attr_of_many(f)
    }

    /// [`Start::each_attr`] for a tag with attributes.
    #[inline(never)]
    fn each_attr_of_many<'s>(
        &'s self,
        mut f: impl FnMut(Option<&'s str>, &'s str, Cow<'s, str>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        for attr in &self.attrs {
            f(attr.prefix, attr.local, Cow::Borrowed(&attr.value))?;
        }
        Ok(())
    }

    /// The value of the unprefixed attribute `name`, borrowing the input
    /// where the attribute does.
    pub(crate) fn attr_cow(&self, name: &str) -> Option<Cow<'a, str>> {
        self.attrs
            .iter()
            .find(|a| a.prefix.is_none() && a.local == name)
            .map(|a| a.value.clone())
    }
}

/// One token of the element being read.
pub(crate) enum Token<'a> {
    /// A child element starts.
    Start(Start<'a>),
    /// Character data (entities already resolved).
    Text(Cow<'a, str>),
    /// The element whose content is being read ends.
    End,
}

/// Pull reader over one top-level element.
pub(crate) struct Reader<'a> {
    input: &'a str,
    xml: quick_xml::Reader<&'a [u8]>,
    bindings: Vec<Binding<'a>>,
    /// How many of `bindings` the context made, which
    /// [`Limits::max_namespaces`] does not count.
    context_bindings: usize,
    depth: usize,
    limits: Limits,
    /// No `&`, tab, newline or carriage return anywhere in the input, so
    /// no attribute value needs unescaping or normalising.
    plain: bool,
    /// Some `]` in the input, so character data may hold `]]>`.
    brackets: bool,
    /// Elements, attributes and text nodes read so far, weighted as
    /// [`Limits::max_nodes`] describes.
    nodes: usize,
    /// The last token was character data, so more of it continues the
    /// same text node.
    in_text: bool,
    /// Namespace names already copied for prefixed attributes of trees.
    attr_namespaces: Vec<minidom::rxml::Namespace<'static>>,
    /// Elements read into trees so far that are in `jabber:client` or
    /// `jabber:server`: a tree that added none needs no re-scoping.
    content_ns_elements: usize,
}

impl<'a> Reader<'a> {
    /// Checks the whole input once (size, UTF-8, legal characters) and
    /// binds the context's namespaces. Inlined, so that the reader is built
    /// where its caller keeps it rather than moved there.
    #[inline(always)]
    pub(crate) fn new(input: &'a [u8], ctx: &'a Context) -> Result<Self, Error> {
        let (text, Scan { plain, brackets }) = check_input(input, ctx)?;
        let mut bindings: Vec<Binding<'a>> = Vec::with_capacity(8);
        // The two defaults are written out: a content namespace is never
        // the stream namespace, so each is the first binding to its name.
        bindings.push(Binding {
            prefix: None,
            ns: NsName::Borrowed(ctx.namespace.as_str()),
            ns_id: 0,
            depth: 0,
        });
        bindings.push(Binding {
            prefix: Some("stream"),
            ns: NsName::Borrowed(ns::STREAM),
            ns_id: 1,
            depth: 0,
        });
        // The context's prefixes are declared after the two defaults, so
        // they win over them when they rebind.
        for (prefix, ns) in ctx.prefixes() {
            bindings.push(Binding {
                prefix: Some(prefix),
                ns: NsName::Borrowed(ns),
                ns_id: ns_id(&bindings, ns),
                depth: 0,
            });
        }
        let mut reader = Self {
            input: text,
            xml: quick_xml::Reader::from_str(text),
            context_bindings: bindings.len(),
            bindings,
            depth: 0,
            limits: ctx.limits,
            plain,
            brackets,
            nodes: 0,
            in_text: false,
            attr_namespaces: Vec::new(),
            content_ns_elements: 0,
        };
        // Configured in place, so that quick-xml's reader is not built
        // once on its own and then copied into this one.
        let config = reader.xml.config_mut();
        config.expand_empty_elements = true;
        config.check_end_names = true;
        config.trim_text(false);
        Ok(reader)
    }

    /// Reads up to the top-level start tag, skipping leading whitespace.
    pub(crate) fn root(&mut self) -> Result<Start<'a>, Error> {
        loop {
            match self.next()? {
                Token::Start(start) => return Ok(start),
                Token::Text(t) if is_whitespace(&t) => {}
                Token::Text(_) => return Err(Error::Xml("text outside the element".into())),
                Token::End => return Err(Error::Xml("no element".into())),
            }
        }
    }

    /// After the top-level element: only whitespace may follow.
    pub(crate) fn finish(&mut self) -> Result<(), Error> {
        loop {
            match self.xml.read_event().map_err(xml_error)? {
                Event::Eof => return Ok(()),
                Event::Text(t) if is_whitespace(&t.xml10_content()) => {}
                _ => return Err(Error::Xml("content after the element".into())),
            }
        }
    }

    /// The next token inside the current element.
    pub(crate) fn next(&mut self) -> Result<Token<'a>, Error> {
        let event = self.xml.read_event().map_err(xml_error)?;
        let is_text = matches!(
            event,
            Event::Text(_) | Event::CData(_) | Event::GeneralRef(_)
        );
        if is_text && !self.in_text {
            self.charge(1)?;
        }
        self.in_text = is_text;
        match event {
            Event::Start(raw) => self.start(raw).map(Token::Start),
            Event::End(_) => {
                // Bindings are pushed in document order, so the closing
                // element's are the last ones.
                while self.bindings.last().is_some_and(|b| b.depth >= self.depth) {
                    self.bindings.pop();
                }
                self.depth = self.depth.saturating_sub(1);
                Ok(Token::End)
            }
            Event::Text(t) => {
                // XML 1.0 production [14]: character data never has `]]>`,
                // looked for only when the input has a `]` at all.
                if self.brackets && t[..].contains("]]>") {
                    return Err(Error::Xml("']]>' in character data".into()));
                }
                Ok(Token::Text(t.xml10_content()))
            }
            Event::CData(c) => Ok(Token::Text(c.xml10_content())),
            Event::GeneralRef(r) => resolve_ref(&r.into_inner()).map(|c| Token::Text(char_text(c))),
            Event::Empty(_) => Err(Error::Xml("unexpanded empty element".into())),
            Event::Comment(_) => Err(Error::Restricted("comment")),
            Event::PI(_) | Event::Decl(_) => Err(Error::Restricted("processing instruction")),
            Event::DocType(_) => Err(Error::Restricted("document type declaration")),
            Event::Eof => Err(Error::Xml("unexpected end of input".into())),
        }
    }

    /// Collects the character data of the current element up to its end;
    /// child elements are not allowed.
    pub(crate) fn text(&mut self) -> Result<String, Error> {
        self.text_cow().map(Cow::into_owned)
    }

    /// Like [`Reader::text`], borrowing the input when the content is one
    /// piece without references.
    pub(crate) fn text_cow(&mut self) -> Result<Cow<'a, str>, Error> {
        let mut out = Cow::Borrowed("");
        loop {
            match self.next()? {
                Token::Text(t) if out.is_empty() => out = t,
                Token::Text(t) => out.to_mut().push_str(&t),
                Token::End => return Ok(out),
                Token::Start(s) => return Err(Error::Unexpected(excerpt(s.local()))),
            }
        }
    }

    /// Skips the rest of the current element, children included.
    pub(crate) fn skip(&mut self) -> Result<(), Error> {
        let mut open = 1usize;
        while open > 0 {
            match self.next()? {
                Token::Start(_) => open = open.saturating_add(1),
                Token::End => open = open.saturating_sub(1),
                Token::Text(_) => {}
            }
        }
        Ok(())
    }

    /// Reads the element `start` and its content into a minidom tree, so an
    /// unknown extension survives a round trip.
    pub(crate) fn tree(&mut self, start: Start<'a>) -> Result<minidom::Element, Error> {
        let Start { local, ns, attrs } = start;
        // `start` and its attributes were counted once when read.
        self.charge(
            (TREE_ELEMENT_NODES - 1)
                .saturating_add(ns.len() / NAMESPACE_BYTES_PER_NODE)
                .saturating_add(attr_map_nodes(&attrs)),
        )?;
        let name = rxml_name(local)?;
        if is_content_ns(&ns) {
            self.content_ns_elements = self.content_ns_elements.saturating_add(1);
        }
        let mut el = minidom::Element::bare(name.as_str(), &*ns);
        if !attrs.is_empty() {
            self.tree_attrs(&mut el, attrs)?;
        }
        loop {
            match self.next()? {
                Token::Start(child) => {
                    let child = self.tree(child)?;
                    el.append_child(child);
                }
                Token::Text(t) => {
                    if !t.is_empty() {
                        el.append_text(t.into_owned());
                    }
                }
                Token::End => return Ok(el),
            }
        }
    }

    /// Copies the attributes of a tree element into `el`.
    fn tree_attrs(&mut self, el: &mut minidom::Element, attrs: Vec<Attr<'a>>) -> Result<(), Error> {
        for Attr {
            prefix,
            local,
            value,
            ..
        } in attrs
        {
            let ns = match prefix {
                None => minidom::rxml::Namespace::NONE,
                Some(_) => {
                    // The element's bindings are still in scope.
                    let (ns, _) = self.lookup(prefix)?;
                    // minidom compares the namespace name on every insert.
                    self.charge(ns.len() / NAMESPACE_BYTES_PER_NODE)?;
                    self.attr_namespace(&ns)
                }
            };
            // Duplicates were refused when the tag was read.
            el.set_attr(ns, rxml_name(local)?, value.into_owned());
        }
        Ok(())
    }

    /// How many elements read into trees so far were in a content
    /// namespace (`jabber:client` or `jabber:server`).
    pub(crate) fn content_ns_elements(&self) -> usize {
        self.content_ns_elements
    }

    /// A namespace name for a prefixed attribute of a tree, shared with the
    /// attributes before it where it repeats. The caller has charged for
    /// its length, which bounds comparing it here as well as copying it.
    fn attr_namespace(&mut self, ns: &str) -> minidom::rxml::Namespace<'static> {
        if ns == ns::XML {
            return minidom::rxml::Namespace::XML;
        }
        if let Some(shared) = self.attr_namespaces.iter().find(|n| n.as_str() == ns) {
            return shared.clone();
        }
        let copy = minidom::rxml::Namespace::from(ns.to_owned());
        if self.attr_namespaces.len() >= SHARED_ATTR_NAMESPACES {
            self.attr_namespaces.remove(0);
        }
        self.attr_namespaces.push(copy.clone());
        copy
    }

    /// Counts `n` more nodes against the limit.
    fn charge(&mut self, n: usize) -> Result<(), Error> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Error::Limit("nodes per element"));
        }
        Ok(())
    }

    fn start(&mut self, raw: BytesStart<'a>) -> Result<Start<'a>, Error> {
        self.depth = self.depth.saturating_add(1);
        if self.depth > self.limits.max_depth {
            return Err(Error::Limit("nesting depth"));
        }
        self.charge(1)?;
        let mut attrs: Vec<Attr<'a>> = Vec::new();
        let mut count = 0usize;
        let mut prefixed = false;
        // Duplicates are checked below on the names, without the
        // allocation quick-xml's own check makes per tag.
        let mut raw_attrs = RawAttrs {
            rest: self.borrowed(raw.attributes_raw())?,
        };
        while let Some((key, raw_value)) = raw_attrs.next_attr()? {
            count = count.saturating_add(1);
            if count > self.limits.max_attributes {
                return Err(Error::Limit("attributes per element"));
            }
            let declared = match key.strip_prefix("xmlns") {
                Some("") => Some(None),
                Some(rest) => rest.strip_prefix(':').map(Some),
                None => None,
            };
            if let Some(prefix) = declared {
                self.declare(prefix, raw_value)?;
                continue;
            }
            self.charge(1)?;
            let (prefix, local) = split_qname(key)?;
            // Unprefixed names, and those in `xml:` (the one prefix nothing
            // can rebind), are compared here; other prefixed ones once
            // their prefixes are resolved, since declarations may follow.
            prefixed |= prefix.is_some_and(|p| p != "xml");
            if (prefix.is_none() || prefix == Some("xml"))
                && attrs.iter().any(|a| a.prefix == prefix && a.local == local)
            {
                return Err(Error::Xml("duplicate attribute".into()));
            }
            if attrs.is_empty() {
                attrs.reserve(8);
            }
            attrs.push(Attr {
                prefix,
                local,
                value: attr_value(raw_value, self.plain)?,
            });
        }
        if prefixed {
            self.check_prefixed_attrs(&attrs)?;
        }
        let (prefix, local) = split_qname(self.borrowed(raw.name().0)?)?;
        // The `xml` prefix is bound without a declaration, and no element
        // is defined in its namespace; the writers refuse one there too.
        if prefix == Some("xml") {
            return Err(Error::Restricted("element in the XML namespace"));
        }
        let (ns, _) = self.lookup(prefix)?;
        Ok(Start { local, ns, attrs })
    }

    /// Binds `prefix` (None: the default namespace) for the element being
    /// started (Namespaces in XML 1.0 section 3).
    fn declare(&mut self, prefix: Option<&'a str>, raw_value: &'a str) -> Result<(), Error> {
        if let Some(p) = prefix {
            if p == "xmlns" {
                return Err(Error::Restricted("reserved prefix"));
            }
            if !is_ncname(p) {
                return Err(Error::Xml(format!("invalid prefix {:?}", excerpt(p))));
            }
        }
        // Every prefix is looked up among the bindings in scope, so their
        // number bounds what each element and attribute costs.
        let declared = self.bindings.len().saturating_sub(self.context_bindings);
        if declared >= self.limits.max_namespaces {
            return Err(Error::Limit("namespace declarations in scope"));
        }
        // This element's bindings are the last ones; a plain loop, which
        // the compiler inlines where an iterator chain was a call.
        let depth = self.depth;
        for b in self.bindings.iter().rev() {
            if b.depth != depth {
                break;
            }
            if b.prefix == prefix {
                return Err(Error::Xml("duplicate namespace declaration".into()));
            }
        }
        let ns = NsName::from(attr_value(raw_value, self.plain)?);
        if prefix.is_some() && ns.is_empty() {
            return Err(Error::Xml("empty prefix binding".into()));
        }
        // `xml` may be declared, bound to its own namespace; nothing else
        // may be bound to that one or to the `xmlns` namespace.
        if prefix == Some("xml") && *ns != *ns::XML {
            return Err(Error::Restricted("reserved prefix"));
        }
        if (*ns == *ns::XML && prefix != Some("xml")) || *ns == *XMLNS_NAMESPACE {
            return Err(Error::Restricted("reserved namespace"));
        }
        let ns_id = ns_id(&self.bindings, &ns);
        self.bindings.push(Binding {
            prefix,
            ns,
            ns_id,
            depth,
        });
        Ok(())
    }

    /// Resolves the prefixes of attributes once the whole tag is read and
    /// refuses two with the same namespace and local name (Namespaces in
    /// XML 1.0 section 6.3). Each prefix is looked up once, into a list
    /// made only for the rare tag with a prefix other than `xml`.
    fn check_prefixed_attrs(&self, attrs: &[Attr<'a>]) -> Result<(), Error> {
        let ns_ids = attrs
            .iter()
            .map(|a| match a.prefix {
                Some(_) => self.lookup(a.prefix).map(|(_, ns_id)| ns_id),
                None => Ok(0),
            })
            .collect::<Result<Vec<usize>, Error>>()?;
        let with_ids = || attrs.iter().zip(&ns_ids);
        for (i, (a, a_id)) in with_ids().enumerate() {
            let mut later = with_ids().skip(i.saturating_add(1));
            if a.prefix.is_some()
                && later.any(|(b, b_id)| b.prefix.is_some() && b.local == a.local && b_id == a_id)
            {
                return Err(Error::Xml("duplicate attribute".into()));
            }
        }
        Ok(())
    }

    /// A name from the tag, with the input's lifetime.
    #[inline]
    fn borrowed(&self, part: &str) -> Result<&'a str, Error> {
        self.in_input(part)
            .ok_or_else(|| Error::Xml("name outside the input".into()))
    }

    /// The namespace `prefix` is bound to, and its `ns_id`.
    fn lookup(&self, prefix: Option<&str>) -> Result<(NsName<'a>, usize), Error> {
        if prefix == Some("xml") {
            // No other prefix may be bound to the XML namespace.
            return Ok((NsName::Borrowed(ns::XML), usize::MAX));
        }
        self.bindings
            .iter()
            .rev()
            .find(|b| b.prefix == prefix)
            .map(|b| (b.ns.clone(), b.ns_id))
            .ok_or(Error::UnboundPrefix)
    }

    /// `part` as a slice of the input with the input's lifetime, when it
    /// is one (quick-xml hands out attributes borrowed from the tag only).
    #[inline]
    fn in_input(&self, part: &str) -> Option<&'a str> {
        let start = (part.as_ptr() as usize).checked_sub(self.input.as_ptr() as usize)?;
        self.input.get(start..start.checked_add(part.len())?)
    }
}

/// The `ns_id` of a binding to `ns` pushed on `bindings`.
fn ns_id(bindings: &[Binding<'_>], ns: &str) -> usize {
    bindings
        .iter()
        .position(|b| *b.ns == *ns)
        .unwrap_or(bindings.len())
}

/// What the attribute maps of a tree element cost, in nodes: one map of
/// namespaces, and one map per prefix (two prefixes bound to the same
/// namespace share one, which this counts twice; comparing prefixes
/// rather than namespace names keeps the count cheap).
fn attr_map_nodes(attrs: &[Attr<'_>]) -> usize {
    let prefixes = attrs
        .iter()
        .enumerate()
        .filter(|&(i, a)| {
            let before = attrs.get(..i).unwrap_or_default();
            !before.iter().any(|b| b.prefix == a.prefix)
        })
        .count();
    let maps = if prefixes == 0 { 0 } else { prefixes + 1 };
    maps.saturating_mul(ATTR_MAP_NODES)
}

/// The attributes of a start tag, `name='value'` or `name="value"` pairs
/// split by whitespace, read straight from the input (quick-xml's own
/// iterator does the same with more bookkeeping per attribute).
struct RawAttrs<'a> {
    rest: &'a str,
}

impl<'a> RawAttrs<'a> {
    /// The next attribute as (name, raw value), None at the end of the tag.
    fn next_attr(&mut self) -> Result<Option<(&'a str, &'a str)>, Error> {
        let rest = skip_space(self.rest);
        if rest.is_empty() {
            self.rest = rest;
            return Ok(None);
        }
        let bad = || Error::Xml("malformed attribute".into());
        // Whitespace may surround the `=` (production [25]); whitespace or
        // anything else inside the name fails the name check later. Names
        // and values are short: the word-at-a-time searches, inlined, cost
        // less than a call into the vectorised ones and store nothing.
        let eq = memchr::arch::all::memchr::One::new(b'=')
            .find(rest.as_bytes())
            .ok_or_else(bad)?;
        let (key, after_key) = rest.split_at_checked(eq).ok_or_else(bad)?;
        let key = trim_space_end(key);
        if key.is_empty() {
            return Err(bad());
        }
        let after_eq = skip_space(after_key.get(1..).ok_or_else(bad)?);
        let quote = match after_eq.as_bytes().first() {
            Some(&q @ (b'\'' | b'"')) => q,
            _ => return Err(bad()),
        };
        let body = after_eq.get(1..).ok_or_else(bad)?;
        // XML 1.0 production [10]: no `<` in a value, looked for on the way
        // to the closing quote. Outside values a `<` is not a name byte, so
        // the name checks refuse it there.
        let value_end = find_either(body.as_bytes(), quote, b'<').ok_or_else(bad)?;
        if body.as_bytes().get(value_end) == Some(&b'<') {
            return Err(Error::Xml("'<' in an attribute value".into()));
        }
        let value = body.get(..value_end).ok_or_else(bad)?;
        let after = body.get(value_end.saturating_add(1)..).ok_or_else(bad)?;
        // XML 1.0 production [40]: whitespace before every attribute.
        if after.bytes().next().is_some_and(|b| !is_space(b)) {
            return Err(Error::Xml("no whitespace between attributes".into()));
        }
        self.rest = after;
        Ok(Some((key, value)))
    }
}

/// The position of the first `a` or `b` in `bytes`, looked for eight bytes
/// at a time in a word. Inlined where attribute values are split: values
/// are short, and a call (or a searcher built on the stack) would cost
/// more than the search.
#[inline(always)]
fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    let (splat_a, splat_b) = (
        ONES.wrapping_mul(u64::from(a)),
        ONES.wrapping_mul(u64::from(b)),
    );
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0usize;
    for chunk in &mut chunks {
        let Ok(word) = <[u8; 8]>::try_from(chunk).map(u64::from_le_bytes) else {
            break;
        };
        // A byte equal to the needle is zero after the xor; the lowest
        // flagged byte of `x - ONES & !x` is always a real zero byte (only
        // bytes above one can be flagged falsely), and the bytes were read
        // little-endian, so it is the first match.
        let (xa, xb) = (word ^ splat_a, word ^ splat_b);
        let zero = ((xa.wrapping_sub(ONES) & !xa) | (xb.wrapping_sub(ONES) & !xb)) & HIGHS;
        if zero != 0 {
            return Some(offset.saturating_add(zero.trailing_zeros() as usize / 8));
        }
        offset = offset.saturating_add(8);
    }
    let tail = chunks.remainder().iter().position(|&c| c == a || c == b)?;
    Some(offset.saturating_add(tail))
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// `s` without leading XML whitespace.
fn skip_space(s: &str) -> &str {
    let n = s.bytes().take_while(|&b| is_space(b)).count();
    s.get(n..).unwrap_or_default()
}

/// `s` without trailing XML whitespace.
fn trim_space_end(s: &str) -> &str {
    let n = s.bytes().rev().take_while(|&b| is_space(b)).count();
    s.get(..s.len().saturating_sub(n)).unwrap_or_default()
}

/// Reads `bytes` with `ctx`, handing the top-level start tag to `f`, then
/// checks that nothing but whitespace follows. An error is handed to
/// `on_error` here, so that a large value read is not moved once more
/// to change the error type. Inlined into the few callers, whose
/// closures then need no environment in memory.
#[inline]
pub(crate) fn parse_with<'a, T, E>(
    bytes: &'a [u8],
    ctx: &'a Context,
    f: impl FnOnce(&mut Reader<'a>, Start<'a>) -> Result<T, Error>,
    on_error: impl Fn(Error) -> E,
) -> Result<T, E> {
    let mut r = Reader::new(bytes, ctx).map_err(&on_error)?;
    let start = r.root().map_err(&on_error)?;
    // The value is kept where it is returned: checking what follows it
    // does not move it again.
    let value = f(&mut r, start).map_err(&on_error);
    if value.is_ok() {
        r.finish().map_err(&on_error)?;
    }
    value
}

/// The checks [`Reader::new`] makes on the whole input (size, UTF-8,
/// legal characters), out of line: the input as text and what the
/// character scan found.
#[inline(never)]
fn check_input<'a>(input: &'a [u8], ctx: &Context) -> Result<(&'a str, Scan), Error> {
    if input.len() > ctx.limits.max_bytes {
        return Err(Error::Limit("element size"));
    }
    let text = simdutf8::basic::from_utf8(input).map_err(|_| Error::Utf8)?;
    // quick-xml skips a byte order mark at the start of a document; in
    // front of an element inside a stream it is character data.
    if text.starts_with('\u{FEFF}') {
        return Err(Error::Xml("text outside the element".into()));
    }
    Ok((text, check_chars(text)?))
}

/// The top-level start tag alone, or `None` if it cannot be read.
pub(crate) fn read_root<'a>(bytes: &'a [u8], ctx: &'a Context) -> Option<Start<'a>> {
    Reader::new(bytes, ctx).ok()?.root().ok()
}

/// An attribute value with references resolved and whitespace normalised
/// (XML 1.0 section 3.3.3), borrowing the input when there was nothing to
/// do. `plain` says the whole input has no reference and no whitespace to
/// normalise (the common case). The caller has refused a `<`.
/// Inlined, so that the common borrowed value is written straight into the
/// attribute list rather than returned through memory.
#[inline]
fn attr_value(raw: &str, plain: bool) -> Result<Cow<'_, str>, Error> {
    if plain || !raw.bytes().any(is_special_in_value) {
        return Ok(Cow::Borrowed(raw));
    }
    normalized_attr_value(raw).map(Cow::Owned)
}

/// A byte [`attr_value`] has to replace: a reference or whitespace other
/// than a space.
fn is_special_in_value(b: u8) -> bool {
    matches!(b, b'&' | b'\t' | b'\n' | b'\r')
}

/// [`attr_value`] for a value with references or whitespace to replace.
#[cold]
#[inline(never)]
fn normalized_attr_value(raw: &str) -> Result<String, Error> {
    let special = is_special_in_value;
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.bytes().position(special) {
        let (before, from) = rest.split_at_checked(at).unwrap_or((rest, ""));
        out.push_str(before);
        let mut chars = from.chars();
        match chars.next() {
            Some('&') => {
                let body = chars.as_str();
                let semi = body
                    .find(';')
                    .ok_or_else(|| Error::Xml("unterminated reference".into()))?;
                out.push(resolve_ref(body.get(..semi).unwrap_or_default())?);
                rest = body.get(semi.saturating_add(1)..).unwrap_or_default();
                continue;
            }
            // A line end is one space: "\r\n" was one newline before
            // normalisation (XML 1.0 section 2.11).
            Some('\r') => {
                rest = chars.as_str();
                rest = rest.strip_prefix('\n').unwrap_or(rest);
            }
            _ => rest = chars.as_str(),
        }
        out.push(' ');
    }
    out.push_str(rest);
    Ok(out)
}

/// Splits `prefix:local`; both parts must be NCNames.
#[inline]
fn split_qname(qname: &str) -> Result<(Option<&str>, &str), Error> {
    match split_ascii_qname(qname) {
        Some(split) => Ok(split),
        None => split_any_qname(qname),
    }
}

/// [`split_qname`] for any name, one character at a time.
#[cold]
#[inline(never)]
fn split_any_qname(qname: &str) -> Result<(Option<&str>, &str), Error> {
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    };
    if prefix.is_some_and(|p| !is_ncname(p)) || !is_ncname(local) {
        return Err(Error::Xml(format!("invalid name {:?}", excerpt(qname))));
    }
    Ok((prefix, local))
}

/// What an ASCII byte may be in a qualified name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameByte {
    /// Not allowed, or not ASCII: the general path decides.
    Other,
    /// A letter or `_`: may start a name.
    Start,
    /// A digit, `-` or `.`: may continue a name.
    Continue,
    /// The prefix separator.
    Colon,
}

/// [`NameByte`] for every byte value.
const NAME_BYTES: [NameByte; 256] = name_bytes();

// A constant table built by a bounded loop: every index is below 256.
#[allow(clippy::indexing_slicing)]
const fn name_bytes() -> [NameByte; 256] {
    let mut table = [NameByte::Other; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        table[b] = if c.is_ascii_alphabetic() || c == b'_' {
            NameByte::Start
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            NameByte::Continue
        } else if c == b':' {
            NameByte::Colon
        } else {
            NameByte::Other
        };
        b += 1;
    }
    table
}

/// [`split_qname`] for the names nearly every stanza uses: ASCII, at most
/// one colon. `None` hands anything else, valid or not, to the general path.
/// Inlined, so that the two names come back in registers.
#[inline(always)]
fn split_ascii_qname(qname: &str) -> Option<(Option<&str>, &str)> {
    let (&first, rest) = qname.as_bytes().split_first()?;
    if name_byte(first) != NameByte::Start {
        return None;
    }
    // One pass: every byte a name byte, and where the one colon is.
    let mut colon = None;
    for (i, &b) in rest.iter().enumerate() {
        match name_byte(b) {
            NameByte::Start | NameByte::Continue => {}
            NameByte::Colon if colon.is_none() => colon = Some(i),
            _ => return None,
        }
    }
    let Some(i) = colon else {
        return Some((None, qname));
    };
    // `i` counts from the second byte: the prefix is `i + 1` bytes long.
    let (prefix, local) = (qname.get(..=i)?, qname.get(i.checked_add(2)?..)?);
    let local_starts = local.as_bytes().first().copied().map(name_byte);
    (local_starts == Some(NameByte::Start)).then_some((Some(prefix), local))
}

/// The [`NameByte`] class of `b`.
#[inline]
fn name_byte(b: u8) -> NameByte {
    NAME_BYTES
        .get(usize::from(b))
        .copied()
        .unwrap_or(NameByte::Other)
}

/// Whether `name` is an NCName made of ASCII only.
#[inline]
fn is_ascii_ncname(name: &str) -> bool {
    match name.as_bytes().split_first() {
        Some((&first, rest)) => {
            name_byte(first) == NameByte::Start
                && rest
                    .iter()
                    .all(|&b| matches!(name_byte(b), NameByte::Start | NameByte::Continue))
        }
        None => false,
    }
}

/// An XML name without a colon (Namespaces in XML 1.0 production [4]).
pub(crate) fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(is_name_start_char) && chars.all(is_name_char)
}

/// XML 1.0 production [4] NameStartChar, without the colon.
fn is_name_start_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic() || c == '_';
    }
    matches!(c,
        '\u{C0}'..='\u{D6}'
        | '\u{D8}'..='\u{F6}'
        | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}'
        | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}'
        | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}'
        | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 production [4a] NameChar, without the colon.
fn is_name_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    }
    is_name_start_char(c) || matches!(c, '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

#[inline]
fn rxml_name(s: &str) -> Result<minidom::rxml::NcName, Error> {
    minidom::rxml::NcName::try_from(s)
        .map_err(|_| Error::Xml(format!("invalid name {:?}", excerpt(s))))
}

fn xml_error(e: quick_xml::Error) -> Error {
    // quick-xml quotes names (a mismatched end tag names both tags).
    Error::Xml(excerpt_of(&e.to_string(), 4 * EXCERPT_CHARS))
}

fn is_whitespace(s: &str) -> bool {
    s.bytes().all(is_space)
}

/// The text of a resolved reference, without allocating for the five
/// predefined entities.
fn char_text(c: char) -> Cow<'static, str> {
    Cow::Borrowed(match c {
        '<' => "<",
        '>' => ">",
        '&' => "&",
        '\'' => "'",
        '"' => "\"",
        other => return Cow::Owned(other.to_string()),
    })
}

/// Only the five predefined entities and character references exist in
/// restricted XML (XML 1.0 production [66]: `&#` decimal digits `;` or
/// `&#x` hexadecimal digits `;`, naming a character XML allows).
fn resolve_ref(name: &str) -> Result<char, Error> {
    let (digits, radix) = match name {
        "lt" => return Ok('<'),
        "gt" => return Ok('>'),
        "amp" => return Ok('&'),
        "apos" => return Ok('\''),
        "quot" => return Ok('"'),
        _ => match name.strip_prefix("#x") {
            Some(hex) => (hex, 16),
            None => match name.strip_prefix('#') {
                Some(dec) => (dec, 10),
                None => return Err(Error::Restricted("entity reference")),
            },
        },
    };
    let bad = || Error::Xml("invalid character reference".into());
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(bad());
    }
    u32::from_str_radix(digits, radix)
        .ok()
        .and_then(char::from_u32)
        .filter(|c| is_xml_char(*c))
        .ok_or_else(bad)
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// What [`check_chars`] found out about an input it accepted.
struct Scan {
    /// No `&`, tab, newline or carriage return.
    plain: bool,
    /// Some `]`, which `]]>` needs.
    brackets: bool,
}

/// Rejects characters XML 1.0 does not allow (controls, U+FFFE, U+FFFF)
/// and says which rarer bytes the reader has to look for later.
fn check_chars(s: &str) -> Result<Scan, Error> {
    // One branch-free pass the compiler can vectorise; U+FFFE and U+FFFF
    // both start with the byte 0xEF, and a byte below 0x20 may still be
    // allowed whitespace, so both are looked at closer only when they occur.
    let (mut low, mut amp, mut ef, mut bracket) = (false, false, false, false);
    for &b in s.as_bytes() {
        low |= b < 0x20;
        amp |= b == b'&';
        ef |= b == 0xEF;
        bracket |= b == b']';
    }
    let control = low
        && s.bytes()
            .any(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'));
    if control || (ef && s.contains(['\u{FFFE}', '\u{FFFF}'])) {
        return Err(Error::Xml("character not allowed in XML".into()));
    }
    Ok(Scan {
        plain: !low && !amp,
        brackets: bracket,
    })
}

impl Reader<'_> {
    /// Keeps an attribute that no typed element claims: its prefix
    /// resolved and its name checked as [`Reader::tree`] checks names, so
    /// that the writer can put it back. A prefix other than `xml` bound to
    /// the XML namespace is refused (Namespaces in XML 1.0 section 3), as it
    /// could smuggle in a second `xml:lang`. The namespace name is copied
    /// (and written back) once per attribute, so each copy is charged
    /// against the node limit as [`Reader::tree`] charges its attributes.
    pub(crate) fn extra_attr(
        &mut self,
        prefix: Option<&str>,
        local: &str,
        value: Cow<'_, str>,
    ) -> Result<ExtraAttr, Error> {
        rxml_name(local)?;
        let ns = match prefix {
            None => None,
            Some(p) => {
                let ns = self.lookup(Some(p))?.0;
                self.charge(ns.len() / NAMESPACE_BYTES_PER_NODE)?;
                Some(ns.to_string())
            }
        };
        if prefix != Some("xml") && ns.as_deref() == Some(ns::XML) {
            return Err(Error::Restricted(
                "the XML namespace bound to another prefix",
            ));
        }
        Ok(ExtraAttr {
            ns,
            name: local.to_owned(),
            value: value.into_owned(),
        })
    }
}

// ---------------------------------------------------------------- writing
//
// Every writer refuses what the reader above would refuse or read back as
// something else: characters outside XML 1.0 (`is_xml_char`), names that
// are not NCNames, and reserved attribute names. Escaping and checking
// happen in the same pass over each string.

/// Runs `write` on `out` and truncates `out` back to its length before the
/// call when `write` fails, so a refused value leaves nothing half-written.
pub(crate) fn guarded(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), SerializeError>,
) -> Result<(), SerializeError> {
    let len = out.len();
    let result = write(out);
    if result.is_err() {
        out.truncate(len);
    }
    result
}

/// `s` with every character XML 1.0 does not allow (controls other than
/// tab, newline and carriage return, U+FFFE, U+FFFF) replaced by U+FFFD,
/// for callers passing on text from outside XMPP that would otherwise be
/// refused with [`SerializeError::InvalidChar`]. Borrows `s` when there is
/// nothing to replace.
pub fn replace_disallowed_chars(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_xml_char) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
            .collect(),
    )
}

/// Appends `s` escaped for character data.
pub(crate) fn escape_text(out: &mut Vec<u8>, s: &str) -> Result<(), BadChar> {
    escape::<false>(out, s)
}

/// Appends `s` escaped for a single-quoted attribute value; whitespace
/// other than space is written as references so normalisation keeps it.
pub(crate) fn escape_attr(out: &mut Vec<u8>, s: &str) -> Result<(), BadChar> {
    escape::<true>(out, s)
}

/// The pass behind both escapes. Most strings (addresses, ids, names)
/// need nothing, so one branch-free scan the compiler can vectorise looks
/// for any byte that may; only a string with one goes through the loop
/// that escapes and checks byte by byte. `\r` is always a reference
/// (line-end normalisation would turn it into `\n`); a byte below 0x20
/// that is not whitespace and the lead byte 0xEF of U+FFFE/U+FFFF are
/// looked at closer only when they occur.
#[inline]
fn escape<const ATTR: bool>(out: &mut Vec<u8>, s: &str) -> Result<(), BadChar> {
    let bytes = s.as_bytes();
    let flagged = if bytes.len() <= SHORT_STRING {
        // Short strings (names, ids, most addresses): a table look-up per
        // byte costs less than setting up the vectorised scan below.
        let table = if ATTR {
            &ATTR_BYTES_TO_LOOK_AT
        } else {
            &TEXT_BYTES_TO_LOOK_AT
        };
        bytes
            .iter()
            .any(|&b| table.get(usize::from(b)).copied().unwrap_or(true))
    } else {
        let mut flagged = false;
        for &b in bytes {
            let quote = ATTR & ((b == b'\'') | (b == b'"'));
            flagged |= (b < 0x20) | (b == b'<') | (b == b'>') | (b == b'&') | (b == 0xEF) | quote;
        }
        flagged
    };
    if !flagged {
        out.extend_from_slice(bytes);
        return Ok(());
    }
    let mut last = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let rep: &[u8] = match b {
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'&' => b"&amp;",
            b'\r' => b"&#xD;",
            b'\'' if ATTR => b"&apos;",
            b'"' if ATTR => b"&quot;",
            b'\t' if ATTR => b"&#x9;",
            b'\n' if ATTR => b"&#xA;",
            b'\t' | b'\n' => continue,
            0..0x20 => return Err(invalid_char(s, i)),
            0xEF if is_fffe_or_ffff(bytes, i) => return Err(invalid_char(s, i)),
            _ => continue,
        };
        out.extend_from_slice(bytes.get(last..i).unwrap_or_default());
        out.extend_from_slice(rep);
        last = i.saturating_add(1);
    }
    out.extend_from_slice(bytes.get(last..).unwrap_or_default());
    Ok(())
}

/// Up to this many bytes, [`escape`] scans with a table rather than with
/// the vectorised comparisons.
const SHORT_STRING: usize = 32;

/// The bytes [`escape`] looks at closer in character data: controls, the
/// three markup characters and 0xEF (the lead byte of U+FFFE and U+FFFF).
const TEXT_BYTES_TO_LOOK_AT: [bool; 256] = bytes_to_look_at(false);
/// The same in an attribute value, where both quotes are escaped too.
const ATTR_BYTES_TO_LOOK_AT: [bool; 256] = bytes_to_look_at(true);

// A constant table built by a bounded loop: every index is below 256.
#[allow(clippy::indexing_slicing)]
const fn bytes_to_look_at(attr: bool) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c < 0x20
            || c == b'<'
            || c == b'>'
            || c == b'&'
            || c == 0xEF
            || (attr && (c == b'\'' || c == b'"'));
        b += 1;
    }
    table
}

/// Whether the 0xEF at `i` starts U+FFFE (EF BF BE) or U+FFFF (EF BF BF).
fn is_fffe_or_ffff(bytes: &[u8], i: usize) -> bool {
    let next = |n: usize| i.checked_add(n).and_then(|j| bytes.get(j)).copied();
    next(1) == Some(0xBF) && matches!(next(2), Some(0xBE | 0xBF))
}

#[cold]
fn invalid_char(s: &str, position: usize) -> BadChar {
    let ch = s
        .get(position..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or('\u{FFFD}');
    BadChar { ch, position }
}

/// A character XML does not allow, met while escaping: the escapes run
/// for every attribute and text node, and an error this small comes back
/// in registers, where a [`SerializeError`] would be written to memory
/// and read back after every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadChar {
    ch: char,
    position: usize,
}

impl From<BadChar> for SerializeError {
    fn from(bad: BadChar) -> Self {
        SerializeError::InvalidChar {
            ch: bad.ch,
            position: bad.position,
        }
    }
}

/// Refuses a name that is not an XML NCName as the reader checks names
/// (with rxml, for kept trees): the name characters of XML 1.0 fifth
/// edition, except U+FDF0..U+FFFD, which rxml does not accept. The ASCII
/// check is inlined; any other name is checked out of line.
#[inline]
pub(crate) fn check_name(name: &str) -> Result<(), SerializeError> {
    if is_ascii_ncname(name) {
        Ok(())
    } else {
        check_any_name(name)
    }
}

/// [`check_name`] for a name that is not an ASCII NCName.
#[cold]
#[inline(never)]
fn check_any_name(name: &str) -> Result<(), SerializeError> {
    if is_ncname(name) && !name.contains(|c| ('\u{FDF0}'..='\u{FFFD}').contains(&c)) {
        Ok(())
    } else {
        Err(SerializeError::InvalidName(name.to_owned()))
    }
}

/// Appends ` name='value'`; `name` is one of this crate's own or one the
/// caller has checked.
pub(crate) fn attr(out: &mut Vec<u8>, name: &str, value: &str) -> Result<(), BadChar> {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"='");
    escape_attr(out, value)?;
    out.push(b'\'');
    Ok(())
}

/// Appends ` name='value'` when there is a value.
pub(crate) fn opt_attr(out: &mut Vec<u8>, name: &str, value: Option<&str>) -> Result<(), BadChar> {
    match value {
        Some(v) => attr(out, name, v),
        None => Ok(()),
    }
}

/// Appends an attribute in namespace `ns` (None: unprefixed), declaring a
/// fresh `nsN` prefix for it unless it is in the `xml:` namespace;
/// `declared` counts the prefixes already declared on this tag. The caller
/// has checked the name.
pub(crate) fn qualified_attr(
    out: &mut Vec<u8>,
    ns: Option<&str>,
    name: &str,
    value: &str,
    declared: &mut usize,
) -> Result<(), SerializeError> {
    out.push(b' ');
    match ns {
        None => {}
        Some(ns::XML) => out.extend_from_slice(b"xml:"),
        // An empty namespace name cannot be bound to a prefix, nor can the
        // xmlns namespace (Namespaces in XML 1.0 section 3).
        Some("" | XMLNS_NAMESPACE) => {
            return Err(SerializeError::InvalidValue("attribute namespace"));
        }
        Some(ns) => {
            let prefix = format!("ns{declared}");
            *declared = declared.saturating_add(1);
            out.extend_from_slice(b"xmlns:");
            out.extend_from_slice(prefix.as_bytes());
            out.extend_from_slice(b"='");
            escape_attr(out, ns)?;
            out.extend_from_slice(b"' ");
            out.extend_from_slice(prefix.as_bytes());
            out.push(b':');
        }
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"='");
    escape_attr(out, value)?;
    out.push(b'\'');
    Ok(())
}

/// Appends `<name xmlns='ns'>text</name>` (or an empty tag for no text);
/// `name` is one of this crate's own.
pub(crate) fn text_element(
    out: &mut Vec<u8>,
    name: &str,
    ns: Option<&str>,
    text: &str,
) -> Result<(), SerializeError> {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    opt_attr(out, "xmlns", ns)?;
    if text.is_empty() {
        out.extend_from_slice(b"/>");
    } else {
        out.push(b'>');
        escape_text(out, text)?;
        end(out, name);
    }
    Ok(())
}

/// Appends `</name>`.
pub(crate) fn end(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

/// Whether `ns` is a stanza content namespace, which is re-scoped to the
/// namespace of the stanza an element travels in (RFC 6120 section 4.8.3).
pub(crate) fn is_content_ns(ns: &str) -> bool {
    ns == ns::CLIENT || ns == ns::SERVER
}

/// Writes a minidom tree kept beside typed elements. `scope` is the
/// default namespace in scope, so `xmlns` is only declared where it
/// changes; an element in `jabber:client` or `jabber:server` is written in
/// `content_ns`, the namespace of the stanza it travels in, except inside a
/// forwarded stanza, which keeps its own (XEP-0297 section 3.2). Refuses
/// the tree when `typed(ns, name)` says the reader would read its root as a
/// typed value (`ns` is the namespace it is written in). Empty and adjacent
/// text nodes, which minidom can hold but XML cannot express, are written
/// as the text they hold.
pub(crate) fn write_tree_checked(
    out: &mut Vec<u8>,
    el: &minidom::Element,
    scope: &str,
    content_ns: &str,
    typed: impl Fn(&str, &str) -> bool,
) -> Result<(), SerializeError> {
    write_element(out, el, Some(scope), content_ns, typed)
}

/// The writer behind [`write_tree_checked`]; `scope` None means no default
/// namespace is in scope (a top-level element over WebSocket), so the
/// element always declares its own, even an empty one.
pub(crate) fn write_element(
    out: &mut Vec<u8>,
    el: &minidom::Element,
    scope: Option<&str>,
    content_ns: &str,
    typed: impl Fn(&str, &str) -> bool,
) -> Result<(), SerializeError> {
    let ns = written_ns(el, Some(content_ns));
    if typed(&ns, el.name()) {
        return Err(SerializeError::InvalidValue("element typed by this crate"));
    }
    write_subtree(out, el, &ns, scope, Some(content_ns))
}

/// The namespace `el` is written in: its own, or `content_ns` for an
/// element in a content namespace (None: nothing is re-scoped).
fn written_ns(el: &minidom::Element, content_ns: Option<&str>) -> String {
    let own = el.ns();
    match content_ns {
        Some(content_ns) if is_content_ns(&own) => content_ns.to_owned(),
        _ => own,
    }
}

/// Writes `el` in namespace `ns` and everything below it; `content_ns` is
/// None below a forwarded stanza, where nothing is re-scoped.
fn write_subtree(
    out: &mut Vec<u8>,
    el: &minidom::Element,
    ns: &str,
    scope: Option<&str>,
    content_ns: Option<&str>,
) -> Result<(), SerializeError> {
    let name = el.name();
    check_name(name)?;
    // Nothing may be declared the XML or the xmlns namespace (Namespaces
    // in XML 1.0 section 3); the reader refuses both.
    if ns == ns::XML || ns == XMLNS_NAMESPACE {
        return Err(SerializeError::InvalidValue("element namespace"));
    }
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    if scope != Some(ns) {
        attr(out, "xmlns", ns)?;
    }
    let mut declared = 0usize;
    for ((attr_ns, attr_name), value) in el.attrs().iter() {
        let attr_name = attr_name.as_str();
        check_name(attr_name)?;
        let attr_ns = attr_ns.as_namespace_name();
        if attr_ns.is_none() && attr_name == "xmlns" {
            return Err(SerializeError::InvalidName(attr_name.to_owned()));
        }
        // Most attributes of a kept tree have no namespace: written inline.
        match attr_ns {
            None => attr(out, attr_name, value)?,
            Some(_) => qualified_attr(out, attr_ns, attr_name, value, &mut declared)?,
        }
    }
    let mut nodes = el.nodes().peekable();
    if nodes.peek().is_none() {
        out.extend_from_slice(b"/>");
        return Ok(());
    }
    out.push(b'>');
    let below = if crate::rescope::keeps_namespaces(el) {
        None
    } else {
        content_ns
    };
    for node in nodes {
        match node {
            minidom::Node::Element(child) => {
                let child_ns = written_ns(child, below);
                write_subtree(out, child, &child_ns, Some(ns), below)?;
            }
            minidom::Node::Text(t) => escape_text(out, t)?,
        }
    }
    end(out, name);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_qname_fast_path_agrees_with_the_general_path() {
        // Every string of up to four bytes over an alphabet holding each
        // class of byte, a byte that is never a name byte, and a non-ASCII
        // letter.
        let alphabet = ["a", "Z", "_", "0", "-", ".", ":", " ", "é"];
        let mut names = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = names
                .iter()
                .flat_map(|n| alphabet.iter().map(move |c| format!("{n}{c}")))
                .collect();
            names.extend(longer);
        }
        names.sort();
        names.dedup();
        for name in &names {
            let general = split_any_qname(name).ok();
            match split_ascii_qname(name) {
                Some(fast) => assert_eq!(Some(fast), general, "{name:?}"),
                None => assert!(
                    general.is_none() || !name.is_ascii(),
                    "{name:?}: the fast path gave up on {general:?}"
                ),
            }
        }
    }

    #[test]
    fn find_either_agrees_with_a_byte_search() {
        // Every position of each needle, alone and together, in haystacks
        // around the word size, so that matches fall in every byte of a
        // word, in the tail and across words.
        for len in 0..=24 {
            for i in 0..=len {
                for j in 0..=len {
                    let mut hay = vec![b'a'; len];
                    if let Some(b) = hay.get_mut(i) {
                        *b = b'\'';
                    }
                    if let Some(b) = hay.get_mut(j) {
                        *b = b'<';
                    }
                    let naive = hay.iter().position(|&b| b == b'\'' || b == b'<');
                    assert_eq!(find_either(&hay, b'\'', b'<'), naive, "{hay:?}");
                }
            }
        }
        // Bytes next to the needles' values must not match.
        let hay = [b'&', b'(', b';', b'=', 0x80, 0xA7, 0xBC, b'\''];
        assert_eq!(find_either(&hay, b'\'', b'<'), Some(7));
    }

    fn read_tree(input: &str) -> Result<minidom::Element, Error> {
        parse_with(
            input.as_bytes(),
            &Context::client_tcp(),
            |r, s| r.tree(s),
            |e| e,
        )
    }

    #[test]
    fn rejects_restricted_constructs() {
        for bad in [
            "<a><!-- c --></a>",
            "<a><?pi x?></a>",
            "<?xml version='1.0'?><a/>",
            "<!DOCTYPE a><a/>",
            "<a>&foo;</a>",
            "<a>&#0;</a>",
            "<a>&#x1;</a>",
            "<a>\u{1}</a>",
            "<a x='&foo;'/>",
            "<a/><b/>",
            "<a>",
            "<a></b>",
            "<p:a/>",
            "<a xmlns:p=''/>",
            "<a x='1' x='2'/>",
            "<a x='<'/>",
            "<a xmlns:p='urn:a' xmlns:p='urn:b'/>",
        ] {
            assert!(read_tree(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn attribute_syntax() {
        let el = read_tree("<a x = \"1\"\ty='2' z='a&amp;b\tc\r\nd&#xA;'/>").unwrap();
        assert_eq!(el.attr("x"), Some("1"));
        assert_eq!(el.attr("y"), Some("2"));
        assert_eq!(el.attr("z"), Some("a&b c d\n"));
        let el = read_tree("<a x\r\n=\n'=' y='>'/>").unwrap();
        assert_eq!(el.attr("x"), Some("="));
        assert_eq!(el.attr("y"), Some(">"));
        for bad in [
            "<a x='<'/>",
            "<a x='1' y z='='/>",
            "<a x y='1'/>",
            "<a x=='1'/>",
            "<a y='2'z='3'/>",
            "<a x/>",
            "<a x=1/>",
            "<a ='1'/>",
            "<a x='1' y/>",
            "<a x='1' y=/>",
            "<a x=\"1'/>",
        ] {
            assert!(read_tree(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolves_references_and_namespaces() {
        let el = read_tree(
            "<p:a xmlns:p='urn:p' xml:lang='en' p:x='&lt;&#x41;&#66;'>&amp;<![CDATA[<]]></p:a>",
        )
        .unwrap();
        assert_eq!(el.ns(), "urn:p");
        assert_eq!(el.text(), "&<");
        assert_eq!(el.attr_ns("urn:p", "x"), Some("<AB"));
        assert_eq!(el.attr_ns(ns::XML, "lang"), Some("en"));
    }

    #[test]
    fn tree_round_trip() {
        let input = "<a xmlns='urn:a' b='1&apos;\t'><c xmlns='' d='e'/>text<f xmlns:q='urn:q' q:g='h'>i</f></a>";
        let el = read_tree(input).unwrap();
        let mut out = Vec::new();
        write_tree_checked(&mut out, &el, ns::CLIENT, ns::CLIENT, |_, _| false).unwrap();
        let again = read_tree(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(el, again);
    }

    #[test]
    fn limits_apply() {
        let mut ctx = Context::client_tcp();
        ctx.limits.max_depth = 3;
        let ok = parse_with(b"<a><b><c/></b></a>", &ctx, |r, s| r.tree(s), |e| e);
        assert!(ok.is_ok());
        let deep = parse_with(b"<a><b><c><d/></c></b></a>", &ctx, |r, s| r.tree(s), |e| e);
        assert!(matches!(deep, Err(Error::Limit(_))));
        ctx.limits.max_attributes = 2;
        let many = parse_with(b"<a x='1' y='2' z='3'/>", &ctx, |r, s| r.tree(s), |e| e);
        assert!(matches!(many, Err(Error::Limit(_))));
        ctx.limits.max_bytes = 4;
        assert!(matches!(
            parse_with(b"<abc/>", &ctx, |r, s| r.tree(s), |e| e),
            Err(Error::Limit(_))
        ));
    }

    #[test]
    fn writer_refuses_exactly_the_characters_the_reader_refuses() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let s = format!("a{c}b");
            let read = check_chars(&s).is_ok();
            let mut out = Vec::new();
            assert_eq!(escape_text(&mut out, &s).is_ok(), read, "{c:?}");
            assert_eq!(escape_attr(&mut out, &s).is_ok(), read, "{c:?}");
            assert_eq!(replace_disallowed_chars(&s) == s, read, "{c:?}");
        }
    }

    #[test]
    fn writer_refuses_exactly_the_names_the_reader_refuses() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            for name in [c.to_string(), format!("a{c}")] {
                assert_eq!(
                    check_name(&name).is_ok(),
                    rxml_name(&name).is_ok(),
                    "{name:?}"
                );
            }
        }
    }
}
