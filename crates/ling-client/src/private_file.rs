//! Files only this user can read (settings, a token without a keychain,
//! cached thumbnails), written whole or not at all. Its own module so that
//! `profile` and `tokens`, which both write such files, need not import each
//! other.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::error::{ClientResult, io_error};

/// Writes a file only this user can read, via a temporary file and a rename.
pub(crate) fn write_private_atomic(path: &Path, bytes: &[u8]) -> ClientResult<()> {
    let tmp = path.with_extension("tmp");
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write = || -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    };
    write().map_err(|e| io_error("writing", path, e))
}
