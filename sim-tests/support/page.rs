//! Checks of a self-contained HTML page, shared by the tests of the replay
//! page and the tune page (`crate::support::page`).

#![allow(dead_code, reason = "each module uses what it needs")]

/// Asserts every element that is opened is closed, in order (void elements
/// and `<… />` excepted): the page is well-formed as XML would need it.
pub fn check_balanced(page: &str) {
    const VOID: [&str; 3] = ["meta", "br", "!DOCTYPE"];
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = page;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = after.find('>').expect("unterminated tag");
        let tag = &after[..close];
        rest = &after[close + 1..];
        let name = tag.trim_start_matches('/').split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("");
        if VOID.contains(&name) || tag.ends_with('/') {
            continue;
        }
        if tag.starts_with('/') {
            let top = stack.pop().unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(top, name, "</{name}> closes <{top}>");
        } else {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
}
