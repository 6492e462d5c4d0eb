//! Renders reports for people and programs: being written.
