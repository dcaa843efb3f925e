// Renewal model of a checkpointed training job: the per-interruption losses
// (loss_hours, restart_hours). Rust twin: src/model/job.rs (derivation, stable forms and
// limits in its module docs and docs/MODEL.md 6.12) — same formulas, same operation order.
// Needs only the prelude: RENEWAL_SERIES_MAX (below it, lambda R for q and lambda w for psi,
// the series are used) and the coefficient tables RENEWAL_SINHC, RENEWAL_PSI.

// q(r) = (1 - e^{-r}) / r for r >= 0, q(0) = 1, without cancellation.
fn renewal_q(r: f32) -> f32 {
    if (r < RENEWAL_SERIES_MAX) {
        let s = 0.5 * r;
        let y = s * s;
        var h = RENEWAL_SINHC[0];
        h = h * y + RENEWAL_SINHC[1];
        h = h * y + RENEWAL_SINHC[2];
        h = h * y + RENEWAL_SINHC[3];
        h = h * y + RENEWAL_SINHC[4];
        h = h * y + RENEWAL_SINHC[5];
        h = h * y + RENEWAL_SINHC[6];
        h = h * y + RENEWAL_SINHC[7];
        return exp(-s) * h;
    }
    return (1.0 - exp(-r)) / r;
}

// psi(x) = (1 - x / (e^x - 1)) / x for x >= 0, psi(0) = 1/2, without cancellation or overflow.
fn renewal_psi(x: f32) -> f32 {
    if (x < RENEWAL_SERIES_MAX) {
        let y = x * x;
        var h = RENEWAL_PSI[0];
        h = h * y + RENEWAL_PSI[1];
        h = h * y + RENEWAL_PSI[2];
        h = h * y + RENEWAL_PSI[3];
        h = h * y + RENEWAL_PSI[4];
        h = h * y + RENEWAL_PSI[5];
        h = h * y + RENEWAL_PSI[6];
        h = h * y + RENEWAL_PSI[7];
        return 0.5 + x * h;
    }
    let v = exp(-x);
    return (1.0 - x * v / (1.0 - v)) / x;
}

// (loss_hours, restart_hours) per interruption at lambda_per_hour (per wall hour, >= 0), a
// checkpoint every tau_h > 0 hours of work stalling ckpt_h >= 0 hours, restarts of
// restart_h >= 0 hours.
fn renewal_losses(lambda_per_hour: f32, tau_h: f32, ckpt_h: f32, restart_h: f32) -> vec2<f32> {
    let w = tau_h + ckpt_h;
    let g0 = tau_h / w;
    let r = lambda_per_hour * restart_h;
    let x = lambda_per_hour * w;
    let restart_hours = restart_h * renewal_q(r);
    let loss_hours = g0 * (restart_hours + exp(-r) * w * renewal_psi(x));
    return vec2<f32>(loss_hours, restart_hours);
}
