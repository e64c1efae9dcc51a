//! The consent log's Merkle tree: RFC 6962 §2.1 (as restated in RFC 9162 §2.1).
//!
//! - leaf hash `SHA-256(0x00 ‖ bytes)`, node hash `SHA-256(0x01 ‖ left ‖ right)`, and the root
//!   of the empty tree `SHA-256("")`;
//! - [`Frontier`]: the right edge of a growing tree (one hash per set bit of its size), so an
//!   append and a root cost O(log n) and the server never rereads the log to sign a checkpoint;
//! - [`inclusion_proof`] / [`consistency_proof`] built from any [`Subtrees`] source (the
//!   server's SQLite tables, or an in-memory list of leaves), and [`verify_inclusion`] /
//!   [`verify_consistency`], which need nothing but the proof (the auditor's offline check).
//!
//! Art. 25 p.2(5) of Law 94-V puts the burden of proving consent on the operator: with these
//! proofs anyone can check that a record is in the log the operator signed, and that a later
//! signed log extends an earlier one without rewriting it.
//!
//! ```
//! use kelisim_shared::merkle::{inclusion_proof, leaf_hash, verify_inclusion, Frontier, Leaves};
//! let leaves: Vec<_> = (0u8..5).map(|i| leaf_hash(&[i])).collect();
//! let mut f = Frontier::default();
//! for l in &leaves {
//!     f.append(*l, |_, _, _| {});
//! }
//! let proof = inclusion_proof(&mut Leaves(&leaves), 3, 5).unwrap();
//! assert!(verify_inclusion(3, 5, &leaves[3], &proof, &f.root()).is_ok());
//! ```

use sha2::{Digest, Sha256};

/// A SHA-256 value: a leaf hash, a node hash or a root.
pub type Hash = [u8; 32];

/// RFC 6962 leaf hash: `SHA-256(0x00 ‖ bytes)`.
pub fn leaf_hash(bytes: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(bytes);
    h.finalize().into()
}

/// RFC 6962 interior node hash: `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// RFC 6962: the hash of the empty tree is the hash of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The right edge of a tree: for each set bit of `size`, from the highest, the hash of the
/// perfect subtree it stands for. This is all that is needed to append and to compute roots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontier {
    size: u64,
    hashes: Vec<Hash>,
}

impl Frontier {
    /// Rebuilds a frontier from the hashes of [`Frontier::parts`]`(size)`, in that order.
    pub fn from_parts(size: u64, hashes: Vec<Hash>) -> Option<Frontier> {
        (hashes.len() == size.count_ones() as usize).then_some(Frontier { size, hashes })
    }

    /// The perfect subtrees `(level, index)` whose hashes make up the frontier of a tree of
    /// `size` leaves, largest first. Level 0 is a leaf; a subtree of level `l` and index `i`
    /// covers leaves `i·2^l .. (i+1)·2^l`.
    pub fn parts(size: u64) -> Vec<(u32, u64)> {
        (0..64u32).rev().filter(|l| size >> l & 1 == 1).map(|l| (l, (size >> l) - 1)).collect()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The hashes of [`Frontier::parts`]`(size)`, largest subtree first: with the size, all a
    /// store needs to resume appending or checking from here ([`Frontier::from_parts`]).
    pub fn hashes(&self) -> &[Hash] {
        &self.hashes
    }

    /// Appends a leaf. `completed(level, index, hash)` is called for every perfect subtree of
    /// level ≥ 1 that this leaf completes (about one per leaf on average), so that a store can
    /// keep them and build proofs without rehashing the log.
    pub fn append(&mut self, leaf: Hash, mut completed: impl FnMut(u32, u64, &Hash)) {
        let mut h = leaf;
        let mut level = 0;
        while self.size >> level & 1 == 1 {
            let left = self.hashes.pop().expect("one hash per set bit of size");
            h = node_hash(&left, &h);
            level += 1;
            completed(level, self.size >> level, &h);
        }
        self.hashes.push(h);
        self.size += 1;
    }

    /// The tree head: MTH of all leaves appended so far.
    pub fn root(&self) -> Hash {
        let mut it = self.hashes.iter().rev();
        let Some(last) = it.next() else { return empty_root() };
        it.fold(*last, |right, left| node_hash(left, &right))
    }
}

/// Where proofs get the hashes of perfect subtrees from. Only complete subtrees inside the
/// tree are asked for: `level` 0 is a leaf hash, `level` l ≥ 1 the root of leaves
/// `index·2^l .. (index+1)·2^l`.
pub trait Subtrees {
    type Error;
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// An in-memory list of leaf hashes as a [`Subtrees`] source (tests, small exports).
pub struct Leaves<'a>(pub &'a [Hash]);

impl Subtrees for Leaves<'_> {
    type Error = std::convert::Infallible;
    fn subtree(&mut self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        let start = (index << level) as usize;
        let end = start + (1usize << level);
        Ok(root_of(&self.0[start..end]))
    }
}

