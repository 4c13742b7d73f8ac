//! Background jobs of the surfaces: the engine numbers and stores them; the surface runs them.

use super::{not_found, Effects, OpOutput, State};
use crate::Result;
use ccemu_core::Job;

impl State {
    /// Stores a new job with the next id of the tenant.
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
        Ok(OpOutput::Job(Box::new(job)))
    }

    /// Replaces a job the engine numbered (its id and creation time are kept).
    pub(super) fn update_job(
        &mut self,
        mut job: Job,
        now: i64,
        fx: &mut Effects<'_>,
    ) -> Result<OpOutput> {
        let known = job
            .id
            .parse::<u64>()
            .is_ok_and(|n| (1..=self.last_job_id).contains(&n));
        if !known {
            return Err(not_found("job", &job.id));
        }
        job.updated_at_ms = now;
        fx.changes.put(&job)?;
        Ok(OpOutput::Job(Box::new(job)))
    }
}
