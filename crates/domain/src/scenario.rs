//! scenario (filled in by its slice).
