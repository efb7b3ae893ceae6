//! The application layer of minhbach: what the product does, for `web` and the command line
//! alike. Operations take typed input and return app-level types; nothing here knows HTTP,
//! templates or translations (see `docs/architecture.md`).

pub mod access;
pub mod accounts;
pub mod admin;
pub mod audit;
pub mod casework;
pub mod clock;
pub mod clocks;
pub mod conflicts;
pub mod demo;
pub mod error;
pub mod evidence;
pub mod feedback;
pub mod files;
pub mod identity;
pub mod intake;
pub mod keys;
pub mod lang;
pub mod legal;
pub mod mail;
pub mod partners;
pub mod protection;
pub mod regulations;
pub mod reporter;
pub mod retention;
pub mod scheduler;
pub mod sessions;
pub mod space;
pub mod state;
pub mod statistics;
pub mod throttle;

pub use error::{Error, Result};
pub use lang::Lang;
pub use state::{App, AppSettings};
