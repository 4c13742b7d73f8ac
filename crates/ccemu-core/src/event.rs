//! Domain events: what happened in a tenant, in order, as the vendor surfaces and the event log see it.

use serde::{Deserialize, Serialize};

/// One entry of a tenant's durable event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Position in the tenant's log, starting at 1, without gaps.
    pub seq: i64,
    /// Tenant time at which it happened, epoch milliseconds.
    pub at_ms: i64,
    /// The event.
    #[serde(flatten)]
    pub event: DomainEvent,
}

/// Something that happened in a tenant. Serialized as `{"kind": "...", "data": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data")]
pub enum DomainEvent {
    /// The tenant was created.
    #[serde(rename = "tenant.created")]
    TenantCreated {
        /// Display name.
        name: String,
    },
    /// All data of the tenant was removed; credentials were kept.
    #[serde(rename = "tenant.reset")]
    TenantReset,
    /// The tenant clock changed mode or time.
    #[serde(rename = "clock.changed")]
    ClockChanged {
        /// New mode.
        mode: crate::clock::ClockMode,
        /// Tenant time after the change.
        now_ms: i64,
    },
    /// A timer fell due and was applied.
    #[serde(rename = "timer.fired")]
    TimerFired {
        /// Timer id.
        timer_id: i64,
        /// When it was due (tenant time).
        due_ms: i64,
        /// What it did.
        action: crate::timer::TimerAction,
    },
    /// An agent was created.
    #[serde(rename = "agent.created")]
    AgentCreated {
        /// Agent id.
        agent_id: String,
    },
    /// An agent's profile (not state) changed.
    #[serde(rename = "agent.updated")]
    AgentUpdated {
        /// Agent id.
        agent_id: String,
    },
    /// An agent was deleted.
    #[serde(rename = "agent.deleted")]
    AgentDeleted {
        /// Agent id.
        agent_id: String,
    },
    /// A queue was created.
    #[serde(rename = "queue.created")]
    QueueCreated {
        /// Queue id.
        queue_id: String,
    },
    /// A queue's settings or members changed.
    #[serde(rename = "queue.updated")]
    QueueUpdated {
        /// Queue id.
        queue_id: String,
    },
    /// A queue was deleted.
    #[serde(rename = "queue.deleted")]
    QueueDeleted {
        /// Queue id.
        queue_id: String,
    },
    /// An extension (device) was created.
    #[serde(rename = "extension.created")]
    ExtensionCreated {
        /// Extension number.
        extension_id: String,
    },
    /// An extension was bound to an agent or released; `agent_id` is the binding after the change.
    #[serde(rename = "extension.updated")]
    ExtensionUpdated {
        /// Extension number.
        extension_id: String,
        /// The agent it is bound to now, if any.
        agent_id: Option<String>,
    },
    /// An extension was deleted.
    #[serde(rename = "extension.deleted")]
    ExtensionDeleted {
        /// Extension number.
        extension_id: String,
    },
    /// An agent changed state; the finished period is persisted as an `AgentStateLog` alongside.
    #[serde(rename = "agent.state_changed")]
    AgentStateChanged {
        /// Agent id.
        agent_id: String,
        /// Previous state.
        from: crate::agent::AgentState,
        /// New state.
        to: crate::agent::AgentState,
    },
    /// How an agent's voice calls reach them changed (Udesk call mode).
    #[serde(rename = "agent.call_mode_changed")]
    AgentCallModeChanged {
        /// Agent id.
        agent_id: String,
        /// Previous mode.
        from: crate::agent::CallMode,
        /// New mode.
        to: crate::agent::CallMode,
        /// The number the new mode reaches the agent on (mobile number or extension).
        number: Option<String>,
    },
    /// A contact record was created.
    #[serde(rename = "contact.created")]
    ContactCreated {
        /// Contact id.
        contact_id: String,
    },
    /// A contact record changed.
    #[serde(rename = "contact.updated")]
    ContactUpdated {
        /// Contact id.
        contact_id: String,
    },
    /// An interaction was recorded.
    #[serde(rename = "interaction.created")]
    InteractionCreated {
        /// Interaction id.
        interaction_id: String,
        /// Medium.
        channel: crate::interaction::Channel,
        /// Who started it.
        direction: crate::interaction::Direction,
        /// Queue it is headed for, if known.
        queue_id: Option<String>,
        /// Agent it is for, if known (outbound or direct).
        agent_id: Option<String>,
    },
    /// An interaction's data changed without a state change (custom data, subject, contact).
    #[serde(rename = "interaction.updated")]
    InteractionUpdated {
        /// Interaction id.
        interaction_id: String,
    },
    /// An interaction entered a queue.
    #[serde(rename = "interaction.queued")]
    InteractionQueued {
        /// Interaction id.
        interaction_id: String,
        /// Queue.
        queue_id: String,
    },
    /// An interaction was reserved for an agent.
    #[serde(rename = "interaction.offered")]
    InteractionOffered {
        /// Interaction id.
        interaction_id: String,
        /// Agent.
        agent_id: String,
    },
    /// An interaction is being presented to an agent.
    #[serde(rename = "interaction.ringing")]
    InteractionRinging {
        /// Interaction id.
        interaction_id: String,
        /// Agent.
        agent_id: String,
    },
    /// An agent (or bot) answered.
    #[serde(rename = "interaction.answered")]
    InteractionAnswered {
        /// Interaction id.
        interaction_id: String,
        /// Agent, `None` when a bot answered.
        agent_id: Option<String>,
    },
    /// The customer's phone rings for an outbound call placed by an agent (the agent's leg is up).
    #[serde(rename = "interaction.customer_ringing")]
    CustomerRinging {
        /// Interaction id.
        interaction_id: String,
        /// Number dialled.
        number: String,
    },
    /// The customer picked up an outbound call placed by an agent; agent and customer talk.
    #[serde(rename = "interaction.customer_answered")]
    CustomerAnswered {
        /// Interaction id.
        interaction_id: String,
        /// Number dialled.
        number: String,
    },
    /// The interaction was put on hold.
    #[serde(rename = "interaction.held")]
    InteractionHeld {
        /// Interaction id.
        interaction_id: String,
    },
    /// The interaction came off hold.
    #[serde(rename = "interaction.resumed")]
    InteractionResumed {
        /// Interaction id.
        interaction_id: String,
    },
    /// A transfer started or was settled.
    #[serde(rename = "interaction.transferred")]
    InteractionTransferred {
        /// Interaction id.
        interaction_id: String,
        /// Transfer id.
        transfer_id: String,
        /// Progress.
        status: crate::interaction::TransferStatus,
        /// Agent handing over.
        from_agent_id: Option<String>,
        /// Target agent.
        to_agent_id: Option<String>,
        /// Target queue.
        to_queue_id: Option<String>,
    },
    /// The customer left; the agent does after-contact work.
    #[serde(rename = "interaction.wrap_up")]
    InteractionWrapUp {
        /// Interaction id.
        interaction_id: String,
        /// Agent in wrap-up.
        agent_id: Option<String>,
    },
    /// The interaction ended after being handled.
    #[serde(rename = "interaction.ended")]
    InteractionEnded {
        /// Interaction id.
        interaction_id: String,
        /// Who ended it.
        ended_by: crate::interaction::EndedBy,
        /// Why.
        reason: crate::interaction::EndReason,
    },
    /// The customer left before an answer.
    #[serde(rename = "interaction.abandoned")]
    InteractionAbandoned {
        /// Interaction id.
        interaction_id: String,
        /// Queue it was waiting in.
        queue_id: Option<String>,
    },
    /// The interaction could not be completed.
    #[serde(rename = "interaction.failed")]
    InteractionFailed {
        /// Interaction id.
        interaction_id: String,
        /// Why.
        reason: crate::interaction::EndReason,
    },
    /// An outbound campaign was created (in `draft`).
    #[serde(rename = "campaign.created")]
    CampaignCreated {
        /// Campaign id.
        campaign_id: String,
        /// Contacts on its list.
        contacts: usize,
    },
    /// A campaign was started, paused, resumed, stopped or completed.
    #[serde(rename = "campaign.status_changed")]
    CampaignStatusChanged {
        /// Campaign id.
        campaign_id: String,
        /// Previous status.
        from: crate::campaign::CampaignStatus,
        /// New status.
        to: crate::campaign::CampaignStatus,
    },
    /// The dialer placed a call to a campaign contact.
    #[serde(rename = "campaign.dialing")]
    CampaignDialing {
        /// Campaign id.
        campaign_id: String,
        /// Campaign contact id.
        contact_id: String,
        /// The outbound interaction of this attempt.
        interaction_id: String,
        /// Number dialled.
        phone_number: String,
        /// 1-based attempt.
        attempt: u32,
    },
    /// A campaign contact is shown to an agent of the pool (preview mode), who calls or skips it.
    #[serde(rename = "campaign.previewing")]
    CampaignPreviewing {
        /// Campaign id.
        campaign_id: String,
        /// Campaign contact id.
        contact_id: String,
        /// The interaction that carries the preview (and then the call).
        interaction_id: String,
        /// Number to call.
        phone_number: String,
    },
    /// A preview was skipped (by the agent) or withdrawn (the campaign stopped); nobody was called.
    #[serde(rename = "campaign.preview_skipped")]
    CampaignPreviewSkipped {
        /// Campaign id.
        campaign_id: String,
        /// Campaign contact id.
        contact_id: String,
        /// The interaction of the preview.
        interaction_id: String,
    },
    /// An outbound dial was answered or failed.
    #[serde(rename = "campaign.dial_result")]
    CampaignDialResult {
        /// Campaign id.
        campaign_id: String,
        /// Campaign contact id.
        contact_id: String,
        /// The outbound interaction of this attempt.
        interaction_id: String,
        /// What happened.
        outcome: crate::campaign::DialOutcome,
        /// The contact's status after it (`queued`, `redial_scheduled`, `not_picked_up`, ...).
        status: crate::campaign::CampaignContactStatus,
    },
    /// Every contact of a campaign reached a final status.
    #[serde(rename = "campaign.exhausted")]
    CampaignExhausted {
        /// Campaign id.
        campaign_id: String,
    },
    /// A configuration record (relay number, voice file, IVR menu, default voices, a surface's
    /// own settings) was created, changed or deleted.
    #[serde(rename = "config.changed")]
    ConfigChanged {
        /// Record kind, e.g. `voice_file`.
        record: String,
        /// Record id.
        id: String,
        /// Whether it was deleted.
        deleted: bool,
    },
    /// A message was added to an interaction's transcript.
    #[serde(rename = "message.added")]
    MessageAdded {
        /// Interaction id.
        interaction_id: String,
        /// Message id.
        message_id: String,
        /// Transcript index.
        index: u32,
    },
}

