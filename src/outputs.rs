//! The command line's files (not part of the library): every input and
//! output path is resolved before anything is read, so that no output
//! replaces an input or another output; regular files are written through a
//! unique temp file in their folder and renamed into place; and no temp file
//! (nor any output of an interrupted run) survives a signal.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What the command line writes, and where the paths came from.
#[derive(Debug)]
pub(crate) struct Output {
    /// How messages name it, e.g. `--report out.json`.
    label: String,
    /// The path as given, or `standard output`.
    shown: String,
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    /// `-`: standard output.
    Stdout,
    /// A device or FIFO: written directly, never replaced.
    Special(PathBuf),
    /// A regular file, existing or not (symlinks resolved): replaced
    /// through a temp file.
    File(PathBuf),
}

/// A path as found on disk.
struct Found {
    label: String,
    /// Symlinks resolved; for a missing file, its canonical folder joined
    /// with its name.
    real: Option<PathBuf>,
    #[cfg(unix)]
    dev_ino: Option<(u64, u64)>,
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Missing,
    Regular,
    Directory,
    /// A character device such as /dev/null: any number of paths may name it.
    CharDevice,
    /// A FIFO, socket or block device.
    OtherSpecial,
}

impl Found {
    fn same_file(&self, other: &Found) -> bool {
        if self.kind == Kind::CharDevice || other.kind == Kind::CharDevice {
            return false;
        }
        #[cfg(unix)]
        if let (Some(a), Some(b)) = (self.dev_ino, other.dev_ino) {
            return a == b;
        }
        matches!((&self.real, &other.real), (Some(a), Some(b)) if a == b)
    }
}

fn kind_of(meta: &fs::Metadata) -> Kind {
    let t = meta.file_type();
    if t.is_file() {
        Kind::Regular
    } else if t.is_dir() {
        Kind::Directory
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if t.is_char_device() {
                return Kind::CharDevice;
            }
        }
        Kind::OtherSpecial
    }
}

#[cfg(unix)]
fn dev_ino(meta: &fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

/// Resolves `path` (following symlinks); a missing file is placed in its
/// canonical folder, which must exist.
fn find(label: String, path: &Path) -> Result<Found, String> {
    match fs::metadata(path) {
        Ok(meta) => Ok(Found {
            label,
            real: fs::canonicalize(path).ok(),
            #[cfg(unix)]
            dev_ino: dev_ino(&meta),
            kind: kind_of(&meta),
        }),
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            let name = path
                .file_name()
                .ok_or_else(|| format!("{label}: expected a file path"))?;
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let folder = fs::canonicalize(parent)
                .map_err(|e| format!("{label}: cannot use the folder {}: {e}", parent.display()))?;
            Ok(Found {
                label,
                real: Some(folder.join(name)),
                #[cfg(unix)]
                dev_ino: None,
                kind: Kind::Missing,
            })
        }
        Err(err) => Err(format!("{label}: {err}")),
    }
}

/// A standard stream as a file, when it is redirected to one.
#[cfg(unix)]
fn find_stream(label: &str, fd: std::os::fd::BorrowedFd<'_>) -> Option<Found> {
    let file = File::from(fd.try_clone_to_owned().ok()?);
    let meta = file.metadata().ok()?;
    Some(Found {
        label: label.to_string(),
        real: None,
        dev_ino: dev_ino(&meta),
        kind: kind_of(&meta),
    })
}

/// The paths of one command, checked together by [`Paths::check`].
#[derive(Default)]
pub(crate) struct Paths {
    inputs: Vec<(String, PathBuf)>,
    stdin_is_input: bool,
    outputs: Vec<(String, PathBuf)>,
}

impl Paths {
    /// An input: `label` names it in messages (e.g. `the input users.csv`).
    pub(crate) fn input(&mut self, label: String, path: &Path) {
        if path.as_os_str() == "-" {
            self.stdin_is_input = true;
        } else {
            self.inputs.push((label, path.to_path_buf()));
        }
    }

