//! Reading lines from a stream without trusting their length: a server that sends a
//! gigabyte without a newline costs at most [`super::MAX_LOG_LINE`] bytes of memory, and
//! the line shown says how much was left off.

use futures::{AsyncBufRead, AsyncBufReadExt};

/// Reads lines of at most `max` bytes each; a longer line is cut (on a character
/// boundary) and ends in "… (N bytes more)". Invalid UTF-8 is replaced, never an error.
pub struct BoundedLines<R> {
    reader: R,
    max: usize,
}

impl<R: AsyncBufRead + Unpin> BoundedLines<R> {
    /// Lines of `reader`, each kept to `max` bytes.
    pub fn new(reader: R, max: usize) -> BoundedLines<R> {
        BoundedLines { reader, max }
    }

    /// The next line without its `\n` (or `\r\n`), `None` at the end of the stream.
    pub async fn next_line(&mut self) -> std::io::Result<Option<String>> {
        let mut kept: Vec<u8> = Vec::new();
        let mut dropped = 0usize;
        let mut any = false;
        loop {
            let buf = self.reader.fill_buf().await?;
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (&buf[..i], Some(i + 1)),
                None => (buf, None),
            };
            let room = self.max.saturating_sub(kept.len());
            kept.extend_from_slice(&chunk[..room.min(chunk.len())]);
            dropped += chunk.len().saturating_sub(room);
            let used = done.unwrap_or(buf.len());
            self.reader.consume_unpin(used);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if dropped == 0 && kept.last() == Some(&b'\r') {
            kept.pop();
        }
        Ok(Some(finish(kept, dropped)))
    }
}

/// The kept bytes as text, cut back to a whole character, with what was left off counted.
fn finish(mut kept: Vec<u8>, mut dropped: usize) -> String {
    if dropped == 0 {
        return String::from_utf8_lossy(&kept).into_owned();
    }
    // Do not end inside a character: find where the last one starts, and drop it when
    // its lead byte asks for more bytes than were kept.
    let len = kept.len();
    let mut end = len;
    if let Some(start) = (len.saturating_sub(4)..len)
        .rev()
        .find(|&i| (kept[i] & 0xC0) != 0x80)
    {
        let need = match kept[start] {
            0xF0.. => 4,
            0xE0.. => 3,
            0xC0.. => 2,
            _ => 1,
        };
        if len - start < need {
            end = start;
        }
    }
    dropped += kept.len() - end;
    kept.truncate(end);
    format!("{}… ({dropped} bytes more)", String::from_utf8_lossy(&kept))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    async fn all(input: &[u8], max: usize) -> Vec<String> {
        let mut r = BoundedLines::new(futures::io::Cursor::new(input.to_vec()), max);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().await.unwrap() {
            out.push(l);
        }
        out
    }

    #[tokio::test]
    async fn long_lines_are_cut_and_say_by_how_much() {
        let mut input = b"short\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 100_000));
        input.extend_from_slice(b"\nafter\nlast without newline");
        let lines = all(&input, 10).await;
        assert_eq!(
            lines,
            vec![
                "short",
                "xxxxxxxxxx… (99990 bytes more)",
                "after",
                "last witho… (10 bytes more)"
            ]
        );
    }

    #[tokio::test]
    async fn a_cut_never_splits_a_character() {
        // "é" is two bytes: a cut at 3 keeps one whole "é" and counts the rest.
        let lines = all("éééé\n".as_bytes(), 3).await;
        assert_eq!(all("éé\n".as_bytes(), 4).await, vec!["éé"]);
        assert_eq!(all("ééé\n".as_bytes(), 4).await, vec!["éé… (2 bytes more)"]);
        assert_eq!(lines, vec!["é… (6 bytes more)"]);
        assert_eq!(all(b"", 3).await, Vec::<String>::new());
        assert_eq!(all(b"\n\n", 3).await, vec!["", ""]);
    }
}
