//! Contacts, groups and the account changed through `Client`, seen in the
//! cache of the one who changed them and of the others.

use ling_client::Event;
use ling_proto::groups::{Role, UpdateGroupRequest};
use ling_proto::users::UpdateProfileRequest;

use ling_testing::eventually;

use crate::harness::{Person, TestServer, befriend};

async fn role_of(p: &Person, group: i64, user: i64) -> Option<Role> {
    p.client.groups().group_members(group).await.unwrap().iter().find(|m| m.user.id == user).map(|m| m.role)
}

#[tokio::test]
async fn test_a_group_is_made_renamed_staffed_and_ended_and_every_member_cache_follows() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let mut carol = Person::register(&server, "carol").await;
    befriend(&mut amy, &mut bob).await;
    befriend(&mut amy, &mut carol).await;
    let (amy_id, bob_id, carol_id) = (amy.id(), bob.id(), carol.id());

    // Amy makes it: her own cache has it at once, Bob's soon after.
    let group = amy.client.groups().create_group("  Team 翎 ", vec![bob_id]).await.unwrap();
    assert_eq!(group.name, "Team 翎");
    let mine = amy.client.conversation(group.conversation_id).await.unwrap().expect("listed for Amy");
    assert_eq!(mine.title, "Team 翎");
    assert_eq!(role_of(&amy, group.id, amy_id).await, Some(Role::Owner));
    eventually("Bob's list", || async { bob.client.conversation(group.conversation_id).await.unwrap() }).await;

    // Renamed with an announcement: the group and its conversation follow, on both sides.
    let req = UpdateGroupRequest {
        name: Some("Launch crew".into()),
        announcement: Some("Standup at 10".into()),
        ..Default::default()
    };
    amy.client.groups().update_group(group.id, &req).await.unwrap();
    assert_eq!(amy.client.conversation(group.conversation_id).await.unwrap().unwrap().title, "Launch crew");
    let seen = eventually("Bob's renamed group", || async {
        bob.client.groups().list().await.unwrap().into_iter().find(|g| g.id == group.id && g.name == "Launch crew")
    })
    .await;
    assert_eq!(seen.announcement, "Standup at 10");

    // Bob, a plain member, may not rename it: a stable code, nothing changed.
    let rename = UpdateGroupRequest { name: Some("Mine".into()), ..Default::default() };
    assert_eq!(bob.client.groups().update_group(group.id, &rename).await.unwrap_err().code(), "insufficient_role");
    assert_eq!(amy.client.groups().list().await.unwrap()[0].name, "Launch crew");

    // Carol is invited; Bob is made an admin and may then remove her.
    assert_eq!(amy.client.groups().invite(group.id, &[carol_id]).await.unwrap(), [carol_id]);
    amy.client.groups().set_member_role(group.id, bob_id, Role::Admin).await.unwrap();
    assert_eq!(role_of(&amy, group.id, bob_id).await, Some(Role::Admin));
    eventually("Bob's own role", || async {
        (role_of(&bob, group.id, bob_id).await == Some(Role::Admin)).then_some(())
    })
    .await;
    eventually("Carol's copy of the group", || async {
        carol.client.groups().list().await.unwrap().into_iter().find(|g| g.id == group.id)
    })
    .await;
    bob.client.groups().kick(group.id, carol_id).await.unwrap();
    assert_eq!(role_of(&bob, group.id, carol_id).await, None);
    carol.wait_for(|e| matches!(e, Event::GroupRemoved { group_id } if *group_id == group.id)).await;
    assert!(carol.client.groups().list().await.unwrap().is_empty());
    // Her history of it stays readable.
    assert!(carol.client.conversation(group.conversation_id).await.unwrap().is_some());

    // Bob leaves; his copy goes, the conversation's history stays.
    bob.client.groups().leave_group(group.id).await.unwrap();
    assert!(bob.client.groups().list().await.unwrap().is_empty());
    assert!(bob.client.conversation(group.conversation_id).await.unwrap().is_some());
    eventually("Bob gone from Amy's members", || async {
        (role_of(&amy, group.id, bob_id).await.is_none()).then_some(())
    })
    .await;

    // The owner may not leave without handing it over; she dissolves it.
    assert_eq!(amy.client.groups().leave_group(group.id).await.unwrap_err().code(), "owner_cannot_leave");
    amy.client.groups().dissolve_group(group.id).await.unwrap();
    assert!(amy.client.groups().list().await.unwrap()[0].dissolved, "kept, readable, marked");
    let again = amy.client.groups().update_group(group.id, &rename).await.unwrap_err();
    assert_eq!(again.code(), "group_dissolved", "{again}");
}

