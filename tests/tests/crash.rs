//! Crash test (a `201` survives `kill -9`; README, "The consent log"): under concurrent load, the
//! server is killed with SIGKILL at a random moment, restarted on the same data directory, and
//! checked: every event that got a `201` is there with the same place and leaf hash, `seq` has
//! no gap, each leaf hash is SHA-256(0x00 ‖ canonical bytes), and the root recomputed from the
//! canonical bytes is the root of the checkpoint the restarted server signed. Repeated several
//! times; loopback only, every loop bounded in count and time. Runs on both stores
//! (`on_both_stores!`): on PostgreSQL only Kelisim is killed (postgres.rs also stops the
//! database as in a crash).

use kelisim_shared::checkpoint::VerifierKey;
use kelisim_shared::merkle::{leaf_hash, root_of, Hash};
use kelisim_tests::consent::{config, event, send, stored, SITE};
use kelisim_tests::store::Store;
use kelisim_tests::{get, on_both_stores, root, uuid, Kelisim};
use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ROUNDS: usize = 8;
const CLIENTS: usize = 8;
/// Most POSTs one client sends in a round (the kill normally comes much earlier).
const MAX_POSTS_PER_CLIENT: usize = 3_000;

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    std::fs::File::open("/dev/urandom").unwrap().read_exact(&mut b).unwrap();
    u64::from_le_bytes(b)
}

/// What the server acknowledged: event_id → (status, seq, leaf hash).
type Acked = Arc<Mutex<HashMap<String, (u16, u64, String)>>>;

fn start(store: &Store, data: tempfile::TempDir) -> Kelisim {
    let extra = ["--rate-limit", "0", "--checkpoint-interval", "1"];
    Kelisim::start_on(store, &root().join("www/sites"), data, &extra)
        .unwrap_or_else(|e| panic!("kelisim did not restart: {e}"))
}

/// Checks the restarted server's log against everything acknowledged so far.
fn check_log(k: &Kelisim, acked: &HashMap<String, (u16, u64, String)>, round: usize) {
    let rows = stored(k);
    let by_id: HashMap<&str, (i64, &Vec<u8>)> = rows.iter().map(|(s, id, _, l)| (id.as_str(), (*s, l))).collect();
    for (id, (status, seq, leaf)) in acked {
        let (s, l) =
            by_id.get(id.as_str()).unwrap_or_else(|| panic!("round {round}: event {id} got {status} but is lost"));
        assert_eq!(*s as u64, *seq, "round {round}: event {id} moved");
        assert_eq!(&hex(l), leaf, "round {round}: event {id} changed");
    }
    let mut leaves: Vec<Hash> = Vec::with_capacity(rows.len());
    for (i, (seq, _, canonical, leaf)) in rows.iter().enumerate() {
        assert_eq!(*seq, i as i64 + 1, "round {round}: seq has a gap");
        let h = leaf_hash(canonical);
        assert_eq!(h.to_vec(), *leaf, "round {round}: seq {seq} leaf hash is not that of its canonical bytes");
        leaves.push(h);
    }
    // At start the server signs a checkpoint of what survived: its root must be ours.
    let cp = get(&k.url(&format!("/api/v1/sites/{SITE}/log/checkpoint")), &[]);
    if leaves.is_empty() {
        return;
    }
    assert_eq!(cp.status, 200, "round {round}: {}", cp.body);
    let cp = cp.json();
    let key = get(&k.url("/api/v1/log/key"), &[]).json();
    let signed = VerifierKey::parse(key["verifier_key"].as_str().unwrap())
        .unwrap()
        .verify(cp["note"].as_str().unwrap())
        .unwrap();
    assert_eq!(signed.size, leaves.len() as u64, "round {round}: the checkpoint covers every stored record");
    assert_eq!(signed.root, root_of(&leaves), "round {round}: recomputed root differs from the signed one");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn kill_9_under_load_loses_no_acknowledged_event(store: Store) {
    let started = Instant::now();
    let mut data = tempfile::tempdir().unwrap();
    let acked: Acked = Arc::new(Mutex::new(HashMap::new()));
    let mut killed_with_traffic = 0;
    for round in 0..ROUNDS {
        let k = start(&store, data);
        check_log(&k, &acked.lock().unwrap(), round);
        let cfg = config(&k);
        let stop = Arc::new(AtomicBool::new(false));
        let before = acked.lock().unwrap().len();
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (base, cfg, stop, acked) = (k.base.clone(), cfg.clone(), stop.clone(), acked.clone());
                std::thread::spawn(move || {
                    let consent = uuid();
                    for i in 0..MAX_POSTS_PER_CLIENT {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let action = ["accept_all", "reject_all", "withdraw"][(c + i) % 3];
                        let mut ev = event(&cfg, &consent, action, "kk");
                        // Now and then resend an event: a retry must never make a second record.
                        if i % 17 == 5 {
                            let first = send(&base, &ev);
                            if first.is_none() {
                                break;
                            }
                        }
                        if i % 29 == 7 {
                            ev["event_id"] = serde_json::json!(uuid());
                        }
                        let Some(r) = send(&base, &ev) else { break };
                        match r.status {
                            201 | 200 => {
                                let j = r.json();
                                let id = ev["event_id"].as_str().unwrap().to_owned();
                                let entry =
                                    (r.status, j["seq"].as_u64().unwrap(), j["leaf_hash"].as_str().unwrap().to_owned());
                                let mut a = acked.lock().unwrap();
                                if let Some(prev) = a.get(&id) {
                                    assert_eq!(
                                        (prev.1, &prev.2),
                                        (entry.1, &entry.2),
                                        "a retried event got another receipt"
                                    );
                                }
                                a.insert(id, entry);
                            }
                            503 => std::thread::sleep(Duration::from_millis(5)),
                            s => panic!("unexpected status {s}: {}", r.body),
                        }
                    }
                })
            })
            .collect();
        // A random moment: 150–900 ms into the load.
        std::thread::sleep(Duration::from_millis(150 + random_u64() % 750));
        let in_flight = acked.lock().unwrap().len() > before;
        data = k.kill9();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().expect("a client thread panicked");
        }
        if in_flight {
            killed_with_traffic += 1;
        }
        eprintln!(
            "crash round {round}: {} events acknowledged so far, killed after {:.1}s",
            acked.lock().unwrap().len(),
            started.elapsed().as_secs_f64()
        );
        assert!(started.elapsed() < Duration::from_secs(90), "the crash test must stay bounded");
    }
    let k = start(&store, data);
    let acked = acked.lock().unwrap();
    check_log(&k, &acked, ROUNDS);
    assert!(acked.len() > 100, "the load produced too few events to mean anything: {}", acked.len());
    assert!(killed_with_traffic >= ROUNDS - 1, "the kills came while events were being acknowledged");
    // The final server still takes events after all those crashes.
    let cfg = config(&k);
    assert_eq!(send(&k.base, &event(&cfg, &uuid(), "reject_all", "ru")).unwrap().status, 201);
}

on_both_stores!(kill_9_under_load_loses_no_acknowledged_event);
