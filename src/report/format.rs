//! The report formats, one enum for every command that writes a report: their names on the command line
//! (a [`clap::ValueEnum`]), in `--report FORMAT=PATH` and in error messages. Names only: rendering is the
//! renderers' business, and nothing here reads or writes anything.

use std::fmt;
use std::str::FromStr;

/// The report formats. The order of the variants is the order help texts list them in. The CLI takes them
/// through `PossibleValuesParser` over [`Format::as_str`] (one command takes some of them), which keeps the
/// variants' documentation out of `--help`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Format {
    /// Plain text for a terminal or a log ([`super::text`]).
    Text,
    /// The report as JSON, for programs ([`super::json`]).
    Json,
    /// GitHub-flavoured Markdown for a pull-request comment or an issue ([`super::markdown`]).
    Markdown,
    /// JUnit XML for CI test dashboards ([`super::junit`]).
    Junit,
    /// One self-contained HTML page ([`super::html`]).
    Html,
}

impl Format {
    /// Every format, in the order help texts list them.
    pub const ALL: [Format; 5] = [
        Format::Text,
        Format::Json,
        Format::Markdown,
        Format::Junit,
        Format::Html,
    ];

    /// The formats a readiness-check report comes in.
    pub const CHECK: [Format; 3] = [Format::Text, Format::Json, Format::Markdown];

    /// The formats of a command's own summary (`export`, `inventory`, `log`).
    pub const SUMMARY: [Format; 2] = [Format::Text, Format::Json];

    /// The name [`FromStr`] accepts: `text`, `json`, `markdown`, `junit` or `html`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Junit => "junit",
            Format::Html => "html",
        }
    }

    /// The usual file extension for the format, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Json => "json",
            Format::Markdown => "md",
            Format::Junit => "xml",
            Format::Html => "html",
        }
    }

    /// The format named `name`, one of `accepted` (the formats of one command).
    pub fn parse_in(name: &str, accepted: &[Format]) -> Result<Format, UnknownFormat> {
        accepted
            .iter()
            .copied()
            .find(|f| f.as_str() == name)
            .ok_or_else(|| UnknownFormat {
                name: name.to_string(),
                expected: accepted.to_vec(),
            })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    /// `unknown report format `NAME`: expected text, json, markdown, junit or html`.
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::parse_in(s, &Format::ALL)
    }
}

/// A format name that is none of the accepted ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown report format `{name}`: expected {}", expected_list(expected))]
pub struct UnknownFormat {
    /// The name given.
    pub name: String,
    /// The formats that were accepted there.
    pub expected: Vec<Format>,
}

/// `text, json or markdown`.
fn expected_list(formats: &[Format]) -> String {
    let names: Vec<&str> = formats.iter().map(|f| f.as_str()).collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_string(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::ValueEnum;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
            assert_eq!(f.to_string(), f.as_str());
        }
        assert_eq!(
            "yaml".parse::<Format>().unwrap_err().to_string(),
            "unknown report format `yaml`: expected text, json, markdown, junit or html"
        );
        assert!("Text".parse::<Format>().is_err());
    }

    #[test]
    fn a_command_names_only_its_formats() {
        assert_eq!(
            Format::parse_in("html", &Format::CHECK)
                .unwrap_err()
                .to_string(),
            "unknown report format `html`: expected text, json or markdown"
        );
        assert_eq!(
            Format::parse_in("markdown", &Format::CHECK),
            Ok(Format::Markdown)
        );
        assert_eq!(
            Format::parse_in("x", &Format::SUMMARY)
                .unwrap_err()
                .to_string(),
            "unknown report format `x`: expected text or json"
        );
    }

    /// The command line spells each format as `as_str` does, in the order of `ALL`.
    #[test]
    fn value_enum_names_are_the_format_names() {
        let names: Vec<String> = Format::value_variants()
            .iter()
            .filter_map(|f| f.to_possible_value().map(|v| v.get_name().to_string()))
            .collect();
        let expected: Vec<&str> = Format::ALL.iter().map(|f| f.as_str()).collect();
        assert_eq!(names, expected);
    }
}
