//! Learned solvers: deep conjugate directions ([`deep_cd`]).

pub mod deep_cd;
