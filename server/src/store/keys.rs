//! Idempotency on `(consent_id, event_id)` in the SQLite log without a write at a random place
//! of an index as large as the log (docs/architecture.md §4, "Generations of the idempotency
//! index").
//!
//! Visitors with an old cookie send random (v4) consent ids, and a unique index ordered by them
//! takes each new key at a random leaf: as the log grows, every insert descends a deeper tree
//! whose pages are no longer in any cache, and a log of 10 M events took a third fewer writes
//! a second than an empty one (docs/BENCHMARKS.md). So the index (migration 12) leads with the
//! key's *generation*, `seq >> GEN_BITS` — each 2^20 records of a site's log are one
//! generation — and new keys go into the newest one, a region of the index that stays as small
//! as an empty log's. The unique index enforces uniqueness inside a generation; across them the
//! one writer does, with a Bloom filter per generation kept in memory ([`KeyFilters`]): a key
//! no filter may hold is new without touching the older generations, and one a filter may
//! hold (a real retry, or about one key in 200 per generation by chance) is looked up there.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use rusqlite::{params, Connection};

use super::{StoreError, SEQ_BITS};

/// Records per generation: `2^GEN_BITS`. The same constant is in migration 12's index
/// expression (`seq >> 20`) and in every query that uses the index.
pub const GEN_BITS: u32 = 20;

/// The generation of the record at `seq`.
pub fn gen_of(seq: u64) -> u64 {
    seq >> GEN_BITS
}

/// A blocked Bloom filter: a key sets [`PROBES`] bits of one 512-bit block (one cache line), so a
/// test reads one line of memory. 12 bits per key of [`GEN_CAPACITY`]: about 0.5 % false
/// positives in a full generation (1.5 MiB a generation, 15 MiB for 10 M records).
struct Bloom {
    blocks: Vec<[u64; 8]>,
}

const GEN_CAPACITY: usize = 1 << GEN_BITS;
const BITS_PER_KEY: usize = 12;
const PROBES: u32 = 8;

impl Bloom {
    fn new() -> Bloom {
        Bloom { blocks: vec![[0; 8]; GEN_CAPACITY * BITS_PER_KEY / 512] }
    }

    /// The block of `h` (its high bits) and the [`PROBES`] bit positions in it (9 bits each, from
    /// the low bits remixed).
    fn bits(&self, h: u64) -> (usize, impl Iterator<Item = usize>) {
        let block = ((u128::from(h) * self.blocks.len() as u128) >> 64) as usize;
        let mut x = h.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (h >> 31);
        let bits = (0..PROBES).map(move |i| {
            if i == 7 {
                x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 27);
            }
            ((x >> ((i % 7) * 9)) & 511) as usize
        });
        (block, bits)
    }

    fn insert(&mut self, h: u64) {
        let (b, bits) = self.bits(h);
        let block = &mut self.blocks[b];
        for bit in bits {
            block[bit / 64] |= 1 << (bit % 64);
        }
    }

    fn may_hold(&self, h: u64) -> bool {
        let (b, mut bits) = self.bits(h);
        let block = &self.blocks[b];
        bits.all(|bit| block[bit / 64] & (1 << (bit % 64)) != 0)
    }
}

/// Each site's filters, by generation, for the one writer connection. A site's are filled from
/// the index the first time the writer appends to its log ([`KeyFilters::load`]), then kept up
/// to date by the writer ([`KeyFilters::add`]). The newest generation needs no filter (its
/// unique index is the check): its keys' hashes are kept as they come (8 bytes each, so a small
/// site costs little), and become its filter when the next generation begins. A filter may hold
/// a key that is not in the log (a batch that rolled back): that costs one look-up, never a
/// wrong answer. The hash is keyed at random per process, so nobody can choose ids that all
/// fall into the same bits.
pub struct KeyFilters {
    hasher: RandomState,
    sites: HashMap<i64, Site>,
}

#[derive(Default)]
struct Site {
    /// The filters of generations `0..older.len()`.
    older: Vec<Bloom>,
    /// The hashes of the keys of generation `older.len()`.
    newest: Vec<u64>,
}

impl Site {
    /// Makes `gen` the newest generation: every one before it gets its filter.
    fn advance(&mut self, gen: u64) {
        while (self.older.len() as u64) < gen {
            let mut f = Bloom::new();
            for h in self.newest.drain(..) {
                f.insert(h);
            }
            self.older.push(f);
        }
    }
}

