//! What the benchmark programs share; the server and its commands are the `minhbach` binary.

pub mod loadgen;
