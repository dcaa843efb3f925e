//! Aggregating a real run in shards gives the same figures as aggregating it whole: the
//! property that lets paths be split over chunks, threads, GPUs or machines.

use fleetsim::config::{default_scenario, flatten};
use fleetsim::engine::{Engine, Precision, cpu::CpuEngine};
use fleetsim::stats::RunAggregate;

#[test]
fn two_halves_merge_to_the_whole() {
    let s = default_scenario();
    let m = flatten(&s, 5);
    let names: Vec<String> = s.option_names().iter().map(|n| n.to_string()).collect();
    let e = CpuEngine::new(Precision::F32);
    let n_years = m.run.n_years as usize;

    let whole_block = e.simulate(&m, 0, 600).unwrap();
    let mut whole = RunAggregate::new(2, n_years);
    whole.add_block(&whole_block);

    let mut first = RunAggregate::new(2, n_years);
    first.add_block(&e.simulate(&m, 0, 250).unwrap());
    let mut second = RunAggregate::new(2, n_years);
    second.add_block(&e.simulate(&m, 250, 350).unwrap());
    first += second;

    let a = whole.finish(&names);
    let b = first.finish(&names);
    assert_eq!(a.n_paths, b.n_paths);
    for (name, metrics) in a.options.iter() {
        for (metric, x) in metrics.iter() {
            let y = b.options.get(name).unwrap().get(metric).unwrap();
            // Order statistics and counts: identical.
            assert_eq!(
                (x.count, x.p5, x.p50, x.p95, x.min, x.max, x.cvar5),
                (y.count, y.p5, y.p50, y.p95, y.min, y.max, y.cvar5),
                "{name} {metric}"
            );
            // Moments: Chan et al. merge, equal to rounding.
            let (mx, my) = (x.mean.unwrap(), y.mean.unwrap());
            assert!(
                (mx - my).abs() <= 1e-12 * mx.abs().max(1.0),
                "{name} {metric} mean {mx} vs {my}"
            );
            let (sx, sy) = (x.sd.unwrap_or(0.0), y.sd.unwrap_or(0.0));
            assert!(
                (sx - sy).abs() <= 1e-9 * sx.abs().max(1.0),
                "{name} {metric} sd {sx} vs {sy}"
            );
        }
    }
    let pa = a.pairs.iter().next().unwrap().1;
    let pb = b.pairs.iter().next().unwrap().1;
    for (metric, x) in pa.metrics.iter() {
        let y = pb.metrics.get(metric).unwrap();
        assert_eq!(x.p_a_better, y.p_a_better, "{metric}");
        assert_eq!(x.difference.p50, y.difference.p50, "{metric}");
    }
}
