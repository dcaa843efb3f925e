//! The bytes the host uploads have the layout the WGSL declares: naga's layout of the kernel's
//! structs against the Rust `Pod` structs (sizes and field offsets), on any machine, no GPU.

use fleetsim::gpu::dispatch::Chunk;
use fleetsim::gpu::pack::{MODEL_BYTES, model_bytes, pack};
use fleetsim::gpu::shaders::Kernel;
use fleetsim::model::params::{
    CorrParams, DistSpec, EnvParams, MAX_OPTIONS, OptionParams, RunParams,
};
use std::mem::{offset_of, size_of};

struct Layout {
    module: naga::Module,
    layouter: naga::proc::Layouter,
}

impl Layout {
    fn new() -> Self {
        let src = Kernel::Simulate.source();
        let module = naga::front::wgsl::parse_str(&src)
            .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
        let mut layouter = naga::proc::Layouter::default();
        layouter.update(module.to_ctx()).expect("layout");
        Layout { module, layouter }
    }

    /// Size of the WGSL struct `name` and the offsets of its members by name.
    fn strukt(&self, name: &str) -> (u32, Vec<(String, u32)>) {
        let (h, ty) = self
            .module
            .types
            .iter()
            .find(|(_, t)| t.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no WGSL struct {name}"));
        let naga::TypeInner::Struct { members, .. } = &ty.inner else {
            panic!("{name} is not a struct")
        };
        let offsets = members
            .iter()
            .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
            .collect();
        (self.layouter[h].size, offsets)
    }
}

fn offset(members: &[(String, u32)], field: &str) -> usize {
    members
        .iter()
        .find(|(n, _)| n == field)
        .unwrap_or_else(|| panic!("no member {field}"))
        .1 as usize
}

#[test]
fn wgsl_structs_match_the_rust_pod_structs() {
    let l = Layout::new();
    let (size, m) = l.strukt("DistSpec");
    assert_eq!(size as usize, size_of::<DistSpec>());
    assert_eq!(offset(&m, "p"), offset_of!(DistSpec, p));
    assert_eq!(offset(&m, "lo"), offset_of!(DistSpec, lo));
    assert_eq!(offset(&m, "hi"), offset_of!(DistSpec, hi));
    let (size, m) = l.strukt("RunParams");
    assert_eq!(size as usize, size_of::<RunParams>());
    assert_eq!(offset(&m, "n_corr"), offset_of!(RunParams, n_corr));
    let (size, m) = l.strukt("EnvParams");
    assert_eq!(size as usize, size_of::<EnvParams>());
    assert_eq!(
        offset(&m, "outage_hours"),
        offset_of!(EnvParams, outage_hours)
    );
    for f in [
        "sla_mode",
        "n_sla_tiers",
        "sla_uptime_below",
        "sla_credit",
        "price_basis",
    ] {
        let rust = match f {
            "price_basis" => offset_of!(EnvParams, price_basis),
            "sla_mode" => offset_of!(EnvParams, sla_mode),
            "n_sla_tiers" => offset_of!(EnvParams, n_sla_tiers),
            "sla_uptime_below" => offset_of!(EnvParams, sla_uptime_below),
            _ => offset_of!(EnvParams, sla_credit),
        };
        assert_eq!(offset(&m, f), rust, "EnvParams.{f}");
    }
    let (size, m) = l.strukt("CorrParams");
    assert_eq!(size as usize, size_of::<CorrParams>());
    assert_eq!(offset(&m, "chol"), offset_of!(CorrParams, chol));
    let (size, m) = l.strukt("OptionParams");
    assert_eq!(size as usize, size_of::<OptionParams>());
    assert_eq!(offset(&m, "job_chips"), offset_of!(OptionParams, job_chips));
    assert_eq!(
        offset(&m, "next_gen_day"),
        offset_of!(OptionParams, next_gen_day)
    );
    assert_eq!(
        offset(&m, "dc_residual"),
        offset_of!(OptionParams, dc_residual)
    );
    assert_eq!(offset(&m, "unit_auto"), offset_of!(OptionParams, unit_auto));
    assert_eq!(offset(&m, "inputs"), offset_of!(OptionParams, inputs));
    assert_eq!(offset(&m, "events"), offset_of!(OptionParams, events));
}

#[test]
fn uploaded_model_bytes_match_the_wgsl_model_struct() {
    let l = Layout::new();
    let (size, m) = l.strukt("Model");
    let model = fleetsim::config::flatten(&fleetsim::config::default_scenario(), 1);
    let bytes = model_bytes(&model);
    assert_eq!(bytes.len(), size as usize);
    assert_eq!(offset(&m, "env"), size_of::<RunParams>());
    assert_eq!(
        offset(&m, "corr"),
        size_of::<RunParams>() + size_of::<EnvParams>()
    );
    let table_base = offset(&m, "table_base");
    assert_eq!(table_base, size as usize - 4, "table_base is the last word");
    assert_eq!(
        offset(&m, "options"),
        table_base - MAX_OPTIONS * size_of::<OptionParams>()
    );
    assert_eq!(MODEL_BYTES, size as usize);
    // The first option's bytes sit where the WGSL reads them.
    let o0 = offset(&m, "options");
    assert_eq!(
        &bytes[o0..o0 + size_of::<OptionParams>()],
        bytemuck::bytes_of(&model.options[0])
    );
    // Models packed back to back sit at the WGSL array stride (a struct of 4-byte words: its
    // size), each with the offset of its tables.
    let packed = pack(&[&model, &model]);
    assert_eq!(packed.models.len(), 2 * size as usize);
    let base1 = size as usize + table_base;
    assert_eq!(
        u32::from_le_bytes(packed.models[base1..base1 + 4].try_into().expect("4 bytes")) as usize,
        model.table.len()
    );
}

#[test]
fn the_dispatch_uniform_matches_chunk_params() {
    let l = Layout::new();
    let (size, m) = l.strukt("Chunk");
    assert_eq!(size as usize, size_of::<Chunk>());
    // A uniform buffer binding: a multiple of 16 bytes.
    assert_eq!(size % 16, 0);
    for (name, off) in [
        ("first_path", offset_of!(Chunk, first_path)),
        ("n_paths", offset_of!(Chunk, n_paths)),
        ("n_options", offset_of!(Chunk, n_options)),
        ("probe_iters", offset_of!(Chunk, probe_iters)),
        ("t0", offset_of!(Chunk, t0)),
        ("t1", offset_of!(Chunk, t1)),
        ("one_bits", offset_of!(Chunk, one_bits)),
        ("first_inv", offset_of!(Chunk, first_inv)),
        ("n_inv", offset_of!(Chunk, n_inv)),
    ] {
        assert_eq!(offset(&m, name), off, "Chunk.{name}");
    }
}

#[test]
fn the_device_is_asked_for_as_many_storage_buffers_as_the_kernels_bind() {
    for k in Kernel::ALL {
        let src = k.source();
        let module = naga::front::wgsl::parse_str(&src).expect("parses");
        let storage = module
            .global_variables
            .iter()
            .filter(|(_, g)| matches!(g.space, naga::AddressSpace::Storage { .. }))
            .count() as u32;
        assert!(
            storage <= fleetsim::gpu::context::STORAGE_BUFFERS_NEEDED,
            "{} binds {storage} storage buffers",
            k.name()
        );
        if k == Kernel::Simulate {
            assert_eq!(storage, fleetsim::gpu::context::STORAGE_BUFFERS_NEEDED);
        }
    }
}

/// Asserts that the WGSL struct `$name` has the size of the Rust type `$ty` and each listed
/// member at the Rust field's offset.
macro_rules! same_layout {
    ($l:expr, $name:literal, $ty:ty, [$($field:ident),* $(,)?]) => {{
        let (size, m) = $l.strukt($name);
        assert_eq!(size as usize, size_of::<$ty>(), "size of {}", $name);
        let mut n = 0;
        $(
            assert_eq!(
                offset(&m, stringify!($field)),
                offset_of!($ty, $field),
                "{}.{}",
                $name,
                stringify!($field)
            );
            n += 1;
        )*
        assert_eq!(n, m.len(), "{}: every WGSL member is checked", $name);
    }};
}

/// The state the kernel carries between windows of days (a WGSL struct, not hand offsets) has
/// the layout of its host twin in `gpu::state`, member by member, and `Model` that of
/// `model::params::Model`.
#[test]
fn carried_state_and_model_match_their_pod_twins() {
    use fleetsim::gpu::state::{Carried, EnvState, KSum, OptionState};
    use fleetsim::model::params::Model;
    let l = Layout::new();
    same_layout!(l, "KSum", KSum, [s, c]);
    same_layout!(l, "EnvState", EnvState, [outage_left, month_out_h]);
    same_layout!(
        l,
        "OptionState",
        OptionState,
        [
            ring_units,
            ring_parts,
            ring_hours,
            year_cf,
            spares,
            backorders,
            class_failures,
            class_lost,
            installed,
            down,
            waiting,
            interruptions,
            hard,
            soft,
            payback,
            went_negative,
            demand_x,
            hw_capex,
            npv,
            cum_cf,
            opex,
            energy_kwh,
            revenue,
            avail_hours,
            installed_hours,
            delivered,
            job_num,
            job_den,
            job_days,
            job_restart,
            month_rev,
            res_mult,
            next_term,
            prepay_day,
            rent_mult,
            next_rent,
            pv_cost,
            pv_inst,
            pv_sold,
            pv_job,
            dpayback,
            dwent_negative,
            bucket_cf,
            bucket_m1,
            year_capex,
            year_hw,
            pv_revenue,
            pv_credits,
            pv_capex,
            pv_energy_rent,
            pv_maint,
            pv_ops,
            pv_facility,
            pv_lost_fail,
            pv_lost_out,
            m_opex,
            m_avail,
            fail_mark,
        ]
    );
    same_layout!(l, "Carried", Carried, [env, option]);
    same_layout!(l, "Model", Model, [run, env, corr, options, table_base]);
}
