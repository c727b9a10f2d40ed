//! No written result holds a NaN or an infinity: a non-finite number in a report or an output
//! array is a failed run ([`SolverError::NonFiniteResult`], exit code 1 in the CLI), never a
//! number, and never the `null` that `serde_json` silently writes for one.
//!
//! [`check`] walks any `Serialize` value (a report about to become `metrics.json`, a training
//! history) with a serializer that writes nothing and stops at the first non-finite float, naming
//! it by its path in the value (`methods[2].reconstruction_max_abs_error`). [`check_array`] does
//! the same for an array about to be written. The one non-finite number a report may hold is the
//! PSNR of an exact reconstruction, +∞ dB; a field that can be one says so with
//! `#[serde(serialize_with = "inversa::report::finite::decibels")]`, which writes it as the
//! string `"inf"`.
//!
//! ```
//! #[derive(serde::Serialize)]
//! struct Report { psnr: f64, errors: Vec<f64> }
//! let good = Report { psnr: 30.0, errors: vec![0.1, 0.2] };
//! assert!(inversa::report::finite::check(&good, "metrics.json").is_ok());
//! let bad = Report { psnr: 30.0, errors: vec![0.1, f64::NAN] };
//! let message = inversa::report::finite::check(&bad, "metrics.json").unwrap_err().to_string();
//! assert!(message.contains("metrics.json: errors[1] is NaN"), "{message}");
//! ```

use crate::error::{Error, Result};
use crate::solvers::SolverError;
use serde::ser::{self, Serialize, Serializer};
use std::fmt::Display;

/// Fails naming `file` and the path of the first NaN or infinity inside `value`.
pub fn check<T: Serialize + ?Sized>(value: &T, file: &str) -> Result<()> {
    let mut walker = Walker { path: Vec::new() };
    match value.serialize(&mut walker) {
        Ok(()) => Ok(()),
        Err(Found::NonFinite { path, value }) => Err(non_finite(format!("{file}: {path}"), value)),
        // A value that cannot be serialised fails again, with its own message, when it is written.
        Err(Found::Other(_)) => Ok(()),
    }
}

/// Fails naming `what` (e.g. `reconstruction.npy`) and the index of the first NaN or infinity in
/// `data`.
pub fn check_array<T: Copy + Into<f64>>(data: &[T], what: &str) -> Result<()> {
    match data.iter().position(|v| !(*v).into().is_finite()) {
        None => Ok(()),
        Some(i) => Err(non_finite(format!("{what}: element {i}"), data[i].into())),
    }
}

/// The error for a non-finite `value` at `what`.
pub fn non_finite(what: String, value: f64) -> Error {
    Error::Solver(SolverError::NonFiniteResult { what, value })
}

/// Serialises a PSNR in dB: +∞ (an exact reconstruction) as the string `"inf"`, any other value
/// as a number (so that a NaN or −∞ is still refused by [`check`]).
pub fn decibels<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    if *value == f64::INFINITY {
        serializer.serialize_str("inf")
    } else {
        serializer.serialize_f64(*value)
    }
}

/// A PSNR in dB that serialises like [`decibels`], for lists of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Decibels(pub f64);

impl Serialize for Decibels {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        decibels(&self.0, serializer)
    }
}

/// The largest of `values`, NaN if any is NaN (`f64::max` skips NaNs, which would report the
/// largest error of a reconstruction full of NaNs as 0); `f64::NEG_INFINITY` when empty.
///
/// ```
/// use inversa::report::finite::max_propagating_nan;
/// assert_eq!(max_propagating_nan([1.0, 3.0, 2.0]), 3.0);
/// assert!(max_propagating_nan([1.0, f64::NAN, 2.0]).is_nan());
/// assert!(f64::NAN.max(1.0) == 1.0, "what the plain fold does");
/// ```
pub fn max_propagating_nan(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(f64::NEG_INFINITY, |m, v| {
        if m.is_nan() || v.is_nan() {
            f64::NAN
        } else {
            m.max(v)
        }
    })
}

/// Why the walk stopped.
#[derive(Debug)]
enum Found {
    NonFinite { path: String, value: f64 },
    Other(String),
}

impl Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Found::NonFinite { path, value } => write!(f, "{path} is {value}"),
            Found::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Found {}

impl ser::Error for Found {
    fn custom<T: Display>(message: T) -> Self {
        Found::Other(message.to_string())
    }
}

/// A serializer that writes nothing and remembers where it is.
struct Walker {
    path: Vec<String>,
}

impl Walker {
    fn float(&self, value: f64) -> Result<(), Found> {
        if value.is_finite() {
            return Ok(());
        }
        let mut path = String::new();
        for part in &self.path {
            if !part.starts_with('[') && !path.is_empty() {
                path.push('.');
            }
            path.push_str(part);
        }
        Err(Found::NonFinite {
            path: if path.is_empty() {
                "the value".into()
            } else {
                path
            },
            value,
        })
    }

