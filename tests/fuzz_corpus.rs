//! The committed fuzz corpus (`fuzz/corpus/<target>/*`: meaningful seeds and every input a
//! fuzzing run crashed on) through the same entry points the fuzz targets call, as ordinary
//! tests: no fuzzing here, only the inputs that once mattered.
#![allow(clippy::expect_used)] // a failed set-up should stop the test loudly

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a corpus entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

fn run(target: &str) {
    let (_, entry) = sitrep::fuzzing::TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .expect("a fuzz target of that name");
    let files = corpus(target);
    assert!(!files.is_empty(), "no seeds for {target}");
    for file in files {
        let data = std::fs::read(&file).expect("a readable seed");
        // Name the input that failed: the panic message alone does not say which.
        let result = std::panic::catch_unwind(|| entry(&data));
        assert!(result.is_ok(), "{target}: {} fails", file.display());
    }
}

/// Every target has a fuzz target file, a corpus and a test here (a new target cannot be
/// half added).
#[test]
fn every_target_is_fuzzed_and_has_a_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let this = std::fs::read_to_string(file!()).expect("this file");
    for (name, _) in sitrep::fuzzing::TARGETS {
        assert!(
            root.join(format!("fuzz_targets/{name}.rs")).is_file(),
            "fuzz_targets/{name}.rs"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} in fuzz/Cargo.toml"
        );
        assert!(!corpus(name).is_empty(), "a corpus for {name}");
        assert!(
            this.contains(&format!("corpus_{name},")),
            "a test for {name}"
        );
    }
}

macro_rules! corpus_tests {
    ($($name:ident),* $(,)?) => {
        $(
            paste_test!($name);
        )*
    };
}

macro_rules! paste_test {
    ($name:ident) => {
        #[test]
        #[allow(non_snake_case)]
        fn $name() {
            run(&stringify!($name)["corpus_".len()..]);
        }
    };
}

corpus_tests!(
    corpus_runbook,
    corpus_journal,
    corpus_command,
    corpus_keymap,
    corpus_theme,
    corpus_config,
    corpus_drill,
    corpus_recording,
    corpus_prometheus,
    corpus_alertmanager,
    corpus_kubernetes,
    corpus_sanitize,
);
