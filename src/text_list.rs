//! A list of (text, small value) pairs held in chunks: the walk's files and
//! the plan's files (a million of each at a cold seed) as their paths' text
//! one after the other, four bytes a path for where it ends, no allocation
//! of its own per path; chunks at the front can be given back as a consumer
//! moves past them.

use std::collections::VecDeque;

/// Items per chunk: a chunk is given back whole, and every chunk but the
/// last is full, so an index finds its chunk by division.
const CHUNK_ITEMS: usize = 4096;

#[derive(Debug, Clone)]
pub struct TextList<T> {
    chunks: VecDeque<Chunk<T>>,
    /// Items in chunks given back (the index of the first item held).
    dropped: usize,
    len: usize,
}

#[derive(Debug, Clone)]
struct Chunk<T> {
    /// Every text, one after the other.
    text: String,
    /// Where each text ends in `text`.
    ends: Vec<u32>,
    values: Vec<T>,
}

impl<T> Default for TextList<T> {
    fn default() -> Self {
        TextList {
            chunks: VecDeque::new(),
            dropped: 0,
            len: 0,
        }
    }
}

impl<T: Copy> TextList<T> {
    /// Add an item; its index.
    pub fn push(&mut self, text: &str, value: T) -> usize {
        self.push_parts(&[text], value)
    }

    /// Add an item whose text is `parts` one after the other; its index.
    pub fn push_parts(&mut self, parts: &[&str], value: T) -> usize {
        if self
            .chunks
            .back()
            .is_none_or(|c| c.ends.len() == CHUNK_ITEMS)
        {
            // A full chunk's text keeps no room to grow: it grew by
            // doubling, so up to half of it was spare.
            if let Some(full) = self.chunks.back_mut() {
                full.text.shrink_to_fit();
            }
            self.chunks.push_back(Chunk {
                text: String::new(),
                ends: Vec::with_capacity(CHUNK_ITEMS),
                values: Vec::with_capacity(CHUNK_ITEMS),
            });
        }
        let c = self.chunks.back_mut().expect("a chunk was just made");
        for part in parts {
            c.text.push_str(part);
        }
        c.ends
            .push(u32::try_from(c.text.len()).expect("a chunk's texts are under 4 GiB"));
        c.values.push(value);
        self.len += 1;
        self.len - 1
    }

    /// Give back the last chunk's spare room (the others have none).
    pub fn shrink_to_fit(&mut self) {
        if let Some(last) = self.chunks.back_mut() {
            last.text.shrink_to_fit();
            last.ends.shrink_to_fit();
            last.values.shrink_to_fit();
        }
    }

    /// How many items were pushed (given-back ones included).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The item at `i`; panics for one given back.
    pub fn get(&self, i: usize) -> (&str, T) {
        let at = i
            .checked_sub(self.dropped)
            .expect("an item given back is not read again");
        let c = &self.chunks[at / CHUNK_ITEMS];
        let k = at % CHUNK_ITEMS;
        let start = if k == 0 { 0 } else { c.ends[k - 1] as usize };
        (&c.text[start..c.ends[k] as usize], c.values[k])
    }

    /// Every item held, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, T)> + '_ {
        (self.dropped..self.len).map(|i| self.get(i))
    }

    /// Give back the chunks whose items all come before index `i`.
    pub fn drop_before(&mut self, i: usize) {
        while let Some(first) = self.chunks.front()
            && self.dropped + first.ends.len() <= i
        {
            self.dropped += first.ends.len();
            self.chunks.pop_front();
        }
    }

    /// Chunks held, for tests of what is given back.
    #[cfg(test)]
    fn chunks(&self) -> usize {
        self.chunks.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts and values read back as pushed across chunks (an empty text,
    /// a long one); chunks wholly before an index are given back, the rest
    /// still read.
    #[test]
    fn items_read_back_across_chunks_and_chunks_are_given_back() {
        let mut l = TextList::default();
        let n = CHUNK_ITEMS * 2 + 3;
        let text = |i: usize| match i {
            5 => String::new(),
            6 => "x/".repeat(5000),
            _ => format!("d{}/f{i}.json", i % 7),
        };
        for i in 0..n {
            assert_eq!(l.push(&text(i), i as u32), i);
        }
        assert_eq!((l.len(), l.chunks()), (n, 3));
        for i in [0, 5, 6, CHUNK_ITEMS - 1, CHUNK_ITEMS, n - 1] {
            assert_eq!(l.get(i), (&*text(i), i as u32));
        }
        assert_eq!(l.iter().count(), n);
        l.drop_before(CHUNK_ITEMS - 1);
        assert_eq!(
            l.get(0).0,
            text(0),
            "a chunk with an item still to come is kept"
        );
        l.drop_before(CHUNK_ITEMS + 5);
        assert_eq!(l.chunks(), 2);
        assert_eq!(l.get(CHUNK_ITEMS).1, CHUNK_ITEMS as u32);
        assert_eq!(l.iter().count(), n - CHUNK_ITEMS);
        l.drop_before(n);
        assert_eq!((l.iter().count(), l.len(), l.chunks()), (0, n, 0));
        let empty = TextList::<u8>::default();
        assert!(empty.is_empty() && empty.iter().next().is_none());
    }
}
