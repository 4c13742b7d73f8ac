//! Skills and proficiency: what routing matches contacts against beyond plain queue membership.

use serde::{Deserialize, Serialize};

use crate::validate::{check_id, check_not_blank, invalid};
use crate::DomainError;

/// Lowest proficiency; every vendor scale (Genesys stars, Connect levels) maps onto 1..=5.
pub const MIN_PROFICIENCY: u8 = 1;
/// Highest proficiency.
pub const MAX_PROFICIENCY: u8 = 5;

/// A skill that agents have and queues or contacts require.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skill {
    /// Skill id.
    pub id: String,
    /// Display name, unique within the tenant by convention (not enforced here).
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}
crate::entity!(Skill, "skill");

impl Skill {
    /// Checks the id and name.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("skill id", &self.id)?;
        check_not_blank("skill name", &self.name)
    }
}

/// A skill held (by an agent) or required (by a queue) at a proficiency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillLevel {
    /// The skill.
    pub skill_id: String,
    /// [`MIN_PROFICIENCY`]..=[`MAX_PROFICIENCY`]; a requirement is met by an equal or higher level.
    pub proficiency: u8,
}

impl SkillLevel {
    /// A checked skill level.
    pub fn new(skill_id: impl Into<String>, proficiency: u8) -> Result<Self, DomainError> {
        let level = Self {
            skill_id: skill_id.into(),
            proficiency,
        };
        level.validate()?;
        Ok(level)
    }

    /// Checks the skill id and the proficiency range.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("skill id", &self.skill_id)?;
        if (MIN_PROFICIENCY..=MAX_PROFICIENCY).contains(&self.proficiency) {
            Ok(())
        } else {
            Err(invalid(
                "proficiency",
                format!(
                    "{} is outside {MIN_PROFICIENCY}..={MAX_PROFICIENCY}",
                    self.proficiency
                ),
            ))
        }
    }
}

/// True when `held` meets every requirement in `required` (same skill at an equal or higher level).
pub fn satisfies(held: &[SkillLevel], required: &[SkillLevel]) -> bool {
    required.iter().all(|need| {
        held.iter()
            .any(|h| h.skill_id == need.skill_id && h.proficiency >= need.proficiency)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proficiency_outside_range_is_rejected() {
        assert!(SkillLevel::new("s", 0).is_err());
        assert!(SkillLevel::new("s", 6).is_err());
        assert_eq!(SkillLevel::new("s", 5).unwrap().proficiency, 5);
    }

    #[test]
    fn requirement_needs_same_skill_at_equal_or_higher_level() {
        let held = vec![SkillLevel::new("en", 3).unwrap()];
        assert!(satisfies(&held, &[SkillLevel::new("en", 3).unwrap()]));
        assert!(!satisfies(&held, &[SkillLevel::new("en", 4).unwrap()]));
        assert!(!satisfies(&held, &[SkillLevel::new("fr", 1).unwrap()]));
        assert!(satisfies(&held, &[]));
    }
}
