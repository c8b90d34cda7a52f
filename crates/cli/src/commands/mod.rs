pub mod adjudicate;
pub mod bench;
pub mod demo;
pub mod import;
pub mod serve;
pub mod stats;
pub mod synth;
