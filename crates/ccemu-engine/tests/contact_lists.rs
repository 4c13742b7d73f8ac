//! Contact lists in the engine: numbered lists and entries, checked changes, kept across restarts.

mod common;
use common::{demo, engine};

use ccemu_core::{ContactList, ContactListEntry};
use ccemu_engine::{ContactListEdit as E, ContactListEntryPatch, Op, OpOutput};
use ccemu_store::testing::TestDb;

async fn edit(e: &ccemu_engine::Engine, edit: E) -> Result<OpOutput, ccemu_engine::EngineError> {
    e.execute(&demo(), Op::EditContactList(edit)).await
}

fn entry(number: &str) -> ContactListEntry {
    ContactListEntry {
        phone_number: number.into(),
        ..ContactListEntry::default()
    }
}

#[tokio::test]
async fn lists_and_entries_are_numbered_checked_and_kept() {
    let db = TestDb::new().await;
    let e = engine(&db).await;
    let create = |name: &str| E::Create {
        name: name.into(),
        description: String::new(),
    };
    let Ok(OpOutput::ContactList(first)) = edit(&e, create("VIP")).await else {
        panic!()
    };
    assert_eq!(first.id, "1");
    assert!(edit(&e, create(" ")).await.is_err());
    let add = E::AddEntries {
        list_id: "1".into(),
        entries: vec![entry("+15550000001"), entry("+15550000002")],
    };
    let Ok(OpOutput::ContactList(list)) = edit(&e, add).await else {
        panic!()
    };
    let ids: Vec<u64> = list.entries.iter().map(|e| e.id).collect();
    assert_eq!(ids, [1, 2]);
    let bad = E::AddEntries {
        list_id: "1".into(),
        entries: vec![entry("+15550000003"), entry("nope")],
    };
    assert!(edit(&e, bad).await.is_err(), "all or none");
    edit(
        &e,
        E::DeleteEntry {
            list_id: "1".into(),
            entry_id: 1,
        },
    )
    .await
    .unwrap();
    assert!(edit(
        &e,
        E::DeleteEntry {
            list_id: "1".into(),
            entry_id: 1
        }
    )
    .await
    .is_err());
    e.shutdown().await;
    e.store().close().await;
    let e = engine(&db).await;
    let patch = ContactListEntryPatch {
        name: Some("Ann".into()),
        ..Default::default()
    };
    let op = E::UpdateEntry {
        list_id: "1".into(),
        entry_id: 2,
        patch,
    };
    let Ok(OpOutput::ContactList(list)) = edit(&e, op).await else {
        panic!()
    };
    assert_eq!(list.entries.len(), 1);
    assert_eq!(list.entries[0].name, "Ann");
    let add = E::AddEntries {
        list_id: "1".into(),
        entries: vec![entry("+15550000004")],
    };
    let Ok(OpOutput::ContactList(list)) = edit(&e, add).await else {
        panic!()
    };
    assert_eq!(
        list.entries.last().unwrap().id,
        3,
        "removed ids are not reused"
    );
    let Ok(OpOutput::ContactList(second)) = edit(&e, create("Other")).await else {
        panic!()
    };
    assert_eq!(second.id, "2");
    assert!(matches!(
        edit(
            &e,
            E::Delete {
                list_id: "1".into()
            }
        )
        .await,
        Ok(OpOutput::Deleted)
    ));
    assert!(edit(
        &e,
        E::Delete {
            list_id: "1".into()
        }
    )
    .await
    .is_err());
    let stored: Vec<ContactList> = e.records(&demo()).await.unwrap();
    assert_eq!(stored.len(), 1);
}
