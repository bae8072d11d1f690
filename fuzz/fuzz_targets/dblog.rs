//! Database log reading on arbitrary bytes (plain and as if gzip): must
//! never panic, and every event's time must come from a parsed line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stunscan::dblog::{self, ReadOptions};
use stunscan::zone::Zone;

fuzz_target!(|data: &[u8]| {
    let _ = dblog::format::parse_head(data);
    let zone = Zone::parse("America/New_York").expect("bundled zone");
    let opts = ReadOptions {
        zone: &zone,
        member: None,
    };
    let log = dblog::read(data, "fuzz", &opts);
    for e in &log.events {
        assert!(e.line >= 1);
        assert!(log.first_ms.is_some_and(|f| f <= e.time_ms));
    }
    let _ = dblog::DbSet::new(vec![log]);
});
