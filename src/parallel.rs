//! Order-preserving parallel map over a slice, on scoped std threads.
//!
//! Hashing and parsing 100k files is CPU work that splits cleanly per file;
//! the planner needs the results in walk order (plans are deterministic), so
//! this hands out small chunks of items, each with its chunk of the output,
//! from a shared iterator (no thread idles while another holds a long tail). Small enough that a thread-pool crate is not worth its weight.

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
///
/// Each thread takes the next `CHUNK` of items together with the matching
/// `CHUNK` of the output and fills it in place: the results are never held
/// twice (per-thread lists gathered into the output afterwards held a
/// million hashed files' results two and a half times over, at the peak of
/// the walk).
pub fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    map_indexed(items, |_, x| f(x))
}

/// [`map`] where `f` also gets each item's index in `items` (instead of a
/// list of `(index, item)` pairs made for it: 16 bytes an item, a million
/// walked files).
pub fn map_indexed<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(usize, &T) -> R + Sync,
{
    if threads() <= 1 || items.len() <= CHUNK {
        return items.iter().enumerate().map(|(i, x)| f(i, x)).collect();
    }
    let mut out: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    fill_indexed(&mut out, |i| Some(f(i, &items[i])));
    // Collected in place where the layouts allow it (the standard library
    // reuses the allocation when `R` fits in an `Option<R>`'s slot).
    out.into_iter()
        .map(|r| r.expect("every index is claimed exactly once"))
        .collect()
}

/// Set each `out[i]` to `f(i)`, on [`threads`] threads: for results with no
/// spare value for an `Option` to use (a 32-byte digest in an `Option` is
/// 33 bytes, and a list of them is not collected in place).
pub fn fill_indexed<R, F>(out: &mut [R], f: F)
where
    R: Send,
    F: Fn(usize) -> R + Sync,
{
    let n = threads();
    if n <= 1 || out.len() <= CHUNK {
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = f(i);
        }
        return;
    }
    // A lock per chunk of 32 items: a million items take 31,250 locks,
    // nothing beside reading and hashing a file each.
    let work = std::sync::Mutex::new(out.chunks_mut(CHUNK).enumerate());
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..n)
            .map(|_| {
                s.spawn(|| {
                    loop {
                        // A poisoned lock means another worker panicked;
                        // its panic is what the caller gets (below).
                        let next = match work.lock() {
                            Ok(mut w) => w.next(),
                            Err(_) => None,
                        };
                        let Some((k, output)) = next else {
                            break;
                        };
                        for (j, slot) in output.iter_mut().enumerate() {
                            *slot = f(k * CHUNK + j);
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            // A panic in `f` is a bug; carry it to the caller unchanged.
            w.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        }
    });
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

    #[test]
    fn filling_sets_every_slot_by_its_index() {
        for len in [0usize, 5, 10_007] {
            let mut out = vec![[0u8; 32]; len];
            super::fill_indexed(&mut out, |i| [(i % 251) as u8; 32]);
            assert!(
                out.iter()
                    .enumerate()
                    .all(|(i, d)| *d == [(i % 251) as u8; 32])
            );
        }
    }

    #[test]
    fn each_item_gets_its_own_index() {
        // Past one chunk, and one item short of a whole number of them.
        for len in [5usize, 10_007] {
            let items: Vec<u64> = (0..len as u64).map(|x| x * 3).collect();
            let out = super::map_indexed(&items, |i, x| (i, *x));
            let want: Vec<(usize, u64)> = items.iter().copied().enumerate().collect();
            assert_eq!(out, want);
        }
    }

    /// A panic in the mapped function reaches the caller as itself, and
    /// the other threads stop (the call returns).
    #[test]
    fn a_panic_in_the_function_reaches_the_caller() {
        let items: Vec<u64> = (0..10_000).collect();
        let got = std::panic::catch_unwind(|| {
            super::map(&items, |&x| {
                assert!(x != 5_000, "item {x} is bad");
                x
            })
        });
        let payload = got.expect_err("the panic is carried");
        let message = payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default();
        assert_eq!(message, "item 5000 is bad");
    }
}
