//! Background jobs carried out by the engine: the verdict of a job, its steps in bounded
//! batches, failures reported by item, the job kept from its surface while it runs, and a job
//! cut short by a restart that resumes exactly where it stopped.

mod common;

use ccemu_core::agent::Agent;
use ccemu_core::{
    DomainError, Job, JobStatus, JobStep, JobWork, StepAction, StepError, StepFailure,
};
use ccemu_engine::{AgentPatch, Engine, EngineError, JobConfig, Op, OpOutput};
use ccemu_store::testing::TestDb;
use common::{demo, engine, engine_with, manual};
use serde_json::json;

fn create(item: u64, id: &str) -> JobStep {
    JobStep {
        item,
        action: StepAction::CreateAgent {
            agent: Box::new(Agent::new(id, format!("Agent {id}"), 0)),
        },
    }
}

async fn submit(e: &Engine, op: Op) -> Job {
    match e.execute(&demo(), op).await.unwrap() {
        OpOutput::Job(job) => *job,
        other => panic!("unexpected output {other:?}"),
    }
}

/// The stored job `id` once `done` holds (or as it is after two seconds).
async fn job_when(e: &Engine, id: &str, done: impl Fn(&Job) -> bool) -> Job {
    let mut job = None;
    for _ in 0..400 {
        job = e.record::<Job>(&demo(), id).await.unwrap();
        if job.as_ref().is_some_and(&done) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    job.expect("the job is stored")
}

fn done(job: &Job) -> usize {
    job.work.as_ref().map_or(0, |w| w.done)
}

#[tokio::test]
async fn a_job_cut_short_by_a_restart_resumes_where_it_stopped() {
    let db = TestDb::new().await;
    // Two steps per transaction; the first engine stops after three steps, as a crash would.
    let halt = JobConfig {
        batch_steps: 2,
        halt_after_steps: Some(3),
    };
    let first = engine_with(&db, halt).await;
    // Jobs go on by themselves on a manual clock too.
    manual(&first).await;
    let steps = (1..=10)
        .map(|i| create(i, &format!("{}", 2000 + i)))
        .collect();
    let mut job = Job::new("test", None, json!(null));
    job.work = Some(JobWork::steps(steps));
    let job = submit(&first, Op::CreateJob(Box::new(job))).await;
    assert_eq!(job.status, JobStatus::Created);
    let stopped = job_when(&first, &job.id, |j| done(j) == 3).await;
    assert_eq!((stopped.status, done(&stopped)), (JobStatus::Running, 3));
    // While the engine runs the job, its surface cannot replace it.
    let refused = first
        .execute(&demo(), Op::UpdateJob(Box::new(stopped.clone())))
        .await;
    assert!(
        matches!(refused, Err(EngineError::Domain(DomainError::Conflict(_)))),
        "{refused:?}"
    );
    first.shutdown().await;
    first.store().close().await;
    let second = engine(&db).await;
    let finished = job_when(&second, &job.id, |j| j.status == JobStatus::Finished).await;
    let work = finished.work.unwrap();
    // A step applied twice would have failed: its agent would exist already.
    assert_eq!((work.done, work.failures), (10, vec![]));
    let agents = second.agents(&demo(), None).await.unwrap();
    for i in 1..=10 {
        let id = format!("{}", 2000 + i);
        assert_eq!(
            agents.iter().filter(|a| a.agent.id == id).count(),
            1,
            "{id}"
        );
    }
}

#[tokio::test]
async fn a_verdict_waits_for_its_start_and_failing_steps_are_reported_by_item() {
    let db = TestDb::new().await;
    let e = engine(&db).await;
    let mut job = Job::new("test", None, json!([]));
    job.work = Some(JobWork::validation(vec![json!({"row": 1})]));
    let invalid = submit(&e, Op::CreateJob(Box::new(job))).await;
    let invalid = job_when(&e, &invalid.id, |j| j.status != JobStatus::Created).await;
    assert_eq!(
        (invalid.status, invalid.errors),
        (JobStatus::Invalid, vec![json!({"row": 1})])
    );
    let mut job = Job::new("test", None, json!([]));
    job.work = Some(JobWork::validation(vec![]));
    let valid = submit(&e, Op::CreateJob(Box::new(job))).await;
    let mut valid = job_when(&e, &valid.id, |j| j.status != JobStatus::Created).await;
    assert_eq!(valid.status, JobStatus::Validated);
    // The surface starts it with its steps: the second names an agent that exists by then, the
    // third one that does not.
    let update = StepAction::UpdateAgent {
        agent_id: "nobody".into(),
        patch: AgentPatch {
            name: Some("X".into()),
            ..AgentPatch::default()
        },
    };
    valid.status = JobStatus::Running;
    valid.work = Some(JobWork::steps(vec![
        create(1, "2001"),
        create(2, "2001"),
        JobStep {
            item: 3,
            action: update,
        },
    ]));
    submit(&e, Op::UpdateJob(Box::new(valid.clone()))).await;
    let finished = job_when(&e, &valid.id, |j| j.status == JobStatus::Finished).await;
    let work = finished.work.unwrap();
    assert_eq!(work.done, 3);
    assert_eq!(work.applied(), 1);
    assert_eq!(
        work.failures,
        vec![
            StepFailure {
                item: 2,
                error: StepError::Refused {
                    message: "agent 2001 already exists".into()
                }
            },
            StepFailure {
                item: 3,
                error: StepError::NotFound {
                    message: "agent nobody not found".into()
                }
            },
        ]
    );
}
