//! Adapter enumeration and selection against the real adapters of this machine: the harness's
//! adapter is listed with its limits, can be opened by name, and a wrong name lists what
//! exists. Reported as ignored without a GPU adapter unless FLEETSIM_REQUIRE_GPU=1.

use crate::common;

use fleetsim::gpu::GpuError;
use fleetsim::gpu::adapter::{self, AdapterRequest};

pub fn the_open_adapter_is_listed_with_its_limits_and_opens_by_name() {
    let Some(ctx) = common::gpu::context() else {
        return;
    };
    let list = adapter::list();
    let me = list
        .iter()
        .find(|a| a.label() == ctx.adapter.label())
        .unwrap_or_else(|| panic!("{} not in {list:?}", ctx.adapter.label()));
    let limits = me.limits.expect("listed adapters carry their limits");
    assert!(limits.max_buffer_size > 0 && limits.max_storage_buffer_binding_size > 0);
    assert!(limits.max_compute_workgroups_per_dimension >= 1);
    assert!(limits.max_compute_invocations_per_workgroup >= 64);
    // The device was opened with no more than the adapter offers.
    assert!(ctx.limits.max_storage_buffer_binding_size <= limits.max_storage_buffer_binding_size);
    assert!(
        ctx.limits.max_compute_workgroups_per_dimension
            <= limits.max_compute_workgroups_per_dimension
    );
    // The list is in preference order.
    let prefs: Vec<_> = list.iter().map(|a| a.preference()).collect();
    assert!(prefs.windows(2).all(|w| w[0] <= w[1]), "{prefs:?}");

    let by_name = AdapterRequest {
        name: Some(ctx.adapter.label().to_uppercase()),
        allow_software: false,
    };
    let again = adapter::open(&by_name).unwrap();
    assert_eq!(again.adapter.label(), ctx.adapter.label());

    let missing = AdapterRequest {
        name: Some("no-such-adapter-xyz".into()),
        allow_software: true,
    };
    match adapter::open(&missing) {
        Err(GpuError::AdapterNotFound { available, .. }) => {
            assert!(available.contains(&ctx.adapter.name), "{available}")
        }
        other => panic!("{other:?}"),
    }
}
