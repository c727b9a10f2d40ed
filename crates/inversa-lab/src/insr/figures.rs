//! The figure (error against memory, one panel per problem), the table and the words of
//! `report.html`.

use super::{Comparison, GridRun, Report};
use inversa::report::plot::{Panel, Series};

fn log_memory(memory: usize) -> f64 {
    (memory as f64).log10()
}

fn panel(comparison: &Comparison, title: &str) -> Panel {
    let grid = |label: &str, error: fn(&GridRun) -> f64| Series {
        label: label.into(),
        values: comparison
            .grids
            .iter()
            .map(|g| (log_memory(g.memory), error(g)))
            .collect(),
    };
    let ends = [
        comparison.grids.first().map(|g| g.memory),
        comparison.grids.last().map(|g| g.memory),
    ];
    Panel {
        title: title.into(),
        x_label: "log₁₀ memory (network weights or grid values)".into(),
        y_label: "relative L2 error at the final time".into(),
        log_y: true,
        series: vec![
            Series {
                label: "INSR (SIREN)".into(),
                values: comparison
                    .insr
                    .iter()
                    .map(|r| (log_memory(r.memory), r.error))
                    .collect(),
            },
            grid("grid, linear semi-Lagrangian", |g| g.linear_error),
            grid("grid, cubic semi-Lagrangian", |g| g.cubic_error),
            Series {
                label: "time-step floor (fine grid)".into(),
                values: ends
                    .iter()
                    .flatten()
                    .map(|&m| (log_memory(m), comparison.time_step_floor))
                    .collect(),
            },
        ],
    }
}

/// Advection, then Burgers.
pub fn panels(report: &Report) -> Vec<Panel> {
    let s = &report.settings;
    vec![
        panel(
            &report.advection,
            &format!(
                "advection, c = {}, t = {:.2}",
                s.advection_speed, report.advection.final_time
            ),
        ),
        panel(
            &report.burgers,
            &format!(
                "viscous Burgers, ν = {}, t = {:.2}",
                s.viscosity, report.burgers.final_time
            ),
        ),
    ]
}

/// One row per INSR run, with both grids at the same memory.
pub fn table(report: &Report) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "problem",
        "width",
        "memory",
        "INSR error",
        "linear grid",
        "cubic grid",
        "INSR s",
    ]
    .map(String::from)
    .to_vec()];
    for comparison in [&report.advection, &report.burgers] {
        for run in &comparison.insr {
            let grid = comparison.grids.iter().find(|g| g.memory == run.memory);
            let cell =
                |f: fn(&GridRun) -> f64| grid.map_or("-".into(), |g| format!("{:.3e}", f(g)));
            rows.push(vec![
                comparison.problem.to_string(),
                run.width.to_string(),
                run.memory.to_string(),
                format!("{:.3e}", run.error),
                cell(|g| g.linear_error),
                cell(|g| g.cubic_error),
                format!("{:.1}", run.seconds),
            ]);
        }
    }
    rows
}

pub fn page_text(report: &Report) -> Vec<String> {
    let s = &report.settings;
    let verdict = |c: &Comparison| {
        format!(
            "{}: INSR's error is below the linear grid's at memories {:?} and below the cubic grid's at {:?} \
             (of {:?}); the time-step floor is {:.2e}.",
            c.problem,
            c.insr_beats_linear_at,
            c.insr_beats_cubic_at,
            c.insr.iter().map(|r| r.memory).collect::<Vec<_>>(),
            c.time_step_floor
        )
    };
    vec![
        "Claim: a network as the spatial field, its weights optimised at each time step to satisfy \
         the integrator's variational form, is more accurate at a given memory than a grid solver, \
         with no spatial discretisation."
            .to_string(),
        format!(
            "SIREN (ω₀ = {}) with {} sine layers; {} Adam iterations per step ({} for u₀) from rate {} \
             with cosine decay, {} fresh uniform points per iteration. Grids: the same semi-Lagrangian \
             integrator and Δt on as many nodes as the network has weights. Errors against the exact \
             solution (shifted pulse; Cole–Hopf).",
            s.omega, s.hidden, s.iterations, s.initial_iterations, s.rate, s.points
        ),
        verdict(&report.advection),
        verdict(&report.burgers),
    ]
}
