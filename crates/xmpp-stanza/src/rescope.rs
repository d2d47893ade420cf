//! Re-scoping between the two content namespaces (RFC 6120 section 4.8.3).
//!
//! Inside a stanza, `jabber:client` and `jabber:server` both mean "the
//! content namespace of the stream": the writer puts every element in
//! either into the namespace of the stream it writes to, and the reader
//! files an element in the other one (a `jabber:server` child on a client
//! stream) under the stream's, so that what is read is what is written.
//!
//! A forwarded stanza (XEP-0297) keeps its namespace (section 3.2): a
//! typed [`crate::Forwarded`] records it and re-scopes the stanza's content
//! to it, and inside an element this crate does not type (an archive
//! result, a pubsub item) nothing below a `<forwarded/>` is re-scoped at
//! all, by the reader or the writer.

use crate::error::Error;
use crate::ns;
use crate::xml::{Reader, Start};

/// Reads the element `start` opens as a tree, every element in a content
/// namespace moved into `content_ns`. Inlined: the common case is a call
/// to [`Reader::tree`] and a comparison.
#[inline(always)]
pub(crate) fn read_tree<'a>(
    r: &mut Reader<'a>,
    start: Start<'a>,
    content_ns: &str,
) -> Result<minidom::Element, Error> {
    let before = r.content_ns_elements();
    let tree = r.tree(start)?;
    // Most trees hold no element in a content namespace: the reader
    // counted them, so only a tree with one is walked again.
    if r.content_ns_elements() == before {
        return Ok(tree);
    }
    Ok(rescoped(tree, content_ns))
}

/// `tree` with every element in the other content namespace moved into
/// `content_ns`.
#[cold]
#[inline(never)]
fn rescoped(tree: minidom::Element, content_ns: &str) -> minidom::Element {
    let other = match content_ns {
        ns::CLIENT => ns::SERVER,
        ns::SERVER => ns::CLIENT,
        _ => return tree,
    };
    if !mentions(&tree, other) {
        return tree;
    }
    moved(tree, other, content_ns)
}

/// Whether the elements below `el` keep their namespaces as they are: `el`
/// is a `<forwarded/>`, whose stanza keeps its own (XEP-0297 section 3.2).
pub(crate) fn keeps_namespaces(el: &minidom::Element) -> bool {
    el.is("forwarded", ns::FORWARD)
}

/// Whether `el` or an element below it that is re-scoped is in `ns`.
fn mentions(el: &minidom::Element, ns: &str) -> bool {
    el.has_ns(ns) || (!keeps_namespaces(el) && el.children().any(|child| mentions(child, ns)))
}

/// `el` rebuilt with every element in `from` put into `to`, up to a
/// forwarded stanza (minidom has no way to change an element's namespace
/// in place).
fn moved(mut el: minidom::Element, from: &str, to: &str) -> minidom::Element {
    let ns = if el.has_ns(from) {
        to.to_owned()
    } else {
        el.ns()
    };
    let mut out = minidom::Element::bare(el.name(), ns);
    for ((attr_ns, name), value) in el.attrs().iter() {
        out.set_attr(attr_ns.clone(), name.clone(), value.clone());
    }
    let keep = keeps_namespaces(&el);
    for node in el.take_nodes() {
        match node {
            minidom::Node::Element(child) if keep => {
                out.append_child(child);
            }
            minidom::Node::Element(child) => {
                out.append_child(moved(child, from, to));
            }
            minidom::Node::Text(text) => out.append_text_node(text),
        }
    }
    out
}
