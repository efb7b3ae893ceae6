//! The application layer of minhbach: what the product does, for `web` and the command line
//! alike. Operations take typed input and return app-level types; nothing here knows HTTP,
//! templates or translations (see `docs/architecture.md`).
//!
//! Moved here so far: the clock, the legal data in force and the deadline clocks it plans, the
//! key decisions, the admin operations, the scheduler, mail and the free-space monitor. The
//! case operations and sessions (still `web/src/service.rs`) follow.

pub mod admin;
pub mod clock;
pub mod clocks;
pub mod error;
pub mod intake;
pub mod keys;
pub mod lang;
pub mod legal;
pub mod mail;
pub mod scheduler;
pub mod space;
pub mod state;
pub mod throttle;

pub use error::{Error, Result};
pub use lang::Lang;
pub use state::{App, AppSettings};
