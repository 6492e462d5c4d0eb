//! Which objects the export takes by name: `[export] include` and `exclude`, globs over object names (not
//! paths: `*` matches `/` too). Compiles and matches; it reads no configuration file (`config` hands the lists
//! in) and knows nothing of workspaces.

/// Compiled `include`/`exclude` globs.
#[derive(Debug, Clone)]
pub struct NameFilter {
    include: globset::GlobSet,
    exclude: globset::GlobSet,
}

/// A glob that does not compile, and the list it is in.
#[derive(Debug, thiserror::Error)]
#[error("invalid glob `{glob}` in {list}")]
pub struct NameFilterError {
    /// `include` or `exclude`.
    pub list: &'static str,
    /// The glob as written.
    pub glob: String,
    /// What is wrong with it.
    #[source]
    pub source: globset::Error,
}

impl NameFilter {
    /// Compile the globs an object's name must match (`include`) and must not match (`exclude`).
    pub fn new(include: &[String], exclude: &[String]) -> Result<NameFilter, NameFilterError> {
        Ok(NameFilter {
            include: compile("include", include)?,
            exclude: compile("exclude", exclude)?,
        })
    }

    /// Whether an object with this name is exported.
    pub fn matches(&self, name: &str) -> bool {
        self.include.is_match(name) && !self.exclude.is_match(name)
    }
}

fn compile(list: &'static str, globs: &[String]) -> Result<globset::GlobSet, NameFilterError> {
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(false)
            .build()
            .map_err(|source| NameFilterError {
                list,
                glob: g.clone(),
                source,
            })?;
        set.add(glob);
    }
    set.build().map_err(|source| NameFilterError {
        list,
        glob: globs.join(", "),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(g: &[&str]) -> Vec<String> {
        g.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn include_minus_exclude_over_names() {
        let f = NameFilter::new(&globs(&["prod-*"]), &globs(&["*-tmp"])).unwrap();
        assert!(f.matches("prod-etl"));
        assert!(!f.matches("prod-etl-tmp"));
        assert!(!f.matches("dev-etl"));
        assert!(f.matches("prod-a/b"), "names are not paths");
        let e = NameFilter::new(&globs(&["*"]), &globs(&["ok", "prod-["])).unwrap_err();
        assert_eq!((e.list, e.glob.as_str()), ("exclude", "prod-["));
    }
}
