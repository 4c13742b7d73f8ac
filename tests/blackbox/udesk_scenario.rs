//! The Udesk acceptance scenario against the real binary, the way a CRM integration lives it: the
//! account creates an app, configures it through that app (seats, extensions, a queue and their
//! bindings), its seat logs in over the agent WebSocket, the CRM's receivers subscribe, an inbound
//! call is answered and hung up, then the seat calls out, holds, resumes and transfers to an
//! outside number. Every signed callback arrives once and in order, every EVT in order, and the
//! call logs, recordings and state logs afterwards agree on every duration.

use crate::harness::Server;
use crate::udesk::{ok, Udesk};
use crate::udesk_calls::{ok_b, ok_c, sid_only};
use crate::udesk_events::verified_with;
use crate::udesk_socket::{evt_fields, now_s, ok_rep, server, ws_url, Agent};
use crate::webhooks::{deliveries, eventually, Receiver};
use serde_json::{json, Value};

/// The seat that works both calls, its extension, and the queue it answers.
const SEAT: &str = "2001";
const EXTENSION: &str = "5001";
const QUEUE: &str = "9101";
/// The customer who calls in, the center's number, and the customer the seat calls.
const CALLER: &str = "13800138000";
const CENTER: &str = "057126200670";
const CALLEE: &str = "15652692674";
/// The outside number the second call is transferred to.
const TRANSFEREE: &str = "10010001000";

/// What the CRM subscribes to, through `subscriptions` and through `webhooks/events` alike.
const CALL_EVENTS: [&str; 12] = [
    "begin",
    "enqueue_succ",
    "agent_ringing",
    "agent_answer",
    "start_dialout",
    "user_ringing",
    "user_answer",
    "hold_call",
    "transfer_agent_succ",
    "user_hangup",
    "agent_hangup",
    "end",
];

