//! The widget's allocator: power-of-two size classes, one free list per class, new blocks cut
//! from pages the module grows at the end of its memory. A few dozen instructions where
//! dlmalloc is ~7 KB and lol_alloc's free list ~500 bytes of every visitor's download. The
//! widget allocates little (a config, a decision, short strings per click), so rounding each
//! block up to a power of two costs kilobytes of memory at most. Single-threaded (wasm32 in a
//! page), like the rest of the widget.
//!
//! The logic is `Blocks`, over any `Memory` that grows a page at a time at its end: on wasm32
//! the module's own memory (`Heap`, the global allocator), in the native tests an arena of
//! their own (the tests below), so it is checked without a browser.

use core::alloc::Layout;
use core::cell::Cell;
#[cfg(target_arch = "wasm32")]
use core::{
    alloc::GlobalAlloc,
    arch::wasm32::{memory_grow, memory_size},
};

/// The unit a `Memory` grows by: a wasm32 page.
const PAGE: usize = 65536;

/// Where the heap's blocks come from: memory that grows at its end, a page at a time.
///
/// # Safety
///
/// The memory from the address `end` returns (called once, on the heap's first use) up to that
/// address plus `PAGE` bytes for each page `grow` has added (and said so) is readable,
/// writable, never used by anything but the heap, and grows in place: each `grow` adds its pages
/// right after the ones before. Addresses in it are not 0 and do not overflow `usize`.
pub unsafe trait Memory {
    /// The address where the memory ends now: the heap's blocks start there or after.
    fn end(&self) -> usize;
    /// Adds `pages` pages at the end; whether it could.
    fn grow(&self, pages: usize) -> bool;
}

/// The allocator's state over its `Memory`. Cells, not `&mut`: the allocator is reached
/// through a shared static, on one thread.
pub struct Blocks<M> {
    /// Head of the free list of each class (block size `1 << class`); 0 = empty. A free block
    /// holds the address of the next one in its first word.
    free: [Cell<usize>; 32],
    /// The untouched part of the heap: `next..end` (both 0 before the first use).
    next: Cell<usize>,
    end: Cell<usize>,
    memory: M,
}

impl<M: Memory> Blocks<M> {
    pub const fn new(memory: M) -> Blocks<M> {
        Blocks { free: [const { Cell::new(0) }; 32], next: Cell::new(0), end: Cell::new(0), memory }
    }

    /// A block of `1 << class(l)` bytes, aligned to its size (so to any alignment up to it):
    /// the one of its class freed last if there is one, else the next one cut from the untouched
    /// part, the memory grown by the pages it needs. Null when the memory cannot grow.
    pub fn alloc(&self, l: Layout) -> *mut u8 {
        let c = class(&l);
        let head = self.free[c].get();
        if head != 0 {
            // SAFETY: `head` is a free block of this class (≥ 8 bytes, aligned, in the memory):
            // its first word holds the next free block, written by `dealloc`.
            self.free[c].set(unsafe { *(head as *const usize) });
            return head as *mut u8;
        }
        let size = 1usize << c;
        if self.end.get() == 0 {
            self.end.set(self.memory.end());
            self.next.set(self.end.get());
        }
        // Blocks are aligned to their size, so every alignment up to it holds.
        let at = (self.next.get() + size - 1) & !(size - 1);
        if at + size > self.end.get() {
            let pages = (at + size - self.end.get()).div_ceil(PAGE);
            if !self.memory.grow(pages) {
                return core::ptr::null_mut();
            }
            self.end.set(self.end.get() + pages * PAGE);
        }
        self.next.set(at + size);
        at as *mut u8
    }

