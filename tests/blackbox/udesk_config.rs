//! Udesk apps, relay numbers, IVR configuration and auto-dialing tasks against the real binary:
//! the doc's examples replayed, a simulated call routed by the fast router, and a task that pulls
//! its numbers from a real local CRM, dials them onto the seats and tells the CRM when it is done.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::harness::Server;
use crate::udesk::{err, ok, Udesk};
use crate::webhooks::{eventually, start_fast};
use serde_json::{json, Value};

#[tokio::test]
async fn the_docs_app_example_creates_an_app_that_is_a_tenant_of_its_own() {
    let s = Server::start().await;
    let u = Udesk::demo();
    // The doc's create call passes the new AppId in the query and signs with the Sid.
    let new_app = "3f9d2c1e-8b7a-4c6d-9e5f-1a2b3c4d5e6f";
    let api = format!("apps?AppId={new_app}");
    let signed = u.signed(&api).replace(&format!("&AppId={}", u.app), "");
    let body = "{\n\"Name\":\"test02\",\n\"Type\":1,\n\"CallbackUrl\":\"\"\n}\n";
    let (status, got) = send(&s, "POST", &signed, body).await;
    assert_eq!(status, 200, "{got}");
    let secret = got["Result"]["Secret"].as_str().unwrap().to_owned();
    let prefix = got["Result"]["ExtensionPrefix"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        got,
        ok(json!({
            "AppId": new_app, "ExtensionPrefix": prefix, "Name": "test02", "Memo": "",
            "Type": "1", "CallbackUrl": "", "IsHideUserNum": "false", "Secret": secret,
            "WrapUpTime": "0",
        }))
    );
    // The control plane lists it as a tenant; the new app has no seats of the demo's.
    let listed = s.tenants_with_credentials().await;
    let tenant = listed
        .iter()
        .find(|t| t["credentials"]["udesk"]["app_id"] == new_app)
        .expect("a tenant for the app");
    assert_eq!(tenant["credentials"]["udesk"]["sid"], u.sid.as_str());
    let app = Udesk {
        app: new_app.to_owned(),
        ..Udesk::demo()
    };
    let (_, seats) = app.call(&s, "GET", "agents", "").await;
    assert_eq!(seats["Result"]["Total"], 0, "{seats}");
    let (status, _) = app
        .call(&s, "PUT", "apps", r#"{"Name":"renamed","Memo":"crm 2"}"#)
        .await;
    assert_eq!(status, 200);
    let (_, got) = app.call(&s, "GET", "apps", "").await;
    assert_eq!(
        got,
        ok(json!({
            "AppId": new_app, "Name": "renamed", "Type": "default", "CallbackUrl": "",
            "IsHideUserNum": false, "Secret": secret, "Memo": "crm 2",
        }))
    );
    // Another account's Sid cannot create apps under this one.
    let other = s.create_tenant("other").await;
    let o = Udesk::of(&other);
    let forged = o.signed("apps").replace(&o.sid, &u.sid);
    let (status, got) = send(&s, "POST", &forged, body).await;
    assert_eq!((status, got), (401, err("000001", "Sign invalid")));
}

#[tokio::test]
async fn relay_numbers_and_the_ivr_configuration_replay_the_docs_examples() {
    let s = Server::start().await;
    let u = Udesk::demo();
    let null = (200, ok(Value::Null));
    let (_, got) = u.call(&s, "GET", "spnumbers", "").await;
    assert_eq!(
        got,
        ok(json!({"SpNumbers": ["+14155550100", "057126200670"], "DefSpNumber": "+14155550100"}))
    );
    let set = r#"{"DefSpNumber":"+14155550100"}"#;
    assert_eq!(u.call(&s, "PUT", "spnumbers/default/7763", set).await, null);
    assert_eq!(
        u.call(&s, "PUT", "spnumbers/agent/default/1001", set).await,
        null
    );
    let (_, seat) = u
        .call(&s, "GET", "agents/1001", r#"{"AgentId":"1001"}"#)
        .await;
    assert_eq!(seat["Result"]["DefSpNumber"], "+14155550100");
    // The doc's examples: set the default to its number, then delete the default.
    let doc = r#"{"DefSpNumber" : "057126200670"}"#;
    assert_eq!(u.call(&s, "PUT", "spnumbers/default/7763", doc).await, null);
    let (_, got) = u.call(&s, "GET", "spnumbers", "").await;
    assert_eq!(got["Result"]["DefSpNumber"], "057126200670");
    assert_eq!(
        u.call(&s, "DELETE", "spnumbers/default/7763", "").await,
        null
    );
    let (_, got) = u.call(&s, "GET", "spnumbers", "").await;
    assert_eq!(got["Result"]["DefSpNumber"], "");
    let unknown = r#"{"DefSpNumber":"057100000000"}"#;
    assert_eq!(
        u.call(&s, "PUT", "spnumbers/default", unknown).await,
        (404, err("100018", "RecordNotFound"))
    );
    // Voice files, then default voices naming one.
    let file = r#"{"FileName":"welcome.wav","FileType":"wav","FileDesc":"greeting"}"#;
    assert_eq!(u.call(&s, "POST", "ivrs/vfiles", file).await, null);
    let voices = r#"{"DefVoices":[{"Welcome":{"Type":"wav","Content":"welcome.wav"},"Waiting":{"Type":"tts","Content":"Please wait"},"Hold":"default"}]}"#;
    assert_eq!(u.call(&s, "POST", "ivrs/defvoices", voices).await, null);
    let (_, got) = u.call(&s, "GET", "ivrs/defvoices", "").await;
    assert_eq!(
        got["Result"]["Voices"][0]["Welcome"],
        json!({"Type": "wav", "Content": "welcome.wav"})
    );
    assert_eq!(got["Result"]["Voices"][0]["Hold"], "default");
    let (_, files) = u.call(&s, "GET", "ivrs/vfiles", "").await;
    assert_eq!(
        files,
        ok(
            json!({"IvrVFiles": [{"FileName": "welcome.wav", "FileType": "wav", "FileDesc": "greeting"}]})
        )
    );
    // The fast router: key 1 to sales, 2 to support.
    let routes = r#"{"FastRouter":[{"Dtmf":"1","Desc":"Sales","QueueId":"9001"},{"Dtmf":"2","Desc":"Support","QueueId":"9002"}]}"#;
    assert_eq!(u.call(&s, "PUT", "ivrs/fastrouters", routes).await, null);
    let (_, got) = u.call(&s, "GET", "ivrs/fastrouters", "").await;
    assert_eq!(got["FastRouter"], got["Result"]["FastRouter"]);
    assert_eq!(
        got["FastRouter"][1],
        json!({"Dtmf": "2", "Desc": "Support", "QueueId": "9002"})
    );
    // Another tenant sees none of it.
    let other = Udesk::of(&s.create_tenant("other").await);
    let (_, got) = other.call(&s, "GET", "ivrs/vfiles", "").await;
    assert_eq!(got, ok(json!({"IvrVFiles": []})));
    let (_, got) = other.call(&s, "GET", "spnumbers", "").await;
    assert_eq!(got, ok(json!({"SpNumbers": [], "DefSpNumber": ""})));
}

#[tokio::test]
async fn a_simulated_call_through_the_ivr_goes_where_the_fast_router_says() {
    let s = Server::start().await;
    let u = Udesk::demo();
    let routes = r#"{"FastRouter":[{"Dtmf":"5","Desc":"Sales","QueueId":"9001"}]}"#;
    assert_eq!(u.call(&s, "POST", "ivrs/fastrouters", routes).await.0, 200);
    s.ready("demo", "1002").await;
    let (status, call) = s
        .post(
            "/_ccemu/tenants/demo/sim/calls",
            json!({"to": "+14155550100", "dtmf": "5"}),
        )
        .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(
        (&call["queue_id"], &call["agent_id"], &call["state"]),
        (&json!("9001"), &json!("1002"), &json!("ringing"))
    );
    assert_eq!(
        call["custom_data"]["ivr"],
        json!({"menu_id": "31", "dtmf": "5"})
    );
    // A key the menu does not have takes the menu's default (the demo's: support).
    let (status, call) = s
        .post(
            "/_ccemu/tenants/demo/sim/calls",
            json!({"to": "+14155550100", "dtmf": "9"}),
        )
        .await;
    assert_eq!((status, &call["queue_id"]), (201, &json!("9002")), "{call}");
    let (status, body) = s
        .post("/_ccemu/tenants/demo/sim/calls", json!({"dtmf": "5"}))
        .await;
    assert_eq!(
        (status, &body["error"]),
        (400, &json!("invalid_body")),
        "{body}"
    );
    let (status, body) = s
        .post(
            "/_ccemu/tenants/demo/sim/chats",
            json!({"to": "+14155550100"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
}

/// What the CRM was sent: (path, query, body) of each request.
type Got = Arc<Mutex<Vec<(String, HashMap<String, String>, Value)>>>;

/// A CRM serving `cc_ad_task/numbers` (all its numbers in one page) and `cc_ad_task/stop`.
async fn crm(numbers: &'static [&'static str]) -> (String, Got) {
    let got: Got = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/crm/cc_ad_task/{api}",
        axum::routing::post(
            move |axum::extract::Path(api): axum::extract::Path<String>,
                  axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
                  body: String| {
                let seen = seen.clone();
                async move {
                    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    seen.lock().unwrap().push((api.clone(), q, body));
                    let results: Vec<Value> = numbers
                        .iter()
                        .enumerate()
                        .map(|(i, n)| json!({"id": i.to_string(), "number": n}))
                        .collect();
                    axum::Json(if api == "numbers" {
                        json!({"code": "000000", "message": "OK", "exhausted": true, "results": results})
                    } else {
                        json!({"code": "000000", "message": "OK"})
                    })
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/crm", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, got)
}

#[tokio::test]
async fn an_auto_dialing_task_dials_its_list_onto_the_seats_and_reports_exhausted() {
    let s = start_fast().await;
    let u = Udesk::demo();
    let numbers: &[&str] = &["13676546374", "13676546375", "13676546376", "13676546377"];
    let (url, got) = crm(numbers).await;
    let body = json!({ "CallbackUrl": url }).to_string();
    assert_eq!(u.call(&s, "PUT", "apps", &body).await.0, 200);
    // A frozen clock a little ahead of the wall clock (it never goes back), well within the
    // window of requests signed with wall-clock seconds.
    let now = ccemu_engine::wall_ms() + 1_000;
    let sim = json!({
        "auto": true, "answer_delay_ms": 1000, "talk_time": {"mean_ms": 20000}, "wrap_up_ms": 0,
        "dial_answer_rate": 1.0, "dial_ring_time": {"mean_ms": 5000},
    });
    s.sim_on_manual_clock("demo", now, sim).await;
    s.ready("demo", "1003").await;
    // Ratio 1: one call per free seat; the task allows up to 3 at once.
    let start = r#"{"AdTaskId":"501","AdTaskType":"2","AdTaskRatio":1,"AdQueueId":"9002","AdCallerNum":"+14155550100","AdDispNum":"+14155550100","AdConCallLimit":3}"#;
    let (status, body) = u.call(&s, "POST", "ads/task/start", start).await;
    assert_eq!((status, body), (200, ok(Value::Null)));
    let (_, task) = s.get("/_ccemu/tenants/demo/sim/campaigns/501").await;
    assert_eq!(task["in_flight"], 1, "one seat free: {task}");
    // Two seats free: two calls at once.
    s.ready("demo", "1004").await;
    let (_, task) = s.get("/_ccemu/tenants/demo/sim/campaigns/501").await;
    assert_eq!(task["in_flight"], 2, "{task}");
    // Answered calls reach the seats.
    s.advance("demo", 6_000).await;
    assert_eq!(s.agent_state("demo", "1003").await, "on_contact");
    for _ in 0..10 {
        s.advance("demo", 10_000).await;
    }
    let (_, task) = s.get("/_ccemu/tenants/demo/sim/campaigns/501").await;
    assert_eq!(
        (&task["exhausted"], &task["dialled"]),
        (&json!(true), &json!(4)),
        "{task}"
    );
    let ask = json!({"app_id": u.app, "ad_task_id": "501", "count": 10}).to_string();
    let (_, got_numbers) = u.call(&s, "POST", "cc_ad_task/numbers", &ask).await;
    assert_eq!(
        got_numbers,
        json!({"code": "000000", "message": "OK", "exhausted": true, "results": []})
    );
    // The CRM was asked for the numbers, then told the task stopped, both signed with the Secret.
    eventually(10, "the stop notice", || {
        let got = got.clone();
        async move { got.lock().unwrap().iter().any(|(api, _, _)| api == "stop") }
    })
    .await;
    let got = got.lock().unwrap().clone();
    assert_eq!(
        got.iter()
            .map(|(api, _, b)| (api.as_str(), b.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                "numbers",
                json!({"app_id": u.app, "ad_task_id": "501", "count": 100})
            ),
            ("stop", json!({"app_id": u.app, "ad_task_id": "501"})),
        ]
    );
    for (_, q, _) in &got {
        let want = ccemu_vendor_udesk::sign::sign(&u.app, "demo-udesk-app-secret", &q["Timestamp"]);
        assert_eq!((&q["AppId"], &q["Sign"]), (&u.app, &want));
    }
}

/// Sends a raw signed URI the way the doc's curl does.
async fn send(s: &Server, method: &str, uri: &str, body: &str) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let req = s
        .http
        .request(method, s.url(uri))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_owned());
    crate::harness::send(req).await
}

#[tokio::test]
async fn a_task_changes_its_ratio_and_stops_through_every_stop_call() {
    let s = Server::start().await;
    let u = Udesk::demo();
    let numbers: &[&str] = &["13676546374", "13676546375", "13676546376"];
    let (url, _) = crm(numbers).await;
    let body = json!({ "CallbackUrl": url }).to_string();
    assert_eq!(u.call(&s, "PUT", "apps", &body).await.0, 200);
    let now = ccemu_engine::wall_ms() + 1_000;
    s.sim_on_manual_clock(
        "demo",
        now,
        json!({"auto": true, "dial_ring_time": {"mean_ms": 5000}}),
    )
    .await;
    s.ready("demo", "1003").await;
    let null = (200, ok(Value::Null));
    for id in ["601", "602", "603"] {
        let start = format!(
            r#"{{"AdTaskId":"{id}","AdTaskType":"2","AdTaskRatio":"1.0","AdQueueId":"9002","AdCallerNum":"+14155550100","AdDispNum":"+14155550100","AdConCallLimit":1}}"#
        );
        assert_eq!(
            u.call(&s, "POST", "ads/task/start", &start).await,
            null,
            "{id}"
        );
    }
    let ratio = r#"{"AdTaskId":"601","AdTaskRatio":2.5}"#;
    assert_eq!(
        u.call(&s, "POST", "ads/task/update_ratio", ratio).await,
        null
    );
    let (_, task) = s.get("/_ccemu/tenants/demo/sim/campaigns/601").await;
    assert_eq!(task["ratio"], 2.5, "{task}");
    // A force stop hangs up the dial still ringing; a stop lets its dials finish; the CRM may
    // stop a task too. Numbers not dialled yet are cancelled either way. (A stop frees dialling
    // capacity the next task takes, so each is looked at right before and after its own stop.)
    let crm_stop = json!({"app_id": u.app, "ad_task_id": "603"}).to_string();
    let stops = [
        (
            "601",
            "ads/task/force_stop",
            r#"{"AdTaskId":"601"}"#.to_owned(),
            null.clone(),
        ),
        (
            "602",
            "ads/task/stop",
            r#"{"AdTaskId":"602"}"#.to_owned(),
            null.clone(),
        ),
        (
            "603",
            "cc_ad_task/stop",
            crm_stop,
            (200, json!({"code": "000000", "message": "OK"})),
        ),
    ];
    for (id, api, body, answer) in stops {
        let path = format!("/_ccemu/tenants/demo/sim/campaigns/{id}");
        let before = s.get(&path).await.1["in_flight"].as_u64().unwrap();
        assert_eq!(u.call(&s, "POST", api, &body).await, answer, "{api}");
        let (_, task) = s.get(&path).await;
        let kept = if api.ends_with("force_stop") {
            0
        } else {
            before
        };
        assert_eq!(
            (&task["status"], task["in_flight"].as_u64().unwrap()),
            (&json!("stopped"), kept),
            "{id}: {task}"
        );
        // Every number is cancelled but those whose dial goes on.
        let cancelled = task["counts"]["cancelled"].as_u64().unwrap_or(0);
        assert_eq!(cancelled + kept, 3, "{id}: {task}");
        if id == "601" {
            assert_eq!(
                before, 1,
                "the force-stopped task had a dial ringing: {task}"
            );
        }
    }
    // Another tenant's app cannot stop this one's tasks, nor see them.
    let other = Udesk::of(&s.create_tenant("other").await);
    let got = other
        .call(&s, "POST", "ads/task/stop", r#"{"AdTaskId":"601"}"#)
        .await;
    assert_eq!(got, (404, err("100018", "RecordNotFound")));
    let foreign = json!({"app_id": u.app, "ad_task_id": "601", "count": 1}).to_string();
    let got = other.call(&s, "POST", "cc_ad_task/numbers", &foreign).await;
    assert_eq!(
        got,
        (
            403,
            json!({"code": "100002", "message": "AppId AppNotFound or forbidden"})
        )
    );
}
