//! The integration tests that need a GPU adapter, in one test binary with its own harness
//! (libtest-mimic) so that a missing adapter is visible in the summary line: without an adapter
//! every test here is reported as *ignored* (and the binary says why), unless
//! FLEETSIM_REQUIRE_GPU=1, where they run and fail (CI). Any adapter counts (llvmpipe in CI;
//! FLEETSIM_ADAPTER picks one). Filter by file: `cargo test --release --test gpu gpu_points::`.

mod common;

mod cli_gpu;
mod gpu_adapters;
mod gpu_bench;
mod gpu_equivalence;
mod gpu_job;
mod gpu_points;
mod gpu_rng;

/// `module::function` names and function pointers of the listed tests.
macro_rules! tests {
    ($($m:ident :: $f:ident),* $(,)?) => {
        vec![$((concat!(stringify!($m), "::", stringify!($f)), $m::$f as fn())),*]
    };
}

fn main() {
    common::gpu::harness(tests![
        gpu_adapters::the_open_adapter_is_listed_with_its_limits_and_opens_by_name,
        gpu_bench::throughput_kernel_matches_its_cpu_twin,
        gpu_bench::a_model_rewritten_in_place_gives_what_a_fresh_engine_gives,
        gpu_bench::gpu_timestamps_time_passes_within_the_wall_time,
        gpu_equivalence::default_scenario_matches_cpu,
        gpu_equivalence::sweep_points_match_cpu,
        gpu_equivalence::stressed_mechanisms_match_cpu,
        gpu_equivalence::counted_days_match_cpu,
        gpu_equivalence::economics_mechanisms_match_cpu,
        gpu_equivalence::gb200_colo_and_copula_match_cpu,
        gpu_equivalence::windows_do_not_change_results,
        gpu_equivalence::gpu_f32_error_against_f64_reference,
        gpu_equivalence::a_driver_loop_limit_is_detected_and_the_window_shrunk,
        gpu_equivalence::a_20_year_reserved_only_revenue_is_summed_to_f32_rounding_on_the_gpu,
        gpu_job::renewal_losses_match_the_cpu,
        gpu_equivalence::horizon_of_54_days_in_service_and_monthly_sla_match_cpu,
        gpu_equivalence::six_options_match_cpu,
        gpu_equivalence::in_service_and_monthly_credit_closed_forms_hold_on_the_gpu,
        gpu_equivalence::windows_carry_the_sla_month,
        gpu_equivalence::monthly_series_match_cpu,
        gpu_points::packed_points_equal_separate_runs_bit_for_bit,
        gpu_points::odd_shapes_pack_correctly,
        gpu_points::points_of_different_shapes_are_refused,
        gpu_points::windows_with_several_points_do_not_change_results,
        gpu_points::a_loop_limit_with_several_points_shrinks_the_window,
        gpu_points::points_per_call_fills_a_chunk,
        gpu_rng::known_answers,
        gpu_rng::both_philox_variants_run_where_the_adapter_offers_int64,
        gpu_rng::random_and_edge_pairs_match_the_cpu,
        gpu_rng::day_streams_match_the_cpu_draw_for_draw,
        gpu_rng::split_dispatches_give_the_same_blocks,
        gpu_rng::the_simulate_kernel_gives_the_same_bits_with_either_philox,
        cli_gpu::a_gpu_failure_falls_back_to_the_cpu_under_auto_and_fails_cleanly_under_gpu,
        cli_gpu::a_gpu_run_matches_the_cpu_run_and_a_mid_run_fallback_completes_it,
        cli_gpu::check_passes_on_the_adapter_and_its_json_says_why,
        cli_gpu::check_exits_3_when_the_gpu_fails,
    ]);
}
