//! Voice plumbing: IVR menus and voice files, relay (caller) numbers, and extensions (devices).

use serde::{Deserialize, Serialize};

use crate::validate::{check_id, check_not_blank, invalid};
use crate::DomainError;

/// A prompt played to callers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "content", rename_all = "snake_case")]
pub enum VoicePrompt {
    /// Text read by text-to-speech.
    Tts(String),
    /// A stored voice file, by its id.
    File(String),
}

/// An uploaded voice file (Udesk `ivrs/vfiles`); only metadata is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoiceFile {
    /// The file name, unique within the tenant.
    pub id: String,
    /// Format, e.g. `wav`.
    #[serde(default)]
    pub file_type: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}
crate::entity!(VoiceFile, "voice_file");

/// The prompts a tenant plays in standard situations (Udesk `ivrs/defvoices`), one record with id
/// [`DefaultVoices::ID`]. A situation without a prompt here plays the system's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultVoices {
    /// Always [`DefaultVoices::ID`].
    pub id: String,
    /// Prompt by situation ([`DefaultVoices::SITUATIONS`]).
    #[serde(default)]
    pub prompts: std::collections::BTreeMap<String, VoicePrompt>,
}
crate::entity!(DefaultVoices, "default_voices");

impl DefaultVoices {
    /// The id of the one record.
    pub const ID: &'static str = "default";

    /// Every situation a default prompt can be set for, in Udesk's order.
    pub const SITUATIONS: &'static [&'static str] = &[
        "welcome",
        "closing_time",
        "no_answer",
        "voice_mail",
        "waiting",
        "consult",
        "hold",
        "queue_timeout",
        "evaluate",
    ];

    /// Checks every situation is known and every prompt has content.
    pub fn validate(&self) -> Result<(), DomainError> {
        for (situation, prompt) in &self.prompts {
            if !Self::SITUATIONS.contains(&situation.as_str()) {
                return Err(invalid("situation", format!("unknown: {situation}")));
            }
            let (VoicePrompt::Tts(content) | VoicePrompt::File(content)) = prompt;
            check_not_blank("prompt content", content)?;
        }
        Ok(())
    }
}

/// What a DTMF choice leads to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IvrTarget {
    /// Enqueue in a queue.
    Queue {
        /// Target queue.
        queue_id: String,
    },
    /// Go to a sub-menu.
    Menu {
        /// Target menu.
        menu_id: String,
    },
    /// Ring one agent directly.
    Agent {
        /// Target agent.
        agent_id: String,
    },
    /// Hang up.
    Hangup,
}

/// One choice of a menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrOption {
    /// The key: `0`-`9`, `*` or `#`.
    pub dtmf: char,
    /// What the prompt says about it (Udesk fast-router `Desc`).
    #[serde(default)]
    pub description: String,
    /// Where it leads.
    pub target: IvrTarget,
}

/// A voice menu; menus form a tree through [`IvrTarget::Menu`] and `parent_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IvrMenu {
    /// Menu id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Parent menu; `None` for an entry menu.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Greeting played on entry.
    #[serde(default)]
    pub greeting: Option<VoicePrompt>,
    /// The choices.
    #[serde(default)]
    pub options: Vec<IvrOption>,
    /// Seconds to wait for a key before `default_target`.
    #[serde(default)]
    pub timeout_secs: u32,
    /// Where callers go without a (valid) key; `None` hangs up.
    #[serde(default)]
    pub default_target: Option<IvrTarget>,
}
crate::entity!(IvrMenu, "ivr_menu");

impl IvrMenu {
    /// Checks the id, name and that every key is a valid, unused DTMF digit.
    pub fn validate(&self) -> Result<(), DomainError> {
        check_id("menu id", &self.id)?;
        check_not_blank("menu name", &self.name)?;
        for (i, option) in self.options.iter().enumerate() {
            if !(option.dtmf.is_ascii_digit() || option.dtmf == '*' || option.dtmf == '#') {
                return Err(invalid(
                    "dtmf",
                    format!("{:?} is not a DTMF key", option.dtmf),
                ));
            }
            if self.options[..i].iter().any(|o| o.dtmf == option.dtmf) {
                return Err(invalid(
                    "dtmf",
                    format!("key {} is used twice", option.dtmf),
                ));
            }
            if option.target
                == (IvrTarget::Menu {
                    menu_id: self.id.clone(),
                })
            {
                return Err(invalid("target", "a menu cannot lead to itself"));
            }
        }
        Ok(())
    }

