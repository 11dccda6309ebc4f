//! capacity (filled in by its slice).
