//! The `demo` tenant's contact center: small, fixed and documented, so tests and manual trials can
//! rely on its ids from the first start.
//!
//! | record | ids |
//! |---|---|
//! | agents | `1001` Alice Chen (supervisor), `1002` Bob Martin, `1003` Carol Diaz, `1004` Dan Evans |
//! | teams | `11` Sales (1001, 1002), `12` Support (1003, 1004) |
//! | skills | `21` sales, `22` support |
//! | queues | `9001` Sales (1001, 1002), `9002` Support (1003, 1004, then 1001 as tier-1 backup) |
//! | extensions | `8001` → 1001, `8002` → 1003 |
//! | relay numbers | `+14155550100` (default) and `057126200670` (the Udesk doc's example number), both entering menu `31` |
//! | IVR menu | `31` Main: 1 → queue 9001, 2 → queue 9002 |

use serde::Serialize;

use crate::agent::{Agent, Role};
use crate::queue::{Queue, QueueMember};
use crate::skill::{Skill, SkillLevel};
use crate::team::Team;
use crate::telephony::{
    Extension, ExtensionState, IvrMenu, IvrOption, IvrTarget, RelayNumber, VoicePrompt,
};
use crate::Entity;

/// Creation time stamped on every seeded record (2024-01-01T00:00:00Z), so the seed is byte-stable.
pub const SEED_TIME_MS: i64 = 1_704_067_200_000;

/// One record ready to persist generically: `(Entity::KIND, id, JSON document)`.
pub type SeedRecord = (&'static str, String, serde_json::Value);

/// Every record of the demo contact center.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoSeed {
    /// Skills.
    pub skills: Vec<Skill>,
    /// Teams.
    pub teams: Vec<Team>,
    /// Agents.
    pub agents: Vec<Agent>,
    /// Queues.
    pub queues: Vec<Queue>,
    /// Extensions.
    pub extensions: Vec<Extension>,
    /// Relay numbers.
    pub relay_numbers: Vec<RelayNumber>,
    /// IVR menus.
    pub ivr_menus: Vec<IvrMenu>,
}

impl DemoSeed {
    /// All records as `(kind, id, json)`, referenced records first (skills, teams, agents, ...).
    pub fn records(&self) -> Vec<SeedRecord> {
        let mut out = Vec::new();
        push_all(&mut out, &self.skills);
        push_all(&mut out, &self.teams);
        push_all(&mut out, &self.agents);
        push_all(&mut out, &self.queues);
        push_all(&mut out, &self.extensions);
        push_all(&mut out, &self.relay_numbers);
        push_all(&mut out, &self.ivr_menus);
        out
    }
}

fn push_all<E: Entity + Serialize>(out: &mut Vec<SeedRecord>, records: &[E]) {
    for record in records {
        // These types only fail to serialize with non-string map keys, which they do not have; the
        // seed is fixed data, so the round-trip test below proves this never yields `Null`.
        let json = serde_json::to_value(record).unwrap_or(serde_json::Value::Null);
        out.push((E::KIND, record.id().to_owned(), json));
    }
}

fn agent(id: &str, first: &str, last: &str, team: &str, skill: &str, role: Role) -> Agent {
    let mut a = Agent::new(id, format!("{first} {last}"), SEED_TIME_MS);
    a.work_id = id.to_owned();
    a.login_name = first.to_ascii_lowercase();
    a.first_name = first.to_owned();
    a.last_name = last.to_owned();
    a.email = format!("{}@demo.ccemu.test", first.to_ascii_lowercase());
    a.role = role;
    a.team_ids = vec![team.to_owned()];
    a.skills = vec![SkillLevel {
        skill_id: skill.to_owned(),
        proficiency: 3,
    }];
    a.wrap_up_secs = 10;
    a
}

