//! scenarios services.

#[allow(unused_imports)]
use crate::App;
