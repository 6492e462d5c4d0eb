//! Terraform HCL for drsync: documents are `hcl::Body` values (hcl-rs), rendered byte-identical to what
//! `terraform fmt` makes of them, with every workspace string written as data; resource labels made from object
//! names; bodies checked against the `databricks/databricks` provider schema; generated text checked to hold no
//! code; committed files parsed back.
//! It does no I/O beyond reading the files it is asked to parse or load, and never talks to a workspace.

mod builder;
mod label;
mod render;
mod schema;
mod verify;

pub use builder::{
    conditional, from_json, func_call, jsonencode, object, traversal, variable, JsonKeys,
};
pub use label::{label, label_fits, LabelAllocator, LabelItem, MAX_LABEL_LEN};
pub use render::{expression_to_string, is_bare_key, object_key, quote, to_string};
pub use schema::{
    AttributeSchema, BlockSchema, Nesting, ResourceSchema, Schema, Violation, ViolationKind,
};
pub use verify::check_generated;

use std::path::{Path, PathBuf};

/// What went wrong reading, parsing or loading HCL and schema files.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file is not valid HCL.
    #[error("{}:{line}:{column}: invalid HCL: {message}", path.display())]
    Parse {
        /// The file (or the name the text was given).
        path: PathBuf,
        /// One-based line of the error.
        line: usize,
        /// One-based column of the error.
        column: usize,
        /// What the parser expected or found.
        message: String,
    },
    /// A provider schema file is not the JSON shape drsync reads.
    #[error("{}:{line}:{column}: invalid provider schema: {message}", path.display())]
    Schema {
        /// The file.
        path: PathBuf,
        /// One-based line of the error.
        line: usize,
        /// One-based column of the error.
        column: usize,
        /// What was wrong.
        message: String,
    },
}

/// Parses HCL text; `path` names the text in errors (it is not read).
pub fn parse_str(text: &str, path: &Path) -> Result<::hcl::Body, Error> {
    ::hcl::parse(text).map_err(|err| match err {
        ::hcl::Error::Parse(err) => Error::Parse {
            path: path.to_path_buf(),
            line: err.location().line(),
            column: err.location().column(),
            message: err.message().to_string(),
        },
        other => Error::Parse {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: other.to_string(),
        },
    })
}

/// Reads and parses an HCL file.
pub fn parse_file(path: &Path) -> Result<::hcl::Body, Error> {
    let text = read(path)?;
    parse_str(&text, path)
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_carry_path_line_and_column() {
        let err = parse_str("a = 1\nb = = 2\n", Path::new("jobs.tf")).unwrap_err();
        let Error::Parse {
            path, line, column, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(path, Path::new("jobs.tf"));
        assert_eq!((*line, *column), (2, 5));
        assert!(
            err.to_string().starts_with("jobs.tf:2:5: invalid HCL: "),
            "{err}"
        );
    }

    #[test]
    fn missing_files_are_named() {
        let err = parse_file(Path::new("/nonexistent/drsync/x.tf")).unwrap_err();
        assert!(matches!(err, Error::Read { .. }));
        assert_eq!(err.to_string(), "cannot read /nonexistent/drsync/x.tf");
    }
}