/// MTH of a list of leaf hashes, by the RFC 6962 recursion.
pub fn root_of(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => empty_root(),
        1 => leaves[0],
        n => {
            let k = split(n as u64) as usize;
            node_hash(&root_of(&leaves[..k]), &root_of(&leaves[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (n ≥ 2): RFC 6962's `k`.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// MTH(D[start:end]) for a range the RFC 6962 recursion visits (start is a multiple of the
/// smallest power of two ≥ its length), from perfect subtrees: O(log n) look-ups.
fn range_hash<S: Subtrees>(s: &mut S, start: u64, end: u64) -> Result<Hash, S::Error> {
    let n = end - start;
    if n.is_power_of_two() {
        let level = n.trailing_zeros();
        return s.subtree(level, start >> level);
    }
    let k = split(n);
    let left = range_hash(s, start, start + k)?;
    let right = range_hash(s, start + k, end)?;
    Ok(node_hash(&left, &right))
}

/// The root of the first `size` leaves of a [`Subtrees`] source.
pub fn root_at<S: Subtrees>(s: &mut S, size: u64) -> Result<Hash, S::Error> {
    if size == 0 {
        return Ok(empty_root());
    }
    range_hash(s, 0, size)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProofError {
    /// The leaf index or tree sizes are out of range for a proof.
    OutOfRange,
    /// The proof has the wrong number of hashes for the sizes.
    WrongLength,
    /// The hashes do not lead to the given root(s).
    Mismatch,
}

impl core::fmt::Display for ProofError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ProofError::OutOfRange => "index or size out of range",
            ProofError::WrongLength => "the proof has the wrong number of hashes",
            ProofError::Mismatch => "the proof does not lead to the signed root",
        })
    }
}

impl std::error::Error for ProofError {}

/// RFC 6962 §2.1.1 audit path `PATH(index, D[0:size])`, deepest sibling first.
pub fn inclusion_proof<S: Subtrees>(s: &mut S, index: u64, size: u64) -> Result<Vec<Hash>, S::Error> {
    fn path<S: Subtrees>(s: &mut S, m: u64, start: u64, end: u64, out: &mut Vec<Hash>) -> Result<(), S::Error> {
        if end - start <= 1 {
            return Ok(());
        }
        let k = split(end - start);
        if m < start + k {
            path(s, m, start, start + k, out)?;
            out.push(range_hash(s, start + k, end)?);
        } else {
            path(s, m, start + k, end, out)?;
            out.push(range_hash(s, start, start + k)?);
        }
        Ok(())
    }
    assert!(index < size, "inclusion proof for leaf {index} of a tree of {size}");
    let mut out = Vec::new();
    path(s, index, 0, size, &mut out)?;
    Ok(out)
}

/// RFC 6962 §2.1.2 consistency proof `PROOF(m, D[0:n])` between the tree of the first `m`
/// leaves and the tree of the first `n` (empty when `m` is 0 or `m == n`).
pub fn consistency_proof<S: Subtrees>(s: &mut S, m: u64, n: u64) -> Result<Vec<Hash>, S::Error> {
    fn subproof<S: Subtrees>(
        s: &mut S,
        m: u64,
        start: u64,
        end: u64,
        complete: bool,
        out: &mut Vec<Hash>,
    ) -> Result<(), S::Error> {
        let n = end - start;
        if m == n {
            if !complete {
                out.push(range_hash(s, start, end)?);
            }
            return Ok(());
        }
        let k = split(n);
        if m <= k {
            subproof(s, m, start, start + k, complete, out)?;
            out.push(range_hash(s, start + k, end)?);
        } else {
            subproof(s, m - k, start + k, end, false, out)?;
            out.push(range_hash(s, start, start + k)?);
        }
        Ok(())
    }
    assert!(m <= n, "consistency proof from {m} to {n}");
    let mut out = Vec::new();
    if m > 0 && m < n {
        subproof(s, m, 0, n, true, &mut out)?;
    }
    Ok(out)
}

/// RFC 9162 §2.1.3.2: checks that `leaf` is leaf `index` of the tree of `size` leaves whose
/// root is `root`.
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> Result<(), ProofError> {
    if index >= size {
        return Err(ProofError::OutOfRange);
    }
    let (mut fnode, mut snode) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if r != *root {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

/// RFC 9162 §2.1.4.2: checks that the tree of `size2` leaves with root `root2` extends the
/// tree of `size1` leaves with root `root1` (same first `size1` leaves, in the same order).
pub fn verify_consistency(
    size1: u64,
    size2: u64,
    root1: &Hash,
    root2: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if size1 > size2 {
        return Err(ProofError::OutOfRange);
    }
    if size1 == size2 {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength);
        }
        return if root1 == root2 { Ok(()) } else { Err(ProofError::Mismatch) };
    }
    if size1 == 0 {
        // Every tree extends the empty tree.
        return if proof.is_empty() { Ok(()) } else { Err(ProofError::WrongLength) };
    }
    if proof.is_empty() {
        return Err(ProofError::WrongLength);
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if size1.is_power_of_two() {
        path.push(*root1);
    }
    path.extend_from_slice(proof);
    let (mut fnode, mut snode) = (size1 - 1, size2 - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (path[0], path[0]);
    for c in &path[1..] {
        if snode == 0 {
            return Err(ProofError::WrongLength);
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength);
    }
    if fr != *root1 || sr != *root2 {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
