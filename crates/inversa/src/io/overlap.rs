//! Outputs never overwrite inputs. Every command that writes lists, before doing any work, the
//! files it will write and the paths it reads, each with the flag or key that named it;
//! [`Guard::check`] refuses the run when an output is an input, lies inside a folder that is read
//! (a folder input is read whole), or would replace a folder that holds an input. Paths are
//! compared after resolving links: the longest existing part of each is canonicalised and the rest
//! normalised, so `out/../imgs/x.png`, a link to `imgs` and `imgs/x.png` are the same file.
//! `--force` replaces a command's earlier outputs, never its inputs, so it does not enter here.
//!
//! ```
//! # let dir = std::env::temp_dir().join(format!("inversa-overlap-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(dir.join("imgs")).unwrap();
//! use inversa::io::overlap::Guard;
//! let refused = Guard::new()
//!     .inputs("--images", [dir.join("imgs")])
//!     .outputs("--out", [dir.join("imgs/../imgs/camera.png")])
//!     .check()
//!     .unwrap_err();
//! assert!(refused.to_string().contains("inside the input folder --images"));
//! let fine = Guard::new()
//!     .inputs("--images", [dir.join("imgs")])
//!     .outputs_in("--out", &dir.join("weights"), &["w.safetensors"])
//!     .check();
//! assert!(fine.is_ok());
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```

use crate::error::{Error, Result};
use std::path::{Component, Path, PathBuf};

/// The paths a command reads and writes, each with the flag or key that gave it.
#[derive(Clone, Debug, Default)]
pub struct Guard {
    inputs: Vec<(String, PathBuf)>,
    outputs: Vec<(String, PathBuf)>,
}

impl Guard {
    /// No paths yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Paths read, named by `key` (an `Option<&Path>` adds nothing when `None`). A folder is read
    /// whole: nothing may be written inside it.
    pub fn inputs<P: AsRef<Path>>(mut self, key: &str, paths: impl IntoIterator<Item = P>) -> Self {
        for path in paths {
            self.inputs
                .push((key.to_string(), path.as_ref().to_path_buf()));
        }
        self
    }

    /// Files written, named by `key`.
    pub fn outputs<P: AsRef<Path>>(
        mut self,
        key: &str,
        paths: impl IntoIterator<Item = P>,
    ) -> Self {
        for path in paths {
            self.outputs
                .push((key.to_string(), path.as_ref().to_path_buf()));
        }
        self
    }

    /// The files `names` written into the folder `dir`, named by `key`.
    pub fn outputs_in(self, key: &str, dir: &Path, names: &[&str]) -> Self {
        self.outputs(key, names.iter().map(|name| dir.join(name)))
    }

    /// The outputs listed.
    pub fn output_paths(&self) -> impl Iterator<Item = &Path> {
        self.outputs.iter().map(|(_, path)| path.as_path())
    }

    /// Fails with [`Error::Overlap`], naming both flags and paths, when an output is an input,
    /// lies inside an input folder, or is a folder that holds an input.
    pub fn check(&self) -> Result<()> {
        let inputs: Vec<(&str, &Path, PathBuf, bool)> = self
            .inputs
            .iter()
            .map(|(key, path)| {
                let resolved = resolve(path);
                let folder = resolved.is_dir();
                (key.as_str(), path.as_path(), resolved, folder)
            })
            .collect();
        for (out_key, output) in &self.outputs {
            let resolved = resolve(output);
            for (in_key, input, in_resolved, folder) in &inputs {
                let how = if resolved == *in_resolved {
                    format!("would replace the input {in_key} {}", input.display())
                } else if *folder && resolved.starts_with(in_resolved) {
                    format!(
                        "is inside the input folder {in_key} {}, which is read whole",
                        input.display()
                    )
                } else if in_resolved.starts_with(&resolved) {
                    format!(
                        "would replace the folder holding the input {in_key} {}",
                        input.display()
                    )
                } else {
                    continue;
                };
                return Err(Error::Overlap {
                    path: output.clone(),
                    message: format!("this output of {out_key} {how}; choose another {out_key}"),
                });
            }
        }
        Ok(())
    }
}

/// `path` made absolute with its links resolved: the longest existing ancestor canonicalised, the
/// rest normalised (`.` dropped, `..` taking off the component before it).
pub fn resolve(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut tail = Vec::new();
    let mut base = PathBuf::new();
    for ancestor in absolute.ancestors() {
        if let Ok(canonical) = ancestor.canonicalize() {
            base = canonical;
            break;
        }
        if let Some(name) = ancestor.file_name() {
            tail.push(Component::Normal(name));
        } else if ancestor.ends_with("..") {
            tail.push(Component::ParentDir);
        }
    }
    for component in tail.into_iter().rev() {
        match component {
            Component::ParentDir => {
                base.pop();
            }
            other => base.push(other),
        }
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("inversa-overlap-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("imgs")).unwrap();
        std::fs::write(dir.join("imgs/a.png"), b"a").unwrap();
        std::fs::write(dir.join("task.toml"), b"t").unwrap();
        dir
    }

    fn refusal(guard: Guard) -> String {
        match guard.check() {
            Err(Error::Overlap { message, .. }) => message,
            other => panic!("expected an overlap, got {other:?}"),
        }
    }

    #[test]
    fn the_same_file_by_another_name_is_refused() {
        let dir = scratch("same");
        let guard = |out: PathBuf| {
            Guard::new()
                .inputs("--task", [dir.join("task.toml")])
                .outputs("--out", [out])
        };
        assert!(refusal(guard(dir.join("task.toml"))).contains("would replace the input --task"));
        let roundabout = dir.join("missing/../imgs/./../task.toml");
        assert!(refusal(guard(roundabout)).contains("--task"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(&dir, dir.join("link")).unwrap();
            assert!(refusal(guard(dir.join("link/task.toml"))).contains("--task"));
        }
        assert!(guard(dir.join("task.json")).check().is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn nothing_is_written_inside_an_input_folder_or_over_a_folder_holding_an_input() {
        let dir = scratch("folder");
        let images = || Guard::new().inputs("--images", [dir.join("imgs")]);
        let inside = refusal(images().outputs("--out", [dir.join("imgs/new/w.safetensors")]));
        assert!(
            inside.contains("inside the input folder --images"),
            "{inside}"
        );
        let over = refusal(
            Guard::new()
                .inputs("--image", [dir.join("imgs/a.png")])
                .outputs("--out", [dir.join("imgs")]),
        );
        assert!(over.contains("folder holding the input --image"), "{over}");
        assert!(images()
            .outputs_in("--out", &dir, &["imgs.png"])
            .check()
            .is_ok());
        assert!(images()
            .inputs("--model", None::<&Path>)
            .outputs("--out", [dir.join("other/w")])
            .check()
            .is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
