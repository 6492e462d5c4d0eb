//! Ignore rules for drift findings (`.drsyncignore`): being written.
