//! The TypeScript declarations of every type that crosses the IPC seam,
//! generated from the Rust types with ts-rs into `ui/src/lib/bindings.ts`.
//! A test fails when that file is stale; `LING_UPDATE_BINDINGS=1 cargo test
//! -p ling-desktop bindings` rewrites it.

use std::collections::BTreeMap;

use ts_rs::{Config, TS, TypeVisitor};

/// Collects a type's declaration and, recursively, its dependencies'.
struct Collect<'a> {
    cfg: &'a Config,
    decls: BTreeMap<String, String>,
}

impl TypeVisitor for Collect<'_> {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only named types have a declaration (not primitives, Vec, Option...).
        if ts_rs::Dependency::from_ty::<T>(self.cfg).is_none() {
            T::visit_generics(self);
            return;
        }
        let name = T::ident(self.cfg);
        if self.decls.contains_key(&name) {
            return;
        }
        let decl = format!("{}export {}", T::docs().unwrap_or_default(), T::decl(self.cfg).trim_end());
        self.decls.insert(name, decl);
        T::visit_dependencies(self);
    }
}

/// The file's content.
pub fn typescript() -> String {
    // Ids and times are i64 on the Rust side; they stay far below 2^53, and
    // serde_json sends them as JSON numbers.
    let cfg = Config::new().with_large_int("number");
    let mut c = Collect { cfg: &cfg, decls: BTreeMap::new() };
    c.visit::<crate::error::AppError>();
    c.visit::<crate::commands::account::Startup>();
    c.visit::<crate::commands::account::RegisteredView>();
    c.visit::<crate::tray::TrayLabels>();
    c.visit::<crate::notices::NoticeLabels>();
    c.visit::<crate::timeline::TimelineSnapshot>();
    c.visit::<crate::views::ViewDiffs<ling_client::timeline::TimelineItem>>();
    c.visit::<crate::views::ViewDiffs<ling_client::cache::ConversationSummary>>();
    c.visit::<crate::views::ViewsChanged>();
    c.visit::<ling_client::Event>();
    c.visit::<ling_client::ConnectionState>();
    c.visit::<ling_client::voice::RecordedVoice>();
    c.visit::<ling_client::voice::RecordingLevel>();
    c.visit::<ling_client::voice::Playback>();
    c.visit::<ling_client::cache::ConversationSummary>();
    c.visit::<ling_client::cache::CachedMessage>();
    c.visit::<ling_proto::contacts::Friend>();
    c.visit::<ling_proto::contacts::FriendRequestList>();
    c.visit::<ling_proto::groups::Group>();
    c.visit::<ling_proto::groups::GroupMember>();
    c.visit::<ling_proto::users::Me>();
    c.visit::<ling_proto::contacts::FriendGroup>();
    c.visit::<ling_proto::contacts::BlockedUser>();
    c.visit::<ling_proto::auth::SessionInfo>();
    c.visit::<ling_proto::ErrorCode>();
    c.visit::<ling_proto::info::AssistantInfo>();
    c.visit::<crate::devices::CallDeviceList>();
    c.visit::<ling_client::prefs::Prefs>();
    c.visit::<crate::updates::UpdateStatus>();
    let mut out = String::from(
        "// Generated from the Rust types by `src-tauri/src/bindings.rs` (ts-rs). Do not edit:\n\
         // run `LING_UPDATE_BINDINGS=1 cargo test -p ling-desktop bindings` after changing them.\n\n",
    );
    for decl in c.decls.values() {
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn bindings_ts_is_current() {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        let want = super::typescript();
        if std::env::var_os("LING_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).expect("write bindings.ts");
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "ui/src/lib/bindings.ts is stale: run `LING_UPDATE_BINDINGS=1 cargo test -p ling-desktop bindings`"
        );
    }
}
