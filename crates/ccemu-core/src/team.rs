//! Teams (UJET teams, Cention agent groups, Genesys/Udesk groups), arranged as a tree.
//!
//! Membership lives on the agent (`Agent::team_ids`) so there is one source of truth; a team only
//! knows its place in the tree.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::validate::{check_id, check_not_blank};
use crate::DomainError;

/// A team of agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    /// Team id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Parent team; `None` for a root.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Order among siblings (UJET `position`).
    #[serde(default)]
    pub position: i32,
    /// Creation time, tenant epoch milliseconds.
    #[serde(default)]
    pub created_at_ms: i64,
}
crate::entity!(Team, "team");

impl Team {
    /// Checks the id, name and that the team is not its own parent.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("team id", &self.id)?;
        check_not_blank("team name", &self.name)?;
        if self.parent_id.as_deref() == Some(self.id.as_str()) {
            return Err(DomainError::Conflict(format!(
                "team {} cannot be its own parent",
                self.id
            )));
        }
        Ok(())
    }
}

/// Checks that every parent exists and that following parents never loops.
///
/// Run it on the would-be set of teams before a create or re-parent is accepted, because vendor
/// tree endpoints (`/teams/tree`) recurse and a cycle would never end.
pub fn check_tree(teams: &[Team]) -> Result<(), DomainError> {
    let parents: BTreeMap<&str, Option<&str>> = teams
        .iter()
        .map(|t| (t.id.as_str(), t.parent_id.as_deref()))
        .collect();
    for team in teams {
        let mut steps = 0;
        let mut cursor = team.parent_id.as_deref();
        while let Some(parent) = cursor {
            let Some(next) = parents.get(parent) else {
                return Err(DomainError::NotFound {
                    kind: "team",
                    id: parent.to_owned(),
                });
            };
            steps += 1;
            if parent == team.id || steps > teams.len() {
                return Err(DomainError::Conflict(format!(
                    "team {} would be its own ancestor",
                    team.id
                )));
            }
            cursor = *next;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: &str, parent: Option<&str>) -> Team {
        Team {
            id: id.into(),
            name: format!("Team {id}"),
            parent_id: parent.map(Into::into),
            position: 0,
            created_at_ms: 0,
        }
    }

    #[test]
    fn tree_accepts_nested_teams() {
        let teams = [team("1", None), team("2", Some("1")), team("3", Some("2"))];
        assert!(check_tree(&teams).is_ok());
    }

    #[test]
    fn tree_rejects_cycle_and_missing_parent() {
        let cycle = [team("1", Some("2")), team("2", Some("1"))];
        assert!(matches!(check_tree(&cycle), Err(DomainError::Conflict(_))));
        let orphan = [team("1", Some("9"))];
        assert!(matches!(
            check_tree(&orphan),
            Err(DomainError::NotFound { kind: "team", .. })
        ));
    }

    #[test]
    fn team_cannot_be_its_own_parent() {
        assert!(team("1", Some("1")).validate().is_err());
        assert!(team("1", None).validate().is_ok());
    }
}