    /// Gives a block back: first on its class's list, so the next request of that class gets
    /// it (last in, first out). Blocks are never merged or split.
    ///
    /// # Safety
    ///
    /// `p` is a block this heap handed out for `l` (or a layout of the same class) and has not
    /// been given back since: GlobalAlloc::dealloc's contract.
    pub unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        let c = class(&l);
        // SAFETY: `p` is a block of this class that the caller gives back, at least a word long
        // and aligned: its first word links the free list.
        unsafe { *(p as *mut usize) = self.free[c].get() };
        self.free[c].set(p as usize);
    }

    /// Growing (or shrinking) within its class keeps the block (a String pushed to often stays
    /// put); otherwise the contents move to a new block and the old one is given back. Null,
    /// with `p` untouched and still the caller's, when the memory cannot grow.
    ///
    /// # Safety
    ///
    /// GlobalAlloc::realloc's contract: `p` is a block this heap handed out for `l` and not
    /// given back since; `size` is not 0 and, rounded up to `l.align()`, does not overflow
    /// `isize`.
    pub unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        // SAFETY: `size`, rounded up to `l.align()`, does not overflow `isize` (the caller's
        // contract), and the alignment is `l`'s, a valid one.
        let new = unsafe { Layout::from_size_align_unchecked(size, l.align()) };
        if class(&new) == class(&l) {
            return p;
        }
        let q = self.alloc(new);
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

/// The class of a request: the smallest power of two ≥ size and align, at least a word.
fn class(l: &Layout) -> usize {
    let n = l.size().max(l.align()).max(8);
    (usize::BITS - (n - 1).leading_zeros()) as usize
}

/// The module's linear memory.
#[cfg(target_arch = "wasm32")]
pub struct Wasm;

// SAFETY: the heap is the only code that grows the module's memory (the glue never calls
// `memory.grow`, and the module has no other allocator), and nothing lies beyond its end: the
// memory from `memory_size` on, and each page `memory.grow` adds there, is the heap's alone.
// Addresses are below 4 GiB, the most a wasm32 memory can hold.
#[cfg(target_arch = "wasm32")]
unsafe impl Memory for Wasm {
    fn end(&self) -> usize {
        memory_size(0) * PAGE
    }

    fn grow(&self, pages: usize) -> bool {
        memory_grow(0, pages) != usize::MAX
    }
}

/// The global allocator: `Blocks` over the module's memory.
#[cfg(target_arch = "wasm32")]
pub struct Heap(Blocks<Wasm>);

// SAFETY: wasm32 in a page is single-threaded (the widget never runs in workers), so the cells
// of the state are never reached from two threads.
#[cfg(target_arch = "wasm32")]
unsafe impl Sync for Heap {}

#[cfg(target_arch = "wasm32")]
impl Heap {
    pub const fn new() -> Heap {
        Heap(Blocks::new(Wasm))
    }
}

