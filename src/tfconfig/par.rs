//! A small order-preserving parallel map over batches of work, on scoped threads (no thread pool, no
//! dependency): reading and comparing ten thousand resources is CPU-bound and splits cleanly.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How many threads to use at most: the machine's parallelism, and never more than there are batches.
fn threads(batches: usize) -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8)
        .min(batches)
}

/// `f` applied to every batch, results in batch order. Threads take the next batch as they finish one, so
/// uneven batches balance; with one batch or one core it runs on the caller's thread.
pub(crate) fn map<T: Send, R: Send>(batches: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let n = threads(batches.len());
    if n <= 1 {
        return batches.into_iter().map(f).collect();
    }
    let count = batches.len();
    let slots: Vec<Mutex<Option<T>>> = batches.into_iter().map(|b| Mutex::new(Some(b))).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get(i) else {
                return done;
            };
            let batch = slot
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            if let Some(batch) = batch {
                done.push((i, f(batch)));
            }
        }
    };
    let mut results: Vec<Option<R>> = std::iter::repeat_with(|| None).take(count).collect();
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..n).map(|_| s.spawn(work)).collect();
        let mine = work();
        for (i, r) in handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .chain(mine)
        {
            results[i] = Some(r);
        }
    });
    results
        .into_iter()
        .map(|r| r.expect("every batch is taken exactly once"))
        .collect()
}

/// `items` cut into about `per_thread` batches per thread, in order (for [`map`]).
pub(crate) fn batches<T>(items: Vec<T>, per_thread: usize) -> Vec<Vec<T>> {
    let parts = (threads(usize::MAX) * per_thread).max(1);
    let size = items.len().div_ceil(parts).max(1);
    let mut out = Vec::with_capacity(parts);
    let mut items = items.into_iter();
    loop {
        let batch: Vec<T> = items.by_ref().take(size).collect();
        if batch.is_empty() {
            return out;
        }
        out.push(batch);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_covers_everything() {
        let items: Vec<usize> = (0..1000).collect();
        let out: Vec<Vec<usize>> = map(batches(items, 4), |b| {
            b.into_iter().map(|i| i * 2).collect()
        });
        let flat: Vec<usize> = out.into_iter().flatten().collect();
        assert_eq!(flat, (0..1000).map(|i| i * 2).collect::<Vec<_>>());
        assert!(map(Vec::<u8>::new(), |b| b).is_empty());
        assert!(batches(Vec::<u8>::new(), 4).is_empty());
    }
}