    /// Where a key press leads; unknown keys take the default target.
    pub fn route(&self, dtmf: char) -> Option<&IvrTarget> {
        self.options
            .iter()
            .find(|o| o.dtmf == dtmf)
            .map(|o| &o.target)
            .or(self.default_target.as_ref())
    }
}

/// A public number the center calls from and is called on (Udesk `SpNumber`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayNumber {
    /// The number itself.
    pub id: String,
    /// The tenant's default caller number; at most one is.
    #[serde(default)]
    pub is_default: bool,
    /// Entry menu for inbound calls to this number.
    #[serde(default)]
    pub ivr_menu_id: Option<String>,
}
crate::entity!(RelayNumber, "relay_number");

/// The id of the entry menu of a tenant whose relay numbers name none.
pub const ENTRY_MENU_ID: &str = "main";

/// The menu an inbound call to `number` enters: that number's, else the default number's, else
/// the first number's, else [`ENTRY_MENU_ID`].
pub fn entry_menu_id<'a>(
    numbers: impl IntoIterator<Item = &'a RelayNumber>,
    number: Option<&str>,
) -> &'a str {
    let (mut called, mut default, mut first) = (None, None, None);
    for n in numbers {
        let menu = n.ivr_menu_id.as_deref();
        if Some(n.id.as_str()) == number {
            called = called.or(menu);
        }
        if n.is_default {
            default = default.or(menu);
        }
        first = first.or(Some(menu));
    }
    called
        .or(default)
        .or(first.flatten())
        .unwrap_or(ENTRY_MENU_ID)
}

/// Picks the caller number for an outbound call: the one requested, else the agent's default,
/// else the tenant default, else the first number (Udesk's documented order, made deterministic).
pub fn pick_caller_number<'a>(
    requested: Option<&'a str>,
    agent_default: Option<&'a str>,
    numbers: &'a [RelayNumber],
) -> Option<&'a str> {
    requested
        .filter(|n| !n.is_empty())
        .or(agent_default.filter(|n| !n.is_empty()))
        .or_else(|| numbers.iter().find(|n| n.is_default).map(|n| n.id.as_str()))
        .or_else(|| numbers.first().map(|n| n.id.as_str()))
}

/// Registration and call state of an extension (Udesk `ExtState`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionState {
    /// Registered, no call.
    Idle,
    /// In a call.
    Busy,
    /// Registered (state unknown beyond that).
    Online,
    /// Not registered.
    #[default]
    Offline,
    /// Misconfigured.
    Invalid,
}

/// A phone extension (device) that an agent uses for voice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// The extension number, e.g. `4567`.
    pub id: String,
    /// SIP password.
    pub password: String,
    /// Full dialable number (Udesk: company prefix + extension).
    #[serde(default)]
    pub number: String,
    /// Agent the extension is bound to.
    #[serde(default)]
    pub agent_id: Option<String>,
    /// Current state.
    #[serde(default)]
    pub state: ExtensionState,
}
crate::entity!(Extension, "extension");

impl Extension {
    /// Checks the extension is 2 to 8 digits: anything else cannot be dialled from a keypad.
    pub fn validate(&self) -> Result<(), DomainError> {
        let ok = (2..=8).contains(&self.id.len()) && self.id.bytes().all(|b| b.is_ascii_digit());
        if ok {
            Ok(())
        } else {
            Err(invalid("extension", "2 to 8 digits"))
        }
    }

    /// Binds the extension to an agent; refuses if another agent holds it.
    pub fn bind(&mut self, agent_id: &str) -> Result<(), DomainError> {
        match &self.agent_id {
            Some(current) if current != agent_id => Err(DomainError::InUse {
                kind: "extension",
                id: self.id.clone(),
                reason: format!("bound to agent {current}"),
            }),
            _ => {
                self.agent_id = Some(agent_id.to_owned());
                Ok(())
            }
        }
    }

