use super::*;

// Test vectors of Certificate Transparency (RFC 6962), as published in
// github.com/transparency-dev/merkle, file proof/verify_test.go (`leaves`, `roots`,
// `inclusionProofs`, `consistencyProofs`; there leaf numbers are 1-based).
const LEAVES: [&str; 8] =
    ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const EMPTY_ROOT: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// (leaf index, tree size, audit path)
const INCLUSION: [(u64, u64, &[&str]); 4] = [
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (size1, size2, consistency proof)
const CONSISTENCY: [(u64, u64, &[&str]); 4] = [
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn h(s: &str) -> Hash {
    let mut out = [0u8; 32];
    assert_eq!(s.len(), 64);
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn bytes(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn ct_leaves() -> Vec<Hash> {
    LEAVES.iter().map(|l| leaf_hash(&bytes(l))).collect()
}

fn proof(p: &[&str]) -> Vec<Hash> {
    p.iter().map(|s| h(s)).collect()
}

#[test]
fn roots_match_rfc6962_vectors_for_every_size() {
    let leaves = ct_leaves();
    assert_eq!(empty_root(), h(EMPTY_ROOT));
    assert_eq!(Frontier::default().root(), h(EMPTY_ROOT));
    let mut f = Frontier::default();
    for (n, leaf) in leaves.iter().enumerate() {
        f.append(*leaf, |_, _, _| {});
        assert_eq!(f.root(), h(ROOTS[n]), "frontier root of size {}", n + 1);
        assert_eq!(root_of(&leaves[..=n]), h(ROOTS[n]), "recursive root of size {}", n + 1);
        assert_eq!(root_at(&mut Leaves(&leaves), n as u64 + 1).unwrap(), h(ROOTS[n]));
    }
}

#[test]
fn inclusion_proofs_match_rfc6962_vectors() {
    let leaves = ct_leaves();
    for (index, size, expected) in INCLUSION {
        let got = inclusion_proof(&mut Leaves(&leaves), index, size).unwrap();
        assert_eq!(got, proof(expected), "PATH({index}, D[{size}])");
        let root = h(ROOTS[size as usize - 1]);
        verify_inclusion(index, size, &leaves[index as usize], &got, &root).unwrap();
    }
}

#[test]
fn consistency_proofs_match_rfc6962_vectors() {
    let leaves = ct_leaves();
    for (m, n, expected) in CONSISTENCY {
        let got = consistency_proof(&mut Leaves(&leaves), m, n).unwrap();
        assert_eq!(got, proof(expected), "PROOF({m}, D[{n}])");
        verify_consistency(m, n, &h(ROOTS[m as usize - 1]), &h(ROOTS[n as usize - 1]), &got).unwrap();
    }
}

fn many(n: usize) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&(i as u32).to_be_bytes())).collect()
}

#[test]
fn every_inclusion_proof_verifies_and_any_changed_byte_fails() {
    let leaves = many(40);
    for size in 1..=leaves.len() as u64 {
        let root = root_of(&leaves[..size as usize]);
        for index in 0..size {
            let leaf = leaves[index as usize];
            let p = inclusion_proof(&mut Leaves(&leaves), index, size).unwrap();
            verify_inclusion(index, size, &leaf, &p, &root).unwrap();
            // A changed byte anywhere — leaf, root, or any proof hash — fails.
            let mut bad_leaf = leaf;
            bad_leaf[7] ^= 1;
            assert!(verify_inclusion(index, size, &bad_leaf, &p, &root).is_err());
            let mut bad_root = root;
            bad_root[31] ^= 0x80;
            assert!(verify_inclusion(index, size, &leaf, &p, &bad_root).is_err());
            for i in 0..p.len() {
                let mut q = p.clone();
                q[i][0] ^= 8;
                assert!(verify_inclusion(index, size, &leaf, &q, &root).is_err(), "{index}/{size} proof[{i}]");
            }
            // Wrong position, truncated or padded proofs fail.
            if size > 1 {
                assert!(verify_inclusion((index + 1) % size, size, &leaf, &p, &root).is_err());
                assert!(verify_inclusion(index, size, &leaf, &p[..p.len() - 1], &root).is_err());
            }
            let mut longer = p.clone();
            longer.push(root);
            assert!(verify_inclusion(index, size, &leaf, &longer, &root).is_err());
            assert!(verify_inclusion(index, size * 2, &leaf, &p, &root).is_err(), "size * 2");
        }
    }
}

#[test]
fn every_consistency_proof_verifies_and_any_changed_byte_fails() {
    let leaves = many(33);
    for n in 1..=leaves.len() as u64 {
        let root2 = root_of(&leaves[..n as usize]);
        for m in 0..=n {
            let root1 = root_of(&leaves[..m as usize]);
            let p = consistency_proof(&mut Leaves(&leaves), m, n).unwrap();
            verify_consistency(m, n, &root1, &root2, &p).unwrap();
            if m == 0 || m == n {
                continue;
            }
            for i in 0..p.len() {
                let mut q = p.clone();
                q[i][5] ^= 16;
                assert!(verify_consistency(m, n, &root1, &root2, &q).is_err(), "{m}->{n} proof[{i}]");
            }
            let mut r1 = root1;
            r1[0] ^= 1;
            assert!(verify_consistency(m, n, &r1, &root2, &p).is_err());
            assert!(verify_consistency(m, n, &root2, &root1, &p).is_err(), "swapped roots");
            assert!(verify_consistency(m, n, &root1, &root2, &[]).is_err(), "empty proof");
            assert!(verify_consistency(m, n, &root1, &root2, &p[..p.len() - 1]).is_err(), "truncated");
        }
    }
}

#[test]
fn a_rewritten_leaf_breaks_consistency() {
    let leaves = many(20);
    let mut rewritten = leaves.clone();
    rewritten[3] = leaf_hash(b"a different decision");
    let root1 = root_of(&leaves[..10]);
    let p = consistency_proof(&mut Leaves(&rewritten), 10, 20).unwrap();
    assert!(verify_consistency(10, 20, &root1, &root_of(&rewritten), &p).is_err());
}

#[test]
fn consistency_edge_cases_follow_rfc9162() {
    let a = h(ROOTS[0]);
    let b = h(ROOTS[1]);
    assert!(verify_consistency(0, 0, &a, &a, &[]).is_ok());
    assert!(verify_consistency(0, 0, &a, &b, &[]).is_err());
    assert!(verify_consistency(0, 5, &a, &b, &[]).is_ok());
    assert!(verify_consistency(1, 1, &a, &a, &[]).is_ok());
    assert!(verify_consistency(1, 1, &a, &a, &[a]).is_err());
    assert!(verify_consistency(2, 1, &a, &b, &[]).is_err());
    assert!(verify_consistency(1, 2, &a, &b, &[]).is_err());
    assert!(verify_inclusion(0, 0, &a, &[], &a).is_err());
    assert!(verify_inclusion(0, 1, &a, &[], &a).is_ok());
}

#[test]
fn frontier_reports_completed_subtrees_and_rebuilds_from_parts() {
    let leaves = many(27);
    let mut f = Frontier::default();
    let mut nodes = std::collections::HashMap::new();
    for (i, l) in leaves.iter().enumerate() {
        nodes.insert((0u32, i as u64), *l);
        f.append(*l, |level, index, hash| {
            assert!(nodes.insert((level, index), *hash).is_none(), "subtree ({level},{index}) completed twice");
        });
        let size = i as u64 + 1;
        // Every perfect subtree inside the tree was reported, with the right hash.
        for level in 1..6u32 {
            for index in 0..(size >> level) {
                assert_eq!(nodes.get(&(level, index)), Some(&Leaves(&leaves).subtree(level, index).unwrap()));
            }
        }
        let parts: Vec<Hash> = Frontier::parts(size).iter().map(|k| nodes[k]).collect();
        assert_eq!(Frontier::from_parts(size, parts).unwrap(), f);
    }
    assert!(Frontier::from_parts(3, vec![leaves[0]]).is_none());
}
