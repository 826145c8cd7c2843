//! Unit tests of the store's small helpers (error predicates, name
//! display, tag conversions, the in-memory engine's snapshot and head),
//! written for mutants of `scripts/mutants.sh store` (see `mutants.md`).
//! Each checks a value the module's documentation defines.

use super::*;

fn ev(event_type: &str, tags: &[&str]) -> Event {
    Event::new(event_type, tags.iter().copied(), "{}").unwrap()
}

#[test]
fn is_conflict_is_true_for_a_failed_condition_only() {
    assert!(StoreError::ConditionFailed { conflicting: Some(3), after: Some(1) }.is_conflict());
    let others = [
        StoreError::InvalidInput(InvalidInput::EmptyAppend),
        StoreError::Unavailable { retryable: true, reason: "busy".into() },
        StoreError::Timeout("append".into()),
        StoreError::Canceled("client gone".into()),
    ];
    for e in others {
        assert!(!e.is_conflict(), "{e:?}");
    }
}

#[test]
fn name_kinds_display_as_tag_and_event_type() {
    assert_eq!(NameKind::Tag.to_string(), "tag");
    assert_eq!(NameKind::EventType.to_string(), "event type");
}

#[test]
fn a_tag_is_its_text_in_display_conversion_and_json() {
    let tag = Tag::new("course:c1").unwrap();
    assert_eq!(tag.as_str(), "course:c1");
    assert_eq!(tag.to_string(), "course:c1");
    assert_eq!(String::from(tag.clone()), "course:c1");
    assert_eq!(serde_json::to_string(&tag).unwrap(), "\"course:c1\"");
    assert_eq!(serde_json::from_str::<Tag>("\"course:c1\"").unwrap(), tag);
    // Deserializing validates, as `Tag::new` does.
    assert!(serde_json::from_str::<Tag>("\"\"").is_err());
    assert_eq!(Tag::try_from(String::new()), Err(InvalidInput::EmptyTag));
}

#[test]
fn names_of_exactly_max_name_bytes_are_accepted_and_one_more_is_too_long() {
    let at_limit = "x".repeat(MAX_NAME_BYTES);
    assert_eq!(validate_name(NameKind::Tag, &at_limit), Ok(()));
    assert_eq!(validate_name(NameKind::EventType, "a"), Ok(()));
    let over = "x".repeat(MAX_NAME_BYTES + 1);
    assert_eq!(
        validate_name(NameKind::EventType, &over),
        Err(InvalidInput::NameTooLong { kind: NameKind::EventType, len: 256, max: 255 })
    );
}

#[test]
fn has_tag_matches_a_whole_tag_only() {
    let e = ev("CourseCreated", &["course:c1", "term:t1"]);
    assert!(e.has_tag("course:c1"));
    assert!(e.has_tag("term:t1"));
    assert!(!e.has_tag("course:c"));
    assert!(!e.has_tag("course:c12"));
}

#[test]
fn memory_store_snapshot_is_the_whole_log_and_head_its_last_position() {
    let store = MemoryStore::new();
    assert_eq!(store.head(), 0);
    assert!(store.snapshot().is_empty());
    assert_eq!(store.append_now(vec![ev("A", &["k:1"]), ev("B", &[])], None), Ok(2));
    assert_eq!(store.append_now(vec![ev("C", &["k:2"])], None), Ok(3));
    assert_eq!(store.head(), 3);
    let log: Vec<_> = store.snapshot().into_iter().map(|e| (e.position, e.event.event_type.clone())).collect();
    assert_eq!(log, [(1, "A".to_string()), (2, "B".to_string()), (3, "C".to_string())]);
}

#[cfg(feature = "sqlite")]
#[test]
fn sqlite_path_is_the_file_opened_or_none_in_memory() {
    let dir = std::env::temp_dir().join(format!("dcb-sqlite-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("path.db");
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.path(), Some(path.as_path()));
    assert_eq!(store.open_another().unwrap().path(), Some(path.as_path()));
    assert_eq!(SqliteStore::open_in_memory().unwrap().path(), None);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
