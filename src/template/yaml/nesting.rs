//! A linear pre-scan for deeply nested flow collections (`[[[[...` or
//! `{a: {a: ...`).
//!
//! serde_yaml stops at 128 levels, but only after libyaml has scanned the
//! whole document, and libyaml's scanner does work proportional to the flow
//! depth for every token: 10,000 levels take seconds, a 5 MB file of `[`
//! would take hours. This scan finds the flow nesting depth in one pass, so
//! such documents are refused at once.
//!
//! It is a sketch of YAML's lexical rules, not a parser: it skips quoted
//! scalars, comments and `|` / `>` blocks, and counts `[` and `{` only where
//! they open a collection (a value position in block context, anywhere in
//! flow context). Where it is unsure it counts nothing, so it can miss depth
//! (then serde_yaml's own limit still applies) but not invent it.

/// Where the flow nesting first goes deeper than `limit`: 1-based line and
/// column of the bracket, or `None` when it never does.
pub(super) fn flow_too_deep(text: &str, limit: usize) -> Option<(usize, usize)> {
    let mut scan = Scan {
        depth: 0,
        limit,
        quote: None,
        block_scalar_indent: None,
    };
    for (index, line) in text.lines().enumerate() {
        if let Some(column) = scan.line(line) {
            return Some((index + 1, column + 1));
        }
    }
    None
}

struct Scan {
    /// Open flow collections.
    depth: usize,
    limit: usize,
    /// The quote of a quoted scalar still open at the end of the last line.
    quote: Option<char>,
    /// Inside a `|` or `>` block: the indentation of the line that opened it.
    block_scalar_indent: Option<usize>,
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl Scan {
    /// Scans one line; returns the 0-based column (in bytes) where the depth
    /// passes the limit.
    fn line(&mut self, line: &str) -> Option<usize> {
        if let Some(indent) = self.block_scalar_indent {
            if line.trim().is_empty() || indentation(line) > indent {
                return None;
            }
            self.block_scalar_indent = None;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        if let Some(quote) = self.quote {
            i = self.skip_quoted(bytes, 0, quote)?;
        }
        if self.depth == 0 {
            i = self.value_start(line, i)?;
        }
        self.flow(bytes, i)
    }

    /// In block context from byte `i`: skips indicators (`- `, `? `,
    /// `key: `), tags and anchors to where a value starts; returns where a
    /// flow collection starts, or `None` when the line holds none.
    fn value_start(&mut self, line: &str, mut i: usize) -> Option<usize> {
        let bytes = line.as_bytes();
        loop {
            while i < bytes.len() && matches!(bytes[i], b' ' | b'\t') {
                i += 1;
            }
            let rest = &bytes[i..];
            match rest.first()? {
                b'[' | b'{' => return Some(i),
                b'#' => return None,
                b'|' | b'>' => {
                    self.block_scalar_indent = Some(indentation(line));
                    return None;
                }
                b'-' | b'?' | b':' if rest.len() == 1 || matches!(rest[1], b' ' | b'\t') => i += 1,
                b'!' | b'&' => {
                    while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t') {
                        i += 1;
                    }
                }
                b'\'' | b'"' => {
                    let quote = rest[0] as char;
                    i = self.skip_quoted(bytes, i + 1, quote)?;
                }
                _ => {
                    // A plain key (`key: value`) or a plain value: brackets
                    // in it are text. Only a `: ` makes what follows a value.
                    let after = line[i..].find(": ").map(|p| i + p + 1)?;
                    i = after;
                }
            }
        }
    }

    /// In flow context (or at a flow collection's start) from byte `i`.
    fn flow(&mut self, bytes: &[u8], mut i: usize) -> Option<usize> {
        while i < bytes.len() {
            match bytes[i] {
                b'[' | b'{' => {
                    self.depth += 1;
                    if self.depth > self.limit {
                        return Some(i);
                    }
                }
                b']' | b'}' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        // Back in block context; what may follow is ignored.
                        return None;
                    }
                }
                b'\'' | b'"' => {
                    i = self.skip_quoted(bytes, i + 1, bytes[i] as char)?;
                    continue;
                }
                b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => return None,
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Skips a quoted scalar's text from byte `i` (after the opening quote):
    /// the index after the closing quote, or `None` (and the quote kept
    /// open) when the line ends first.
    fn skip_quoted(&mut self, bytes: &[u8], mut i: usize, quote: char) -> Option<usize> {
        let quote_byte = quote as u8;
        while i < bytes.len() {
            let b = bytes[i];
            if quote == '"' && b == b'\\' {
                i += 2;
                continue;
            }
            if b == quote_byte {
                if quote == '\'' && bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                self.quote = None;
                return Some(i + 1);
            }
            i += 1;
        }
        self.quote = Some(quote);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_deep_flow_collections() {
        let deep = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        assert_eq!(flow_too_deep(&deep, 128), Some((1, 132)));
        let deep = format!(
            "a:\n  - !Base64 {}x{}\n",
            "{b: ".repeat(200),
            "}".repeat(200)
        );
        assert!(flow_too_deep(&deep, 128).is_some());
        let deep = format!("a: &x\n  {}\n", "[".repeat(200));
        assert!(flow_too_deep(&deep, 128).is_some());
        let json = format!(
            "# JSON after a comment\n{{\"a\": {}{}}}",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(flow_too_deep(&json, 128).is_some());
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let many = "[{".repeat(300);
        let docs = [
            format!("a: x{many}\n"),
            format!("a: '{many}'\nb: \"{many}\"\n"),
            format!("a: 'multi\n  line {many}\n  end'\nb: [1]\n"),
            format!("a: 1 # {many}\n"),
            format!("code: |\n  {many}\n  {many}\nnext: [1, {{b: 2}}]\n"),
            format!("- >-\n  {many}\n- x\n"),
            format!("k{many}: v\n"),
            format!("a: ['{many}', \"{many}\", [[1]]]\n"),
            format!("a: [1] {many}\n"),
        ];
        for doc in docs {
            assert_eq!(flow_too_deep(&doc, 128), None, "{doc:.60}");
        }
    }
}