/// `POST apps` signed with the account's Sid alone (the app does not exist yet); returns the
/// new app's AppId and Secret.
async fn create_app(s: &Server, account: &Udesk, callback: &str) -> (String, String) {
    let signed = account
        .signed("apps")
        .replace(&format!("&AppId={}", account.app), "");
    assert!(!signed.contains("AppId"), "{signed}");
    let req = s
        .http
        .post(s.url(&signed))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(json!({"Name": "Scenario CRM", "Type": 1, "CallbackUrl": callback}).to_string());
    let (status, body) = crate::harness::send(req).await;
    assert_eq!(status, 200, "{body}");
    let r = &body["Result"];
    let field = |k: &str| {
        r[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {body}"))
            .to_owned()
    };
    let (app, secret) = (field("AppId"), field("Secret"));
    assert_eq!(
        body,
        ok(json!({
            "AppId": app, "ExtensionPrefix": field("ExtensionPrefix"), "Name": "Scenario CRM",
            "Memo": "", "Type": "1", "CallbackUrl": callback, "IsHideUserNum": "false",
            "Secret": secret, "WrapUpTime": "0",
        }))
    );
    assert_ne!(app, account.app);
    (app, secret)
}

/// The control plane's id of the tenant that is the app `app_id`.
async fn tenant_of(s: &Server, app_id: &str) -> String {
    let tenants = s.tenants_with_credentials().await;
    let tenant = tenants
        .iter()
        .find(|t| t["credentials"]["udesk"]["app_id"] == app_id)
        .unwrap_or_else(|| panic!("no tenant for app {app_id}: {tenants:?}"));
    tenant["id"].as_str().expect("tenant id").to_owned()
}

/// The app-side Udesk call answering envelope A with a null `Result`.
async fn configure(app: &Udesk, s: &Server, method: &str, api: &str, body: Value) {
    assert_eq!(
        app.call(s, method, api, &body.to_string()).await,
        (200, ok(Value::Null)),
        "{method} {api} {body}"
    );
}

/// Each receiver's callbacks, verified, once every callback the outbox made is delivered.
async fn callbacks(
    s: &Server,
    tenant: &str,
    receivers: &[&Receiver],
    app: &str,
    secret: &str,
) -> Vec<Vec<Value>> {
    eventually(20, "every callback delivered", || async {
        let d = deliveries(s, tenant).await;
        !d.is_empty() && d.iter().all(|x| x["state"] == "delivered")
    })
    .await;
    let made = deliveries(s, tenant).await;
    assert!(made.iter().all(|x| x["source"] == "udesk"), "{made:?}");
    let got: Vec<Vec<Value>> = receivers
        .iter()
        .map(|r| {
            r.received()
                .iter()
                .map(|c| verified_with(c, app, secret))
                .collect()
        })
        .collect();
    // Each delivery reached its receiver exactly once: no more requests than deliveries.
    assert_eq!(
        got.iter().map(Vec::len).sum::<usize>(),
        made.len(),
        "{got:?}"
    );
    got
}

#[tokio::test]
async fn a_crm_creates_an_app_and_runs_an_inbound_and_an_outbound_call_end_to_end() {
    let (s, _config) = server().await;
    let account = Udesk::demo();
    let mut by_url = Receiver::reserve();
    let mut by_sub = Receiver::reserve();
    by_url.listen();
    by_sub.listen();

    // The account creates the app; the app is a tenant of its own with a clock of its own.
    let (app_id, secret) = create_app(&s, &account, &by_url.url()).await;
    let tenant = tenant_of(&s, &app_id).await;
    let app = Udesk {
        app: app_id.clone(),
        ..Udesk::demo()
    };
    // Whole seconds a little ahead of the wall clock: requests are signed with wall-clock
    // seconds, and a manual clock never goes back.
    let t0 = ccemu_engine::wall_ms() / 1000 * 1000 + 2_000;
    s.sim_on_manual_clock(
        &tenant,
        t0,
        json!({"auto": false, "wrap_up_ms": 5_000, "dial_ring_time": {"mean_ms": 4_000}}),
    )
    .await;

    // Seats, extensions, a queue, and the bindings, all through the new app.
    configure(
        &app,
        &s,
        "POST",
        "agents",
        json!({"Agents": [
            {"AgentId": SEAT, "WorkId": "w2001", "Name": "Ann Lee", "Email": "ann@crm.test"},
            {"AgentId": "2002", "WorkId": "w2002", "Name": "Bo Wu"},
        ]}),
    )
    .await;
    let mut numbers = Vec::new();
    for ext in [EXTENSION, "5002"] {
        let (status, body) = app
            .call(
                &s,
                "POST",
                "extensions",
                &json!({ "Extension": ext }).to_string(),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["Result"]["Extension"], ext, "{body}");
        numbers.push(body["Result"]["Number"].clone());
    }
    // The number the seat's extension rings: the app's company prefix, then the extension.
    assert!(
        numbers[0].as_str().is_some_and(|n| n.ends_with(EXTENSION)),
        "{numbers:?}"
    );
    configure(
        &app,
        &s,
        "POST",
        "queues",
        json!({"QueueId": QUEUE, "QueueName": "Scenario"}),
    )
    .await;
    for (seat, ext) in [(SEAT, EXTENSION), ("2002", "5002")] {
        configure(
            &app,
            &s,
            "POST",
            "agents/extensions",
            json!({"AgentId": seat, "Extensions": [ext]}),
        )
        .await;
        configure(
            &app,
            &s,
            "POST",
            "agents/queues",
            json!({"AgentId": seat, "Queues": [QUEUE]}),
        )
        .await;
    }
    let (_, queue) = app.call(&s, "GET", &format!("queues/{QUEUE}"), "").await;
    assert_eq!(queue["Result"]["Agents"], json!([SEAT, "2002"]), "{queue}");
    let (_, seat) = app
        .call(
            &s,
            "GET",
            &format!("agents/{SEAT}"),
            &json!({"AgentId": SEAT}).to_string(),
        )
        .await;
    assert_eq!(
        (
            &seat["Result"]["Extensions"],
            &seat["Result"]["Queues"],
            &seat["Result"]["State"]
        ),
        (&json!([EXTENSION]), &json!([QUEUE]), &json!(4)),
        "{seat}"
    );

    // The CRM subscribes both ways: a named subscription, and events on the app's CallbackUrl.
    let mut events: Vec<&str> = CALL_EVENTS.to_vec();
    events.push("acd_agent_state");
    let create = json!({"subscriptions": [
        {"callback": by_sub.url(), "name": "crm", "events": events},
    ]});
    assert_eq!(
        app.call(&s, "POST", "subscriptions", &create.to_string())
            .await,
        (
            200,
            ok(json!({"sub_succ": [{"id": 1, "name": "crm"}], "sub_fail": []}))
        )
    );
    configure(
        &app,
        &s,
        "POST",
        "webhooks/events",
        json!({"Events": [
            {"category": "call", "all_type": CALL_EVENTS},
            {"category": "agent_state", "all_type": ["acd_agent_state"]},
        ]}),
    )
    .await;

    // The seat's browser connects with the front-end signature and logs in with it as Token.
    let mut a = Agent::connect(&s, &app, SEAT).await;
    let url = ws_url(&s, &app, SEAT, &now_s());
    let token = url.rsplit("Sign=").next().expect("Sign").to_owned();
    assert_eq!(
        a.req(
            "login",
            json!({"AppId": app_id, "AgentId": SEAT, "Token": token})
        )
        .await,
        ok_rep(a.seq, "login", t0, json!({}))
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t0),
        json!({"CurState": "idle", "OldState": "offline"})
    );
    // voip is already the seat's mode: the REP, and no EVT (the next one is the call's).
    assert_eq!(
        a.req("setCallMode", json!({"Contact": "voip"})).await,
        ok_rep(a.seq, "setCallMode", t0, json!({}))
    );

    // 1. An inbound call to the queue rings the seat; it answers after 2 s, talks 30 s, and the
    // customer hangs up; wrap-up ends 5 s later.
    let (status, inbound) = s
        .post(
            &format!("/_ccemu/tenants/{tenant}/sim/calls"),
            json!({"queue_id": QUEUE, "from": CALLER, "to": CENTER}),
        )
        .await;
    assert_eq!(status, 201, "{inbound}");
    assert_eq!(
        (&inbound["state"], &inbound["agent_id"]),
        (&json!("ringing"), &json!(SEAT)),
        "{inbound}"
    );
    let inbound = inbound["id"].as_str().expect("id").to_owned();
    let incoming = json!({
        "AgentNumber": numbers[0],
        "DestNumber": CALLER, "DestNumberLoc": "", "SpNumber": CENTER, "CallDirection": "in",
        "UserData": "",
    });
    assert_eq!(evt_fields(&a.evt("agentRinging").await, t0), incoming);
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t0),
        json!({"CurState": "ringing", "OldState": "idle"})
    );
    s.advance(&tenant, 2_000).await;
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/{tenant}/sim/agents/{SEAT}/answer"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        evt_fields(&a.evt("agentAnswered").await, t0 + 2_000),
        incoming
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t0 + 2_000),
        json!({"CurState": "talking", "OldState": "ringing"})
    );
    s.advance(&tenant, 30_000).await;
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/{tenant}/sim/interactions/{inbound}/hangup"),
            json!({"by": "customer"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let t1 = t0 + 32_000;
    for method in ["userHangup", "agnetHangup"] {
        assert_eq!(
            evt_fields(&a.evt(method).await, t1),
            json!({"Reason": "normal"})
        );
    }
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t1),
        json!({"CurState": "wrapUp", "OldState": "talking"})
    );
    s.advance(&tenant, 5_000).await;
    let t2 = t1 + 5_000;
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, t2),
        json!({"CurState": "idle", "OldState": "wrapUp"})
    );

    // 2. The seat calls out with originatev2: its own phone rings first and it answers; the
    // callee rings 4 s and picks up; 10 s talk, 3 s hold, 6 s talk, then the transfer to an
    // outside number, which talks on 8 s until the callee hangs up.
    let s2 = t2 + 1_000;
    s.advance(&tenant, 1_000).await;
    let originate = json!({
        "caller": CENTER, "called": CALLEE, "called_display": CENTER, "agent_id": SEAT,
        "user_data": [{"evt": "user_answer", "data": "crm-ticket-7"}],
    });
    let (status, body) = app
        .call(&s, "POST", "originatev2?MsgId=42", &originate.to_string())
        .await;
    assert_eq!(status, 200, "{body}");
    let outbound = body["results"].as_str().expect("CallId").to_owned();
    assert_eq!(body, ok_b("42", &outbound));
    let outgoing = json!({
        "AgentNumber": incoming["AgentNumber"], "DestNumber": CALLEE, "DestNumberLoc": "",
        "SpNumber": CENTER, "CallDirection": "out", "UserData": "",
    });
    assert_eq!(evt_fields(&a.evt("agentRinging").await, s2), outgoing);
    assert_eq!(a.evt("agentStateChange").await["CurState"], "ringing");
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/{tenant}/sim/agents/{SEAT}/answer"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(evt_fields(&a.evt("agentAnswered").await, s2), outgoing);
    assert_eq!(evt_fields(&a.evt("userRinging").await, s2), outgoing);
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, s2),
        json!({"CurState": "talking", "OldState": "ringing"})
    );
    s.advance(&tenant, 4_000).await;
    // originatev2's user_data entry for user_answer comes back with that event only.
    let mut answered = outgoing.clone();
    answered["UserData"] = json!("crm-ticket-7");
    let user = a.evt("userAnswered").await;
    assert_eq!(evt_fields(&user, s2 + 4_000), answered);
    s.advance(&tenant, 10_000).await;
    let hold = json!({"call_id": outbound, "agent_id": SEAT, "on_succ": "crm", "on_failed": "crm"});
    assert_eq!(
        sid_only(&app, &s, "POST", "agent/hold", &hold).await,
        (200, ok_c())
    );
    s.advance(&tenant, 3_000).await;
    assert_eq!(
        sid_only(&app, &s, "DELETE", "agent/hold", &hold).await,
        (200, ok_c())
    );
    s.advance(&tenant, 6_000).await;
    let transfer = json!({"call_id": outbound, "agent_id": SEAT, "agent_type": "anonymous",
        "agent_phone": TRANSFEREE, "on_succ": "crm", "on_failed": "crm",
        "on_record_over": "crm", "on_transferee_hangup": "crm"});
    assert_eq!(
        sid_only(&app, &s, "POST", "transfer/agent", &transfer).await,
        (200, ok_c())
    );
    let s3 = s2 + 23_000;
    // The seat's leg ends with the hand-over; the customer's goes on.
    assert_eq!(
        evt_fields(&a.evt("agnetHangup").await, s3),
        json!({"Reason": "transferred_out"})
    );
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, s3),
        json!({"CurState": "wrapUp", "OldState": "talking"})
    );
    s.advance(&tenant, 8_000).await;
    let change = a.evt("agentStateChange").await;
    assert_eq!(
        evt_fields(&change, s3 + 5_000),
        json!({"CurState": "idle", "OldState": "wrapUp"})
    );
    let (status, body) = s
        .post(
            &format!("/_ccemu/tenants/{tenant}/sim/interactions/{outbound}/hangup"),
            json!({"by": "customer"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let s4 = s3 + 8_000;
    // Every EVT was ACKed and the transferred call is no longer the seat's: nothing more.
    a.quiet().await;

    // The callbacks: the same ones to both receivers, each once, in commit order.
    let got = callbacks(&s, &tenant, &[&by_url, &by_sub], &app_id, &secret).await;
    let call_cb = |name: &str, call: &str, agent: &str, at: i64| {
        let (dest, dir, data) = if call == inbound {
            (CALLER, "in", "")
        } else {
            (
                CALLEE,
                "out",
                if name == "user_answer" {
                    "crm-ticket-7"
                } else {
                    ""
                },
            )
        };
        json!({
            "AppId": app_id, "Event": name, "CallId": call, "AgentId": agent, "Timestamp": at,
            "DestNumber": dest, "SpNumber": CENTER, "CallDirection": dir, "UserData": data,
        })
    };
    let state_cb = |old: &str, cur: &str, at: i64| {
        json!({
            "AppId": app_id, "Event": "acd_agent_state", "AgentId": SEAT, "CurState": cur,
            "CurStateSubId": 0, "OldState": old, "Timestamp": at,
        })
    };
    let (i, o) = (inbound.as_str(), outbound.as_str());
    let want = vec![
        state_cb("offline", "idle", t0),
        call_cb("begin", i, "", t0),
        call_cb("enqueue_succ", i, "", t0),
        call_cb("agent_ringing", i, SEAT, t0),
        state_cb("idle", "ringing", t0),
        call_cb("agent_answer", i, SEAT, t0 + 2_000),
        state_cb("ringing", "talking", t0 + 2_000),
        call_cb("user_hangup", i, SEAT, t1),
        call_cb("end", i, SEAT, t1),
        state_cb("talking", "wrapUp", t1),
        state_cb("wrapUp", "idle", t2),
        call_cb("begin", o, SEAT, s2),
        call_cb("agent_ringing", o, SEAT, s2),
        state_cb("idle", "ringing", s2),
        call_cb("agent_answer", o, SEAT, s2),
        call_cb("start_dialout", o, SEAT, s2),
        call_cb("user_ringing", o, SEAT, s2),
        state_cb("ringing", "talking", s2),
        call_cb("user_answer", o, SEAT, s2 + 4_000),
        call_cb("hold_call", o, SEAT, s2 + 14_000),
        // The outside number rings like a dialled callee (4 s) before it takes the call.
        state_cb("talking", "wrapUp", s3),
        call_cb("transfer_agent_succ", o, SEAT, s3 + 4_000),
        state_cb("wrapUp", "idle", s3 + 5_000),
        call_cb("user_hangup", o, "", s4),
        call_cb("end", o, "", s4),
    ];
    for (name, list) in [("CallbackUrl", &got[0]), ("subscription", &got[1])] {
        let names = |l: &[Value]| -> Vec<String> {
            l.iter()
                .map(|b| b["Event"].as_str().unwrap_or("?").to_owned())
                .collect()
        };
        assert_eq!(names(list), names(&want), "{name}: each once, in order");
        for (got, want) in list.iter().zip(&want) {
            assert_eq!(got, want, "{name}");
        }
    }

    // Afterwards the reports tell one story: the call logs, the recordings and the seat's
    // talking periods have the same lengths on the tenant clock.
    let (status, logs) = app
        .call(
            &s,
            "GET",
            "calls/logs",
            &json!({"StartTime": t0}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{logs}");
    let logs = logs["Result"]["CallLogs"]
        .as_array()
        .expect("CallLogs")
        .clone();
    let log = |id: &str| {
        logs.iter()
            .find(|l| l["CallId"] == id)
            .unwrap_or_else(|| panic!("no call log for {id}: {logs:?}"))
            .clone()
    };
    assert_eq!(logs.len(), 2, "{logs:?}");
    let (log_in, log_out) = (log(i), log(o));
    let times = |l: &Value| {
        [
            "StartTime",
            "EndTime",
            "AgentAnswerTime",
            "UserAnswerTime",
            "CallDuration",
            "TotalDuration",
        ]
        .map(|k| l[k].clone())
    };
    assert_eq!(
        times(&log_in),
        [t0, t1, t0 + 2_000, 0, 30, 32].map(|v| json!(v)),
        "{log_in}"
    );
    assert_eq!(
        (
            &log_in["CallType"],
            &log_in["HangupBy"],
            &log_in["AgentId"],
            &log_in["DestNumber"],
            &log_in["SpNumber"]
        ),
        (
            &json!("Incoming"),
            &json!("customer"),
            &json!(SEAT),
            &json!(CALLER),
            &json!(CENTER)
        )
    );
    assert_eq!(
        times(&log_out),
        [s2, s4, s2, s2 + 4_000, 27, 31].map(|v| json!(v)),
        "{log_out}"
    );
    assert_eq!(
        (
            &log_out["CallType"],
            &log_out["HangupBy"],
            &log_out["AgentId"],
            &log_out["AgentName"],
            &log_out["WorkId"],
            &log_out["Email"],
            &log_out["DestNumber"],
            &log_out["SpNumber"]
        ),
        (
            &json!("Outgoing"),
            &json!("customer"),
            &json!(SEAT),
            &json!("Ann Lee"),
            &json!("w2001"),
            &json!("ann@crm.test"),
            &json!(CALLEE),
            &json!(CENTER)
        ),
        "the seat that placed and handed over the call: {log_out}"
    );

    // One recording per seat leg: from the seat's answer to its hang-up or hand-over.
    let (status, files) = app
        .call(
            &s,
            "GET",
            "calls/recfiles",
            &json!({"StartTime": t0}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{files}");
    let files = files["Result"]["RecFiles"]
        .as_array()
        .expect("RecFiles")
        .clone();
    assert_eq!(files.len(), 2, "{files:?}");
    let file = |id: &str| {
        files
            .iter()
            .find(|f| f["CallId"] == id)
            .unwrap_or_else(|| panic!("no recording of {id}: {files:?}"))
            .clone()
    };
    let span = |v: &Value| [&v["StartTime"], &v["EndTime"], &v["Duration"]].map(Value::clone);
    let (rec_in, rec_out) = (file(i), file(o));
    assert_eq!(span(&rec_in), [t0 + 2_000, t1, 30].map(|v| json!(v)));
    assert_eq!(span(&rec_out), [s2, s3, 23].map(|v| json!(v)));
    for (id, rec) in [(i, &rec_in), (o, &rec_out)] {
        let url = rec["RecFileUrl"].as_str().expect("RecFileUrl");
        let prefix = s.url(&format!("/_ccemu/tenants/{tenant}/recordings/{id}/"));
        assert!(url.starts_with(&prefix) && url.ends_with(".wav"), "{url}");
        // The WAV's data chunk (8 kHz, 16-bit mono) is as long as the row says.
        let res = s.http.get(url).send().await.expect("download");
        assert_eq!(res.status().as_u16(), 200, "{url}");
        let wav = res.bytes().await.expect("wav");
        assert_eq!(&wav[36..40], b"data");
        let data = u32::from_le_bytes(wav[40..44].try_into().expect("4 bytes"));
        assert_eq!(i64::from(data), rec["Duration"].as_i64().unwrap() * 16_000);
    }

    // The seat's state periods since the app began, in Udesk's words.
    let (status, states) = app
        .call(
            &s,
            "GET",
            "agents/statelogs",
            &json!({"AgentId": SEAT, "StartTime": t0}).to_string(),
        )
        .await;
    assert_eq!(status, 200, "{states}");
    let rows = states["Result"]["AgentStateLogs"]
        .as_array()
        .expect("AgentStateLogs")
        .clone();
    let periods: Vec<(&str, &str, i64, i64)> = rows
        .iter()
        .map(|r| {
            assert_eq!(
                (&r["AgentId"], &r["AgentName"], &r["WorkId"]),
                (&json!(SEAT), &json!("Ann Lee"), &json!("w2001")),
                "{r}"
            );
            let (start, end) = (
                r["StartTime"].as_i64().unwrap(),
                r["EndTime"].as_i64().unwrap(),
            );
            assert_eq!(r["Duration"], (end - start) / 1000, "{r}");
            (
                r["OldState"].as_str().unwrap(),
                r["CurState"].as_str().unwrap(),
                start,
                end,
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            // The seat as created, then logged in over the socket.
            ("offline", "offline", t0, t0),
            ("offline", "idle", t0, t0),
            ("idle", "ringing", t0, t0 + 2_000),
            ("ringing", "talking", t0 + 2_000, t1),
            ("talking", "wrapUp", t1, t2),
            ("wrapUp", "idle", t2, s2),
            ("idle", "ringing", s2, s2),
            ("ringing", "talking", s2, s3),
            ("talking", "wrapUp", s3, s3 + 5_000),
        ]
    );
    // One story: each talking period is its call's recording, and the inbound call's talk time.
    let talking: Vec<[Value; 3]> = rows
        .iter()
        .filter(|r| r["CurState"] == "talking")
        .map(span)
        .collect();
    assert_eq!(talking, [span(&rec_in), span(&rec_out)]);
    assert_eq!(log_in["CallDuration"], rec_in["Duration"]);
    for (log, rec) in [(&log_in, &rec_in), (&log_out, &rec_out)] {
        assert_eq!(log["AgentAnswerTime"], rec["StartTime"], "{log}");
    }
    assert_eq!(log_in["EndTime"], rec_in["EndTime"]);
    // The outbound call's talk time is the customer's, from the callee's answer to its hang-up:
    // 19 s with the seat, then 8 s waiting for and talking to the outside number.
    assert_eq!(
        log_out["CallDuration"],
        (s4 - log_out["UserAnswerTime"].as_i64().unwrap()) / 1000
    );

    // The account's other app (the demo) sees none of it, not even by CallId.
    for (api, key) in [("calls/logs", "CallLogs"), ("calls/recfiles", "RecFiles")] {
        for id in [i, o] {
            let by_call = json!({ "CallId": id }).to_string();
            assert_eq!(
                account.call(&s, "GET", api, &by_call).await,
                (200, ok(json!({ key: [] }))),
                "{api} {id}"
            );
        }
    }
    let (_, demo_seat) = account
        .call(
            &s,
            "GET",
            &format!("agents/{SEAT}"),
            &json!({"AgentId": SEAT}).to_string(),
        )
        .await;
    assert_eq!(demo_seat["ErrCode"], "100018", "{demo_seat}");
}
