//! Fuzzes `sitrep::fuzzing::prometheus` (the same entry point tests/fuzz_corpus.rs runs the
//! committed corpus through).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sitrep::fuzzing::prometheus(data));
