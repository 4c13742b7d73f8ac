//! Voice configuration: relay (caller) numbers, voice files, default prompts, the entry IVR menu,
//! and the surfaces' own settings. Vendor-neutral: Udesk `spnumbers`, `ivrs/*` and `apps` map onto
//! these ops, and whatever another surface shows of the same tenant reads the same records.

use std::collections::BTreeMap;

use super::{not_found, Effects, Op, OpOutput, State};
use crate::Result;
use ccemu_core::event::DomainEvent;
use ccemu_core::telephony::{IvrTarget, VoicePrompt};
use ccemu_core::{
    DefaultVoices, DomainError, Entity, IvrMenu, RelayNumber, SurfaceSettings, VoiceFile,
};

/// The tenant's voice configuration, kept in memory so ops can check references without I/O.
#[derive(Debug, Default)]
pub(crate) struct Telephony {
    numbers: BTreeMap<String, RelayNumber>,
    files: BTreeMap<String, VoiceFile>,
    menus: BTreeMap<String, IvrMenu>,
}

impl Telephony {
    /// Whether documents of `kind` belong to this module.
    pub fn owns(kind: &str) -> bool {
        [RelayNumber::KIND, VoiceFile::KIND, IvrMenu::KIND].contains(&kind)
    }

    /// Takes a stored document of a kind this module [owns](Self::owns).
    pub fn load(&mut self, kind: &str, data: serde_json::Value) -> Result<()> {
        let corrupt = super::corrupt;
        match kind {
            k if k == RelayNumber::KIND => {
                let n: RelayNumber = serde_json::from_value(data).map_err(corrupt)?;
                self.numbers.insert(n.id.clone(), n);
            }
            k if k == VoiceFile::KIND => {
                let f: VoiceFile = serde_json::from_value(data).map_err(corrupt)?;
                self.files.insert(f.id.clone(), f);
            }
            k if k == IvrMenu::KIND => {
                let m: IvrMenu = serde_json::from_value(data).map_err(corrupt)?;
                self.menus.insert(m.id.clone(), m);
            }
            _ => {}
        }
        Ok(())
    }

    /// The tenant's relay numbers, by number.
    pub fn numbers(&self) -> impl Iterator<Item = &RelayNumber> {
        self.numbers.values()
    }

    /// The menu an inbound call to `number` enters, if it exists.
    pub fn entry_menu(&self, number: Option<&str>) -> Option<&IvrMenu> {
        let id = ccemu_core::telephony::entry_menu_id(self.numbers.values(), number);
        self.menus.get(id)
    }
}

/// A value a surface files under the next number of one of its settings records (a numbered log
/// kept in the record's values, keyed `"1"`, `"2"`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct SettingsEntry {
    /// The settings record; created if missing.
    pub settings_id: String,
    /// What is filed.
    pub value: serde_json::Value,
    /// Entries kept; the oldest go first.
    pub keep: usize,
}

/// The `custom_data` key under which a call routed by the IVR notes its menu and keys.
pub const IVR_KEY: &str = "ivr";

fn changed(record: &str, id: &str, deleted: bool) -> DomainEvent {
    DomainEvent::ConfigChanged {
        record: record.to_owned(),
        id: id.to_owned(),
        deleted,
    }
}

impl State {
    /// Stores a surface's settings (replacing them) and keeps them for later commands.
    fn put_surface_settings(
        &mut self,
        mut settings: SurfaceSettings,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        settings.validate()?;
        settings.updated_at_ms = now;
        fx.changes.put(&settings)?;
        fx.events
            .push(changed(SurfaceSettings::KIND, &settings.id, false));
        self.settings.insert(settings.id.clone(), settings);
        Ok(())
    }

