//! YAML text to a small node tree that keeps each node's line and each
//! scalar's raw text, so the converter can read numbers as go-audit does
//! (`0600` is octal, `1.40` stays `1.40`) and name lines in errors.
//!
//! Built from `yaml-rust2`'s event parser. Only the first document is read
//! (as go-audit's YAML library does). Aliases are expanded and merge keys
//! (`<<: *anchor`) applied, as go-audit's yaml.v3 applies them; nesting depth
//! and the expanded size are bounded so hostile input cannot exhaust the
//! stack or memory.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::error::ConfigError;

/// Deepest nesting accepted; a config needs 4.
const MAX_DEPTH: usize = 64;
/// Most nodes accepted after alias expansion.
const MAX_NODES: usize = 100_000;

/// A YAML node and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Node {
    pub line: usize,
    pub kind: Kind,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Kind {
    /// A scalar's text as written; `plain` when unquoted and untagged (so it
    /// may be a number, a bool or null).
    Scalar { text: String, plain: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order (duplicates kept for the converter).
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// Whether this is `null`, `~` or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, Kind::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// Nodes in this subtree, this one included.
    fn size(&self) -> usize {
        match &self.kind {
            Kind::Scalar { .. } => 1,
            Kind::Seq(items) => 1 + items.iter().map(Node::size).sum::<usize>(),
            Kind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.size() + v.size())
                    .sum::<usize>()
            }
        }
    }
}

/// Parses the first document of `text`; `Ok(None)` when it is empty.
///
/// The parser's events are taken one by one here, not through
/// `Parser::load`, whose loader recurses once per nesting level: block
/// nesting (indentation, `- - - x`) has no limit in the scanner, and a few
/// thousand levels overflowed the stack before the builder's depth limit
/// could refuse them. Reading stops at the first document's end, or at the
/// builder's first error.
pub(super) fn parse(text: &str) -> Result<Option<Node>, ConfigError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    while builder.error.is_none() {
        let (event, mark) = parser.next_token().map_err(|e| {
            ConfigError::new(
                "",
                Some(e.marker().line()),
                format!("invalid YAML: {}", e.info()),
            )
        })?;
        if matches!(event, Event::DocumentEnd | Event::StreamEnd) {
            break;
        }
        builder.on_event(event, mark);
    }
    match builder.error {
        Some(e) => Err(e),
        None => Ok(builder.root),
    }
}

/// Whether `key` is the merge key `<<` (plain, untagged).
fn is_merge(key: &Node) -> bool {
    matches!(&key.kind, Kind::Scalar { text, plain: true } if text == "<<")
}

/// A mapping's entries with its merge keys applied, as go-audit's YAML
/// library (yaml.v3) applies them: `<<: *a` or `<<: [*a, *b]` adds the
/// entries of the merged mappings whose keys the mapping does not set
/// itself (an earlier mapping of the list before a later one). `Err` is
/// the line of a merge whose value is not mappings.
fn merged(entries: Vec<(Node, Node)>) -> Result<Vec<(Node, Node)>, usize> {
    if !entries.iter().any(|(k, _)| is_merge(k)) {
        return Ok(entries);
    }
    let (merges, mut out): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(k, _)| is_merge(k));
    let mut sources = Vec::new();
    for (key, value) in merges {
        match value.kind {
            Kind::Map(map) => sources.push(map),
            Kind::Seq(items) => {
                for item in items {
                    match item.kind {
                        Kind::Map(map) => sources.push(map),
                        _ => return Err(key.line),
                    }
                }
            }
            Kind::Scalar { .. } => return Err(key.line),
        }
    }
    for (key, value) in sources.into_iter().flatten() {
        let set = out.iter().any(|(k, _)| k.kind == key.kind);
        if !set {
            out.push((key, value));
        }
    }
    Ok(out)
}

