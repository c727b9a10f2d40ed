//! One file per `inversa` command: it parses the command's arguments, calls one library function
//! and writes what it returns.

pub mod attack;
pub mod attack_model;
pub mod bench;
pub mod demo;
pub mod diffusion_priors_experiment;
pub mod edit;
pub mod editing_experiment;
pub mod experiment;
pub mod experiment_output;
pub mod fashion_inversion;
pub mod fl;
pub mod invert;
pub mod list;
pub mod pde_experiments;
pub mod run;
pub mod sample;
pub mod sequence_experiments;
pub mod solve_sequence;
pub mod train;
