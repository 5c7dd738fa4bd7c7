//! Reading Dockerfiles from disk (or the standard input, named `-`) with errors that say what
//! went wrong and where.

use std::io::Read;
use std::path::Path;

use crate::Failure;

/// Whether `path` names the standard input (`-`, as `docker build -f -` names it).
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a file is named in messages and reports: `<stdin>` for `-`.
pub(crate) fn shown(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// Reads `path` (or the standard input, for `-`) as UTF-8 text; a directory, a missing file or
/// invalid UTF-8 is a clear error.
pub(crate) fn read(path: &Path) -> Result<String, Failure> {
    let shown = shown(path);
    let bytes = if is_stdin(path) {
        read_stdin()?
    } else {
        if path.is_dir() {
            return Err(Failure::Io(format!("{shown}: is a directory; pass the path of a Dockerfile")));
        }
        std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Failure::Io(format!("{shown}: no such file")),
            std::io::ErrorKind::PermissionDenied => Failure::Io(format!("{shown}: permission denied")),
            _ => Failure::Io(format!("{shown}: cannot read: {e}")),
        })?
    };
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let col = at - bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1) + 1;
        Failure::Io(format!(
            "{shown}:{line}:{col}: not valid UTF-8 (byte 0x{:02x}); stagecraft reads UTF-8 Dockerfiles, convert the file first",
            bytes[at]
        ))
    })
}

/// The whole standard input (`args` refuses `-` given twice).
fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(|e| Failure::Io(format!("<stdin>: cannot read: {e}")))?;
    Ok(bytes)
}