impl Default for KeyFilters {
    fn default() -> Self {
        KeyFilters { hasher: RandomState::new(), sites: HashMap::new() }
    }
}

impl KeyFilters {
    pub fn hash(&self, consent_id: &[u8; 16], event_id: &[u8; 16]) -> u64 {
        self.hasher.hash_one((consent_id, event_id))
    }

    pub fn is_loaded(&self, site_no: i64) -> bool {
        self.sites.contains_key(&site_no)
    }

    /// Fills a site's filters with every key its SQLite log holds, in one pass over the index
    /// (which holds the keys and the seq). PostgreSQL's writer reads them itself
    /// (`store::pg::log::PgKeys`).
    pub fn load(&mut self, c: &Connection, site_no: i64) -> Result<(), StoreError> {
        self.start(site_no);
        let mut st =
            c.prepare("SELECT id, consent_id, event_id FROM events INDEXED BY events_by_consent WHERE site_no = ?1")?;
        let mut rows = st.query(params![site_no])?;
        while let Some(r) = rows.next()? {
            let seq = (r.get::<_, i64>(0)? & ((1 << SEQ_BITS) - 1)) as u64;
            self.add_record(
                site_no,
                seq,
                r.get_ref(1)?.as_blob().unwrap_or_default(),
                r.get_ref(2)?.as_blob().unwrap_or_default(),
            )?;
        }
        Ok(())
    }

    /// Notes the key of the stored record at `seq` of a site's log, its ids as the database
    /// holds them.
    pub fn add_record(&mut self, site_no: i64, seq: u64, consent_id: &[u8], event_id: &[u8]) -> Result<(), StoreError> {
        let (Ok(consent), Ok(event)) = (<&[u8; 16]>::try_from(consent_id), <&[u8; 16]>::try_from(event_id)) else {
            return Err(StoreError::Corrupt(format!("site {site_no}: seq {seq} has an id of the wrong length")));
        };
        let h = self.hash(consent, event);
        self.add(site_no, gen_of(seq), h);
        Ok(())
    }

    /// Notes a key written into generation `gen` of a site's log (in any order: an older
    /// generation's goes into its filter).
    pub fn add(&mut self, site_no: i64, gen: u64, h: u64) {
        let site = self.sites.entry(site_no).or_default();
        match site.older.get_mut(gen as usize) {
            Some(f) => f.insert(h),
            None => {
                site.advance(gen);
                site.newest.push(h);
            }
        }
    }

    /// Notes that a site's filters exist (holding nothing yet: a log with no records).
    pub fn start(&mut self, site_no: i64) {
        self.sites.insert(site_no, Site::default());
    }

    /// The generations before `gen` whose filter may hold the key, oldest first.
    pub fn older_holding(&mut self, site_no: i64, gen: u64, h: u64) -> Vec<u64> {
        let site = self.sites.entry(site_no).or_default();
        site.advance(gen);
        site.older.iter().take(gen as usize).enumerate().filter(|(_, f)| f.may_hold(h)).map(|(g, _)| g as u64).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_holds_what_was_added_and_rarely_anything_else() {
        let mut f = KeyFilters::default();
        let key = |i: u32| {
            let mut c = [0u8; 16];
            c[..4].copy_from_slice(&i.to_le_bytes());
            (c, [7u8; 16])
        };
        let n = GEN_CAPACITY as u32;
        for i in 0..n {
            let (c, e) = key(i);
            f.add(1, 0, f.hash(&c, &e));
        }
        for i in 0..n {
            let (c, e) = key(i);
            let h = f.hash(&c, &e);
            assert_eq!(f.older_holding(1, 1, h), [0], "key {i}");
        }
        // Keys never added, against a full generation: the false positives the module doc says.
        let false_positives = (n..n + 100_000)
            .filter(|&i| {
                let (c, e) = key(i);
                let h = f.hash(&c, &e);
                !f.older_holding(1, 1, h).is_empty()
            })
            .count();
        assert!(false_positives < 1_000, "{false_positives} in 100,000");
        // Only generations before the one asked about; another site has none.
        let (c, e) = key(0);
        let h = f.hash(&c, &e);
        assert!(f.older_holding(1, 0, h).is_empty());
        assert!(f.older_holding(2, 5, h).is_empty());
    }
}
