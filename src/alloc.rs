//! The process's allocator: jemalloc for the many small allocations, glibc for the few large ones.
//!
//! A dry-run of 1,000,000 listings makes hundreds of millions of small allocations (one per text
//! cell, per JSON value, per hash); glibc spent a third of that run's CPU in `malloc`, `free` and
//! their consolidation, jemalloc a fraction of it (docs/BENCHMARKS.md). Photos are the opposite:
//! a few buffers of tens of MB, which jemalloc keeps as dirty pages for seconds after they are
//! freed (a 12-photo batch peaked at 265 MB instead of 144 MB), while glibc, with its mmap
//! threshold pinned at 1 MiB (`photo::return_freed_memory`), maps each one alone and hands it
//! back to the kernel the moment it is freed. So each allocation goes by its size; the layout a
//! block is freed with is the one it was allocated with, so it always returns to its allocator.

use std::alloc::{GlobalAlloc, Layout, System};

use tikv_jemallocator::Jemalloc;

/// At and above this size an allocation is glibc's (and, past its mmap threshold, its own mapping).
const LARGE: usize = 1 << 20;

/// See the module documentation.
pub struct Split;

fn large(size: usize) -> bool {
    size >= LARGE
}

// SAFETY: every method forwards to one of two sound allocators, chosen by the block's size; a
// block is freed or resized by the allocator that made it, because Rust passes the layout it was
// allocated with, and a resize that crosses the threshold allocates anew, copies and frees.
unsafe impl GlobalAlloc for Split {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if large(layout.size()) {
            System.alloc(layout)
        } else {
            Jemalloc.alloc(layout)
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if large(layout.size()) {
            System.alloc_zeroed(layout)
        } else {
            Jemalloc.alloc_zeroed(layout)
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if large(layout.size()) {
            System.dealloc(ptr, layout)
        } else {
            Jemalloc.dealloc(ptr, layout)
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        match (large(layout.size()), large(new_size)) {
            (true, true) => System.realloc(ptr, layout, new_size),
            (false, false) => Jemalloc.realloc(ptr, layout, new_size),
            _ => {
                let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
                    return std::ptr::null_mut();
                };
                let new = self.alloc(new_layout);
                if !new.is_null() {
                    std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                    self.dealloc(ptr, layout);
                }
                new
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks grown and shrunk across the threshold keep their bytes and are freed by the
    /// allocator that holds them (a mismatch would crash or corrupt the heap here).
    #[test]
    fn blocks_crossing_the_threshold_keep_their_contents() {
        let a = Split;
        for (from, to) in [(1000, LARGE + 5), (LARGE + 5, 1000), (LARGE, LARGE * 3), (64, 128)] {
            let layout = Layout::from_size_align(from, 8).expect("layout");
            // SAFETY: the layout is non-zero; the pointer is used within its sizes and freed once.
            unsafe {
                let p = a.alloc(layout);
                assert!(!p.is_null());
                for i in 0..from {
                    *p.add(i) = (i % 251) as u8;
                }
                let q = a.realloc(p, layout, to);
                assert!(!q.is_null());
                for i in 0..from.min(to) {
                    assert_eq!(*q.add(i), (i % 251) as u8, "byte {i} of {from} -> {to}");
                }
                a.dealloc(q, Layout::from_size_align(to, 8).expect("layout"));
            }
        }
    }
}
