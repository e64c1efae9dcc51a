//! One `Read + Seek` source, read at several places at once: the verifier streams
//! `leaves.bin`, `events.jsonl`, `events.csv` and `events.dpv.jsonld` side by side, each
//! through its own [`Cursor`] (a clone of the first) with its own position and read-ahead buffer
//! over the one shared source. A source is seeked only when the cursor that reads it is not
//! where the last read left it, and read in chunks of at least [`CHUNK`] bytes, so a file costs
//! about what a `BufReader` over it costs, and a browser `File` read through `FileReaderSync`
//! slices is asked for few, large slices.

use std::cell::RefCell;
use std::io::{self, Read, Seek, SeekFrom};
use std::rc::Rc;

/// The read-ahead of each cursor.
pub const CHUNK: usize = 256 * 1024;

struct Shared<R> {
    inner: R,
    /// Where `inner` is, if known.
    at: Option<u64>,
    len: u64,
    /// Bytes read from `inner` so far, by every cursor.
    read: u64,
}

/// A cursor over a shared source; `clone` gives another, at the same position, that moves on
/// its own.
pub struct Cursor<R> {
    shared: Rc<RefCell<Shared<R>>>,
    pos: u64,
    buf: Vec<u8>,
    /// The source offset of `buf[0]`.
    buf_at: u64,
}

impl<R: Read + Seek> Cursor<R> {
    pub fn new(mut inner: R) -> io::Result<Cursor<R>> {
        let len = inner.seek(SeekFrom::End(0))?;
        Ok(Cursor {
            shared: Rc::new(RefCell::new(Shared { inner, at: Some(len), len, read: 0 })),
            pos: 0,
            buf: Vec::new(),
            buf_at: 0,
        })
    }

    /// The size of the source.
    pub fn len(&self) -> u64 {
        self.shared.borrow().len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes read from the source so far, through every cursor.
    pub fn bytes_read(&self) -> u64 {
        self.shared.borrow().read
    }

    /// Reads from the source at `self.pos` into `out`, seeking only if needed.
    fn read_at(&self, out: &mut [u8]) -> io::Result<usize> {
        let mut s = self.shared.borrow_mut();
        if s.at != Some(self.pos) {
            s.at = None;
            s.inner.seek(SeekFrom::Start(self.pos))?;
            s.at = Some(self.pos);
        }
        let n = match s.inner.read(out) {
            Ok(n) => n,
            Err(e) => {
                s.at = None;
                return Err(e);
            }
        };
        s.at = Some(self.pos + n as u64);
        s.read += n as u64;
        Ok(n)
    }
}

impl<R> Clone for Cursor<R> {
    fn clone(&self) -> Cursor<R> {
        Cursor { shared: self.shared.clone(), pos: self.pos, buf: Vec::new(), buf_at: 0 }
    }
}

impl<R: Read + Seek> Read for Cursor<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let end = self.buf_at + self.buf.len() as u64;
        if self.pos < self.buf_at || self.pos >= end {
            if out.len() >= CHUNK {
                let n = self.read_at(out)?;
                self.pos += n as u64;
                return Ok(n);
            }
            let mut buf = std::mem::take(&mut self.buf);
            buf.resize(CHUNK, 0);
            let n = match self.read_at(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    buf.clear();
                    self.buf = buf;
                    return Err(e);
                }
            };
            buf.truncate(n);
            self.buf = buf;
            self.buf_at = self.pos;
            if n == 0 {
                return Ok(0);
            }
        }
        let from = (self.pos - self.buf_at) as usize;
        let n = out.len().min(self.buf.len() - from);
        out[..n].copy_from_slice(&self.buf[from..from + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Cursor<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let new = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len().checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos =
            new.ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start of the bundle"))?;
        Ok(self.pos)
    }

    fn stream_position(&mut self) -> io::Result<u64> {
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_the_same_source_independently() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut a = Cursor::new(io::Cursor::new(data.clone())).unwrap();
        let mut b = a.clone();
        b.seek(SeekFrom::Start(500_000)).unwrap();
        let (mut x, mut y) = (vec![0; 7], vec![0; 300_000]);
        let mut got_a = Vec::new();
        let mut got_b = Vec::new();
        for _ in 0..20 {
            a.read_exact(&mut x).unwrap();
            got_a.extend_from_slice(&x);
            let n = b.read(&mut y).unwrap();
            got_b.extend_from_slice(&y[..n]);
        }
        assert_eq!(got_a, data[..140]);
        assert_eq!(got_b, data[500_000..500_000 + got_b.len()]);
        a.seek(SeekFrom::End(-3)).unwrap();
        let mut rest = Vec::new();
        a.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, data[data.len() - 3..]);
    }
}