    /// Files `entry` under one more than the highest number of its record, forgetting the
    /// oldest entries past its `keep`; answers the number.
    pub(super) fn file_settings_entry(
        &mut self,
        entry: SettingsEntry,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<u64> {
        let mut settings = self
            .settings
            .get(&entry.settings_id)
            .cloned()
            .unwrap_or_else(|| SurfaceSettings {
                id: entry.settings_id.clone(),
                ..SurfaceSettings::default()
            });
        let number = |key: &String| key.parse::<u64>().ok();
        let n = settings.values.keys().filter_map(number).max().unwrap_or(0) + 1;
        settings.values.insert(n.to_string(), entry.value);
        while settings.values.len() > entry.keep {
            let oldest = settings
                .values
                .keys()
                .min_by_key(|k| number(k).unwrap_or(0))
                .cloned();
            match oldest {
                Some(key) => settings.values.remove(&key),
                None => break,
            };
        }
        self.put_surface_settings(settings, now, fx)?;
        Ok(n)
    }

    /// Applies one of this module's ops.
    pub(super) fn apply_telephony(
        &mut self,
        op: Op,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        match op {
            Op::PutSurfaceSettings(settings) => {
                self.put_surface_settings(settings, now, fx)?;
                Ok(OpOutput::Deleted)
            }
            Op::SetDefaultRelayNumber { number } => {
                if let Some(n) = &number {
                    if !self.telephony.numbers.contains_key(n) {
                        return Err(not_found("relay number", n));
                    }
                }
                for n in self.telephony.numbers.values_mut() {
                    let is_default = number.as_deref() == Some(n.id.as_str());
                    if n.is_default != is_default {
                        n.is_default = is_default;
                        fx.changes.put(&*n)?;
                        fx.events.push(changed(RelayNumber::KIND, &n.id, false));
                    }
                }
                Ok(OpOutput::Deleted)
            }
            Op::SetAgentCallerNumber { agent_id, number } => {
                if let Some(n) = &number {
                    if !self.telephony.numbers.contains_key(n) {
                        return Err(not_found("relay number", n));
                    }
                }
                let agent = self
                    .agents
                    .get_mut(&agent_id)
                    .ok_or_else(|| not_found("agent", &agent_id))?;
                agent.default_caller_number = number;
                agent.updated_at_ms = now;
                fx.changes.put(&*agent)?;
                fx.events.push(DomainEvent::AgentUpdated {
                    agent_id: agent_id.clone(),
                });
                Ok(OpOutput::Agent(Box::new(agent.clone())))
            }
            Op::CreateVoiceFile(file) => {
                ccemu_core::validate::check_not_blank("file name", &file.id)?;
                if self.telephony.files.contains_key(&file.id) {
                    return Err(DomainError::AlreadyExists {
                        kind: "voice file",
                        id: file.id,
                    }
                    .into());
                }
                fx.changes.put(&file)?;
                fx.events.push(changed(VoiceFile::KIND, &file.id, false));
                self.telephony.files.insert(file.id.clone(), file);
                Ok(OpOutput::Deleted)
            }
            Op::DeleteVoiceFile { id } => {
                if self.telephony.files.remove(&id).is_none() {
                    return Err(not_found("voice file", &id));
                }
                fx.changes.delete::<VoiceFile>(&id);
                fx.events.push(changed(VoiceFile::KIND, &id, true));
                Ok(OpOutput::Deleted)
            }
            Op::PutDefaultVoices(mut voices) => {
                voices.id = DefaultVoices::ID.to_owned();
                voices.validate()?;
                for prompt in voices.prompts.values() {
                    if let VoicePrompt::File(name) = prompt {
                        if !self.telephony.files.contains_key(name) {
                            return Err(not_found("voice file", name));
                        }
                    }
                }
                fx.changes.put(&voices)?;
                fx.events
                    .push(changed(DefaultVoices::KIND, &voices.id, false));
                Ok(OpOutput::Deleted)
            }
            Op::SetEntryMenuOptions { options } => self.set_entry_menu_options(options, fx),
            Op::StartIvrCall {
                from,
                to,
                dtmf,
                priority,
            } => {
                let (menu_id, queue_id) = self.ivr_route(&to, &dtmf)?;
                let output = self.start_inbound(
                    ccemu_core::Channel::Voice,
                    &queue_id,
                    from,
                    to,
                    priority,
                    now,
                    fx,
                )?;
                let OpOutput::Interaction(mut i) = output else {
                    return Ok(output);
                };
                // What the caller went through, for reports; the interaction record is the one
                // start_inbound committed, so it is put again with the note.
                i.custom_data.insert(
                    IVR_KEY.to_owned(),
                    serde_json::json!({"menu_id": menu_id, "dtmf": dtmf}),
                );
                if let Some(live) = self.active.get_mut(&i.id) {
                    live.custom_data = i.custom_data.clone();
                }
                fx.changes.put(&*i)?;
                Ok(OpOutput::Interaction(i))
            }
            _ => unreachable!("apply_telephony is only called with telephony ops"),
        }
    }

    /// The queue a call to `number` reaches through the IVR by pressing `dtmf`, one key per menu
    /// level (a key not on a menu, or none, takes the menu's default), with the last menu's id.
    fn ivr_route(&self, number: &str, dtmf: &str) -> Result<(String, String)> {
        let invalid = |reason: String| DomainError::Invalid {
            field: "dtmf",
            reason,
        };
        let mut menu = self
            .telephony
            .entry_menu(Some(number))
            .ok_or_else(|| not_found("ivr menu", number))?;
        let mut keys = dtmf.chars();
        // A menu that leads back to one seen before would loop forever; the depth bounds it.
        for _ in 0..=self.telephony.menus.len() {
            let key = keys.next().unwrap_or(' ');
            match menu.route(key) {
                Some(IvrTarget::Queue { queue_id }) => return Ok((menu.id.clone(), queue_id.clone())),
                Some(IvrTarget::Menu { menu_id }) => {
                    menu = self
                        .telephony
                        .menus
                        .get(menu_id)
                        .ok_or_else(|| not_found("ivr menu", menu_id))?;
                }
                Some(other) => {
                    return Err(invalid(format!(
                        "menu {} leads key {key:?} to {other:?}, which the simulator does not take calls to",
                        menu.id
                    ))
                    .into())
                }
                None => {
                    return Err(invalid(format!(
                        "menu {} has no choice for key {key:?} and no default",
                        menu.id
                    ))
                    .into())
                }
            }
        }
        Err(invalid("the IVR menus lead in a circle".into()).into())
    }

    /// Replaces the choices of the entry menu, creating the menu (and leading every number without
    /// a menu to it) when the tenant has none.
    fn set_entry_menu_options(
        &mut self,
        options: Vec<ccemu_core::telephony::IvrOption>,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        for option in &options {
            if let IvrTarget::Queue { queue_id } = &option.target {
                if !self.queues.contains_key(queue_id) {
                    return Err(not_found("queue", queue_id));
                }
            }
        }
        let mut menu = match self.telephony.entry_menu(None) {
            Some(menu) => menu.clone(),
            // The menu the numbers already name, or the engine's own entry menu.
            None => IvrMenu {
                id: ccemu_core::telephony::entry_menu_id(self.telephony.numbers.values(), None)
                    .to_owned(),
                name: "Main".to_owned(),
                parent_id: None,
                greeting: None,
                options: Vec::new(),
                timeout_secs: 5,
                default_target: None,
            },
        };
        menu.options = options;
        menu.validate()?;
        for n in self.telephony.numbers.values_mut() {
            if n.ivr_menu_id.is_none() {
                n.ivr_menu_id = Some(menu.id.clone());
                fx.changes.put(&*n)?;
                fx.events.push(changed(RelayNumber::KIND, &n.id, false));
            }
        }
        fx.changes.put(&menu)?;
        fx.events.push(changed(IvrMenu::KIND, &menu.id, false));
        let output = OpOutput::IvrMenu(Box::new(menu.clone()));
        self.telephony.menus.insert(menu.id.clone(), menu);
        Ok(output)
    }
}
