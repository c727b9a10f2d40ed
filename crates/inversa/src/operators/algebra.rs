//! Operator algebra: composition `A B`, sum `A + B`, scaling `c A`, and vertical stacking `[A; B]`.

use super::LinearOperator;
use crate::real::Real;

/// `A ∘ B`: first `inner`, then `outer`.
pub struct Composed<T: Real> {
    outer: Box<dyn LinearOperator<T>>,
    inner: Box<dyn LinearOperator<T>>,
}

impl<T: Real> Composed<T> {
    /// Composes `outer ∘ inner`; the inner output length must equal the outer input length.
    pub fn new(
        outer: Box<dyn LinearOperator<T>>,
        inner: Box<dyn LinearOperator<T>>,
    ) -> crate::Result<Self> {
        if outer.input_len() != inner.output_len() {
            return Err(crate::Error::Shape(format!(
                "cannot compose: inner output {:?} does not fit outer input {:?}",
                inner.output_shape(),
                outer.input_shape()
            )));
        }
        Ok(Self { outer, inner })
    }
}

impl<T: Real> LinearOperator<T> for Composed<T> {
    fn input_shape(&self) -> &[usize] {
        self.inner.input_shape()
    }
    fn output_shape(&self) -> &[usize] {
        self.outer.output_shape()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        let middle = self.inner.apply_new(x);
        self.outer.apply(&middle, y);
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        let middle = self.outer.adjoint_new(y);
        self.inner.adjoint(&middle, x);
    }
}

/// `A + B` for operators with equal shapes.
pub struct Summed<T: Real> {
    first: Box<dyn LinearOperator<T>>,
    second: Box<dyn LinearOperator<T>>,
}

impl<T: Real> Summed<T> {
    /// Adds two operators with identical input and output shapes.
    pub fn new(
        first: Box<dyn LinearOperator<T>>,
        second: Box<dyn LinearOperator<T>>,
    ) -> crate::Result<Self> {
        if first.input_shape() != second.input_shape()
            || first.output_shape() != second.output_shape()
        {
            return Err(crate::Error::Shape(format!(
                "cannot add operators {:?}->{:?} and {:?}->{:?}",
                first.input_shape(),
                first.output_shape(),
                second.input_shape(),
                second.output_shape()
            )));
        }
        Ok(Self { first, second })
    }
}

impl<T: Real> LinearOperator<T> for Summed<T> {
    fn input_shape(&self) -> &[usize] {
        self.first.input_shape()
    }
    fn output_shape(&self) -> &[usize] {
        self.first.output_shape()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        self.first.apply(x, y);
        let extra = self.second.apply_new(x);
        y.iter_mut().zip(extra).for_each(|(a, b)| *a = *a + b);
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        self.first.adjoint(y, x);
        let extra = self.second.adjoint_new(y);
        x.iter_mut().zip(extra).for_each(|(a, b)| *a = *a + b);
    }
}

/// `c A` for a real scalar `c`.
pub struct Scaled<T: Real> {
    scale: T,
    operator: Box<dyn LinearOperator<T>>,
}

impl<T: Real> Scaled<T> {
    /// Multiplies `operator` by `scale`.
    pub fn new(scale: T, operator: Box<dyn LinearOperator<T>>) -> Self {
        Self { scale, operator }
    }
}

impl<T: Real> LinearOperator<T> for Scaled<T> {
    fn input_shape(&self) -> &[usize] {
        self.operator.input_shape()
    }
    fn output_shape(&self) -> &[usize] {
        self.operator.output_shape()
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        self.operator.apply(x, y);
        y.iter_mut().for_each(|v| *v = *v * self.scale);
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        self.operator.adjoint(y, x);
        x.iter_mut().for_each(|v| *v = *v * self.scale);
    }
}

/// `[A₁; A₂; …]`: one input, the outputs concatenated into a flat vector.
pub struct Stacked<T: Real> {
    parts: Vec<Box<dyn LinearOperator<T>>>,
    output_shape: Vec<usize>,
}

impl<T: Real> Stacked<T> {
    /// Stacks operators that share an input shape.
    pub fn new(parts: Vec<Box<dyn LinearOperator<T>>>) -> crate::Result<Self> {
        let Some(first) = parts.first() else {
            return Err(crate::Error::Shape("cannot stack zero operators".into()));
        };
        if let Some(bad) = parts
            .iter()
            .find(|p| p.input_shape() != first.input_shape())
        {
            return Err(crate::Error::Shape(format!(
                "cannot stack operators with inputs {:?} and {:?}",
                first.input_shape(),
                bad.input_shape()
            )));
        }
        let output_shape = vec![parts.iter().map(|p| p.output_len()).sum()];
        Ok(Self {
            parts,
            output_shape,
        })
    }
}

impl<T: Real> LinearOperator<T> for Stacked<T> {
    fn input_shape(&self) -> &[usize] {
        self.parts[0].input_shape()
    }
    fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
    fn apply(&self, x: &[T], y: &mut [T]) {
        let mut rest = y;
        for part in &self.parts {
            let (head, tail) = rest.split_at_mut(part.output_len());
            part.apply(x, head);
            rest = tail;
        }
    }
    fn adjoint(&self, y: &[T], x: &mut [T]) {
        x.iter_mut().for_each(|v| *v = T::zero());
        let mut scratch = vec![T::zero(); x.len()];
        let mut offset = 0;
        for part in &self.parts {
            let len = part.output_len();
            part.adjoint(&y[offset..offset + len], &mut scratch);
            x.iter_mut().zip(&scratch).for_each(|(a, b)| *a = *a + *b);
            offset += len;
        }
    }
}
