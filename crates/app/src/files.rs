//! Files the server writes beside the database, readable by its own user only: directories
//! 0700, files 0600 (DESIGN.md: secrets and data never readable by other local users).

use std::fs::File;
use std::path::Path;

use crate::{Error, Result};

fn io(path: &Path, what: &str, e: std::io::Error) -> Error {
    Error::Internal(format!("{what} {}: {e}", path.display()))
}

/// Creates `dir` (and its parents) if needed and makes it 0700.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, "creating", e))?;
    restrict(dir, 0o700)
}

/// Opens `path` for appending, creating it 0600.
pub fn open_private_append(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let f = options.open(path).map_err(|e| io(path, "opening", e))?;
    restrict(path, 0o600)?;
    Ok(f)
}

/// Creates `path` 0600 if it does not exist, and makes it 0600 if it does (files written by
/// earlier versions with the default umask).
pub fn ensure_private_file(path: &Path) -> Result<()> {
    drop(open_private_append(path)?);
    Ok(())
}

/// Sets the permission bits of an existing path (a no-op off Unix).
pub fn restrict(path: &Path, mode: u32) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| io(path, "restricting", e))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_directories_are_the_owners_only() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a").join("b");
        create_private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("f");
        std::fs::write(&file, b"x").unwrap();
        restrict(&file, 0o644).unwrap();
        ensure_private_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"x", "kept its content");
    }
}
