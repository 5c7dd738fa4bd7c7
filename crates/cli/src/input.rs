//! Reading Dockerfiles from disk (or the standard input, named `-`) with errors that say what
//! went wrong and where.

use std::io::Read;
use std::path::Path;

use crate::Failure;

/// Whether `path` names the standard input (`-`, as `docker build -f -` names it).
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a file is named in the reports that are data (JSON, SARIF, GitHub annotations, which
/// escape what they need to): its path, `<stdin>` for `-`.
pub(crate) fn name(path: &Path) -> String {
    if is_stdin(path) {
        "<stdin>".to_string()
    } else {
        path.display().to_string()
    }
}

/// A file's name as bytes, as the system has them ([`name`] for the standard input; elsewhere
/// than Unix, [`name`]'s, which may have U+FFFD where the name is not Unicode).
pub(crate) fn name_bytes(path: &Path) -> Vec<u8> {
    #[cfg(unix)]
    if !is_stdin(path) {
        use std::os::unix::ffi::OsStrExt;
        return path.as_os_str().as_bytes().to_vec();
    }
    name(path).into_bytes()
}

/// How a file is named in messages and reports meant to be read: [`name`], with a line break or
/// tab in it shown as `␊` or `␉` (what prints it shows the other control characters, see
/// `output::visible`): a name is one line, and a file named `x\n::error::y` must not start a
/// line of a CI log that the CI reads as a command of its own.
pub(crate) fn shown(path: &Path) -> String {
    let name = name(path);
    if !name.contains(['\n', '\t']) {
        return name;
    }
    name.replace('\n', "\u{240a}").replace('\t', "\u{2409}")
}

/// Reads `path` (or the standard input, for `-`) as UTF-8 text; a directory, a missing file or
/// invalid UTF-8 is a clear error. For the commands that write the file or a diff of it, where
/// a byte read as another character would be written back changed.
pub(crate) fn read(path: &Path) -> Result<String, Failure> {
    read_keeping_bytes(path).map_err(|(failure, _)| failure)
}

/// [`read`], with the bytes read when they are no UTF-8 (or UTF-16) text: a filter prints them
/// back as they were.
pub(crate) fn read_keeping_bytes(path: &Path) -> Result<String, (Failure, Vec<u8>)> {
    let bytes = read_raw(path).map_err(|e| (e, Vec::new()))?;
    if let Err(e) = utf16_check(path, &bytes) {
        return Err((e, bytes));
    }
    String::from_utf8(bytes).map_err(|e| {
        let message = format!(
            "{}; stagecraft changes UTF-8 Dockerfiles only, convert the file first",
            not_utf8(path, e.as_bytes(), e.utf8_error())
        );
        (Failure::Io(message), e.into_bytes())
    })
}

/// Where a file [`read_lossy`] read was not UTF-8 (its first such byte, the column in
/// characters), and what was said about it.
pub(crate) struct NotUtf8 {
    pub line: usize,
    pub column: usize,
    /// The warning, without the file's name and position.
    pub message: String,
}

/// Reads `path` as [`read`] does, for the commands that only read it: bytes that are not UTF-8
/// (a comment saved in Latin-1, which BuildKit builds, since it reads bytes) are read as
/// U+FFFD each, with a warning on stderr, which is also returned (`check` puts it in its
/// reports).
pub(crate) fn read_lossy(path: &Path) -> Result<(String, Option<NotUtf8>), Failure> {
    match String::from_utf8(read_bytes(path)?) {
        Ok(text) => Ok((text, None)),
        Err(e) => {
            let (line, column, what) = first_bad_byte(e.as_bytes(), e.utf8_error());
            let message = format!(
                "{what}; each such byte is read as U+FFFD (BuildKit reads the bytes: the same in a comment, not in a name or path); save the file as UTF-8 (`fmt`, `rename` and `check --fix` refuse it until then)"
            );
            crate::output::errln!("stagecraft: warning: {}:{line}:{column}: {message}", shown(path));
            Ok((lossy(e.as_bytes()), Some(NotUtf8 { line, column, message })))
        }
    }
}

/// `bytes` as text, each byte that is not part of a UTF-8 character one U+FFFD (as many as an
/// editor showing the file in a one-byte encoding has characters there; `String::from_utf8_lossy`
/// makes one of a whole malformed sequence).
fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 16);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('\u{fffd}', chunk.invalid().len()));
    }
    out
}

