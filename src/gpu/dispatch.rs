//! How much work one GPU dispatch gets: its size from the measured speed (short enough that no
//! driver watchdog fires, large enough to fill the device) and its workgroup grid within the
//! adapter's per-dimension limit.

use std::time::Duration;

use super::shaders::WORKGROUP_SIZE;

/// The per-dispatch uniform (`Chunk` in `shaders/simulate.wgsl`, layout checked by
/// `tests/gpu_layout.rs`): which invocations of a call one dispatch runs, over which days.
/// A call simulates paths `first_path .. first_path + n_paths` of each of its points; its
/// invocations are numbered point-major, then option-major (`(point * n_options + option) *
/// n_paths + path - first_path`: a warp's lanes run one option; the host scatters records back
/// into the path-major blocks) and a dispatch runs
/// `first_inv .. first_inv + n_inv` of them.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Chunk {
    /// The call's first path (the same for every point).
    pub first_path: u32,
    /// Paths per point in the call.
    pub n_paths: u32,
    /// Options per path.
    pub n_options: u32,
    /// Always 2: the runtime trip count of the kernel's loop-limit probe.
    pub probe_iters: u32,
    /// First day this dispatch simulates.
    pub t0: u32,
    /// Day after the last one this dispatch simulates.
    pub t1: u32,
    /// The bits of 1.0f32 (the kernel's opaque 1.0 that keeps Kahan sums from being folded).
    pub one_bits: u32,
    /// The dispatch's first invocation in the call's numbering.
    pub first_inv: u32,
    /// Invocations in the dispatch.
    pub n_inv: u32,
    /// Padding to a multiple of 16 bytes (uniform buffer layout).
    pub _pad: [u32; 3],
}

/// Wall time one dispatch aims at: far below any watchdog (Windows TDR fires at about 2 s).
pub const TARGET_DISPATCH: Duration = Duration::from_millis(200);
/// Invocations (path x option) of the first dispatch, before the speed is known.
pub const FIRST_DISPATCH_INVOCATIONS: u32 = 2048;

/// Invocations for the next dispatch: [`FIRST_DISPATCH_INVOCATIONS`] while the speed is
/// unknown, then what takes [`TARGET_DISPATCH`] at the measured `secs_per_invocation`, growing
/// at most 4x over `last`; never more than `max` or `remaining`, and always whole paths (a
/// multiple of `n_opt`, at least one path), so a dispatch never splits a path's options.
pub fn dispatch_size(
    secs_per_invocation: Option<f64>,
    last: u32,
    remaining: u32,
    n_opt: u32,
    max: u32,
) -> u32 {
    let want = match secs_per_invocation {
        None => FIRST_DISPATCH_INVOCATIONS as u64,
        Some(s) if s > 0.0 => {
            let by_time = (TARGET_DISPATCH.as_secs_f64() / s) as u64;
            by_time.min(last as u64 * 4).max(WORKGROUP_SIZE as u64)
        }
        Some(_) => last as u64 * 4,
    };
    let n_opt = n_opt.max(1) as u64;
    let cap = (max as u64 / n_opt).max(1) * n_opt;
    (want.min(cap).max(n_opt).min(remaining as u64) / n_opt * n_opt) as u32
}

/// The `(x, y)` workgroup grid for `groups` workgroups when one dimension holds at most
/// `per_dim`: one row if it fits, else full rows (the kernel folds `y` back into its index and
/// skips the invocations past the end).
pub fn workgroup_grid(groups: u32, per_dim: u32) -> (u32, u32) {
    let per_dim = per_dim.max(1);
    if groups <= per_dim {
        (groups, 1)
    } else {
        (per_dim, groups.div_ceil(per_dim))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_sizes_start_small_grow_at_most_4x_and_aim_at_the_target() {
        assert_eq!(
            dispatch_size(None, 0, 1 << 20, 2, 1 << 19),
            FIRST_DISPATCH_INVOCATIONS
        );
        // 1 us per invocation: 200 ms is 200,000 invocations, but growth is capped at 4x.
        assert_eq!(dispatch_size(Some(1e-6), 2048, 1 << 20, 2, 1 << 19), 8192);
        assert_eq!(
            dispatch_size(Some(1e-6), 65_536, 1 << 20, 2, 1 << 19),
            200_000
        );
        // Slow: fewer invocations than last time.
        assert_eq!(dispatch_size(Some(1e-3), 65_536, 1 << 20, 2, 1 << 19), 200);
        // Capped by the device limit and by what is left, in whole paths.
        assert_eq!(
            dispatch_size(Some(1e-9), 1 << 19, 1 << 30, 3, 1 << 19),
            (1 << 19) / 3 * 3
        );
        assert_eq!(dispatch_size(Some(1e-9), 1 << 19, 301, 3, 1 << 19), 300);
    }

    #[test]
    fn grids_cover_every_workgroup_within_the_limit() {
        assert_eq!(workgroup_grid(10, 65_535), (10, 1));
        for (groups, per_dim) in [(65_536, 65_535), (1_000_000, 65_535), (7, 3), (9, 3)] {
            let (x, y) = workgroup_grid(groups, per_dim);
            assert!(x <= per_dim && y <= per_dim);
            assert!(x as u64 * y as u64 >= groups as u64);
            assert!((x as u64 * (y as u64 - 1)) < groups as u64, "no empty row");
        }
    }

    #[test]
    fn dispatches_never_split_a_path_and_always_make_progress() {
        for n_opt in 1..=crate::model::params::MAX_OPTIONS as u32 {
            for remaining in [n_opt, 7 * n_opt, 1000 * n_opt] {
                for secs in [None, Some(0.0), Some(1e-9), Some(1.0)] {
                    for max in [1, 64, 1 << 16] {
                        let n = dispatch_size(secs, 2048, remaining, n_opt, max);
                        assert!(n >= n_opt && n <= remaining, "{n} of {remaining}");
                        assert_eq!(n % n_opt, 0);
                    }
                }
            }
        }
    }
}
