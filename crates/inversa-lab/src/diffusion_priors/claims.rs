//! The papers' claims that compare samplers at different network-call budgets, read off the
//! experiment's table (issue 18, tier 3):
//!
//! - DiffPIR (Zhu et al., CVPRW 2023): at 100 calls at least as good as DPS at 1000;
//! - DDS (Chung, Lee, Ye, ICLR 2024): at ≤ 50 calls within 0.5 dB of DPS at 1000 on MRI and CT,
//!   and at least 10× faster in wall time;
//! - RED-Diff (Mardani et al., ICLR 2024): at least DPS's PSNR at equal calls;
//! - STSL (Rout et al., CVPR 2024): at a quarter of DPS's calls, a higher PSNR than DPS.
//!
//! Each comparison is made on the same measurements, so the PSNR gap comes with the standard
//! error of the mean of the per-image differences; a claim is marked as measured at the papers'
//! budgets only when the run's budgets are theirs.

use super::{Budgets, Report, Row};
use serde::Serialize;

/// One claim on one physics.
#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    pub claim: String,
    pub physics: String,
    /// `method@calls` of the challenger and of DPS.
    pub challenger: String,
    pub reference: String,
    /// Mean PSNR of the challenger minus DPS's (dB), and its standard error over the images.
    pub psnr_gap: f64,
    pub psnr_gap_stderr: f64,
    /// DPS's seconds over the challenger's.
    pub speedup: f64,
    pub holds: bool,
    /// Whether both budgets are the papers'.
    pub at_paper_budgets: bool,
}

/// Every claim whose two methods ran, per physics.
pub fn judge(rows: &[Row], budgets: &Budgets) -> Vec<Claim> {
    let mut claims = Vec::new();
    let physics: Vec<&str> = rows.iter().map(|r| r.physics.as_str()).collect();
    let mut seen = Vec::new();
    for name in physics {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let find = |m: &str| rows.iter().find(|r| r.physics == name && r.method == m);
        let Some(dps) = find("dps") else { continue };
        if let Some(diffpir) = find("diffpir") {
            let paper = budgets.diffpir <= 100 && budgets.dps >= 1000;
            let text = "DiffPIR at 100 calls at least as good as DPS at 1000 (PSNR)";
            claims.push(compare(text, diffpir, dps, paper, |gap, _| gap >= 0.0));
        }
        if let Some(dds) = find("dds").filter(|_| matches!(name, "mri-4x" | "ct-sparse")) {
            let paper = budgets.dds <= 50 && budgets.dps >= 1000;
            let text = "DDS at ≤ 50 calls within 0.5 dB of DPS at 1000 and ≥ 10× faster";
            claims.push(compare(text, dds, dps, paper, |gap, speedup| {
                gap >= -0.5 && speedup >= 10.0
            }));
        }
        if let Some(red_diff) = find("red-diff") {
            let paper = budgets.red_diff == budgets.dps;
            let text = "RED-Diff at least DPS's PSNR at equal calls";
            claims.push(compare(text, red_diff, dps, paper, |gap, _| gap >= 0.0));
        }
        if let Some(stsl) = find("stsl") {
            let paper = 4 * budgets.stsl <= budgets.dps;
            let text = "STSL at a quarter of DPS's calls better than DPS (PSNR)";
            claims.push(compare(text, stsl, dps, paper, |gap, _| gap > 0.0));
        }
    }
    claims
}

fn compare(
    claim: &str,
    challenger: &Row,
    dps: &Row,
    at_paper_budgets: bool,
    holds: impl Fn(f64, f64) -> bool,
) -> Claim {
    let gaps: Vec<f64> = challenger
        .psnr
        .iter()
        .zip(&dps.psnr)
        .map(|(a, b)| a - b)
        .collect();
    let (gap, spread) = super::scores::mean_and_std(&gaps);
    let stderr = spread / (gaps.len().max(1) as f64).sqrt();
    let speedup = dps.seconds_per_image / challenger.seconds_per_image.max(f64::MIN_POSITIVE);
    Claim {
        claim: claim.to_string(),
        physics: challenger.physics.clone(),
        challenger: label(challenger),
        reference: label(dps),
        psnr_gap: gap,
        psnr_gap_stderr: stderr,
        speedup,
        holds: holds(gap, speedup),
        at_paper_budgets,
    }
}

fn label(row: &Row) -> String {
    match row.model_calls {
        Some(calls) => format!("{}@{calls}", row.method),
        None => row.method.clone(),
    }
}

/// The paragraphs of `report.html`: what was run, then each claim's verdict.
pub fn paragraphs(report: &Report) -> Vec<String> {
    let mut text = vec![
        format!(
            "{} images ({}), measurement noise σ = {}; baselines tuned on {}. Fréchet distances \
             of classifier features against {}; the true images score {:.2} (the floor at this \
             number of images). Outputs clipped to [0, 1] before scoring.",
            report.settings.images,
            report.image_source,
            report.noise_sigma,
            report.tuning_source,
            report.frechet_reference,
            report.frechet_truth
        ),
        "The figure: one row per physics; columns: truth, back-projection A*y/‖A‖², then each \
         method in the table's order."
            .to_string(),
    ];
    text.extend(
        report
            .claims
            .iter()
            .map(|claim| format!("{}.", claim.verdict())),
    );
    text
}

impl Claim {
    /// One line: the claim, where, the gap with its standard error, the speed-up and whether it
    /// holds.
    pub fn verdict(&self) -> String {
        format!(
            "{} — {}: {} vs {}: {:+.2} ± {:.2} dB, {:.1}× the speed: {}{}",
            self.claim,
            self.physics,
            self.challenger,
            self.reference,
            self.psnr_gap,
            self.psnr_gap_stderr,
            self.speedup,
            if self.holds { "holds" } else { "does not hold" },
            if self.at_paper_budgets {
                ""
            } else {
                " (not at the papers' budgets)"
            }
        )
    }
}
