//! Order-preserving parallel map over a slice, on scoped std threads.
//!
//! Hashing and parsing 100k files is CPU work that splits cleanly per file;
//! the planner needs the results in walk order (plans are deterministic), so
//! this hands out small chunks of indices from a shared counter (no thread
//! idles while another holds a long tail) and puts every result back at its
//! index. Small enough that a thread-pool crate is not worth its weight.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Items per claim: large enough that the counter is not contended, small
/// enough that one slow file does not leave the other threads idle.
const CHUNK: usize = 32;

/// How many threads to use: the machine's parallelism, capped (the work is
/// I/O plus hashing; beyond a few cores it is bound by the page cache).
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8)
}

/// `items.iter().map(f).collect()`, computed on [`threads`] threads.
pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    let n = threads();
    if n <= 1 || items.len() <= CHUNK {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= items.len() {
                            break out;
                        }
                        let end = (start + CHUNK).min(items.len());
                        out.extend((start..end).map(|i| (i, f(&items[i]))));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            // A panic in `f` is a bug; carry it to the caller unchanged.
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for part in parts.iter_mut() {
        for (i, r) in part.drain(..) {
            slots[i] = Some(r);
        }
    }
    slots
        .into_iter()
        .map(|r| r.expect("every index is claimed exactly once"))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order_and_covers_every_item() {
        let items: Vec<u64> = (0..10_007).collect();
        let out = super::map(&items, |x| x * 2);
        assert_eq!(out, items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u8], |x| *x).is_empty());
    }
}