    /// An output; `-` is standard output.
    pub(crate) fn output(&mut self, label: String, path: &Path) {
        self.outputs.push((label, path.to_path_buf()));
    }

    /// Resolves every path and refuses an output that is an input, another
    /// output or a folder. Returns the outputs in the order given.
    pub(crate) fn check(self) -> Result<Vec<Output>, String> {
        let stdout_uses: Vec<&String> = self
            .outputs
            .iter()
            .filter(|(_, p)| p.as_os_str() == "-")
            .map(|(label, _)| label)
            .collect();
        if let [first, second, ..] = stdout_uses.as_slice() {
            return Err(format!(
                "{first} and {second} both ask for standard output: only one output can go there"
            ));
        }
        let mut inputs = Vec::new();
        for (label, path) in &self.inputs {
            // An input that cannot be found cannot be overwritten; opening
            // it reports the problem later.
            if let Ok(found) = find(label.clone(), path) {
                inputs.push(found);
            }
        }
        let mut found_outputs: Vec<Found> = Vec::new();
        let mut outputs = Vec::new();
        #[cfg(unix)]
        {
            use std::os::fd::AsFd;
            if self.stdin_is_input
                && let Some(found) = find_stream("standard input", io::stdin().as_fd())
            {
                inputs.push(found);
            }
            // Standard output redirected to a file is an output too.
            if let Some(found) = find_stream("standard output", io::stdout().as_fd())
                && found.kind == Kind::Regular
            {
                if let Some(input) = inputs.iter().find(|i| i.same_file(&found)) {
                    return Err(format!(
                        "standard output is the same file as {}: writing it would destroy that input",
                        input.label
                    ));
                }
                found_outputs.push(found);
            }
        }
        for (label, path) in &self.outputs {
            if path.as_os_str() == "-" {
                outputs.push(Output {
                    label: label.clone(),
                    shown: "standard output".to_string(),
                    target: Target::Stdout,
                });
                continue;
            }
            let found = find(label.clone(), path)?;
            let real = found.real.clone().unwrap_or_else(|| path.clone());
            let target = match found.kind {
                Kind::Directory => {
                    return Err(format!("{label} is a folder: expected a file path"));
                }
                Kind::Missing | Kind::Regular => Target::File(real),
                Kind::CharDevice | Kind::OtherSpecial => Target::Special(path.clone()),
            };
            if let Some(input) = inputs.iter().find(|i| i.same_file(&found)) {
                return Err(format!(
                    "{label} is the same file as {}: writing it would destroy that input",
                    input.label
                ));
            }
            if let Some(other) = found_outputs.iter().find(|o| o.same_file(&found)) {
                return Err(format!(
                    "{} and {label} are the same file: each output needs a path of its own",
                    other.label
                ));
            }
            found_outputs.push(found);
            outputs.push(Output {
                label: label.clone(),
                shown: path.display().to_string(),
                target,
            });
        }
        Ok(outputs)
    }
}

/// Temp files to remove, and outputs an interrupted run removes.
struct Registry {
    temps: Vec<PathBuf>,
    owned: Vec<PathBuf>,
    /// The files this run put in place: `(path, device, inode)`. An
    /// interrupted run removes an owned path only while it still holds one
    /// of them, never what another run wrote there since.
    persisted: Vec<(PathBuf, u64, u64)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    temps: Vec::new(),
    owned: Vec::new(),
    persisted: Vec::new(),
});

fn registry() -> MutexGuard<'static, Registry> {
    // A panic elsewhere must not stop the clean-up.
    REGISTRY.lock().unwrap_or_else(|e| e.into_inner())
}