#[tokio::test]
async fn test_remarks_friend_groups_blocks_the_profile_and_preferences_are_changed_and_kept() {
    let server = TestServer::start().await;
    let mut amy = Person::register(&server, "amy").await;
    let mut bob = Person::register(&server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    let bob_id = bob.id();

    // A remark titles the conversation and lists the friend; blank clears it.
    amy.client.contacts().set_remark(bob_id, Some(" Bobby ".into())).await.unwrap();
    assert_eq!(amy.client.contacts().friends().await.unwrap()[0].remark.as_deref(), Some("Bobby"));
    assert_eq!(amy.client.conversation(conv).await.unwrap().unwrap().title, "Bobby");
    amy.client.contacts().set_remark(bob_id, Some("  ".into())).await.unwrap();
    assert_eq!(amy.client.contacts().friends().await.unwrap()[0].remark, None);

    // Friend groups: made, used, renamed, deleted (the friend stays a friend).
    let work = amy.client.contacts().create_friend_group("Work").await.unwrap();
    amy.client.contacts().set_friend_group(bob_id, Some(work.id)).await.unwrap();
    assert_eq!(amy.client.contacts().friends().await.unwrap()[0].group_id, Some(work.id));
    amy.client.contacts().rename_friend_group(work.id, "Office").await.unwrap();
    assert_eq!(amy.client.contacts().friend_groups().await.unwrap()[0].name, "Office");
    let dup = amy.client.contacts().create_friend_group("Office").await.unwrap_err();
    assert_eq!(dup.code(), "invalid_request", "{dup}");
    amy.client.contacts().delete_friend_group(work.id).await.unwrap();
    assert!(amy.client.contacts().friend_groups().await.unwrap().is_empty());
    assert_eq!(amy.client.contacts().friends().await.unwrap()[0].group_id, None);

    // Blocked, then unblocked.
    amy.client.contacts().set_blocked(bob_id, true).await.unwrap();
    assert_eq!(amy.client.contacts().blocks().await.unwrap()[0].user.id, bob_id);
    amy.client.contacts().set_blocked(bob_id, false).await.unwrap();
    assert!(amy.client.contacts().blocks().await.unwrap().is_empty());

    // Her new name reaches Bob and survives a restart of her app.
    let req = UpdateProfileRequest { display_name: Some("Amy L.".into()), ..Default::default() };
    assert_eq!(amy.client.update_profile(&req).await.unwrap().display_name, "Amy L.");
    assert_eq!(amy.client.me().display_name, "Amy L.");
    bob.wait_for(|e| matches!(e, Event::ProfileChanged { user } if user.display_name == "Amy L.")).await;
    // Her preferences on this device: notifications on until turned off,
    // and kept with the rest.
    let mut prefs = amy.client.prefs().await.unwrap();
    assert!(prefs.notifications && prefs.enter_sends);
    prefs.notifications = false;
    prefs.devices.camera = Some("1".into());
    amy.client.set_prefs(prefs.clone()).await.unwrap();
    let amy = amy.restarted().await;
    assert_eq!(amy.client.me().display_name, "Amy L.");
    assert_eq!(amy.client.prefs().await.unwrap(), prefs);

    // Her signed-in devices: this one, marked.
    let sessions = amy.client.sessions().await.unwrap();
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);

    // A wrong current password changes nothing.
    let wrong = amy.client.change_password("not-it-at-all", "password2").await.unwrap_err();
    assert_eq!(wrong.code(), "invalid_credentials", "{wrong}");
    amy.client.change_password("password1", "password2").await.unwrap();
}
