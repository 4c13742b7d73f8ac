//! Transcripts: messages that the parties of an open interaction add to it.
//!
//! Vendor-neutral: each vendor surface maps its own "send message" onto [`Op::AddMessage`]
//! (Genesys GWS chat, Cention, UJET chats), so the rules about who may say what live here once.

use super::{not_found, Effects, Op, OpOutput, State};
use crate::Result;
use ccemu_core::event::DomainEvent;
use ccemu_core::interaction::{
    Attachment, Interaction, Message, MessageKind, ParticipantKind, ParticipantState, Visibility,
};
use ccemu_core::DomainError;

/// A message to add to an interaction's transcript, as a party sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    /// Kind of sender.
    pub from: ParticipantKind,
    /// The sending participant; `None`: the customer's participant for a customer, the connected
    /// agent's for an agent, nobody for a bot (a system notice).
    pub participant_id: Option<String>,
    /// Text, typing started/stopped or a notice; joins and leaves are the engine's own entries.
    pub kind: MessageKind,
    /// Plain text; required (not blank) for a text message.
    pub text: String,
    /// Subject line.
    pub subject: Option<String>,
    /// HTML body.
    pub html: Option<String>,
    /// Who sees it; only agents and bots write agent-only messages.
    pub visibility: Visibility,
    /// Files; an empty id is given a generated one.
    pub attachments: Vec<Attachment>,
}

impl NewMessage {
    /// A text message for every party, the shape most callers want.
    pub fn text(from: ParticipantKind, text: impl Into<String>) -> Self {
        Self {
            from,
            participant_id: None,
            kind: MessageKind::Text,
            text: text.into(),
            subject: None,
            html: None,
            visibility: Visibility::All,
            attachments: Vec::new(),
        }
    }

    /// Checks what does not depend on the interaction.
    fn validate(&self) -> Result<(), DomainError> {
        let invalid = |field, reason: &str| DomainError::Invalid {
            field,
            reason: reason.to_owned(),
        };
        if matches!(
            self.kind,
            MessageKind::ParticipantJoined | MessageKind::ParticipantLeft
        ) {
            return Err(invalid(
                "kind",
                "joins and leaves are recorded by the engine; use text, typing_started, typing_stopped or notice",
            ));
        }
        if self.kind == MessageKind::Text && self.text.trim().is_empty() {
            return Err(invalid("text", "a text message needs text"));
        }
        if self.visibility == Visibility::Agents && self.from == ParticipantKind::Customer {
            return Err(invalid(
                "visibility",
                "a customer cannot write an agent-only message",
            ));
        }
        if self.attachments.iter().any(|a| a.name.trim().is_empty()) {
            return Err(invalid("attachments.name", "must not be empty"));
        }
        Ok(())
    }
}

impl State {
    /// Adds a message to an open interaction's transcript and announces it with its index.
    pub(super) fn add_message(
        &mut self,
        interaction_id: &str,
        message: NewMessage,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        message.validate()?;
        // In place, not on a copy: append checks everything before it changes anything, and a
        // copy would cost the whole transcript per message.
        let i = self
            .active
            .get_mut(interaction_id)
            .ok_or_else(|| not_found("interaction", interaction_id))?;
        let added = append(i, message, now, fx)?;
        fx.changes.put(&*i)?;
        Ok(OpOutput::Message(Box::new(added)))
    }

    /// With `chat_first_message` set, the simulated customer of a new chat opens with it.
    pub(super) fn sim_first_message(
        &self,
        i: &mut Interaction,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        if let Some(text) = &self.sim.chat_first_message {
            append(
                i,
                NewMessage::text(ParticipantKind::Customer, text.clone()),
                now,
                fx,
            )?;
        }
        Ok(())
    }
}

/// Appends a message sent now and announces it; returns the message as stored, with its index.
fn append(
    i: &mut Interaction,
    message: NewMessage,
    now: i64,
    fx: &mut Effects<'_>,
) -> Result<Message> {
    let from_participant_id = sender(i, &message)?;
    let NewMessage {
        from,
        kind,
        text,
        subject,
        html,
        visibility,
        mut attachments,
        ..
    } = message;
    for a in attachments.iter_mut().filter(|a| a.id.is_empty()) {
        a.id = uuid::Uuid::new_v4().to_string();
    }
    let mut added = Message {
        id: uuid::Uuid::new_v4().to_string(),
        index: 0,
        kind,
        from_participant_id,
        from_kind: from,
        text,
        subject,
        html,
        visibility,
        attachments,
        sent_at_ms: now,
    };
    let index = i.add_message(added.clone())?;
    added.index = index;
    fx.events.push(DomainEvent::MessageAdded {
        interaction_id: i.id.clone(),
        message_id: added.id.clone(),
        index,
    });
    Ok(added)
}

/// The participant a message is sent as, after checking that it may send it now.
fn sender(i: &Interaction, message: &NewMessage) -> Result<Option<String>, DomainError> {
    let open = |p: &ccemu_core::interaction::Participant| p.state != ParticipantState::Left;
    let connected_agent = i
        .agent_id
        .as_deref()
        .filter(|_| !i.state.is_waiting() && !i.state.is_terminal());
    let no_agent =
        || DomainError::Conflict(format!("no agent is connected to interaction {}", i.id));
    if message.from == ParticipantKind::Agent && connected_agent.is_none() {
        return Err(no_agent());
    }
    let participant = match &message.participant_id {
        Some(id) => Some(i.participant(id).ok_or_else(|| DomainError::NotFound {
            kind: "participant",
            id: id.clone(),
        })?),
        None => match message.from {
            ParticipantKind::Customer => Some(
                i.participants
                    .iter()
                    .find(|p| p.kind == ParticipantKind::Customer && open(p))
                    .ok_or_else(|| {
                        DomainError::Conflict(format!(
                            "interaction {} has no customer participant",
                            i.id
                        ))
                    })?,
            ),
            ParticipantKind::Agent => i
                .participants
                .iter()
                .find(|p| p.agent_id.as_deref() == connected_agent && open(p)),
            ParticipantKind::Bot => None,
        },
    };
    let Some(p) = participant else {
        return match message.from {
            ParticipantKind::Agent => Err(no_agent()),
            _ => Ok(None),
        };
    };
    if p.kind != message.from {
        return Err(DomainError::Invalid {
            field: "participant_id",
            reason: format!("participant {} is not a {}", p.id, kind_name(message.from)),
        });
    }
    if !open(p) {
        return Err(DomainError::Conflict(format!(
            "participant {} has left interaction {}",
            p.id, i.id
        )));
    }
    // An agent participant speaks only while its agent holds the contact (not after a transfer).
    if p.kind == ParticipantKind::Agent && p.agent_id.as_deref() != connected_agent {
        return Err(DomainError::Conflict(format!(
            "participant {} is not the connected agent of interaction {}",
            p.id, i.id
        )));
    }
    Ok(Some(p.id.clone()))
}

fn kind_name(kind: ParticipantKind) -> &'static str {
    match kind {
        ParticipantKind::Customer => "customer",
        ParticipantKind::Agent => "agent",
        ParticipantKind::Bot => "bot",
    }
}

impl Op {
    /// The interaction an [`Op::AddMessage`] is for.
    pub(crate) fn message_target(&self) -> Option<&str> {
        match self {
            Op::AddMessage { interaction_id, .. } => Some(interaction_id),
            _ => None,
        }
    }
}
