//! The UJET acceptance scenario against the real binary: users created through Bulk User
//! Management, agents made available through the Apps API, an incoming call, an agent's outbound
//! call, an SMS and a chat escalated to a human, all on a manual tenant clock with the simulated
//! agents' `auto` off so the test drives every step; then everything read back through the
//! Manager API page by page, as a reporting client would, with exact durations.

use crate::harness::Server;
use crate::ujet_manager::{
    assert_array_or_null, assert_iso, follow, get_url, manager, next_link, LEGACY, TOKEN,
};
use serde_json::{json, Value};
use std::time::Duration;

fn iso(ms: i64) -> String {
    ccemu_core::clock::format_rfc3339_ms(ms)
}

/// An Apps API request with the API-token pair; status and JSON body.
async fn apps(
    s: &Server,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = s
        .http
        .request(method, s.url(&format!("/apps/api/v1{path}")))
        .basic_auth(TOKEN.0, Some(TOKEN.1));
    if let Some(body) = body {
        req = req.json(&body);
    }
    crate::harness::send(req).await
}

/// A multipart/form-data body with one text part per `(name, value)`; `file` parts get a
/// filename and `application/json`, as a browser or `curl -F file=@users.json` sends them.
fn multipart(parts: &[(&str, &str)]) -> (String, String) {
    let boundary = "ccemu-ujet-scenario-boundary";
    let mut body = String::new();
    for (name, value) in parts {
        body.push_str(&format!("--{boundary}\r\n"));
        if *name == "file" {
            body.push_str(
                "Content-Disposition: form-data; name=\"file\"; filename=\"users.json\"\r\nContent-Type: application/json\r\n\r\n",
            );
        } else {
            body.push_str(&format!(
                "Content-Disposition: form-data; name=\"{name}\"\r\n\r\n"
            ));
        }
        body.push_str(value);
        body.push_str("\r\n");
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Polls a bulk job until it leaves `from` (the job runs in the background, off the clock).
async fn settle(s: &Server, id: i64, from: &str) -> Value {
    for _ in 0..200 {
        let (status, job) = apps(
            s,
            reqwest::Method::GET,
            &format!("/bulk/users_jobs/{id}"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{job}");
        if job["status"] != from {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("bulk job {id} stayed {from}");
}

async fn sim(s: &Server, path: &str, body: Value) -> Value {
    let (status, answer) = s
        .post(&format!("/_ccemu/tenants/demo/sim/{path}"), body)
        .await;
    assert_eq!(status, 200, "{path}: {answer}");
    answer
}

fn ids(rows: &[Value]) -> Vec<i64> {
    rows.iter()
        .map(|r| r["id"].as_i64().expect("integer id"))
        .collect()
}

#[tokio::test]
async fn a_day_of_calls_sms_and_chats_reads_back_through_the_manager_api_page_by_page() {
    let s = Server::start_with(&["--tls"]).await;
    let t0 = ccemu_engine::wall_ms() / 1000 * 1000 + 2_000;
    s.sim_on_manual_clock(
        "demo",
        t0,
        json!({"auto": false, "dial_ring_time": {"distribution": "fixed", "mean_ms": 5000}}),
    )
    .await;
    let at = |secs: i64| iso(t0 + secs * 1000);

    // 1. Two support agents join through Bulk User Management: upload, validate, proceed.
    let row = |email: &str, first: &str| {
        json!({"email": email, "new_email": "", "agent_number": "", "first_name": first,
               "last_name": "Novak", "status": "Active", "location": "", "max_chat_limit": 2,
               "max_chat_limit_enabled": 1, "roles": [{"name": "Agent", "value": 1}],
               "teams": [{"name": "Support", "value": 1}, {"name": "Sales", "value": 0}]})
    };
    let file = json!([
        row("nina@demo.ccemu.test", "Nina"),
        row("omar@demo.ccemu.test", "Omar")
    ])
    .to_string();
    let (content_type, body) = multipart(&[("file", &file)]);
    let response = s
        .http
        .post(s.url("/apps/api/v1/bulk/users/upload"))
        .basic_auth(TOKEN.0, Some(TOKEN.1))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    let job: Value = response.json().await.unwrap();
    assert_eq!(job["status"], "created", "{job}");
    let job_id = job["id"].as_i64().expect("integer job id");
    assert_eq!(job["link"], json!(link));
    assert!(
        link.ends_with(&format!("/apps/api/v1/bulk/users_jobs/{job_id}")),
        "{link}"
    );
    // The company secret is refused here (§3.3).
    let r = s
        .http
        .get(s.url(&format!("/apps/api/v1/bulk/users/jobs/{job_id}")))
        .basic_auth(LEGACY.0, Some(LEGACY.1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let job = settle(&s, job_id, "created").await;
    assert_eq!(job["status"], "valid_scheme", "{job}");
    let (status, job) = apps(
        &s,
        reqwest::Method::POST,
        "/bulk/users/proceed",
        Some(json!({"id": job_id})),
    )
    .await;
    assert_eq!(
        (status, &job["status"]),
        (200, &json!("in_progress")),
        "{job}"
    );
    let job = settle(&s, job_id, "in_progress").await;
    assert_eq!(job["status"], "finished", "{job}");
    let (_, errors) = apps(
        &s,
        reqwest::Method::GET,
        &format!("/bulk/users/errors/{job_id}"),
        None,
    )
    .await;
    assert_eq!(errors, json!([]));
    // They are agents 1005 and 1006, in the Support team.
    let team = manager(&s, "/teams/12").await;
    assert_eq!(
        ids(team.body["assignees"].as_array().unwrap()),
        [1003, 1004, 1005, 1006]
    );
    assert_eq!(team.body["agents_count"], 4);

    // 2. Everyone logs in not ready, then the Apps API makes four of them Available.
    for agent in ["1001", "1003", "1004", "1005", "1006"] {
        s.ready("demo", agent).await;
        sim(&s, &format!("agents/{agent}/not-ready"), json!({})).await;
    }
    let (status, moved) = apps(
        &s,
        reqwest::Method::POST,
        "/agent_statuses",
        Some(json!({"status": "Available", "agent_ids": [1001, 1003, 1005, 1006], "team_ids": []})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    let moved = moved.as_array().expect("array").clone();
    let moved_ids: Vec<i64> = moved
        .iter()
        .map(|m| m["agent_id"].as_i64().unwrap())
        .collect();
    assert_eq!(moved_ids, [1001, 1003, 1005, 1006]);
    for m in &moved {
        assert_eq!(m["previous_status"], "Unavailable", "{m}");
        assert_eq!(m["current_status"], "Available", "{m}");
        assert!(
            m["agent_number"].is_string() && m["email"].is_string(),
            "{m}"
        );
    }
    assert_eq!(moved[2]["name"], "Nina Novak");
    assert_eq!(moved[2]["email"], "nina@demo.ccemu.test");
    for (body, status, message) in [
        (
            json!({"agent_ids": [1001], "team_ids": []}),
            400,
            "param is missing or the value is empty: status",
        ),
        (
            json!({"status": "Available", "agent_ids": 1001, "team_ids": []}),
            400,
            "agent_ids is invalid",
        ),
        (
            json!({"status": "In-call", "agent_ids": [1001], "team_ids": []}),
            400,
            "In-call is a system status and cannot be set",
        ),
        (
            // Going offline is force_logout's job; coming back from Offline is allowed.
            json!({"status": "Offline", "agent_ids": [1001, 1002], "team_ids": []}),
            400,
            "Offline is a system status and cannot be set",
        ),
        (
            json!({"status": "Break", "agent_ids": [4242], "team_ids": []}),
            404,
            "Not Found",
        ),
    ] {
        let (got, answer) = apps(
            &s,
            reqwest::Method::POST,
            "/agent_statuses",
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (got, answer),
            (status, json!({"message": message})),
            "{body}"
        );
    }

    // 3. t=0: an incoming call on the support menu rings Carol (tier 0); she answers at 4 s.
    let (status, incoming) = apps(
        &s,
        reqwest::Method::POST,
        "/calls",
        Some(json!({"call_type": "Voice Inbound (API)", "menu_id": 9002, "end_user_number": "+16171231234", "lang": "en"})),
    )
    .await;
    assert_eq!(status, 201, "{incoming}");
    let incoming_id = incoming["id"].as_i64().unwrap();
    assert_eq!(incoming["status"], "assigned", "{incoming}");
    assert_eq!(incoming["agent_info"]["id"], 1003);
    for (body, message) in [
        (
            json!({"call_type": "Voice Inbound (API)", "end_user_number": "+16171231234"}),
            "menu_id is required",
        ),
        (
            json!({"call_type": "Voice Inbound (API)", "menu_id": 9999, "end_user_number": "+16171231234"}),
            "menu_id 9999 is not found",
        ),
        (
            json!({"call_type": "Fax", "menu_id": 9002, "end_user_number": "+16171231234"}),
            "Invalid call type",
        ),
    ] {
        let (got, answer) = apps(&s, reqwest::Method::POST, "/calls", Some(body.clone())).await;
        assert_eq!((got, answer), (400, json!({"message": message})), "{body}");
    }
    s.advance("demo", 4_000).await;
    sim(&s, "agents/1003/answer", json!({})).await;
    // On her call Carol is in a system status: nobody of the request moves.
    let (got, answer) = apps(
        &s,
        reqwest::Method::POST,
        "/agent_statuses",
        Some(json!({"status": "Break", "agent_ids": [1005, 1003], "team_ids": []})),
    )
    .await;
    assert_eq!(
        (got, answer),
        (
            400,
            json!({"message": "Agent 1003 is in the system status In-call and cannot be changed"})
        )
    );
    let nina = manager(&s, "/agents/1005").await;
    assert_eq!(nina.body["status"]["name"], "Available");

    // 4. t=4: Alice calls a customer out; her phone rings, she picks up at 6 s, the customer's
    //    phone rings 5 s and answers at 11 s.
    let (status, outbound) = apps(
        &s,
        reqwest::Method::POST,
        "/calls",
        Some(json!({"call_type": "Voice Outbound (API)", "menu_id": 9001, "agent_email": "alice@demo.ccemu.test",
                    "outbound_number": "+14155550100", "end_user_number": "+1 760-867-5309", "lang": "en"})),
    )
    .await;
    assert_eq!(status, 201, "{outbound}");
    let outbound_id = outbound["id"].as_i64().unwrap();
    assert_eq!(outbound["status"], "assigned");
    assert_eq!(outbound["created_at"], at(4));
    s.advance("demo", 2_000).await;
    sim(&s, "agents/1001/answer", json!({})).await;
    let (got, answer) = apps(
        &s,
        reqwest::Method::POST,
        "/calls",
        Some(
            json!({"call_type": "Voice Outbound (API)", "agent_email": "alice@demo.ccemu.test",
                    "end_user_number": "+17608675309"}),
        ),
    )
    .await;
    assert_eq!(
        (got, answer),
        (
            400,
            json!({"message": "Agent is not available to take this call"})
        )
    );
    s.advance("demo", 5_000).await;

    // 5. t=11: an SMS goes out; it waits unrouted.
    let (status, sms) = apps(
        &s,
        reqwest::Method::POST,
        "/sms",
        Some(
            json!({"chat_type": "Messaging (API)", "end_user_number": "+16171239999",
                    "outbound_number": "+14155550100", "message": "Your order has shipped"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{sms}");
    let sms_id = sms["id"].as_i64().unwrap();
    assert_eq!(sms["status"], "selecting");
    let (got, answer) = apps(
        &s,
        reqwest::Method::POST,
        "/sms",
        Some(
            json!({"chat_type": "Fax", "end_user_number": "+16171239999",
                    "outbound_number": "+14155550100", "message": "x"}),
        ),
    )
    .await;
    assert_eq!(
        (got, answer),
        (400, json!({"message": "Invalid chat type"}))
    );
    assert_eq!(sms["created_at"], at(11));
    s.advance("demo", 1_000).await;

    // 6. t=12: a chat starts with the virtual agent and the end user writes; it is escalated
    //    at 15 s. Nobody of the support menu is free: Carol is on her call, Dan not ready.
    let (status, chat) = apps(
        &s,
        reqwest::Method::POST,
        "/chats",
        Some(json!({"chat": {"menu_id": 9002, "lang": "en", "email": "joe@example.com"}})),
    )
    .await;
    assert_eq!(status, 201, "{chat}");
    let chat_id = chat["id"].as_i64().unwrap();
    assert_eq!(chat["status"], "va_assigned");
    assert_eq!(chat["created_at"], at(12));
    let (status, m) = apps(
        &s,
        reqwest::Method::POST,
        &format!("/chats/{chat_id}/messages"),
        Some(json!({"message": {"type": "text", "content": "Where is my parcel?"}})),
    )
    .await;
    assert_eq!(
        (status, &m["sender_type"]),
        (201, &json!("end_user")),
        "{m}"
    );
    s.advance("demo", 3_000).await;
    let (status, e) = apps(
        &s,
        reqwest::Method::POST,
        &format!("/chats/{chat_id}/escalations"),
        Some(json!({"reason": "asked for a human", "force_escalate": true})),
    )
    .await;
    assert_eq!(status, 201, "{e}");
    let (_, c) = apps(&s, reqwest::Method::GET, &format!("/chats/{chat_id}"), None).await;
    assert_eq!(c["status"], "queued", "{c}");

    // 7. t=20: Dan is made Available, is offered the chat and takes it at 22 s; he writes at
    //    25 s, the end user at 27 s, and he finishes the chat at 40 s.
    s.advance("demo", 5_000).await;
    let (status, moved) = apps(
        &s,
        reqwest::Method::POST,
        "/agent_statuses",
        Some(json!({"status": "available", "agent_ids": [1004], "team_ids": []})),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved[0]["previous_status"], "Unavailable");
    s.advance("demo", 2_000).await;
    sim(&s, "agents/1004/answer", json!({})).await;
    s.advance("demo", 3_000).await;
    let (status, m) = apps(
        &s,
        reqwest::Method::POST,
        &format!("/chats/{chat_id}/messages"),
        Some(json!({"from_user_id": 1004, "message": {"type": "text", "content": "It arrives tomorrow."}})),
    )
    .await;
    assert_eq!((status, &m["sender_type"]), (201, &json!("agent")), "{m}");
    s.advance("demo", 2_000).await;
    let (status, _) = apps(
        &s,
        reqwest::Method::POST,
        &format!("/chats/{chat_id}/messages"),
        Some(json!({"message": {"content": "Thanks!"}})),
    )
    .await;
    assert_eq!(status, 201);
    s.advance("demo", 13_000).await;
    let (status, c) = apps(
        &s,
        reqwest::Method::PATCH,
        &format!("/chats/{chat_id}"),
        Some(json!({"finished_by_user_id": 1004, "chat": {"status": "finished"}})),
    )
    .await;
    assert_eq!(status, 200, "{c}");

    // 8. t=64: Carol hangs up after 60 s of talk; t=71: Alice's customer hangs up.
    let carol_call = engine_id(&s, incoming_id).await;
    let alice_call = engine_id(&s, outbound_id).await;
    s.advance("demo", 24_000).await;
    sim(
        &s,
        &format!("interactions/{carol_call}/hangup"),
        json!({"by": "agent"}),
    )
    .await;
    s.advance("demo", 7_000).await;
    sim(
        &s,
        &format!("interactions/{alice_call}/hangup"),
        json!({"by": "customer"}),
    )
    .await;
    // The SMS session is closed too, then wrap-ups run out.
    let (status, c) = apps(
        &s,
        reqwest::Method::PATCH,
        &format!("/chats/{sms_id}"),
        Some(json!({"chat": {"status": "finished"}})),
    )
    .await;
    assert_eq!(status, 200, "{c}");
    s.advance("demo", 60_000).await;

    // 9. Calls, one a page, oldest first, as a client tails them.
    let url = s.url(&format!(
        "/ujet.acme.co/manager/api/v1/calls?page=1&per=1&sort_column=created_at&sort_direction=ASC&updated_at%5Bfrom%5D={}",
        ccemu_core::clock::format_rfc3339_secs(t0)
    ));
    let first = get_url(&s, &url, LEGACY).await;
    assert_eq!(first.total(), 2);
    assert_eq!(
        next_link(&first.headers).as_deref(),
        Some(url.replacen("page=1", "page=2", 1).as_str())
    );
    let (calls, pages) = follow(&s, &url).await;
    assert_eq!(pages, 2);
    assert_eq!(ids(&calls), [incoming_id, outbound_id]);
    let inc = &calls[0];
    assert_eq!(inc["call_type"], "Voice Inbound (API)");
    assert_eq!(inc["status"], "finished");
    assert_eq!(inc["created_at"], at(0));
    assert_eq!(inc["queued_at"], at(0));
    assert_eq!(inc["assigned_at"], at(0));
    assert_eq!(inc["connected_at"], at(4));
    assert_eq!(inc["ends_at"], at(64));
    assert_eq!(inc["queue_duration"], 4);
    assert_eq!(inc["wait_duration"], 4);
    assert_eq!(inc["call_duration"], 60);
    assert_eq!(inc["hold_duration"], 0);
    assert_eq!(inc["disconnected_by"], "disconnected_by_agent");
    assert_eq!(inc["agent_info"]["id"], 1003);
    assert_eq!(inc["agent_info"]["agent_number"], "1003");
    assert_eq!(inc["agent_info"]["first_name"], "Carol");
    assert_eq!(inc["selected_menu"]["id"], 9002);
    assert_eq!(
        inc["offer_events"],
        json!([{"casting_time": at(0), "group": "Group 1"}])
    );
    let out = &calls[1];
    assert_eq!(out["call_type"], "Voice Outbound (API)");
    assert_eq!(out["status"], "finished");
    assert_eq!(out["created_at"], at(4));
    assert_eq!(out["queued_at"], Value::Null);
    assert_eq!(out["queue_duration"], 0);
    assert_eq!(out["ends_at"], at(71));
    assert_eq!(out["disconnected_by"], "disconnected_by_end_user");
    assert_eq!(out["agent_info"]["id"], 1001);
    assert_eq!(out["agent_info"]["agent_number"], "1001");
    assert_eq!(out["outbound_number"], "+14155550100");
    assert_eq!(out["selected_menu"]["id"], 9001);
    // The agent's leg talks from her answer (6 s), the customer's from theirs (11 s).
    let legs = out["participants"].as_array().unwrap();
    let agent_leg = legs.iter().find(|p| p["type"] == "agent").unwrap();
    let user_leg = legs.iter().find(|p| p["type"] == "end_user").unwrap();
    assert_eq!(agent_leg["connected_at"], at(6), "{legs:?}");
    assert_eq!(agent_leg["call_duration"], 65, "{legs:?}");
    assert_eq!(user_leg["connected_at"], at(11), "{legs:?}");
    assert_eq!(user_leg["call_duration"], 60, "{legs:?}");
    assert_eq!(out["connected_at"], at(6));
    assert_eq!(out["call_duration"], 65);
    for c in &calls {
        for l in [
            "photos",
            "videos",
            "transfers",
            "participants",
            "offer_events",
            "deflection_details",
        ] {
            assert_array_or_null(&c[l], l);
        }
        assert_iso(&c["updated_at"], "updated_at");
    }
    // Newest first, and filters by field values.
    let r = manager(&s, "/calls?sort_column=created_at&sort_direction=DESC").await;
    assert_eq!(ids(r.rows()), [outbound_id, incoming_id]);
    let r = manager(&s, "/calls?call_type[]=Voice%20Outbound%20(API)").await;
    assert_eq!(ids(r.rows()), [outbound_id]);
    let r = manager(
        &s,
        &format!("/calls?ends_at[from]={}&ends_at[to]={}", at(64), at(70)),
    )
    .await;
    assert_eq!(ids(r.rows()), [incoming_id]);
    let r = manager(&s, &format!("/calls?updated_at[from]={}", at(72))).await;
    assert_eq!(r.total(), 0);

    // 10. Chats: the SMS and the chat, one a page.
    let url = s.url("/manager/api/v1/chats?page=1&per=1&sort_column=created_at&sort_direction=ASC");
    let (chats, pages) = follow(&s, &url).await;
    assert_eq!(pages, 2);
    assert_eq!(ids(&chats), [sms_id, chat_id]);
    let text = &chats[0];
    assert_eq!(text["chat_type"], "Messaging (API)");
    assert_eq!(text["status"], "finished", "{text}");
    assert_eq!(text["created_at"], at(11));
    assert_eq!(text["ends_at"], at(71));
    assert_eq!(text["chat_duration"], 0);
    assert_eq!(text["agent_info"], Value::Null);
    assert_eq!(text["message_count"], 1);
    let ch = &chats[1];
    assert_eq!(ch["chat_type"], "Chat (API)");
    assert_eq!(ch["status"], "finished");
    assert_eq!(ch["created_at"], at(12));
    assert_eq!(ch["queued_at"], at(15), "{ch}");
    assert_eq!(ch["assigned_at"], at(22));
    assert_eq!(ch["ends_at"], at(40));
    assert_eq!(ch["wait_duration"], 7);
    assert_eq!(ch["chat_duration"], 18);
    assert_eq!(ch["message_count"], 3);
    assert_eq!(ch["first_msg_sent_at"], at(12));
    assert_eq!(ch["last_msg_sent_at"], at(27));
    // Dan answered the end user's 12 s question at 25 s.
    assert_eq!(ch["average_response_time"], 13);
    assert_eq!(ch["longest_response_time"], 13);
    assert_eq!(ch["agent_info"]["id"], 1004);
    assert_eq!(ch["agent_info"]["agent_number"], "1004");
    assert_eq!(ch["disconnected_by"], "agent");
    let agent_part = ch["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "agent")
        .unwrap_or_else(|| panic!("{ch}"));
    assert_eq!(agent_part["user_id"], 1004);
    assert_eq!(agent_part["chat_duration"], 18);
    let r = manager(
        &s,
        &format!("/chats?status[]=finished&created_at[from]={}", at(11)),
    )
    .await;
    assert_eq!(r.total(), 2);
    let r = manager(&s, "/chats?chat_type[]=Chat%20(API)").await;
    assert_eq!(ids(r.rows()), [chat_id]);

    // 11. Agents: all six, two a page; the available ones by status_id[]; everyone's wrap-up
    //     is over at 131 s.
    let url = s.url("/manager/api/v1/agents?page=1&per=2&sort_column=id&sort_direction=ASC");
    let (agents, pages) = follow(&s, &url).await;
    assert_eq!(pages, 3);
    assert_eq!(ids(&agents), [1001, 1002, 1003, 1004, 1005, 1006]);
    assert_eq!(agents[4]["first_name"], "Nina");
    assert_eq!(agents[4]["email"], "nina@demo.ccemu.test");
    assert_eq!(agents[4]["teams"][0]["name"], "Support");
    let url = s.url("/manager/api/v1/agents?page=1&per=2&status_id%5B%5D=0&sort_column=status_updated_at&sort_direction=DESC");
    let (available, pages) = follow(&s, &url).await;
    assert_eq!(pages, 3);
    // Alice wrapped up 71..81 s, Carol 64..74 s, Dan 40..50 s; Nina and Omar since 0 s.
    assert_eq!(ids(&available), [1001, 1003, 1004, 1005, 1006]);
    let since: Vec<&str> = available
        .iter()
        .map(|a| a["status_updated_at"].as_str().unwrap())
        .collect();
    assert_eq!(since, [at(81), at(74), at(50), at(0), at(0)]);

    // 12. Activity logs: Carol's periods, one a page, in the order they started.
    let url = s.url(&format!(
        "/manager/api/v1/agent_activity_logs?page=1&per=1&agent_id%5B%5D=1003&sort_column=started_at&sort_direction=ASC&started_at%5Bfrom%5D={}",
        at(0)
    ));
    let (logs, _) = follow(&s, &url).await;
    let periods: Vec<(String, String, i64, Value)> = logs
        .iter()
        .filter(|l| l["duration"].as_i64().unwrap() > 0)
        .map(|l| {
            (
                l["started_at"].as_str().unwrap().to_owned(),
                l["ended_at"].as_str().unwrap().to_owned(),
                l["duration"].as_i64().unwrap(),
                l["call_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            (at(0), at(4), 4, json!(incoming_id)),
            (at(4), at(64), 60, json!(incoming_id)),
            (at(64), at(74), 10, Value::Null),
        ],
        "{logs:?}"
    );
    assert!(logs.iter().all(|l| l["agent_id"] == 1003));

    // 13. Another tenant's credentials find none of it.
    let other = s.create_tenant("other").await;
    let o = &other["credentials"]["ujet"];
    let pair = (
        o["subdomain"].as_str().unwrap(),
        o["api_token"].as_str().unwrap(),
    );
    for path in [
        format!("/manager/api/v1/calls/{incoming_id}"),
        format!("/manager/api/v1/calls/{outbound_id}"),
        format!("/manager/api/v1/chats/{chat_id}"),
        format!("/manager/api/v1/chats/{sms_id}"),
        "/manager/api/v1/agents/1005".to_owned(),
    ] {
        let r = get_url(&s, &s.url(&path), pair).await;
        assert_eq!(
            (r.status, r.body),
            (
                404,
                json!({"error": "Not Found", "message": "Resource not found", "status": 404})
            ),
            "{path}"
        );
    }
    let r = get_url(&s, &s.url(&format!("/apps/api/v1/chats/{chat_id}")), pair).await;
    assert_eq!((r.status, r.body), (404, json!({"message": "Not Found"})));
    let r = get_url(
        &s,
        &s.url(&format!("/apps/api/v1/bulk/users/jobs/{job_id}")),
        pair,
    )
    .await;
    assert_eq!((r.status, r.body), (404, json!({"message": "Not Found"})));
    for path in ["/calls", "/chats", "/agents"] {
        let r = get_url(&s, &s.url(&format!("/manager/api/v1{path}")), pair).await;
        assert_eq!((r.status, r.total(), r.body), (200, 0, json!([])), "{path}");
    }
}

/// The engine id of the interaction behind a UJET id.
async fn engine_id(s: &Server, ujet_id: i64) -> String {
    let (_, body) = s.get("/_ccemu/tenants/demo/interactions").await;
    // UJET's integer ids are the engine's per-tenant interaction numbers.
    body["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["number"].as_i64() == Some(ujet_id))
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no interaction for {ujet_id}"))
        .to_owned()
}
