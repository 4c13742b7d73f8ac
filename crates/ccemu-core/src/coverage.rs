//! Checks `docs/coverage.md` against a vendor's route table, for the vendor crates' tests:
//! every route has its row, the row's status says what the router does, and the summary line
//! counts the rows as they are.

/// One route as its row in `docs/coverage.md` names it.
#[derive(Debug, Clone)]
pub struct Route<'a> {
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Full vendor path in router syntax.
    pub path: &'a str,
    /// Vendor operation name.
    pub operation: &'a str,
    /// Section of the vendor note.
    pub section: &'a str,
    /// Whether the router emulates it (else it answers 501).
    pub emulated: bool,
}

impl Route<'_> {
    fn row(&self) -> String {
        format!(
            "| {} | `{}` | `{}` | {} |",
            self.method, self.path, self.operation, self.section
        )
    }
}

/// Checks every route's row and the summary line, which starts with `summary_head` followed by
/// the counts `| routed | emulated | partial | not implemented |`. `Err` says what is wrong.
pub fn check(coverage: &str, summary_head: &str, routes: &[Route<'_>]) -> Result<(), String> {
    let mut counts = [0usize; 3];
    for route in routes {
        let row = route.row();
        let status = coverage
            .split_once(&row)
            .map(|(_, rest)| rest.trim_start())
            .ok_or_else(|| format!("docs/coverage.md lacks {row}"))?;
        let (said, index) = if status.starts_with("emulated |") {
            (true, 0)
        } else if status.starts_with("partial:") {
            (true, 1)
        } else if status.starts_with("not implemented (501) |") {
            (false, 2)
        } else {
            return Err(format!("{row} has no known status: {status:.40}"));
        };
        if said != route.emulated {
            return Err(format!(
                "{row} says {status:.40}, but the router {}",
                if route.emulated {
                    "emulates it"
                } else {
                    "answers 501"
                }
            ));
        }
        counts[index] += 1;
    }
    let summary = format!(
        "{summary_head} {} | {} | {} | {} |",
        routes.len(),
        counts[0],
        counts[1],
        counts[2]
    );
    if coverage.contains(&summary) {
        Ok(())
    } else {
        Err(format!("docs/coverage.md summary should read {summary}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(path: &str, emulated: bool) -> Route<'_> {
        Route {
            method: "GET".into(),
            path,
            operation: "op",
            section: "1",
            emulated,
        }
    }

    #[test]
    fn rows_must_say_what_the_router_does_and_the_summary_must_count_them() {
        let doc = "| [V](#v) | `/v` | 2 | 1 | 0 | 1 |\n\
                   | GET | `/a` | `op` | 1 | emulated | fine |\n\
                   | GET | `/b` | `op` | 1 | not implemented (501) |\n";
        let head = "| [V](#v) | `/v` |";
        assert_eq!(
            check(doc, head, &[route("/a", true), route("/b", false)]),
            Ok(())
        );
        assert!(check(doc, head, &[route("/a", false), route("/b", false)])
            .unwrap_err()
            .contains("the router answers 501"));
        assert!(check(doc, head, &[route("/a", true), route("/c", false)])
            .unwrap_err()
            .contains("lacks"));
        assert!(check(doc, head, &[route("/a", true)])
            .unwrap_err()
            .contains("summary should read"));
    }
}