    /// Releases the extension; returns the agent it was bound to.
    pub fn unbind(&mut self) -> Option<String> {
        self.agent_id.take()
    }

    /// A bound extension must be unbound before it is deleted.
    pub fn check_deletable(&self) -> Result<(), DomainError> {
        match &self.agent_id {
            Some(agent) => Err(DomainError::InUse {
                kind: "extension",
                id: self.id.clone(),
                reason: format!("bound to agent {agent}"),
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu() -> IvrMenu {
        IvrMenu {
            id: "31".into(),
            name: "Main".into(),
            parent_id: None,
            greeting: Some(VoicePrompt::Tts("Press 1 for sales".into())),
            options: vec![
                IvrOption {
                    dtmf: '1',
                    description: "Sales".into(),
                    target: IvrTarget::Queue {
                        queue_id: "9001".into(),
                    },
                },
                IvrOption {
                    dtmf: '2',
                    description: "Support".into(),
                    target: IvrTarget::Queue {
                        queue_id: "9002".into(),
                    },
                },
            ],
            timeout_secs: 5,
            default_target: Some(IvrTarget::Hangup),
        }
    }

    #[test]
    fn key_press_routes_and_unknown_key_takes_default() {
        let m = menu();
        assert_eq!(
            m.route('2'),
            Some(&IvrTarget::Queue {
                queue_id: "9002".into()
            })
        );
        assert_eq!(m.route('9'), Some(&IvrTarget::Hangup));
    }

    #[test]
    fn duplicate_or_bad_key_and_self_loop_are_invalid() {
        assert!(menu().validate().is_ok());
        let mut dup = menu();
        dup.options[1].dtmf = '1';
        assert!(dup.validate().is_err());
        let mut bad = menu();
        bad.options[0].dtmf = 'a';
        assert!(bad.validate().is_err());
        let mut lp = menu();
        lp.options[0].target = IvrTarget::Menu {
            menu_id: "31".into(),
        };
        assert!(lp.validate().is_err());
    }

    #[test]
    fn menu_round_trips_through_json() {
        let m = menu();
        let v = serde_json::to_value(&m).unwrap();
        assert_eq!(
            v["greeting"],
            serde_json::json!({"type":"tts","content":"Press 1 for sales"})
        );
        assert_eq!(serde_json::from_value::<IvrMenu>(v).unwrap(), m);
    }

    #[test]
    fn caller_number_order() {
        let numbers = vec![
            RelayNumber {
                id: "a".into(),
                is_default: false,
                ivr_menu_id: None,
            },
            RelayNumber {
                id: "b".into(),
                is_default: true,
                ivr_menu_id: None,
            },
        ];
        assert_eq!(
            pick_caller_number(Some("x"), Some("y"), &numbers),
            Some("x")
        );
        assert_eq!(pick_caller_number(Some(""), Some("y"), &numbers), Some("y"));
        assert_eq!(pick_caller_number(None, None, &numbers), Some("b"));
        assert_eq!(pick_caller_number(None, None, &numbers[..1]), Some("a"));
        assert_eq!(pick_caller_number(None, None, &[]), None);
    }

    #[test]
    fn bound_extension_cannot_be_taken_or_deleted() {
        let mut e = Extension {
            id: "8001".into(),
            password: "p".into(),
            number: String::new(),
            agent_id: None,
            state: ExtensionState::Offline,
        };
        assert!(e.validate().is_ok());
        e.bind("1001").unwrap();
        e.bind("1001").unwrap();
        assert!(e.bind("1002").is_err());
        assert!(e.check_deletable().is_err());
        assert_eq!(e.unbind().as_deref(), Some("1001"));
        assert!(e.check_deletable().is_ok());
    }

    #[test]
    fn extension_must_be_digits() {
        let mut e = Extension {
            id: "80a1".into(),
            password: String::new(),
            number: String::new(),
            agent_id: None,
            state: ExtensionState::Offline,
        };
        assert!(e.validate().is_err());
        e.id = "1".into();
        assert!(e.validate().is_err());
    }
}