#[cfg(target_arch = "wasm32")]
// SAFETY: every block handed out is `1 << class` bytes, aligned to its size (so to any alignment
// up to it), and is handed out again only after `dealloc` put it back on its class's list
// (`Blocks`).
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        self.0.alloc(l)
    }

    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: `p` and `l` as GlobalAlloc::dealloc's contract says, which is
        // `Blocks::dealloc`'s.
        unsafe { self.0.dealloc(p, l) }
    }

    unsafe fn realloc(&self, p: *mut u8, l: Layout, size: usize) -> *mut u8 {
        // SAFETY: `p`, `l` and `size` as GlobalAlloc::realloc's contract says, which is
        // `Blocks::realloc`'s.
        unsafe { self.0.realloc(p, l, size) }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::{class, Blocks, Memory, PAGE};
    use core::alloc::Layout;
    use core::cell::{Cell, RefCell};
    extern crate std;
    use std::collections::BTreeMap;
    use std::vec::Vec;
    use std::{format, vec};

    /// The arena's start is aligned to this, so that the addresses of blocks relative to it
    /// (and the padding before a block aligned to its size) are the same on every run.
    const ARENA_ALIGN: usize = 1 << 22;

    /// A `Memory` of `pages` pages from the system allocator: `used` of them count as there
    /// before the heap (filled with 0x5a, as the module's static data and stack are on
    /// wasm32), the rest are what `grow` can add.
    struct Arena {
        base: *mut u8,
        layout: Layout,
        /// Pages the memory has now (the used ones included).
        pages: Cell<usize>,
        /// The pages of each `grow` that succeeded.
        grows: RefCell<Vec<usize>>,
    }

    impl Arena {
        fn new(pages: usize, used: usize) -> Arena {
            let layout = Layout::from_size_align(pages * PAGE, ARENA_ALIGN).unwrap();
            // SAFETY: the layout's size is not 0.
            let base = unsafe { std::alloc::alloc(layout) };
            assert!(!base.is_null());
            // SAFETY: the first `used` pages are within the allocation just made.
            unsafe { base.write_bytes(0x5a, used * PAGE) };
            Arena { base, layout, pages: Cell::new(used), grows: RefCell::new(Vec::new()) }
        }

        fn base(&self) -> usize {
            self.base as usize
        }
    }

    impl Drop for Arena {
        fn drop(&mut self) {
            // SAFETY: allocated in `new` with this layout, freed once.
            unsafe { std::alloc::dealloc(self.base, self.layout) }
        }
    }

    // SAFETY: the memory is the arena's own allocation, which nothing else uses; `end` and
    // `grow` never go past its `layout.size()` bytes, and grown pages follow each other.
    unsafe impl Memory for Arena {
        fn end(&self) -> usize {
            self.base() + self.pages.get() * PAGE
        }

        fn grow(&self, pages: usize) -> bool {
            if (self.pages.get() + pages) * PAGE > self.layout.size() {
                return false;
            }
            self.pages.set(self.pages.get() + pages);
            self.grows.borrow_mut().push(pages);
            true
        }
    }

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).unwrap()
    }

    /// The address of a block relative to the start of the arena.
    fn offset(heap: &Blocks<Arena>, p: *mut u8) -> usize {
        assert!(!p.is_null());
        p as usize - heap.memory.base()
    }

    /// Allocates, and says where relative to the start of the arena.
    fn alloc_at(heap: &Blocks<Arena>, l: Layout) -> usize {
        let p = heap.alloc(l);
        offset(heap, p)
    }

    /// xorshift64: the random test's sequence, the same on every run.
    struct Rng(u64);

    impl Rng {
        fn step(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.step() % n as u64) as usize
        }
    }

    /// The byte at `i` of a block filled with pattern `seed`.
    fn pattern(seed: u64, i: usize) -> u8 {
        (seed as usize).wrapping_mul(31).wrapping_add(i.wrapping_mul(7)).wrapping_add(i >> 8) as u8
    }

    fn fill(p: *mut u8, len: usize, seed: u64) {
        // SAFETY: the tests call this on a live block of at least `len` bytes.
        let bytes = unsafe { core::slice::from_raw_parts_mut(p, len) };
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = pattern(seed, i);
        }
    }

    fn check(p: *mut u8, len: usize, seed: u64, what: &str) {
        // SAFETY: the tests call this on a live block of at least `len` bytes.
        let bytes = unsafe { core::slice::from_raw_parts(p, len) };
        for (i, b) in bytes.iter().enumerate() {
            assert_eq!(*b, pattern(seed, i), "{what}: byte {i} of a block of {len} changed");
        }
    }

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

    #[test]
    fn new_blocks_are_cut_in_order_from_the_end_of_memory_each_aligned_to_its_size() {
        let heap = Blocks::new(Arena::new(16, 1));
        // The heap starts where the memory ended on its first use, and grows it a page at a time.
        assert_eq!(alloc_at(&heap, layout(1, 1)), PAGE);
        assert_eq!(*heap.memory.grows.borrow(), [1]);
        assert_eq!(alloc_at(&heap, layout(8, 8)), PAGE + 8);
        assert_eq!(alloc_at(&heap, layout(12, 4)), PAGE + 16);
        // Aligned to its size (64), not to its alignment (1): the gap before it stays unused.
        assert_eq!(alloc_at(&heap, layout(33, 1)), PAGE + 64);
        assert_eq!(alloc_at(&heap, layout(8, 1)), PAGE + 128);
        // An alignment larger than the size makes the class.
        assert_eq!(alloc_at(&heap, layout(8, 4096)), PAGE + 4096);
        assert_eq!(*heap.memory.grows.borrow(), [1]);
        // A block that does not fit in what is left grows the memory by the pages it needs.
        assert_eq!(alloc_at(&heap, layout(65536, 8)), 2 * PAGE);
        assert_eq!(*heap.memory.grows.borrow(), [1, 1]);
        assert_eq!(alloc_at(&heap, layout(65537, 8)), 4 * PAGE);
        assert_eq!(*heap.memory.grows.borrow(), [1, 1, 3]);
        // The next block comes after the last one: the gap left before it stays unused.
        assert_eq!(alloc_at(&heap, layout(16, 8)), 6 * PAGE);
        assert_eq!(*heap.memory.grows.borrow(), [1, 1, 3, 1]);
        // The page before the heap was never written.
        check_untouched(&heap.memory, 1);
    }

    fn check_untouched(arena: &Arena, used: usize) {
        // SAFETY: the first `used` pages of the arena, which the heap never hands out.
        let before = unsafe { core::slice::from_raw_parts(arena.base, used * PAGE) };
        assert!(before.iter().all(|&b| b == 0x5a), "the heap wrote below where it started");
    }

    #[test]
    fn a_freed_block_is_the_next_one_of_its_class_and_of_no_other() {
        let heap = Blocks::new(Arena::new(4, 0));
        let a = heap.alloc(layout(16, 8));
        let b = heap.alloc(layout(16, 8));
        let c = heap.alloc(layout(100, 4));
        // SAFETY: `a` and `b` are live blocks of these layouts, each given back once.
        unsafe {
            heap.dealloc(a, layout(16, 8));
            heap.dealloc(b, layout(16, 8));
        }
        // Other classes never get them, neither smaller nor larger.
        let small = heap.alloc(layout(8, 1));
        let large = heap.alloc(layout(32, 1));
        for p in [small, large] {
            assert!(p != a && p != b && p > c, "a new block, cut after the others");
        }
        // Last in, first out, whatever the size within the class.
        assert_eq!(heap.alloc(layout(9, 1)), b);
        assert_eq!(heap.alloc(layout(16, 16)), a);
        let fresh = heap.alloc(layout(16, 8));
        assert!(fresh != a && fresh != b && fresh > large, "the list is empty: a new block");
        // A block given back under another layout of the same class goes to that class's list.
        // SAFETY: `c` is a live block of class 7 (100 bytes), given back once.
        unsafe { heap.dealloc(c, layout(128, 1)) };
        assert_eq!(heap.alloc(layout(65, 64)), c);
    }

    #[test]
    fn realloc_keeps_the_block_within_its_class_and_moves_the_contents_out_of_it() {
        let heap = Blocks::new(Arena::new(4, 0));
        let p = heap.alloc(layout(20, 4));
        fill(p, 20, 1);
        // SAFETY: each block given to realloc and dealloc below is live with the layout given,
        // and the sizes are not 0.
        unsafe {
            // Within the class (32): the same block, in both directions.
            assert_eq!(heap.realloc(p, layout(20, 4), 32), p);
            assert_eq!(heap.realloc(p, layout(32, 4), 17), p);
            check(p, 17, 1, "kept in place");
            // Out of it: a new block with the contents, the old one back on its list.
            let q = heap.realloc(p, layout(17, 4), 100);
            assert!(!q.is_null() && q != p);
            assert_eq!(q as usize % 128, 0);
            check(q, 17, 1, "grown");
            fill(q, 100, 2);
            assert_eq!(heap.alloc(layout(32, 1)), p, "the old block is free again");
            // Shrinking to a smaller class moves too, and keeps what fits.
            let r = heap.realloc(q, layout(100, 4), 5);
            assert!(!r.is_null() && r != q && r != p);
            check(r, 5, 2, "shrunk");
            assert_eq!(heap.alloc(layout(128, 8)), q);
            heap.dealloc(r, layout(5, 4));
        }
    }

    #[test]
    fn out_of_memory_is_null_and_the_heap_stays_usable() {
        let heap = Blocks::new(Arena::new(3, 1));
        let page = heap.alloc(layout(PAGE, 8));
        assert_eq!(offset(&heap, page), PAGE);
        fill(page, PAGE, 3);
        // Two more pages do not fit (one is left): null, and nothing changed.
        assert!(heap.alloc(layout(2 * PAGE, 8)).is_null());
        assert_eq!(*heap.memory.grows.borrow(), [1]);
        // SAFETY: `page` is live with this layout; the size is not 0.
        assert!(unsafe { heap.realloc(page, layout(PAGE, 8), PAGE + 1) }.is_null());
        check(page, PAGE, 3, "a realloc that failed keeps the block");
        // What still fits is still handed out, from where the heap was.
        let last = heap.alloc(layout(PAGE / 2, 8));
        assert_eq!(offset(&heap, last), 2 * PAGE);
        assert_eq!(alloc_at(&heap, layout(PAGE / 2, 8)), 2 * PAGE + PAGE / 2);
        assert_eq!(*heap.memory.grows.borrow(), [1, 1]);
        assert!(heap.alloc(layout(8, 1)).is_null(), "full");
        // A block given back is handed out again, full or not.
        // SAFETY: `last` is live with this layout, given back once.
        unsafe { heap.dealloc(last, layout(PAGE / 2, 8)) };
        assert!(heap.alloc(layout(8, 1)).is_null(), "only its own class reuses it");
        assert_eq!(heap.alloc(layout(PAGE / 2 - 1, 1)), last);
        check(page, PAGE, 3, "the live block");
        check_untouched(&heap.memory, 1);
    }

    /// A live block of the random test: where, its layout, its fill pattern.
    struct Live {
        p: *mut u8,
        l: Layout,
        seed: u64,
    }

    /// What the design says the next `alloc` of class `c` gives: the block of the class freed
    /// last, else a new one at the first address after the last new one aligned to its size.
    struct Expect {
        free: Vec<Vec<usize>>,
        next: usize,
    }

    impl Expect {
        fn alloc(&mut self, l: Layout) -> usize {
            let c = class(&l);
            self.free[c].pop().unwrap_or_else(|| {
                let size = 1 << c;
                let at = self.next.next_multiple_of(size);
                self.next = at + size;
                at
            })
        }

        fn dealloc(&mut self, p: *mut u8, l: Layout) {
            self.free[class(&l)].push(p as usize);
        }
    }

    /// Sizes mostly of the widget's kind (short strings, small vectors), some of a few KB, a
    /// few over a page; alignments from 1 to a page.
    fn random_layout(rng: &mut Rng) -> Layout {
        let size = match rng.below(32) {
            0..=19 => 1 + rng.below(64),
            20..=27 => 65 + rng.below(960),
            28..=30 => 1025 + rng.below(15_000),
            _ => 16_385 + rng.below(100_000),
        };
        let align = match rng.below(16) {
            0..=11 => 1 << rng.below(4),
            12..=14 => 1 << (4 + rng.below(5)),
            _ => 4096,
        };
        layout(size, align)
    }

    /// Live blocks by address, each to its end (a block is `1 << class` bytes): a new one must
    /// fall between its neighbours.
    fn claim(blocks: &mut BTreeMap<usize, usize>, p: *mut u8, l: Layout, step: &str) {
        let (start, end) = (p as usize, p as usize + (1 << class(&l)));
        if let Some((&a, &a_end)) = blocks.range(..=start).next_back() {
            assert!(a_end <= start, "{step}: {start:#x}..{end:#x} overlaps the live block {a:#x}..{a_end:#x}");
        }
        if let Some((&b, &b_end)) = blocks.range(start..).next() {
            assert!(end <= b, "{step}: {start:#x}..{end:#x} overlaps the live block {b:#x}..{b_end:#x}");
        }
        blocks.insert(start, end);
    }

    /// Random sequences of alloc, dealloc and realloc, each result checked: aligned, in the
    /// memory, overlapping no live block, the one the design says (reuse last in, first out
    /// within a class, new blocks in order), contents kept by realloc and by everything else.
    #[test]
    fn random_sequences_keep_blocks_aligned_apart_and_intact() {
        for seed in [1, 0x9e37_79b9_7f4a_7c15, 0xdead_beef, 42] {
            let mut rng = Rng(seed);
            let heap = Blocks::new(Arena::new(512, 1));
            let base = heap.memory.base();
            let mut expect = Expect { free: vec![Vec::new(); 32], next: base + PAGE };
            let mut live: Vec<Live> = Vec::new();
            let mut blocks = BTreeMap::new();
            let (mut allocs, mut reallocs, mut moved, mut reused) = (0, 0, 0, 0);
            for i in 0..6000 {
                let step = format!("seed {seed:#x}, step {i}");
                let pattern_seed = rng.step();
                // More frees as more blocks are live: the heap's size stays bounded.
                let op = if live.is_empty() { 0 } else { rng.below(100) };
                let free_share = 30 + live.len().min(200) / 5;
                if op < 100 - free_share - 20 {
                    let l = random_layout(&mut rng);
                    let reuse = !expect.free[class(&l)].is_empty();
                    let p = heap.alloc(l);
                    assert_eq!(p as usize, expect.alloc(l), "{step}: alloc {l:?}");
                    assert_eq!(p as usize % l.align(), 0, "{step}: alignment of {l:?}");
                    claim(&mut blocks, p, l, &step);
                    fill(p, l.size(), pattern_seed);
                    live.push(Live { p, l, seed: pattern_seed });
                    allocs += 1;
                    reused += usize::from(reuse);
                } else if op < 100 - 20 {
                    let Live { p, l, seed } = live.swap_remove(rng.below(live.len()));
                    check(p, l.size(), seed, &step);
                    blocks.remove(&(p as usize));
                    // SAFETY: `p` is live with layout `l` (the test's record), given back once.
                    unsafe { heap.dealloc(p, l) };
                    expect.dealloc(p, l);
                } else {
                    let at = rng.below(live.len());
                    let Live { p, l, seed } = live[at];
                    let new = layout(random_layout(&mut rng).size(), l.align());
                    check(p, l.size(), seed, &step);
                    // SAFETY: `p` is live with layout `l`; the new size is not 0 and small.
                    let q = unsafe { heap.realloc(p, l, new.size()) };
                    if class(&new) == class(&l) {
                        assert_eq!(q, p, "{step}: realloc within the class");
                    } else {
                        assert_eq!(q as usize, expect.alloc(new), "{step}: realloc {l:?} to {new:?}");
                        expect.dealloc(p, l);
                        blocks.remove(&(p as usize));
                        claim(&mut blocks, q, new, &step);
                        moved += 1;
                    }
                    assert_eq!(q as usize % new.align(), 0, "{step}: alignment after realloc");
                    check(q, l.size().min(new.size()), seed, &step);
                    fill(q, new.size(), pattern_seed);
                    live[at] = Live { p: q, l: new, seed: pattern_seed };
                    reallocs += 1;
                }
            }
            // The sequence covered what it should.
            assert!(
                allocs > 2000 && reallocs > 800 && moved > 300 && reused > 1000,
                "{allocs} {reallocs} {moved} {reused}"
            );
            let end = heap.memory.end();
            for Live { p, l, seed } in live.drain(..) {
                assert!(p as usize >= base + PAGE && p as usize + l.size() <= end, "in the heap");
                check(p, l.size(), seed, "at the end");
                // SAFETY: `p` is live with layout `l`, given back once.
                unsafe { heap.dealloc(p, l) };
            }
            check_untouched(&heap.memory, 1);
        }
    }
}
