//! The widget's allocator: power-of-two size classes, one free list per class, new blocks cut
//! from pages the module grows at the end of its memory. A few dozen instructions where
//! dlmalloc is ~7 KB and lol_alloc's free list ~500 bytes of every visitor's download. The
//! widget allocates little (a config, a decision, short strings per click), so rounding each
//! block up to a power of two costs kilobytes of memory at most. Single-threaded (wasm32 in a
//! page), like the rest of the widget.

use core::alloc::Layout;
#[cfg(target_arch = "wasm32")]
use core::{
    alloc::GlobalAlloc,
    arch::wasm32::{memory_grow, memory_size},
    cell::UnsafeCell,
};

#[cfg(target_arch = "wasm32")]
const PAGE: usize = 65536;

#[cfg(target_arch = "wasm32")]
struct State {
    /// Head of the free list of each class (block size `1 << class`); 0 = empty. A free block
    /// holds the address of the next one in its first word.
    free: [usize; 32],
    /// The untouched part of the heap: `next..end`.
    next: usize,
    end: usize,
}

#[cfg(target_arch = "wasm32")]
pub struct Heap(UnsafeCell<State>);

// SAFETY: wasm32 in a page is single-threaded (the widget never runs in workers), so the state
// behind the `UnsafeCell` is never reached from two threads.
#[cfg(target_arch = "wasm32")]
unsafe impl Sync for Heap {}

#[cfg(target_arch = "wasm32")]
impl Heap {
    pub const fn new() -> Heap {
        Heap(UnsafeCell::new(State { free: [0; 32], next: 0, end: 0 }))
    }
}

/// The class of a request: the smallest power of two ≥ size and align, at least a word.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
fn class(l: &Layout) -> usize {
    let n = l.size().max(l.align()).max(8);
    (usize::BITS - (n - 1).leading_zeros()) as usize
}

#[cfg(target_arch = "wasm32")]
// SAFETY: every block handed out is `1 << class` bytes, aligned to its size (so to any alignment
// up to it), and is handed out again only after `dealloc` put it back on its class's list.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: one thread, and the allocator never calls itself while it holds this borrow.
        let s = unsafe { &mut *self.0.get() };
        let c = class(&l);
        let head = s.free[c];
        if head != 0 {
            // SAFETY: `head` is a free block of this class (≥ 8 bytes, aligned): its first word
            // holds the next free block, written by `dealloc`.
            s.free[c] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        let size = 1usize << c;
        if s.end == 0 {
            s.end = memory_size(0) * PAGE;
            s.next = s.end;
        }
        // Blocks are aligned to their size, so every alignment up to it holds.
        let at = (s.next + size - 1) & !(size - 1);
        if at + size > s.end {
            let pages = (at + size - s.end).div_ceil(PAGE);
            if memory_grow(0, pages) == usize::MAX {
                return core::ptr::null_mut();
            }
            s.end += pages * PAGE;
        }
        s.next = at + size;
        at as *mut u8
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: as in `alloc`.
        let s = unsafe { &mut *self.0.get() };
        let c = class(&l);
        // SAFETY: `p` is a block of this class that the caller gives back (GlobalAlloc's
        // contract), at least a word long and aligned: its first word links the free list.
        unsafe { *(p as *mut usize) = s.free[c] };
        s.free[c] = p as usize;
    }

    /// Growing within its class keeps the block (a String pushed to often stays put).
    unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc::realloc's contract: `size`, rounded up to `l.align()`, does not
        // overflow `isize`, and the alignment is `l`'s, a valid one.
        let new = unsafe { Layout::from_size_align_unchecked(size, l.align()) };
        if class(&new) == class(&l) {
            return p;
        }
        // SAFETY: `new` has a non-zero size (realloc's contract).
        let q = unsafe { self.alloc(new) };
        if !q.is_null() {
            // SAFETY: `p` holds `l.size()` bytes and `q` at least `size`, distinct blocks (a new
            // one of another class); `p` is the caller's block with layout `l`, given back once.
            unsafe {
                core::ptr::copy_nonoverlapping(p, q, l.size().min(size));
                self.dealloc(p, l);
            }
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::class;
    use core::alloc::Layout;

    #[test]
    fn classes_are_the_smallest_power_of_two_that_fits() {
        let c = |size, align| class(&Layout::from_size_align(size, align).unwrap());
        assert_eq!(c(0, 1), 3);
        assert_eq!(c(1, 1), 3);
        assert_eq!(c(8, 8), 3);
        assert_eq!(c(9, 1), 4);
        assert_eq!(c(16, 4), 4);
        assert_eq!(c(17, 1), 5);
        assert_eq!(c(4, 32), 5);
        assert_eq!(c(65536, 1), 16);
        assert_eq!(c(65537, 1), 17);
    }
}
