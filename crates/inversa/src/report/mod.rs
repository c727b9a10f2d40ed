//! What a run shows a person: the convergence plot, the HTML report, and the output folder.

pub mod html;
pub mod outputs;
pub mod plot;
