//! Tests of the SQLite engine's private parts, written for mutants of
//! `scripts/mutants.sh store` (see `mutants.md`). Included from
//! `sqlite.rs` so they can see the write gate.

use super::*;

/// Every handle on one file in this process queues on the same write gate
/// (see the field's documentation); every in-memory store has its own.
#[test]
fn handles_on_one_file_share_a_write_gate_and_in_memory_stores_do_not() {
    let dir = std::env::temp_dir().join(format!("dcb-sqlite-gate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a_path, b_path) = (dir.join("a.db"), dir.join("b.db"));
    for p in [&a_path, &b_path] {
        let _ = std::fs::remove_file(p);
    }
    let a = SqliteStore::open(&a_path).unwrap();
    let b = SqliteStore::open(&b_path).unwrap();
    let a2 = a.open_another().unwrap();
    let a3 = SqliteStore::open(&a_path).unwrap();
    assert!(Arc::ptr_eq(&a.write_gate, &a2.write_gate));
    assert!(Arc::ptr_eq(&a.write_gate, &a3.write_gate));
    assert!(!Arc::ptr_eq(&a.write_gate, &b.write_gate));
    let (m1, m2) = (SqliteStore::open_in_memory().unwrap(), SqliteStore::open_in_memory().unwrap());
    assert!(!Arc::ptr_eq(&m1.write_gate, &m2.write_gate));
    drop((a, a2, a3, b));
    let _ = std::fs::remove_dir_all(&dir);
}
