//! The classifiers that gradient-inversion attacks target, each with a cross-entropy parameter
//! gradient written as an explicit expression of its input ([`ExplicitGradient`]), exact to
//! differentiate once more: DLG's [`lenet`], and through [`explicit_network`] the [`convnet`],
//! the [`resnet`] and the trained [`digit_recognizer`].

pub mod convnet;
pub mod digit_recognizer;
pub mod explicit_network;
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
