//! Every kernel's assembled WGSL parses and validates with naga (no GPU needed), with no
//! optional capability (f64, int64, subgroups: what lavapipe offers but real targets may not),
//! except the native-Philox variant, which needs exactly SHADER_INT64; each has a compute entry
//! point `main` of the host's workgroup size; every WGSL file is used by a kernel and no
//! function is defined in two files (but `mulhi`, once per Philox variant, never both in one
//! kernel).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use fleetsim::gpu::shaders::{Kernel, Philox, WORKGROUP_SIZE};
use naga::valid::{Capabilities, ValidationFlags, Validator};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every kernel with every Philox variant it comes in.
fn kernels() -> Vec<(Kernel, Philox)> {
    let mut v = vec![];
    for k in Kernel::ALL {
        v.push((k, Philox::Limbs16));
        if k.uses_philox() {
            v.push((k, Philox::Native64));
        }
    }
    v
}

/// The naga capabilities a variant may use: none for the fallback, SHADER_INT64 alone for the
/// native multiply.
fn capabilities(p: Philox) -> Capabilities {
    match p {
        Philox::Limbs16 => Capabilities::empty(),
        Philox::Native64 => Capabilities::SHADER_INT64,
    }
}

#[test]
fn the_native_philox_needs_int64_and_nothing_else_does() {
    for (kernel, p) in kernels() {
        let src = kernel.source_with(p);
        let module = naga::front::wgsl::parse_str(&src).expect("parses");
        let plain = Validator::new(ValidationFlags::all(), Capabilities::empty()).validate(&module);
        assert_eq!(
            plain.is_ok(),
            p == Philox::Limbs16,
            "{} with Philox {}: validates without SHADER_INT64 exactly when it is the fallback",
            kernel.name(),
            p.name()
        );
    }
    assert_ne!(
        Kernel::Simulate.source_with(Philox::Native64),
        Kernel::Simulate.source()
    );
    assert!(!Kernel::JobCheck.uses_philox());
}

#[test]
fn every_kernel_parses_and_validates_without_optional_capabilities() {
    for (kernel, philox) in kernels() {
        let src = kernel.source_with(philox);
        let module = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| {
            panic!(
                "{} does not parse:\n{}",
                kernel.name(),
                e.emit_to_string_with_path(&src, kernel.name())
            )
        });
        Validator::new(ValidationFlags::all(), capabilities(philox))
            .validate(&module)
            .unwrap_or_else(|e| {
                panic!(
                    "{} does not validate:\n{}",
                    kernel.name(),
                    e.emit_to_string_with_path(&src, kernel.name())
                )
            });
        let main: Vec<_> = module
            .entry_points
            .iter()
            .filter(|e| e.name == "main")
            .collect();
        assert_eq!(main.len(), 1, "{}: one entry point `main`", kernel.name());
        assert_eq!(
            main[0].stage,
            naga::ShaderStage::Compute,
            "{}",
            kernel.name()
        );
        assert_eq!(
            main[0].workgroup_size,
            [WORKGROUP_SIZE, 1, 1],
            "{}: workgroup size must be the host's WORKGROUP_SIZE",
            kernel.name()
        );
    }
}

/// Every `.wgsl` file under `dir`, as paths relative to the crate root with `/` separators.
fn wgsl_files(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            wgsl_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "wgsl") {
            let rel: PathBuf = p.strip_prefix(root()).unwrap().to_path_buf();
            out.insert(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

#[test]
fn every_wgsl_file_is_part_of_a_kernel_and_parts_are_the_files() {
    let mut on_disk = BTreeSet::new();
    wgsl_files(&root().join("shaders"), &mut on_disk);
    let mut used = BTreeSet::new();
    for (kernel, philox) in kernels() {
        for (path, text) in kernel.parts_with(philox) {
            let disk = std::fs::read_to_string(root().join(path))
                .unwrap_or_else(|e| panic!("{}: part {path}: {e}", kernel.name()));
            assert_eq!(
                &disk,
                text,
                "{}: part {path} is not that file",
                kernel.name()
            );
            used.insert(path.to_string());
        }
    }
    let orphans: Vec<_> = on_disk.difference(&used).collect();
    assert!(orphans.is_empty(), "WGSL files no kernel uses: {orphans:?}");
}

/// Names of the functions a WGSL text defines (`fn name(`), comments ignored.
fn defined_functions(text: &str) -> Vec<String> {
    let mut names = vec![];
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("fn ") {
            let before_ok = i == 0 || {
                let c = rest.as_bytes()[i - 1];
                !(c.is_ascii_alphanumeric() || c == b'_')
            };
            let after = &rest[i + 3..];
            let name: String = after
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let follows = after.trim_start()[name.len()..].trim_start();
            if before_ok && !name.is_empty() && follows.starts_with('(') {
                names.push(name);
            }
            rest = after;
        }
    }
    names
}

#[test]
fn the_function_scanner_finds_definitions_only() {
    let t = "fn a(x: u32) -> u32 { return b(x); }\n// fn commented(\nfn  spaced (y: f32) {}\nlet fnord = 1; fn c() {}\n";
    assert_eq!(defined_functions(t), vec!["a", "spaced", "c"]);
}

#[test]
fn no_function_is_defined_in_two_files() {
    // Across every distinct file of every kernel (the prelude defines only constants): a
    // helper copied into two kernels' files would parse in each kernel but drift apart.
    let mut files: BTreeMap<&str, &str> = BTreeMap::new();
    for (kernel, philox) in kernels() {
        for (path, text) in kernel.parts_with(philox) {
            files.insert(path, text);
        }
    }
    // The Philox variants' files are alternatives: each defines `mulhi`, and one kernel has
    // exactly one of them.
    let variant_files: BTreeSet<&str> = Philox::ALL.iter().map(|p| p.part().0).collect();
    for (kernel, philox) in kernels() {
        let n = kernel
            .parts_with(philox)
            .iter()
            .filter(|(p, _)| variant_files.contains(p))
            .count();
        assert_eq!(n, usize::from(kernel.uses_philox()), "{}", kernel.name());
    }
    let mut defined: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for (path, text) in &files {
        for name in defined_functions(text) {
            defined.entry(name).or_default().push(path);
        }
    }
    assert!(
        defined_functions(&fleetsim::gpu::shaders::prelude()).is_empty(),
        "the prelude defines functions"
    );
    for (name, paths) in &defined {
        if name == "main" {
            // Each kernel's own file has its entry point; shared files have none.
            assert!(
                paths.iter().all(|p| !p.starts_with("shaders/shared/")),
                "a shared file defines `main`: {paths:?}"
            );
            let unique: BTreeSet<_> = paths.iter().collect();
            assert_eq!(
                unique.len(),
                paths.len(),
                "`main` twice in one file: {paths:?}"
            );
        } else if paths.iter().all(|p| variant_files.contains(p)) {
            assert_eq!(
                paths.len(),
                Philox::ALL.len(),
                "fn {name}: once per variant"
            );
        } else {
            assert_eq!(paths.len(), 1, "fn {name} is defined in {paths:?}");
        }
    }
    assert!(
        defined.contains_key("philox4x32_10"),
        "the scanner sees philox.wgsl"
    );
}
