//! Privacy audits: what an honest-but-curious server can rebuild from the updates a federated
//! client sends. [`lenet`] is DLG's model with an explicit, twice-differentiable parameter
//! gradient; [`idlg`] reads the label off the last layer's gradient; [`dlg`] matches gradients
//! with L-BFGS; [`inverting_gradients`] matches their direction with a TV prior;
//! [`dropout_inversion`] also recovers the dropout masks a client trained with;
//! [`fedavg`] simulates clients that take several local steps and inverts their updates;
//! [`batch_matching`] pairs a batch's reconstructions with its originals before scoring.
//! [`explicit_network`] gives other classifiers (the [`convnet`], the [`resnet`], the trained
//! [`digit_recognizer`]) the same explicit gradient, so every attack takes any
//! [`ExplicitGradient`] model.
//!
//! Model inversion rebuilds what a trained classifier learned of a private class from its
//! weights alone, with a GAN trained on public images as the prior ([`gan`]): [`gmi`] searches the
//! generator's latent space, [`if_gmi`] then its intermediate features inside ℓ1 balls
//! ([`l1_ball`]).

pub mod batch_matching;
pub mod convnet;
pub mod digit_recognizer;
pub mod dlg;
pub mod dropout_inversion;
pub mod explicit_network;
pub mod fedavg;
pub mod gan;
pub mod gmi;
pub mod idlg;
pub mod if_gmi;
pub mod inverting_gradients;
pub mod l1_ball;
pub mod lenet;
pub mod resnet;

use candle_core::{Result, Tensor};

/// A classifier whose cross-entropy parameter gradient is an explicit expression of its input,
/// exact to differentiate once more (what gradient matching needs; see [`lenet`]). The last two
/// parameters are the final fully connected layer's weight and bias (iDLG reads the label there).
pub trait ExplicitGradient {
    /// The parameter tensors, in a fixed order.
    fn parameters(&self) -> &[Tensor];

    /// Class logits `[B, classes]` of images `x`.
    fn logits(&self, x: &Tensor) -> Result<Tensor>;

    /// Features per image where the client's dropout acts, for images of shape `image`
    /// (`[C, H, W]`); the dropout multiplier is `[B, features]`.
    fn dropout_features(&self, image: &[usize]) -> Result<usize>;

    /// `∂ loss(x, p)/∂θ` at `parameters` (shaped like [`Self::parameters`]) for target
    /// distributions `p` (`[B, classes]`), with the `dropout` multiplier when given.
    fn gradients_at(
        &self,
        parameters: &[Tensor],
        x: &Tensor,
        p: &Tensor,
        dropout: Option<&Tensor>,
    ) -> Result<Vec<Tensor>>;

    /// [`Self::gradients_at`] the model's own parameters.
    fn gradients(&self, x: &Tensor, p: &Tensor, dropout: Option<&Tensor>) -> Result<Vec<Tensor>> {
        self.gradients_at(self.parameters(), x, p, dropout)
    }
}