    fn nested<T: Serialize + ?Sized>(&mut self, part: String, value: &T) -> Result<(), Found> {
        self.path.push(part);
        let result = value.serialize(&mut *self);
        self.path.pop();
        result
    }
}

/// A sequence, tuple, map or struct being walked: the index of its next element, or the key of
/// the next map value.
struct Compound<'a> {
    walker: &'a mut Walker,
    index: usize,
    key: String,
}

impl<'a> Compound<'a> {
    fn new(walker: &'a mut Walker) -> Self {
        Self {
            walker,
            index: 0,
            key: String::new(),
        }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        let part = format!("[{}]", self.index);
        self.index += 1;
        self.walker.nested(part, value)
    }
}

macro_rules! accept {
    ($($method:ident($($ty:ty),*)),* $(,)?) => {
        $(fn $method(self, $(_: $ty),*) -> Result<(), Found> { Ok(()) })*
    };
}

impl<'a> Serializer for &'a mut Walker {
    type Ok = ();
    type Error = Found;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    accept!(
        serialize_bool(bool),
        serialize_i8(i8),
        serialize_i16(i16),
        serialize_i32(i32),
        serialize_i64(i64),
        serialize_i128(i128),
        serialize_u8(u8),
        serialize_u16(u16),
        serialize_u32(u32),
        serialize_u64(u64),
        serialize_u128(u128),
        serialize_char(char),
        serialize_str(&str),
        serialize_bytes(&[u8]),
        serialize_none(),
        serialize_unit(),
        serialize_unit_struct(&'static str),
        serialize_unit_variant(&'static str, u32, &'static str),
    );

    fn serialize_f32(self, value: f32) -> Result<(), Found> {
        self.float(value.into())
    }

    fn serialize_f64(self, value: f64) -> Result<(), Found> {
        self.float(value)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Found> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        self.nested(variant.to_string(), value)
    }

    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }

    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }

    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }

    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }

    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Compound<'a>, Found> {
        Ok(Compound::new(self))
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        self.element(value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Found> {
        self.key = match serde_json::to_value(key) {
            Ok(serde_json::Value::String(text)) => text,
            Ok(other) => other.to_string(),
            Err(_) => "?".into(),
        };
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Found> {
        let key = std::mem::take(&mut self.key);
        self.walker.nested(key, value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        self.walker.nested(key.to_string(), value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Found;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Found> {
        self.walker.nested(key.to_string(), value)
    }
    fn end(self) -> Result<(), Found> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(serde::Serialize)]
    struct Row {
        name: String,
        error: f64,
        extra: Option<f32>,
    }

    #[derive(serde::Serialize)]
    struct Report {
        rows: Vec<Row>,
        by_name: BTreeMap<String, (u32, f64)>,
        #[serde(serialize_with = "decibels")]
        psnr: f64,
    }

    fn report() -> Report {
        Report {
            rows: vec![
                Row {
                    name: "a".into(),
                    error: 0.5,
                    extra: None,
                },
                Row {
                    name: "b".into(),
                    error: 1.5,
                    extra: Some(2.0),
                },
            ],
            by_name: BTreeMap::from([("x".to_string(), (1, 0.25))]),
            psnr: f64::INFINITY,
        }
    }

    fn message(report: &Report) -> String {
        check(report, "metrics.json").unwrap_err().to_string()
    }

    #[test]
    fn every_non_finite_float_is_found_by_its_path() {
        assert!(
            check(&report(), "metrics.json").is_ok(),
            "+inf dB is allowed"
        );
        let mut r = report();
        r.rows[1].error = f64::NAN;
        assert!(message(&r).contains("metrics.json: rows[1].error is NaN"));
        let mut r = report();
        r.rows[0].extra = Some(f32::NEG_INFINITY);
        assert!(message(&r).contains("rows[0].extra is -inf"));
        let mut r = report();
        r.by_name.insert("y".into(), (2, f64::INFINITY));
        assert!(message(&r).contains("by_name.y[1] is inf"));
        let mut r = report();
        r.psnr = f64::NAN;
        assert!(message(&r).contains("psnr is NaN"));
    }

    #[test]
    fn a_non_finite_result_is_a_failed_run_not_bad_input() {
        let mut r = report();
        r.rows[0].error = f64::NAN;
        assert!(matches!(
            check(&r, "metrics.json"),
            Err(Error::Solver(SolverError::NonFiniteResult { .. }))
        ));
        let error = check_array(&[0.0f32, 1.0, f32::INFINITY], "latent.npy").unwrap_err();
        assert!(error.to_string().contains("latent.npy: element 2 is inf"));
        assert!(check_array(&[0.0f64, -1e300], "x.npy").is_ok());
    }

    #[test]
    fn the_maximum_propagates_nan() {
        assert!(max_propagating_nan([f64::NAN, 1.0]).is_nan());
        assert!(max_propagating_nan([1.0, f64::NAN]).is_nan());
        assert_eq!(max_propagating_nan([-1.0, -3.0]), -1.0);
        assert_eq!(max_propagating_nan([]), f64::NEG_INFINITY);
    }
}
