//! The integration tests of `inversa-cli`, one module per file, built as one test binary: linking each
//! file as a binary of its own against the whole dependency tree (48 of them in the workspace)
//! was most of CI's build time.

mod cli;
mod every_command;
mod house;
