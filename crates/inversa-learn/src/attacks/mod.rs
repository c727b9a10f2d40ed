//! Privacy audits: what an honest-but-curious server can rebuild from the updates a federated
//! client sends, from any classifier with an explicit, twice-differentiable parameter gradient
//! ([`crate::models::victims`]): [`idlg`] reads the label off the last layer's gradient; [`dlg`] matches gradients
//! with L-BFGS; [`inverting_gradients`] matches their direction with a TV prior;
//! [`dropout_inversion`] also recovers the dropout masks a client trained with;
//! [`fedavg`] simulates clients that take several local steps and inverts their updates;
//! [`batch_matching`] pairs a batch's reconstructions with its originals before scoring.
//!
//! Model inversion rebuilds what a trained classifier learned of a private class from its
//! weights alone, with a GAN trained on public images as the prior ([`crate::models::gan`]): [`gmi`] searches the
//! generator's latent space, [`if_gmi`] then its intermediate features inside ℓ1 balls
//! ([`l1_ball`]).

pub mod batch_matching;
pub mod dlg;
pub mod dropout_inversion;
pub mod fedavg;
pub mod gmi;
pub mod idlg;
pub mod if_gmi;
pub mod inverting_gradients;
pub mod l1_ball;
