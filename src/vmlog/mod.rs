//! Reading a VMware VM log (`vmware.log`): bytes in, stuns and markers out.
//!
//! Three questions, one file each, so that a new log layout or a new
//! marker touches one place:
//!
//! - [`header`]: how a line is cut into time, thread and message, per
//!   header family (ESXi 5/6 pipes, ESXi 7/8 severities, the old year-less
//!   form, Workstation 25's structured layout, saved-grep prefixes). New
//!   layouts are added to its `FAMILIES`.
//! - [`markers`]: what a message means — the table of operation markers,
//!   the VM's name, host and product.
//! - [`stun`]: the stun record itself, and why a line holding its words
//!   may not be one.
//!
//! - [`syslog`]: the envelope of a VMX line forwarded by syslog, peeled
//!   off before the families are tried; it names the host and the VM.
//!
//! [`scan`] puts them together over a stream: a multi-literal search finds
//! the few lines that can matter and only those are parsed.

pub mod header;
pub mod markers;
pub mod scan;
pub mod stun;
pub mod syslog;

pub use header::{Family, Header, LineTime, parse_header};
pub use markers::{Message, OpKind, OpMarker, Phase, classify, product_in_head, vmx_display_name};
pub use stun::{STUN_WORDS, SkipReason, has_stun_words, skip_reason};
