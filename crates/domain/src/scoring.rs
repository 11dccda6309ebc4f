//! scoring (filled in by its slice).
