//! Stopping a running HiGHS solve when the caller's cancel flag is set.
//!
//! The `highs` crate offers no safe way to interrupt `Highs_run`, so this
//! module, the only `unsafe` code of the workspace, registers HiGHS's C
//! callback. Audit notes:
//! - the callback only reads an `AtomicBool` and writes `user_interrupt` in
//!   the `HighsCallbackDataIn` HiGHS hands it (null pointers are ignored);
//! - the flag's pointer comes from an `Arc` the caller keeps alive for the
//!   whole solve (`SolveOptions::cancel` is borrowed by the engine until the
//!   solved model is dropped), and HiGHS calls back only during `Highs_run`;
//! - the callback never unwinds (no panicking code in it).
//!
//! It also reads HiGHS's node count, an `int64` info value the `highs` crate
//! cannot read (its `int_info_value` asks for a 32-bit one and fails).
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};

use highs_sys::{
    kHighsCallbackIpmInterrupt, kHighsCallbackMipInterrupt, kHighsCallbackSimplexInterrupt,
    HighsCallbackDataIn, HighsCallbackDataOut, Highs_getInt64InfoValue, Highs_setCallback,
    Highs_startCallback,
};

unsafe extern "C" fn on_callback(
    _kind: c_int,
    _message: *const c_char,
    _data_out: *const HighsCallbackDataOut,
    data_in: *mut HighsCallbackDataIn,
    user: *mut c_void,
) {
    if user.is_null() || data_in.is_null() {
        return;
    }
    // SAFETY: `user` is the `AtomicBool` registered in `watch`, alive for the run.
    let flag = unsafe { &*(user as *const AtomicBool) };
    if flag.load(Ordering::Relaxed) {
        // SAFETY: HiGHS passes a valid, writable `HighsCallbackDataIn` for interrupt callbacks.
        unsafe { (*data_in).user_interrupt = 1 };
    }
}

/// Makes HiGHS stop (status "interrupted", best solution kept) once `flag`
/// is set. `flag` must outlive the run of `model`; the engine guarantees it
/// by borrowing the caller's `Arc` for the whole solve.
pub(crate) fn watch(model: &mut highs::Model, flag: &AtomicBool) {
    let highs = model.as_mut_ptr();
    let user = flag as *const AtomicBool as *mut c_void;
    // SAFETY: `highs` is a live HiGHS instance owned by `model`; the callback
    // has the C signature HiGHS expects; `user` stays valid (see above).
    unsafe {
        Highs_setCallback(highs, Some(on_callback), user);
        for kind in [
            kHighsCallbackSimplexInterrupt,
            kHighsCallbackIpmInterrupt,
            kHighsCallbackMipInterrupt,
        ] {
            Highs_startCallback(highs, kind);
        }
    }
}

/// Branch-and-bound nodes of the last MIP run (0 when HiGHS has none to report).
pub(crate) fn mip_node_count(solved: &highs::SolvedModel) -> i64 {
    let mut nodes: i64 = 0;
    // SAFETY: `solved` owns a live HiGHS instance; the name is a NUL-terminated
    // string; `nodes` is a valid `i64` HiGHS writes once.
    let status =
        unsafe { Highs_getInt64InfoValue(solved.as_ptr(), c"mip_node_count".as_ptr(), &mut nodes) };
    if status == highs_sys::STATUS_OK {
        nodes.max(0)
    } else {
        0
    }
}