/// "FILE:LINE:COLUMN: not valid UTF-8 (byte 0x..)", where the first bad byte is.
fn not_utf8(path: &Path, bytes: &[u8], e: std::str::Utf8Error) -> String {
    let (line, col, what) = first_bad_byte(bytes, e);
    format!("{}:{line}:{col}: {what}", shown(path))
}

/// The line and column of the first byte that is not UTF-8 (the column in characters, as
/// findings count it; all before it is UTF-8), and what it is: "not valid UTF-8 (byte 0x..)".
fn first_bad_byte(bytes: &[u8], e: std::str::Utf8Error) -> (usize, usize, String) {
    let at = e.valid_up_to();
    let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = bytes[..at].iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let mut col = std::str::from_utf8(&bytes[line_start..at]).map_or(0, |s| s.chars().count()) + 1;
    // A byte-order mark is no column (findings do not count it either).
    if line_start == 0 && bytes.starts_with("\u{feff}".as_bytes()) {
        col -= 1;
    }
    (line, col, format!("not valid UTF-8 (byte 0x{:02x})", bytes[at]))
}

/// The file's bytes; a UTF-16 file (Windows PowerShell's `>` writes one) is refused: read as
/// UTF-8 it is noise, and BuildKit cannot read it either.
fn read_bytes(path: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = read_raw(path)?;
    utf16_check(path, &bytes)?;
    Ok(bytes)
}

/// UTF-16 text (a byte-order mark says so) is refused with what to do.
fn utf16_check(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if let Some(bom) = [[0xff, 0xfe], [0xfe, 0xff]].iter().find(|bom| bytes.starts_with(&bom[..])) {
        return Err(Failure::Io(format!(
            "{}: UTF-16 text (it starts with the byte-order mark {:02X} {:02X}); save the file as UTF-8, which BuildKit reads",
            shown(path),
            bom[0],
            bom[1]
        )));
    }
    Ok(())
}

fn read_raw(path: &Path) -> Result<Vec<u8>, Failure> {
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
    Ok(bytes)
}

/// The whole standard input (`args` refuses `-` given twice).
fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::io::stdin().read_to_end(&mut bytes).map_err(|e| Failure::Io(format!("<stdin>: cannot read: {e}")))?;
    Ok(bytes)
}

/// Replaces the file at `path` with `contents` so that a failed write (a full disk, a signal)
/// leaves the old text whole: on Unix, the text goes to a new file beside it, made with its
/// permissions, owner and group, which then takes the old one's place; a symbolic link's target
/// is the one replaced. Where that cannot be done as the file was, the file is written in place,
/// as before: it has other hard links (they stay one file), its owner or group cannot be given
/// to the new file (another user's file in a shared directory), its directory takes no new file,
/// it is mounted on its own (a container's bind mount), or its name is too long for the new
/// file's. (Elsewhere than on Unix, always in place.)
pub(crate) fn write_whole(path: &Path, contents: &str) -> std::io::Result<()> {
    // Refused where writing the file itself would be (a read-only file stays unwritten, though
    // its directory would let a new file take its place).
    drop(std::fs::OpenOptions::new().write(true).open(path)?);
    #[cfg(unix)]
    if replaced_whole(path, contents)? {
        return Ok(());
    }
    std::fs::write(path, contents)
}

/// [`write_whole`]'s new file taking the old one's place: `Ok(false)` where it cannot be done as
/// the file was (nothing is changed then), an error only where the text could not be written.
#[cfg(unix)]
fn replaced_whole(path: &Path, contents: &str) -> std::io::Result<bool> {
    use std::io::Write;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let Ok(path) = std::fs::canonicalize(path) else { return Ok(false) };
    let meta = std::fs::metadata(&path)?;
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else { return Ok(false) };
    if meta.nlink() > 1 {
        return Ok(false);
    }
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".stagecraft-{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    // Made with the file's mode (less the umask, then set exactly): its text is never readable
    // by more than the file's.
    let mode = meta.permissions().mode() & 0o7777;
    let Ok(mut file) = std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(&temp) else {
        return Ok(false);
    };
    let mine = file.metadata().map(|m| (m.uid(), m.gid()));
    let kept = mine.is_ok_and(|m| m == (meta.uid(), meta.gid()))
        || std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid())).is_ok();
    let written = (|| {
        if !kept {
            return Ok(false);
        }
        file.set_permissions(meta.permissions())?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        Ok(std::fs::rename(&temp, &path).is_ok())
    })();
    if !matches!(written, Ok(true)) {
        let _ = std::fs::remove_file(&temp);
    }
    written
}
