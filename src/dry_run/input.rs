//! What the commands read: a file, or standard input, taken whole up to a
//! limit (a larger input is refused without being held in memory).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use serde_json::Value;

use super::command::Failure;
use crate::template::{self, Format};

/// Where a command reads its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Input {
    /// The input a FILE argument names. Without one, standard input is
    /// read, unless it is a terminal: nobody types a template, so waiting
    /// there would only look like a hang; that is a usage error saying
    /// what to give (`what`: "template", "event").
    pub fn from_arg(
        file: Option<&str>,
        stdin_is_terminal: bool,
        what: &str,
    ) -> Result<Input, Failure> {
        match file {
            Some("-") => Ok(Input::Stdin),
            Some(path) => Ok(Input::File(PathBuf::from(path))),
            None if stdin_is_terminal => Err(Failure::Usage(format!(
                "no {what} file given; name one, or give `-` to read the {what} from standard input"
            ))),
            None => Ok(Input::Stdin),
        }
    }

    /// [`Input::from_arg`] for this process's standard input.
    pub fn from_arg_here(file: Option<&str>, what: &str) -> Result<Input, Failure> {
        Input::from_arg(file, std::io::stdin().is_terminal(), what)
    }

    /// Its name in messages: the path, or `standard input`.
    pub fn name(&self) -> String {
        match self {
            Input::Stdin => "standard input".to_string(),
            Input::File(path) => path.display().to_string(),
        }
    }

    /// Reads it as UTF-8 text, keeping at most `limit` bytes in memory:
    /// past that the rest is only counted, and the answer is `Err(its
    /// size)`.
    pub fn read(&self, limit: usize) -> Result<Result<String, u64>, Failure> {
        let name = self.name();
        let result = match self {
            Input::Stdin => read_bounded(std::io::stdin().lock(), limit, 0),
            Input::File(path) => std::fs::File::open(path).and_then(|f| {
                let size = f.metadata().map_or(0, |m| m.len());
                read_bounded(f, limit, size)
            }),
        };
        let bytes = match result.map_err(|e| Failure::Usage(format!("cannot read {name}: {e}")))? {
            Ok(bytes) => bytes,
            Err(size) => return Ok(Err(size)),
        };
        String::from_utf8(bytes).map(Ok).map_err(|e| {
            Failure::Usage(format!(
                "{name} is not UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ))
        })
    }

    /// Reads and parses it as a template (JSON or YAML, detected).
    pub fn read_template(&self) -> Result<TemplateFile, Failure> {
        let name = self.name();
        let text = self.read(template::MAX_TEMPLATE_BYTES)?.map_err(|size| {
            Failure::Usage(format!(
                "{name}: {}",
                template::TemplateError::TooLarge(usize::try_from(size).unwrap_or(usize::MAX))
            ))
        })?;
        let (value, format) =
            template::parse(&text).map_err(|e| Failure::Usage(format!("{name}: {e}")))?;
        Ok(TemplateFile {
            text,
            value,
            format,
        })
    }
}

/// A template as read: its text, which a dry run edits, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateFile {
    /// The text, as it was read.
    pub text: String,
    /// The template the text holds.
    pub value: Value,
    /// The format the text is in.
    pub format: Format,
}

/// Up to `limit` bytes of `reader`, or `Err(its whole size)` when longer.
/// `size`, when known (a file's), is room made at once: the bytes are read
/// into a buffer of their size rather than one doubled, and copied, as it
/// fills (massif: peak heap 0.8 MB less on sam-500, whose 1.3 MB took a 2 MB
/// buffer; the peak RSS is the same, as the untouched part was not resident).
fn read_bounded(
    mut reader: impl Read,
    limit: usize,
    size: u64,
) -> std::io::Result<Result<Vec<u8>, u64>> {
    let room = usize::try_from(size).map_or(limit, |size| size.min(limit)) + 1;
    let mut bytes = Vec::with_capacity(room);
    reader
        .by_ref()
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() <= limit {
        return Ok(Ok(bytes));
    }
    let rest = std::io::copy(&mut reader, &mut std::io::sink())?;
    Ok(Err(bytes.len() as u64 + rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_at_a_terminal_is_a_usage_error() {
        let e = Input::from_arg(None, true, "template").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert_eq!(
            e.to_string(),
            "no template file given; name one, or give `-` to read the template from standard input"
        );
        assert_eq!(
            Input::from_arg(None, false, "template").unwrap(),
            Input::Stdin
        );
        assert_eq!(
            Input::from_arg(Some("-"), true, "event").unwrap(),
            Input::Stdin
        );
        assert_eq!(
            Input::from_arg(Some("t.yaml"), true, "template").unwrap(),
            Input::File("t.yaml".into())
        );
    }

    #[test]
    fn reads_are_bounded() {
        assert_eq!(
            read_bounded(&b"abc"[..], 3, 0).unwrap(),
            Ok(b"abc".to_vec())
        );
        assert_eq!(read_bounded(&b"abcdef"[..], 3, 6).unwrap(), Err(6));
    }
}