/// On SIGINT, SIGTERM or SIGHUP: removes every temp file and every output
/// this run owns, then exits with 128 + the signal number.
pub(crate) fn remove_on_signal() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                // Held until the process ends: no file is renamed into place
                // or created after this.
                let registry = registry();
                for path in &registry.temps {
                    let _ = fs::remove_file(path);
                }
                for path in &registry.owned {
                    let ours = fs::metadata(path)
                        .ok()
                        .and_then(|m| dev_ino(&m))
                        .is_some_and(|(dev, ino)| {
                            registry
                                .persisted
                                .iter()
                                .any(|(p, d, i)| p == path && *d == dev && *i == ino)
                        });
                    if ours {
                        let _ = fs::remove_file(path);
                    }
                }
                eprintln!("usercsv: interrupted; no output was kept");
                std::process::exit(128 + signal);
            }
        });
    }
}

impl Output {
    /// How messages name it.
    pub(crate) fn label(&self) -> &str {
        &self.label
    }

    /// The path as given, or `standard output`.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    /// Whether it is standard output.
    pub(crate) fn is_stdout(&self) -> bool {
        matches!(self.target, Target::Stdout)
    }

    /// Claims a regular-file output for this run: removes what a previous
    /// run left there, so that it can never pass for this run's result, and
    /// removes it again if the run is interrupted.
    pub(crate) fn own(&self) -> Result<(), String> {
        if let Target::File(path) = &self.target {
            // The temp file beside it is `.<name>.XXXXXX.tmp`: refuse a name
            // too long for that before the previous file is removed.
            let name = path.file_name().map_or(0, |n| n.len());
            if name + 12 > 255 {
                return Err(format!(
                    "{}: the file name is {name} bytes long; at most 243 fit beside the temp file it is written through",
                    self.label
                ));
            }
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(format!("cannot remove the previous {}: {e}", self.label));
                }
            }
            registry().owned.push(path.clone());
        }
        Ok(())
    }

    /// Opens the output for writing; [`OutFile::commit`] puts it in place.
    pub(crate) fn create(&self) -> io::Result<OutFile> {
        let inner = match &self.target {
            Target::Stdout => Inner::Stdout(io::stdout()),
            Target::Special(path) => Inner::Special(OpenOptions::new().write(true).open(path)?),
            Target::File(path) => Inner::Temp(TempOut::new(path)?),
        };
        Ok(OutFile(BufWriter::with_capacity(64 * 1024, inner)))
    }

    /// Writes `bytes` as the whole output.
    pub(crate) fn write(&self, bytes: &[u8]) -> io::Result<()> {
        let mut out = self.create()?;
        out.write_all(bytes)?;
        out.commit()
    }
}

/// An output being written.
pub(crate) struct OutFile(BufWriter<Inner>);

enum Inner {
    Stdout(io::Stdout),
    Special(File),
    Temp(TempOut),
}

impl Write for Inner {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Inner::Stdout(out) => out.write(buf),
            Inner::Special(file) => file.write(buf),
            Inner::Temp(temp) => temp.write_file()?.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Inner::Stdout(out) => out.flush(),
            Inner::Special(file) => file.flush(),
            Inner::Temp(temp) => temp.write_file()?.flush(),
        }
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl OutFile {
    /// Flushes, and renames a temp file over the target. Dropping an
    /// `OutFile` instead removes its temp file.
    pub(crate) fn commit(self) -> io::Result<()> {
        let inner = self.0.into_inner().map_err(|e| e.into_error())?;
        match inner {
            Inner::Stdout(mut out) => out.flush(),
            Inner::Special(mut file) => file.flush(),
            Inner::Temp(temp) => temp.persist(),
        }
    }
}

/// A unique temp file beside its target, registered for removal on a signal.
struct TempOut {
    /// `None` once persisted.
    file: Option<tempfile::NamedTempFile>,
    target: PathBuf,
}

