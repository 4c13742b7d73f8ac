//! Background jobs: the engine numbers and stores them and carries out their [`JobWork`].
//!
//! A surface checks and compiles an upload up front; what is left is domain steps, which the
//! owner task applies here a bounded batch at a time (see `center.rs`). The job record is written
//! with the batch's own writes in one transaction, so its `done` counter is exactly the steps that
//! are stored: a restart resumes at the first step not applied.

use super::{not_found, Effects, OpOutput, State};
use crate::Result;
use ccemu_core::{DomainError, Job, JobStatus, StepAction, StepError, StepFailure};

/// What one turn of job work did.
#[derive(Debug)]
pub(crate) enum JobTurn {
    /// No job has work.
    Idle,
    /// Steps carried out (a verdict recorded counts none); the job record is among the writes.
    Worked {
        /// Steps applied or failed.
        steps: usize,
    },
    /// A step failed after it had written: the state broke its rule to check before it
    /// changes anything, so the turn's writes cannot be trusted and the caller drops them (it
    /// reloads the store). The step is retried alone, see [`State::fail_job_step`].
    Unclean {
        /// The job.
        job_id: u64,
        /// The step.
        step: usize,
        /// Whether it was the first step of the turn (nothing else is lost with it).
        first: bool,
        /// Why it failed.
        error: StepError,
    },
}

/// How much a command has written so far: a step that fails must leave it as it was.
#[derive(Debug, PartialEq, Eq)]
struct Mark {
    changes: ccemu_store::Mark,
    agents_whole: usize,
    produced: (usize, usize),
}

impl Mark {
    fn of(fx: &Effects<'_>) -> Self {
        Self {
            changes: fx.changes.mark(),
            agents_whole: fx.changes.agents_whole.len(),
            produced: (fx.events.len(), fx.timers.len()),
        }
    }
}

fn step_error(error: &crate::EngineError) -> StepError {
    match error {
        crate::EngineError::Domain(e) => e.into(),
        other => {
            tracing::error!(error = %other, "a job step failed inside the engine");
            StepError::Failed
        }
    }
}

impl State {
    /// Stores a new job with the next id of the tenant; one with work is taken up by the engine.
    pub(super) fn create_job(
        &mut self,
        mut job: Job,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        self.last_job_id += 1;
        job.id = self.last_job_id.to_string();
        job.created_at_ms = now;
        job.updated_at_ms = now;
        fx.changes.put(&job)?;
        if job.has_work() {
            self.jobs.insert(self.last_job_id, job.clone());
        }
        Ok(OpOutput::Job(Box::new(job)))
    }

    /// Replaces a job the engine numbered (its id and creation time are kept). A job the engine
    /// is running is the engine's until it finishes.
    pub(super) fn update_job(
        &mut self,
        mut job: Job,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let n = job
            .id
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=self.last_job_id).contains(n))
            .ok_or_else(|| not_found("job", &job.id))?;
        if let Some(current) = self.jobs.get(&n) {
            if current.status == JobStatus::Running {
                return Err(DomainError::Conflict(format!("job {n} is running")).into());
            }
            job.created_at_ms = current.created_at_ms;
        }
        job.updated_at_ms = now;
        fx.changes.put(&job)?;
        if job.has_work() {
            self.jobs.insert(n, job.clone());
        } else {
            self.jobs.remove(&n);
        }
        Ok(OpOutput::Job(Box::new(job)))
    }

    /// Keeps a stored job that still has work (at start-up).
    pub(super) fn load_job(&mut self, job: Job) {
        if let Ok(n) = job.id.parse::<u64>() {
            self.last_job_id = self.last_job_id.max(n);
            if job.has_work() {
                self.jobs.insert(n, job);
            }
        }
    }

    /// Whether some job has work for the engine.
    pub fn has_job_work(&self) -> bool {
        !self.jobs.is_empty()
    }

    /// Carries out the oldest job's next work: its verdict, or up to `budget` steps. The job
    /// record is written once, after the steps, with its progress. A step stops short of
    /// `stop_before` (job, step) unless it is the first of the turn.
    pub fn work_job(
        &mut self,
        budget: usize,
        stop_before: Option<(u64, usize)>,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<JobTurn> {
        let Some((id, mut job)) = self.jobs.pop_first() else {
            return Ok(JobTurn::Idle);
        };
        let Some(mut work) = job.work.take() else {
            return Ok(JobTurn::Idle);
        };
        let mut steps = 0;
        if job.status == JobStatus::Created {
            if let Some(verdict) = work.verdict.take() {
                job.status = if verdict.is_empty() {
                    JobStatus::Validated
                } else {
                    JobStatus::Invalid
                };
                job.errors = verdict;
            } else {
                job.status = JobStatus::Running;
            }
        }
        while job.status == JobStatus::Running && steps < budget {
            let index = work.done;
            let Some(step) = work.steps.get(index).cloned() else {
                break;
            };
            if steps > 0 && stop_before == Some((id, index)) {
                break;
            }
            let mark = Mark::of(fx);
            if let Err(error) = self.apply_step(step.action, now, fx) {
                let error = step_error(&error);
                if Mark::of(fx) != mark {
                    return Ok(JobTurn::Unclean {
                        job_id: id,
                        step: index,
                        first: steps == 0,
                        error,
                    });
                }
                work.failures.push(StepFailure {
                    item: step.item,
                    error,
                });
            }
            work.done += 1;
            steps += 1;
        }
        if job.status == JobStatus::Running && work.done >= work.steps.len() {
            job.status = JobStatus::Finished;
        }
        // What the steps changed may let the dialer go on (contacts appended to a campaign).
        self.pace(now, fx)?;
        job.work = Some(work);
        job.updated_at_ms = now;
        fx.changes.put(&job)?;
        if job.has_work() {
            self.jobs.insert(id, job);
        }
        Ok(JobTurn::Worked { steps })
    }

    /// Records that the next step of job `job_id`, number `step`, failed with `error`, without
    /// applying it (after [`JobTurn::Unclean`] and a reload); anything else is left alone.
    pub fn fail_job_step(
        &mut self,
        job_id: u64,
        step: usize,
        error: StepError,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<()> {
        let Some(mut job) = self.jobs.remove(&job_id) else {
            return Ok(());
        };
        if let Some(work) = job.work.as_mut().filter(|w| w.done == step) {
            let item = work.steps.get(step).map_or(0, |s| s.item);
            work.failures.push(StepFailure { item, error });
            work.done += 1;
            if work.done >= work.steps.len() {
                job.status = JobStatus::Finished;
            }
            job.updated_at_ms = now;
            fx.changes.put(&job)?;
        }
        if job.has_work() {
            self.jobs.insert(job_id, job);
        }
        Ok(())
    }

    /// Applies one step like the command it stands for (without its reply, and without pacing
    /// the dialer, which the turn does once).
    fn apply_step(&mut self, action: StepAction, now: i64, fx: &mut Effects<'_>) -> Result<()> {
        match action {
            StepAction::CreateAgent { agent } => {
                self.create_agents(vec![*agent], Vec::new(), now, fx)?;
            }
            StepAction::UpdateAgent { agent_id, patch } => {
                self.update_agent(&agent_id, patch, now, fx)?;
            }
            StepAction::AddCampaignContact {
                campaign_id,
                contact,
            } => self.append_campaign_contacts(&campaign_id, vec![*contact], now, fx)?,
        }
        Ok(())
    }
}
