//! `inversa bench` run from Rust at a small size: every table has the rows the CLI prints, the
//! times are real, and the heap column appears only when a probe counts the heap. No time is
//! compared with another: the numbers vary between machines and runs.

use inversa::operators::registry::physics;
use inversa::solvers::registry::solvers;
use inversa_lab::bench::{run, HeapProbe, Settings, Table};
use std::collections::BTreeSet;

#[test]
fn every_table_has_its_rows_and_no_heap_column_without_a_probe() {
    let settings = Settings {
        size: 32,
        repeats: 1,
        max_size: 256,
        only: Vec::new(),
    };
    let mut lines = Vec::new();
    let report = run(&settings, None, &mut |line| lines.push(line.to_string()))
        .unwrap()
        .report;

    assert!(report.bandwidth_bytes_per_s.unwrap() > 0.0);
    // Every registered operator is timed or says why it could not be built.
    let registered: BTreeSet<&str> = physics::<f32>().iter().map(|e| e.name).collect();
    let listed: BTreeSet<&str> = (report.operators.iter().map(|r| r.operator.as_str()))
        .chain(report.skipped.iter().map(|s| s.operator.as_str()))
        .collect();
    assert_eq!(listed, registered);
    assert!(report.operators.iter().any(|r| r.operator == "blur"));
    for row in &report.operators {
        let times = [
            row.apply_s,
            row.adjoint_s,
            row.apply_floor_s,
            row.adjoint_floor_s,
        ];
        assert!(times.iter().all(|t| *t > 0.0), "{row:?}");
        // The input is the 32² image; the output is not empty.
        assert!(row.in_out_bytes > 4 * 32 * 32, "{row:?}");
    }

    // Blur, then MRI, each with every solver but FBP (which does not iterate).
    let iterative: Vec<&str> = (solvers::<f32>().iter().map(|e| e.name))
        .filter(|name| *name != "fbp")
        .collect();
    assert_eq!(report.solvers.len(), 2);
    for table in &report.solvers {
        let names: Vec<&str> = table.rows.iter().map(|r| r.solver.as_str()).collect();
        assert_eq!(names, iterative, "{}", table.problem);
        for row in &table.rows {
            assert!(row.applies >= 1.0 && row.adjoints >= 1.0, "{row:?}");
            assert!(row.iteration_s >= 0.0 && row.floor_s > 0.0, "{row:?}");
        }
    }

    // Sizes double from 256, so max_size 256 gives one row, the reference of the relative columns.
    assert_eq!(report.scaling.len(), 1);
    let row = &report.scaling[0];
    assert_eq!(row.size, 256);
    assert!(row.blur_apply_s > 0.0 && row.mri_apply_s > 0.0);
    assert_eq!((row.blur_relative, row.mri_relative), (1.0, 1.0));
    assert_eq!(row.pdhg_heap_per_image, None);
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("pdhg_heap_per_image"), "{json}");

    // The network rows keep the names bench/compare.py reads them by.
    let networks: Vec<&str> = report.networks.iter().map(|r| r.network.as_str()).collect();
    for prefix in [
        "candle conv2d",
        "inversa conv2d",
        "FFDNet colour",
        "DnCNN 17 layers,",
        "DnCNN 17 training",
    ] {
        assert_eq!(
            networks.iter().filter(|n| n.starts_with(prefix)).count(),
            1,
            "{prefix}: {networks:?}"
        );
    }
    assert!(report
        .networks
        .iter()
        .all(|r| r.time_s > 0.0 && r.flops > 0.0));

    // The printed tables: a title, then one line per row of each table.
    assert!(
        lines[0].starts_with("Inversa bench: 32×32 grey images"),
        "{lines:?}"
    );
    for row in &report.operators {
        assert!(lines
            .iter()
            .any(|l| l.split_whitespace().next() == Some(row.operator.as_str())));
    }
    assert!(lines
        .iter()
        .any(|l| l.starts_with("256²") && l.trim_end().ends_with('-')));
}

/// A heap that grows by three images of 256² f32 in every solve.
struct ThreeImages;

impl HeapProbe for ThreeImages {
    fn reset_peak(&self) -> usize {
        1000
    }
    fn peak(&self) -> usize {
        1000 + 3 * 4 * 256 * 256
    }
}

#[test]
fn the_heap_column_is_the_probes_peak_over_the_image_bytes() {
    let settings = Settings {
        repeats: 1,
        max_size: 256,
        only: vec![Table::Scaling],
        ..Settings::default()
    };
    let mut lines = Vec::new();
    let report = run(&settings, Some(&ThreeImages), &mut |line| {
        lines.push(line.to_string())
    })
    .unwrap()
    .report;
    assert!(report.operators.is_empty() && report.solvers.is_empty() && report.networks.is_empty());
    assert_eq!(report.scaling[0].pdhg_heap_per_image, Some(3.0));
    let row = lines.iter().find(|l| l.starts_with("256²")).unwrap();
    assert!(row.trim_end().ends_with(" 3.0"), "{row}");
}
