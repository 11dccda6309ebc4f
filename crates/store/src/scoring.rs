//! scoring storage.

#[allow(unused_imports)]
use crate::Store;
