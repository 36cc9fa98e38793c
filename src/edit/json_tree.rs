//! The [`Node`] tree of a JSON template: a scan of the text for where each
//! value starts and ends. The text has already been read by serde_json, so
//! the scan only needs JSON's lexical rules, not its checks.

use super::Construct;
use super::tree::{Entry, Kind, Node};

/// Builds the tree of a JSON text.
pub(super) fn build(text: &str) -> Result<Node, Construct> {
    let mut scan = Scan {
        text,
        bytes: text.as_bytes(),
        pos: 0,
    };
    let root = scan.value()?;
    scan.skip_blanks();
    if scan.pos != text.len() {
        return Err(scan.unexpected());
    }
    Ok(root)
}

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
}

impl Scan<'_> {
    fn skip_blanks(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        {
            self.pos += 1;
        }
    }

    fn unexpected(&self) -> Construct {
        Construct::Unreadable(format!("unexpected JSON text at byte {}", self.pos))
    }

    fn expect(&mut self, b: u8) -> Result<(), Construct> {
        self.skip_blanks();
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected())
        }
    }

    fn node(start: usize, end: usize, kind: Kind) -> Node {
        Node {
            start,
            end,
            slot: None,
            flow: true,
            tag: None,
            anchor: None,
            kind,
        }
    }

    fn value(&mut self) -> Result<Node, Construct> {
        self.skip_blanks();
        let start = self.pos;
        match self.bytes.get(start) {
            Some(b'{') => {
                self.pos += 1;
                let entries = self.entries()?;
                Ok(Self::node(start, self.pos, Kind::Map(entries)))
            }
            Some(b'[') => {
                self.pos += 1;
                let items = self.items()?;
                Ok(Self::node(start, self.pos, Kind::Seq(items)))
            }
            Some(b'"') => {
                self.string()?;
                Ok(Self::node(start, self.pos, Kind::Scalar))
            }
            Some(_) => {
                while self
                    .bytes
                    .get(self.pos)
                    .is_some_and(|b| !b",]} \t\r\n".contains(b))
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(self.unexpected());
                }
                Ok(Self::node(start, self.pos, Kind::Scalar))
            }
            None => Err(self.unexpected()),
        }
    }

    /// Skips a string from its opening quote.
    fn string(&mut self) -> Result<(), Construct> {
        self.pos += 1;
        while let Some(&b) = self.bytes.get(self.pos) {
            self.pos += match b {
                b'\\' => 2,
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => 1,
            };
        }
        Err(self.unexpected())
    }

    /// Whether the collection closes here (after blanks), consuming `close`.
    fn closes(&mut self, close: u8) -> bool {
        self.skip_blanks();
        let closes = self.bytes.get(self.pos) == Some(&close);
        if closes {
            self.pos += 1;
        }
        closes
    }

    fn entries(&mut self) -> Result<Vec<Entry>, Construct> {
        let mut entries = Vec::new();
        if self.closes(b'}') {
            return Ok(entries);
        }
        loop {
            self.skip_blanks();
            let key_start = self.pos;
            if self.bytes.get(key_start) != Some(&b'"') {
                return Err(self.unexpected());
            }
            self.string()?;
            let key_end = self.pos;
            let key = serde_json::from_str(&self.text[key_start..key_end])
                .map_err(|_| self.unexpected())?;
            self.expect(b':')?;
            let value = self.value()?;
            entries.push(Entry {
                key,
                key_start,
                key_end,
                value,
            });
            if self.closes(b'}') {
                return Ok(entries);
            }
            self.expect(b',')?;
        }
    }

    fn items(&mut self) -> Result<Vec<Node>, Construct> {
        let mut items = Vec::new();
        if self.closes(b']') {
            return Ok(items);
        }
        loop {
            items.push(self.value()?);
            if self.closes(b']') {
                return Ok(items);
            }
            self.expect(b',')?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_of_values_and_keys() {
        let text = "{\n  \"a\\\"b\": [1, \"x]\", {\"c\": null}],\n  \"d\": {}\n}\n";
        let root = build(text).unwrap();
        let entries = root.entries().unwrap();
        assert_eq!(entries[0].key, "a\"b");
        assert_eq!(
            &text[entries[0].key_start..entries[0].key_end],
            "\"a\\\"b\""
        );
        let items = entries[0].value.items().unwrap();
        assert_eq!(&text[items[1].start..items[1].end], "\"x]\"");
        assert_eq!(&text[items[2].start..items[2].end], "{\"c\": null}");
        assert_eq!(&text[entries[1].value.start..entries[1].value.end], "{}");
        assert_eq!((root.start, root.end), (0, text.len() - 1));
    }

    #[test]
    fn text_after_the_value_is_refused() {
        assert!(build("{} x").is_err());
        assert!(build("{\"a\" 1}").is_err());
    }
}
