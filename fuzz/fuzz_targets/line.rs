//! Header and message parsing on arbitrary bytes: must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stunscan::vmlog::{self, Message};

fuzz_target!(|data: &[u8]| {
    if let Some(h) = vmlog::parse_header(data) {
        let _ = h.messages();
        if let Some(Message::Stun(v)) = h.message() {
            // A stun is only ever reported from a header-anchored message
            // ending in ` us`.
            let t = data.strip_suffix(b"\r").unwrap_or(data);
            let t = t.trim_ascii_end();
            assert!(
                t.ends_with(b" us"),
                "stun {v} from a line not ending in ' us'"
            );
            assert!(!h.continuation);
        }
    }
    let _ = vmlog::classify(data);
    let _ = vmlog::vmx_display_name(data);
    let _ = stunscan::time::parse_iso(data);
    let _ = stunscan::vmlog::scan::scan(data);
});
