//! Which objects an export takes, by name: `[export] include` and `exclude` globs, compiled. Pure.

/// Compiled `include`/`exclude` globs.
#[derive(Debug, Clone)]
pub struct NameFilter {
    include: globset::GlobSet,
    exclude: globset::GlobSet,
}

impl NameFilter {
    /// The filter of these globs (`*` also matches `/`, as names are not paths).
    pub fn new(include: &[String], exclude: &[String]) -> Result<NameFilter, globset::Error> {
        let build = |globs: &[String]| -> Result<globset::GlobSet, globset::Error> {
            let mut set = globset::GlobSetBuilder::new();
            for g in globs {
                set.add(
                    globset::GlobBuilder::new(g)
                        .literal_separator(false)
                        .build()?,
                );
            }
            set.build()
        };
        Ok(NameFilter {
            include: build(include)?,
            exclude: build(exclude)?,
        })
    }

    /// Whether an object with this name is exported.
    pub fn matches(&self, name: &str) -> bool {
        self.include.is_match(name) && !self.exclude.is_match(name)
    }
}
