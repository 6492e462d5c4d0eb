//! An error's causes, walked in one place: the CLI's `caused by:` lines and the one-line error texts of
//! `check` and `ops` all read the chain of [`std::error::Error::source`] through here. Walks only: it prints
//! nothing and adds no words of its own beyond the `: ` that [`joined`] puts between messages.

use std::error::Error;

/// The causes of `e`, nearest first, without `e` itself.
pub fn of<'a>(e: &'a (dyn Error + 'a)) -> impl Iterator<Item = &'a (dyn Error + 'static)> + 'a {
    std::iter::successors(e.source(), |cause: &&'a (dyn Error + 'static)| {
        (*cause).source()
    })
}

/// `e` and its causes on one line: `error: cause: cause's cause`.
pub fn joined(e: &dyn Error) -> String {
    let mut text = e.to_string();
    for cause in of(e) {
        text.push_str(": ");
        text.push_str(&cause.to_string());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read the state")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("state.json")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn causes_come_nearest_first_without_the_error() {
        let e = Outer(Middle(std::io::Error::other("no such file")));
        let causes: Vec<String> = of(&e).map(ToString::to_string).collect();
        assert_eq!(causes, ["state.json", "no such file"]);
        assert_eq!(
            joined(&e),
            "cannot read the state: state.json: no such file"
        );
        let alone = std::io::Error::other("alone");
        assert_eq!(of(&alone).count(), 0);
        assert_eq!(joined(&alone), "alone");
    }
}