impl TempOut {
    fn new(target: &Path) -> io::Result<TempOut> {
        let folder = target.parent().unwrap_or(Path::new("."));
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".tmp");
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::PermissionsExt;
            fs::Permissions::from_mode(0o666)
        };
        // Like File::create: the umask decides, not tempfile's 0600.
        #[cfg(unix)]
        builder.permissions(mode);
        // Created under the lock, so a signal removes it or never sees it.
        let mut registry = registry();
        let file = builder.tempfile_in(folder)?;
        registry.temps.push(file.path().to_path_buf());
        Ok(TempOut {
            file: Some(file),
            target: target.to_path_buf(),
        })
    }

    fn write_file(&mut self) -> io::Result<&mut File> {
        match &mut self.file {
            Some(file) => Ok(file.as_file_mut()),
            None => Err(io::Error::other("output already in place")),
        }
    }

    /// Renames the temp file over the target, under the lock so that a
    /// signal finds either the temp file or the output, never neither.
    fn persist(mut self) -> io::Result<()> {
        let Some(file) = self.file.take() else {
            return Ok(());
        };
        let mut registry = registry();
        let temp = file.path().to_path_buf();
        let result = file.persist(&self.target).map(drop).map_err(|e| e.error);
        // On failure the temp file was dropped, and so removed, already.
        registry.temps.retain(|p| *p != temp);
        if result.is_ok()
            && let Some((dev, ino)) = fs::metadata(&self.target).ok().and_then(|m| dev_ino(&m))
        {
            registry.persisted.push((self.target.clone(), dev, ino));
        }
        result
    }
}

impl Drop for TempOut {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            let temp = file.path().to_path_buf();
            drop(file);
            registry().temps.retain(|p| *p != temp);
        }
    }
}

/// The error CSV: opened on the first byte the library writes, so that a
/// run with no failed rows creates nothing.
pub(crate) struct LazyOut<'a> {
    output: &'a Output,
    file: Option<OutFile>,
}

impl<'a> LazyOut<'a> {
    pub(crate) fn new(output: &'a Output) -> LazyOut<'a> {
        LazyOut { output, file: None }
    }

    /// Puts the output in place if anything was written.
    pub(crate) fn commit(self) -> io::Result<bool> {
        match self.file {
            Some(file) => file.commit().map(|()| true),
            None => Ok(false),
        }
    }
}

impl Write for LazyOut<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() {
            self.file = Some(self.output.create()?);
        }
        self.file.as_mut().map_or(Ok(0), |f| f.write(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.file {
            Some(file) => file.flush(),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(inputs: &[&Path], outputs: &[&Path]) -> Result<Vec<Output>, String> {
        let mut paths = Paths::default();
        for input in inputs {
            paths.input(format!("in {}", input.display()), input);
        }
        for output in outputs {
            paths.output(format!("out {}", output.display()), output);
        }
        paths.check()
    }

    #[test]
    fn missing_outputs_compare_by_folder_and_name() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let same = dir.path().join(".").join("a.csv");
        let err = check(&[], &[&a, &same]).unwrap_err();
        assert!(err.ends_with("are the same file: each output needs a path of its own"));
        assert!(check(&[], &[&a, &dir.path().join("b.csv")]).is_ok());
    }

    #[test]
    fn only_one_output_is_standard_output() {
        let err = check(&[], &[Path::new("-"), Path::new("-")]).unwrap_err();
        assert_eq!(
            err,
            "out - and out - both ask for standard output: only one output can go there"
        );
        let outputs = check(&[], &[Path::new("-")]).unwrap();
        assert!(outputs[0].is_stdout());
        assert_eq!(outputs[0].shown(), "standard output");
    }

    #[cfg(unix)]
    #[test]
    fn character_devices_may_be_shared() {
        let null = Path::new("/dev/null");
        if !null.exists() {
            return;
        }
        let outputs = check(&[null], &[null, null]).unwrap();
        assert!(matches!(&outputs[0].target, Target::Special(p) if p == null));
    }

    #[test]
    fn a_dropped_output_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.csv");
        let outputs = check(&[], &[&target]).unwrap();
        let mut file = outputs[0].create().unwrap();
        file.write_all(b"half").unwrap();
        file.flush().unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
        drop(file);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
        outputs[0].write(b"whole").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"whole");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
