//! Udesk data acquisition (§3.6) against the real binary: one simulated inbound call to a Udesk
//! queue on a manual clock, then its call log, its recording (record and WAV file) and the
//! agent's state logs, with the same durations everywhere; another tenant sees none of it.

use crate::harness::{assert_error, Server};
use crate::udesk::{err, ok, Udesk};
use serde_json::json;

const SIM: &str =
    r#"{"auto":true,"answer_delay_ms":3000,"talk_time":{"mean_ms":60000},"wrap_up_ms":10000}"#;

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes(b[at..at + 2].try_into().expect("2 bytes"))
}

#[tokio::test]
async fn a_simulated_call_shows_in_call_logs_recordings_and_state_logs_alike() {
    let s = Server::start().await;
    let u = Udesk::demo();
    // A whole second near the wall clock: the Udesk client signs with the wall clock.
    let t0 = ccemu_engine::wall_ms() / 1000 * 1000 + 1000;
    s.sim_on_manual_clock("demo", t0, serde_json::from_str(SIM).unwrap())
        .await;
    // A queue and its seat, made through Udesk itself.
    let queue = r#"{"QueueId":"9100","QueueName":"Reports"}"#;
    assert_eq!(u.call(&s, "POST", "queues", queue).await.0, 200);
    let members = r#"{"QueueId":"9100","AgentIds":["1003"]}"#;
    assert_eq!(u.call(&s, "POST", "queues/agents", members).await.0, 200);
    s.ready("demo", "1003").await;
    let (st, call) = s
        .post(
            "/_ccemu/tenants/demo/sim/calls",
            json!({"queue_id": "9100", "from": "13800138000", "to": "057126200670"}),
        )
        .await;
    assert_eq!(st, 201, "{call}");
    let id = call["id"].as_str().expect("id").to_owned();
    assert_eq!(call["agent_id"], "1003");
    // Ring 3 s, talk 60 s (the simulated agent hangs up), wrap up 10 s.
    for ms in [3_000, 60_000, 10_000] {
        s.advance("demo", ms).await;
    }
    assert_eq!(s.agent_state("demo", "1003").await, "available");

    let (st, logs) = u.call(&s, "GET", "calls/logs", "{}").await;
    assert_eq!(st, 200, "{logs}");
    assert_eq!(
        logs,
        ok(json!({"CallLogs": [{
            "CallId": id,
            "StartTime": t0,
            "EndTime": t0 + 63_000,
            "AgentAnswerTime": t0 + 3_000,
            "UserAnswerTime": 0,
            "CallDuration": 60,
            "TotalDuration": 63,
            "DestNumber": "13800138000",
            "UNProvince": "",
            "UNCity": "",
            "SpNumber": "057126200670",
            "AgentId": "1003",
            "AgentName": "Carol Diaz",
            "WorkId": "1003",
            "Email": "carol@demo.ccemu.test",
            "CallType": "Incoming",
            "EndType": "callResult",
            "HangupBy": "agent",
            "HangupReason": "",
            "HangupCode": "",
            "AgentDevType": "voip",
            "RobotVars": null,
            "AIRecordLen": 0,
            "AdCallId": "",
            "AdTaskId": ""
        }]}))
    );

    // The recording: the agent's leg, from the answer to the hang-up.
    let by_call = format!(r#"{{"CallId":"{id}"}}"#);
    let (st, files) = u.call(&s, "GET", "calls/recfiles", &by_call).await;
    assert_eq!(st, 200, "{files}");
    let rows = files["Result"]["RecFiles"].as_array().expect("RecFiles");
    assert_eq!(rows.len(), 1, "{files}");
    let url = rows[0]["RecFileUrl"].as_str().expect("url").to_owned();
    let prefix = s.url(&format!("/_ccemu/tenants/demo/recordings/{id}/"));
    assert!(
        url.starts_with(&prefix) && url.ends_with(".wav"),
        "{url} is not under {prefix}"
    );
    assert_eq!(
        rows[0],
        json!({"CallId": id, "StartTime": t0 + 3_000, "EndTime": t0 + 63_000, "Duration": 60, "RecFileUrl": url})
    );
    // The same row by time range, with the filters in the query this time.
    let api = format!("calls/recfiles?StartTime={t0}&EndTime={}", t0 + 63_000);
    assert_eq!(u.call(&s, "GET", &api, "").await, (200, files.clone()));

    let res = s.http.get(&url).send().await.expect("download");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["content-type"].to_str().unwrap(), "audio/wav");
    let wav = res.bytes().await.expect("wav");
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(u32_at(&wav, 4) as usize, wav.len() - 8);
    assert_eq!(&wav[8..16], b"WAVEfmt ");
    assert_eq!(
        (u32_at(&wav, 16), u16_at(&wav, 20), u16_at(&wav, 22)),
        (16, 1, 1),
        "PCM, mono"
    );
    assert_eq!(
        (
            u32_at(&wav, 24),
            u32_at(&wav, 28),
            u16_at(&wav, 32),
            u16_at(&wav, 34)
        ),
        (8_000, 16_000, 2, 16),
        "8 kHz, 16-bit"
    );
    assert_eq!(&wav[36..40], b"data");
    // 60 s of 8000 two-byte samples a second.
    assert_eq!(u32_at(&wav, 40), 60 * 8_000 * 2);
    assert_eq!(wav.len(), 44 + 60 * 8_000 * 2);

    // The seat's periods since the test began, in Udesk's state words.
    let since = format!(r#"{{"AgentId":"1003","StartTime":{t0}}}"#);
    let (st, states) = u.call(&s, "GET", "agents/statelogs", &since).await;
    assert_eq!(st, 200, "{states}");
    let row = |cur: &str, from: i64, to: i64, old: &str| {
        json!({
            "AgentId": "1003", "AgentName": "Carol Diaz", "WorkId": "1003",
            "CurState": cur, "CurStateSubId": 0,
            "StartTime": t0 + from, "EndTime": t0 + to, "Duration": (to - from) / 1000,
            "OldState": old, "OldStateSubId": 0,
        })
    };
    assert_eq!(
        states,
        ok(json!({"AgentStateLogs": [
            row("idle", 0, 0, "offline"),
            row("ringing", 0, 3_000, "idle"),
            row("talking", 3_000, 63_000, "ringing"),
            row("wrapUp", 63_000, 73_000, "talking"),
        ]}))
    );
    // One call, one length: talk time, recording and the talking period agree.
    let talking = &states["Result"]["AgentStateLogs"][2];
    assert_eq!(
        logs["Result"]["CallLogs"][0]["CallDuration"],
        talking["Duration"]
    );
    assert_eq!(rows[0]["Duration"], talking["Duration"]);

    // Unknown files are the control plane's 404.
    let rec_id = url.rsplit('/').next().unwrap();
    for path in [
        format!("/_ccemu/tenants/demo/recordings/{id}/nope.wav"),
        format!("/_ccemu/tenants/demo/recordings/no-such-call/{rec_id}"),
        format!(
            "/_ccemu/tenants/demo/recordings/{id}/{}",
            rec_id.trim_end_matches(".wav")
        ),
    ] {
        let (st, body) = s.get(&path).await;
        assert_error(st, &body, 404, "not_found");
    }
    let (st, body) = s
        .get(&format!("/_ccemu/tenants/nobody/recordings/{id}/{rec_id}"))
        .await;
    assert_error(st, &body, 404, "tenant_not_found");

    // Another tenant's app sees none of it, not even by CallId, nor the file under its own id.
    let other = s.create_tenant("Other").await;
    let v = Udesk::of(&other);
    for (api, body, key) in [
        ("calls/logs", by_call.as_str(), "CallLogs"),
        ("calls/logs", "{}", "CallLogs"),
        ("calls/recfiles", by_call.as_str(), "RecFiles"),
        (
            "agents/statelogs",
            r#"{"AgentId":"1003"}"#,
            "AgentStateLogs",
        ),
    ] {
        assert_eq!(
            v.call(&s, "GET", api, body).await,
            (200, ok(json!({ key: [] }))),
            "{api} {body}"
        );
    }
    let other_id = other["id"].as_str().expect("tenant id");
    let (st, body) = s
        .get(&format!(
            "/_ccemu/tenants/{other_id}/recordings/{id}/{rec_id}"
        ))
        .await;
    assert_error(st, &body, 404, "not_found");

    // Udesk's rules on the way in: a body is required, a week back at most.
    assert_eq!(
        u.call(&s, "GET", "calls/logs", "").await,
        (400, err("100004", "unexpected end of JSON input"))
    );
    let old = format!(r#"{{"StartTime":{}}}"#, t0 - 8 * 24 * 3_600_000);
    assert_eq!(
        u.call(&s, "GET", "calls/logs", &old).await,
        (400, err("000001", "Parameter error"))
    );
}
