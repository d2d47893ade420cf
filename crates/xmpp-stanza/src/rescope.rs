//! Re-scoping between the two content namespaces (RFC 6120 section 4.8.3).
//!
//! Inside a stanza, `jabber:client` and `jabber:server` both mean "the
//! content namespace of the stream": the writer puts every element in
//! either into the namespace of the stream it writes to, and the reader
//! files an element in the other one (a `jabber:server` child on a client
//! stream) under the stream's, so that what is read is what is written.

use crate::error::Error;
use crate::ns;
use crate::xml::{Reader, Start};

/// Reads the element `start` opens as a tree, every element in a content
/// namespace moved into `content_ns`.
pub(crate) fn read_tree<'a>(
    r: &mut Reader<'a>,
    start: Start<'a>,
    content_ns: &str,
) -> Result<minidom::Element, Error> {
    let tree = r.tree(start)?;
    let other = match content_ns {
        ns::CLIENT => ns::SERVER,
        ns::SERVER => ns::CLIENT,
        _ => return Ok(tree),
    };
    if !mentions(&tree, other) {
        return Ok(tree);
    }
    Ok(moved(tree, other, content_ns))
}

/// Whether `el` or an element below it is in `ns`.
fn mentions(el: &minidom::Element, ns: &str) -> bool {
    el.has_ns(ns) || el.children().any(|child| mentions(child, ns))
}

/// `el` rebuilt with every element in `from` put into `to` (minidom has no
/// way to change an element's namespace in place).
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
    for node in el.take_nodes() {
        match node {
            minidom::Node::Element(child) => {
                out.append_child(moved(child, from, to));
            }
            minidom::Node::Text(text) => out.append_text_node(text),
        }
    }
    out
}
