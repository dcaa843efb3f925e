//! Several models in one upload, so one dispatch can simulate many sweep points: each model's
//! bytes (the kernel's `Model` struct, `shaders/shared/params.wgsl`) back to back in the model
//! buffer, each ending with where its tables start; the tables back to back in the table
//! buffer. Also how a list of points is cut into groups that fit the device's buffers.

use std::ops::Range;

use crate::model::params::{FlatModel, Model};

/// Most points one dispatch group holds (bounds the upload per group: about 8.7 KiB a point).
pub const MAX_POINTS_PER_GROUP: usize = 1024;

/// Most invocations (point x path x option) one group numbers: the kernel's invocation index
/// is a `u32`.
pub const MAX_GROUP_INVOCATIONS: u64 = 1 << 31;

/// Bytes of one model in the model buffer (the kernel's `Model` struct, `model::params::Model`).
pub const MODEL_BYTES: usize = std::mem::size_of::<Model>();

/// The bytes of the kernel's `Model` struct for `m` alone (its table offset 0).
pub fn model_bytes(m: &FlatModel) -> Vec<u8> {
    bytemuck::bytes_of(&Model::new(m, 0)).to_vec()
}

/// The models of one dispatch group as uploaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Packed {
    /// The models' `Model` structs back to back (`MODEL_BYTES` each).
    pub models: Vec<u8>,
    /// Their tables back to back; model k's `table_base` is where its own start.
    pub table: Vec<f32>,
}

/// Packs `models` for one upload (model k's table offsets stay relative to its own table; the
/// kernel adds its `table_base`).
pub fn pack(models: &[&FlatModel]) -> Packed {
    let mut bytes = Vec::with_capacity(models.len() * MODEL_BYTES);
    let mut table = Vec::with_capacity(models.iter().map(|m| m.table.len()).sum());
    for m in models {
        bytes.extend_from_slice(bytemuck::bytes_of(&Model::new(m, table.len() as u32)));
        table.extend_from_slice(&m.table);
    }
    Packed {
        models: bytes,
        table,
    }
}

/// Cuts points `0..models.len()` into consecutive groups that one upload and one numbering of
/// invocations can hold: at most `max_points` points, model and table buffers of at most
/// `max_bytes` each, and at most [`MAX_GROUP_INVOCATIONS`] invocations for `n_paths` paths of
/// `n_options` options per point. A point too large on its own still gets a group (the device
/// then refuses the buffer, as it would for a single run).
pub fn groups(
    models: &[&FlatModel],
    n_paths: u32,
    n_options: u32,
    max_points: usize,
    max_bytes: u64,
) -> Vec<Range<usize>> {
    let per_point_inv = (n_paths as u64 * n_options as u64).max(1);
    let by_inv = (MAX_GROUP_INVOCATIONS / per_point_inv).max(1) as usize;
    let by_models = (max_bytes / MODEL_BYTES as u64).max(1) as usize;
    let cap = max_points.min(by_inv).min(by_models).max(1);
    let mut out = Vec::new();
    let mut start = 0;
    while start < models.len() {
        let mut end = start;
        let mut table_bytes = 0u64;
        while end < models.len() && end - start < cap {
            let t = models[end].table.len() as u64 * 4;
            if end > start && table_bytes + t > max_bytes {
                break;
            }
            table_bytes += t;
            end += 1;
        }
        out.push(start..end);
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{default_scenario, flatten};

    #[test]
    fn packed_models_carry_their_own_table_offsets() {
        let a = flatten(&default_scenario(), 1);
        let mut b = flatten(&default_scenario(), 2);
        b.table.push(0.5);
        let p = pack(&[&a, &b, &a]);
        assert_eq!(p.models.len(), 3 * MODEL_BYTES);
        assert_eq!(model_bytes(&a).len(), MODEL_BYTES);
        let base = |k: usize| {
            let end = (k + 1) * MODEL_BYTES;
            u32::from_le_bytes(p.models[end - 4..end].try_into().expect("4 bytes"))
        };
        assert_eq!(base(0), 0);
        assert_eq!(base(1) as usize, a.table.len());
        assert_eq!(base(2) as usize, a.table.len() + b.table.len());
        assert_eq!(p.table.len(), 2 * a.table.len() + b.table.len());
        let b1 = base(1) as usize;
        assert_eq!(&p.table[b1..b1 + b.table.len()], &b.table[..]);
        // Apart from the offset, each model's bytes are those of the model alone.
        let k1 = &p.models[MODEL_BYTES..2 * MODEL_BYTES - 4];
        assert_eq!(k1, &model_bytes(&b)[..MODEL_BYTES - 4]);
    }

    #[test]
    fn groups_cover_every_point_once_within_the_caps() {
        let m = flatten(&default_scenario(), 1);
        let t = m.table.len() as u64 * 4;
        assert!(t > 0, "the default scenario has PERT tables");
        let ms: Vec<&FlatModel> = std::iter::repeat_n(&m, 10).collect();
        for (max_points, max_bytes, n_paths) in [
            (1024, 1 << 27, 100),
            (3, 1 << 27, 100),
            (1024, 3 * t, 100),
            (1024, 4 * MODEL_BYTES as u64, 100),
            (1024, 1, 100),
            (1024, 1 << 27, 1 << 30),
        ] {
            let g = groups(&ms, n_paths, 2, max_points, max_bytes);
            let mut next = 0;
            for r in &g {
                assert_eq!(r.start, next, "groups are consecutive");
                assert!(!r.is_empty());
                let k = r.len() as u64;
                assert!(k as usize <= max_points);
                if k > 1 {
                    assert!(k * t <= max_bytes && k * MODEL_BYTES as u64 <= max_bytes);
                    assert!(k * n_paths as u64 * 2 <= MAX_GROUP_INVOCATIONS);
                }
                next = r.end;
            }
            assert_eq!(next, ms.len(), "every point in a group");
        }
        assert_eq!(groups(&ms, 100, 2, 3, 1 << 27).len(), 4);
        assert_eq!(groups(&ms, 1 << 30, 2, 1024, 1 << 27).len(), 10);
        assert!(groups(&[], 100, 2, 3, 1 << 27).is_empty());
    }
}