impl DomainEvent {
    /// The dotted kind name, e.g. `tenant.created`.
    pub fn kind(&self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(map)) => map
                .get("kind")
                .and_then(|k| k.as_str())
                .unwrap_or_default()
                .to_owned(),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_state_change_uses_dotted_kind_and_round_trips() {
        let event = DomainEvent::AgentStateChanged {
            agent_id: "1001".into(),
            from: crate::agent::AgentState::Available,
            to: crate::agent::AgentState::OnBreak {
                sub_state: 2,
                until_ms: None,
            },
        };
        assert_eq!(event.kind(), "agent.state_changed");
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["data"]["to"]["state"], "on_break");
        assert_eq!(serde_json::from_value::<DomainEvent>(json).unwrap(), event);
    }

    #[test]
    fn interaction_events_have_their_kinds() {
        let ended = DomainEvent::InteractionEnded {
            interaction_id: "c1".into(),
            ended_by: crate::interaction::EndedBy::Customer,
            reason: crate::interaction::EndReason::Normal,
        };
        assert_eq!(ended.kind(), "interaction.ended");
        let msg = DomainEvent::MessageAdded {
            interaction_id: "c1".into(),
            message_id: "m1".into(),
            index: 1,
        };
        assert_eq!(msg.kind(), "message.added");
        let record = EventRecord {
            seq: 4,
            at_ms: 9,
            event: msg,
        };
        let back: EventRecord =
            serde_json::from_str(&serde_json::to_string(&record).unwrap()).unwrap();
        assert_eq!(back, record);
    }
}