fn queue(id: &str, name: &str, skill: &str, members: &[(&str, u32)]) -> Queue {
    let mut q = Queue::new(id, name, SEED_TIME_MS);
    q.required_skills = vec![SkillLevel {
        skill_id: skill.to_owned(),
        proficiency: 1,
    }];
    q.members = members
        .iter()
        .zip(0..)
        .map(|((agent_id, tier), position)| QueueMember {
            agent_id: (*agent_id).to_owned(),
            tier: *tier,
            position,
        })
        .collect();
    q
}

fn option(dtmf: char, description: &str, queue_id: &str) -> IvrOption {
    IvrOption {
        dtmf,
        description: description.to_owned(),
        target: IvrTarget::Queue {
            queue_id: queue_id.to_owned(),
        },
    }
}

/// The demo contact center; every call returns the same records.
pub fn demo_seed() -> DemoSeed {
    let team = |id: &str, name: &str, position| Team {
        id: id.to_owned(),
        name: name.to_owned(),
        parent_id: None,
        position,
        created_at_ms: SEED_TIME_MS,
    };
    let skill = |id: &str, name: &str| Skill {
        id: id.to_owned(),
        name: name.to_owned(),
        description: String::new(),
    };
    let extension = |id: &str, password: &str, agent_id: &str| Extension {
        id: id.to_owned(),
        password: password.to_owned(),
        number: format!("900000000{id}"),
        agent_id: Some(agent_id.to_owned()),
        state: ExtensionState::Offline,
    };
    let mut alice = agent("1001", "Alice", "Chen", "11", "21", Role::Supervisor);
    // Alice backs up support, so she holds that skill too.
    alice.skills.push(SkillLevel {
        skill_id: "22".to_owned(),
        proficiency: 2,
    });
    DemoSeed {
        skills: vec![skill("21", "sales"), skill("22", "support")],
        teams: vec![team("11", "Sales", 0), team("12", "Support", 1)],
        agents: vec![
            alice,
            agent("1002", "Bob", "Martin", "11", "21", Role::Agent),
            agent("1003", "Carol", "Diaz", "12", "22", Role::Agent),
            agent("1004", "Dan", "Evans", "12", "22", Role::Agent),
        ],
        queues: vec![
            queue("9001", "Sales", "21", &[("1001", 0), ("1002", 0)]),
            queue(
                "9002",
                "Support",
                "22",
                &[("1003", 0), ("1004", 0), ("1001", 1)],
            ),
        ],
        extensions: vec![
            extension("8001", "demo-8001-pass", "1001"),
            extension("8002", "demo-8002-pass", "1003"),
        ],
        relay_numbers: vec![
            RelayNumber {
                id: "+14155550100".to_owned(),
                is_default: true,
                ivr_menu_id: Some("31".to_owned()),
            },
            RelayNumber {
                id: "057126200670".to_owned(),
                is_default: false,
                ivr_menu_id: Some("31".to_owned()),
            },
        ],
        ivr_menus: vec![IvrMenu {
            id: "31".to_owned(),
            name: "Main".to_owned(),
            parent_id: None,
            greeting: Some(VoicePrompt::Tts(
                "Welcome to the demo contact center. Press 1 for sales, 2 for support.".to_owned(),
            )),
            options: vec![option('1', "Sales", "9001"), option('2', "Support", "9002")],
            timeout_secs: 5,
            default_target: Some(IvrTarget::Queue {
                queue_id: "9002".to_owned(),
            }),
        }],
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::skill::satisfies;

    #[test]
    fn seed_has_the_documented_shape() {
        let s = demo_seed();
        let ids: Vec<&str> = s.agents.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["1001", "1002", "1003", "1004"]);
        assert_eq!(s.teams.len(), 2);
        assert_eq!(
            s.queues.iter().map(|q| q.id.as_str()).collect::<Vec<_>>(),
            ["9001", "9002"]
        );
        assert_eq!(s.extensions.len(), 2);
        assert_eq!(s.relay_numbers.len(), 2);
        assert_eq!(s.relay_numbers.iter().filter(|n| n.is_default).count(), 1);
        let menu = &s.ivr_menus[0];
        assert_eq!(
            menu.route('1'),
            Some(&IvrTarget::Queue {
                queue_id: "9001".into()
            })
        );
        assert_eq!(
            menu.route('2'),
            Some(&IvrTarget::Queue {
                queue_id: "9002".into()
            })
        );
    }

    #[test]
    fn every_reference_points_at_an_existing_record() {
        let s = demo_seed();
        let agents: BTreeSet<&str> = s.agents.iter().map(|a| a.id.as_str()).collect();
        let teams: BTreeSet<&str> = s.teams.iter().map(|t| t.id.as_str()).collect();
        let skills: BTreeSet<&str> = s.skills.iter().map(|k| k.id.as_str()).collect();
        let queues: BTreeSet<&str> = s.queues.iter().map(|q| q.id.as_str()).collect();
        let menus: BTreeSet<&str> = s.ivr_menus.iter().map(|m| m.id.as_str()).collect();
        for a in &s.agents {
            assert!(
                a.team_ids.iter().all(|t| teams.contains(t.as_str())),
                "{}",
                a.id
            );
            assert!(a
                .skills
                .iter()
                .all(|k| skills.contains(k.skill_id.as_str())));
        }
        for q in &s.queues {
            assert!(
                q.members
                    .iter()
                    .all(|m| agents.contains(m.agent_id.as_str())),
                "{}",
                q.id
            );
            // A member who lacks the queue's skills would never be routed to.
            for m in &q.members {
                let a = s.agents.iter().find(|a| a.id == m.agent_id).unwrap();
                assert!(
                    satisfies(&a.skills, &q.required_skills),
                    "{} in {}",
                    a.id,
                    q.id
                );
            }
        }
        for e in &s.extensions {
            assert!(agents.contains(e.agent_id.as_deref().unwrap()));
        }
        for n in &s.relay_numbers {
            assert!(n.ivr_menu_id.iter().all(|m| menus.contains(m.as_str())));
        }
        for o in &s.ivr_menus[0].options {
            match &o.target {
                IvrTarget::Queue { queue_id } => assert!(queues.contains(queue_id.as_str())),
                other => panic!("unexpected target {other:?}"),
            }
        }
    }

    #[test]
    fn every_seeded_record_validates() {
        let s = demo_seed();
        s.skills.iter().try_for_each(Skill::validate).unwrap();
        s.teams.iter().try_for_each(Team::validate).unwrap();
        crate::team::check_tree(&s.teams).unwrap();
        s.agents.iter().try_for_each(Agent::validate).unwrap();
        s.queues.iter().try_for_each(|q| q.validate(512)).unwrap();
        s.extensions
            .iter()
            .try_for_each(Extension::validate)
            .unwrap();
        s.ivr_menus.iter().try_for_each(IvrMenu::validate).unwrap();
    }

    #[test]
    fn records_are_deterministic_unique_and_round_trip() {
        let s = demo_seed();
        let records = s.records();
        assert_eq!(records, demo_seed().records());
        assert!(records.iter().all(|(_, _, json)| json.is_object()));
        assert_eq!(records.len(), 2 + 2 + 4 + 2 + 2 + 2 + 1);
        let keys: BTreeSet<(&str, &str)> =
            records.iter().map(|(k, id, _)| (*k, id.as_str())).collect();
        assert_eq!(keys.len(), records.len());
        let (kind, id, json) = &records[4];
        assert_eq!((*kind, id.as_str()), ("agent", "1001"));
        let back: Agent = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, s.agents[0]);
        let queue_json = &records.iter().find(|r| r.0 == "queue").unwrap().2;
        assert_eq!(
            serde_json::from_value::<Queue>(queue_json.clone()).unwrap(),
            s.queues[0]
        );
    }
}