/// A container still being filled.
enum Frame {
    Seq {
        line: usize,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        line: usize,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// Receives parser events and builds the tree.
#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
    nodes: usize,
    error: Option<ConfigError>,
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line();
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == TScalarStyle::Plain && tag.is_none();
                let node = Node {
                    line,
                    kind: Kind::Scalar { text, plain },
                };
                self.complete(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    let mut node = node.clone();
                    node.line = line;
                    self.nodes = self.nodes.saturating_add(node.size());
                    self.complete(node, 0);
                }
                None => self.fail(line, "alias to an unknown anchor"),
            },
            Event::SequenceStart(anchor, _) => self.open(Frame::Seq {
                line,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(anchor, _) => self.open(Frame::Map {
                line,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => self.close(),
            Event::Nothing
            | Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart
            | Event::DocumentEnd => {}
        }
    }
}

impl Builder {
    fn open(&mut self, frame: Frame) {
        if self.stack.len() >= MAX_DEPTH {
            let line = match &frame {
                Frame::Seq { line, .. } | Frame::Map { line, .. } => *line,
            };
            self.fail(line, "nested too deeply");
            return;
        }
        self.stack.push(frame);
    }

    fn close(&mut self) {
        let (node, anchor) = match self.stack.pop() {
            Some(Frame::Seq {
                line,
                anchor,
                items,
            }) => (
                Node {
                    line,
                    kind: Kind::Seq(items),
                },
                anchor,
            ),
            Some(Frame::Map {
                line,
                anchor,
                entries,
                ..
            }) => match merged(entries) {
                Ok(entries) => (
                    Node {
                        line,
                        kind: Kind::Map(entries),
                    },
                    anchor,
                ),
                Err(line) => {
                    self.fail(line, "a merge (<<) takes a mapping or a list of mappings");
                    return;
                }
            },
            None => return,
        };
        self.complete(node, anchor);
    }

    /// Hands a finished node to its parent (or makes it the root).
    fn complete(&mut self, node: Node, anchor: usize) {
        self.nodes = self.nodes.saturating_add(1);
        if self.nodes > MAX_NODES {
            self.fail(node.line, "document too large (aliases expand too far?)");
            return;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { entries, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => entries.push((k, node)),
            },
        }
    }

    fn fail(&mut self, line: usize, message: &str) {
        self.error = Some(ConfigError::new("", Some(line), message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str, plain: bool) -> Kind {
        Kind::Scalar {
            text: text.to_string(),
            plain,
        }
    }

    #[test]
    fn keeps_raw_scalars_and_lines() {
        let root = parse("a: 0600\nb: '0600'\nc:\n  - x\n").unwrap().unwrap();
        let Kind::Map(entries) = root.kind else {
            panic!("not a map")
        };
        assert_eq!(entries[0].1.kind, scalar("0600", true));
        assert_eq!(entries[1].1.kind, scalar("0600", false));
        assert_eq!(entries[2].0.line, 3);
        assert_eq!(
            entries[2].1.kind,
            Kind::Seq(vec![Node {
                line: 4,
                kind: scalar("x", true)
            }])
        );
    }

    #[test]
    fn empty_document_is_none() {
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(parse("# only a comment\n").unwrap(), None);
    }

    #[test]
    fn aliases_expand() {
        let root = parse("a: &x 5\nb: *x\n").unwrap().unwrap();
        let Kind::Map(entries) = root.kind else {
            panic!("not a map")
        };
        assert_eq!(entries[1].1.kind, scalar("5", true));
    }

    /// Block nesting (indentation, `- - - x`) has no limit in the YAML
    /// scanner, unlike flow nesting, and yaml-rust2's loader recurses per
    /// level: 5,000 levels overflowed the stack (SIGABRT) before the
    /// builder's depth limit could say anything.
    #[test]
    fn deep_block_nesting_is_an_error_not_a_stack_overflow() {
        let dashes = format!("{}x\n", "- ".repeat(200_000));
        let e = parse(&dashes).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
        let indented: String = (0..20_000)
            .map(|i| format!("{}a:\n", " ".repeat(i)))
            .collect();
        let e = parse(&indented).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
        assert_eq!(e.line, Some(MAX_DEPTH + 1), "{e}");
    }

    #[test]
    fn hostile_input_is_an_error_not_a_crash() {
        let deep = "[".repeat(10_000);
        assert!(parse(&deep).is_err());
        let mut laughs = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = (b'a' + i - 1) as char;
            let c = (b'a' + i) as char;
            laughs.push_str(&format!(
                "{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
            ));
        }
        let e = parse(&laughs).unwrap_err();
        assert!(e.message.contains("too large"), "{e}");
        assert!(parse("a: [1, 2\n").is_err());
        assert!(parse("a: *nope\n").is_err());
    }
}
