//! Desktop notifications: what the client core decided to notify
//! (`ling_client::notices`, a pure rule), said in the UI's language (the UI
//! sends its words with `set_notice_labels`), shown through the system's
//! notification service. Clicking one opens its chat.

use std::sync::Mutex;

use ling_client::notices::{Notice, NoticeText};
use serde::Deserialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_notification::NotificationExt;
use ts_rs::TS;

/// A notification was clicked: open this conversation (its id).
pub const OPEN_CONVERSATION_EVENT: &str = "ling://open-conversation";
/// The key of a notification's extra data that names its conversation.
const NOTIFIED_CONVERSATION: &str = "conversation_id";

/// The words of notifications, in the UI's language: one per
/// `NoticeText` key (`{name}`: the file's name).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, TS)]
pub struct NoticeLabels {
    /// `app.name`
    pub app_name: String,
    /// `notice.image`
    pub image: String,
    /// `notice.voice`
    pub voice: String,
    /// `notice.file`
    pub file: String,
    /// `notice.call`
    pub call: String,
    /// `notice.incomingVoiceCall`
    pub incoming_voice_call: String,
    /// `notice.incomingVideoCall`
    pub incoming_video_call: String,
    /// `notice.assistantFailed`
    pub assistant_failed: String,
    /// `notice.reacted` (`{name}`, `{emoji}`)
    pub reacted: String,
}

impl Default for NoticeLabels {
    /// English, until the UI has said its words.
    fn default() -> Self {
        NoticeLabels {
            app_name: "Ling".into(),
            image: "[image]".into(),
            voice: "[voice message]".into(),
            file: "[file] {name}".into(),
            call: "[call]".into(),
            incoming_voice_call: "Incoming voice call".into(),
            incoming_video_call: "Incoming video call".into(),
            assistant_failed: "The assistant could not answer".into(),
            reacted: "{name} reacted {emoji} to your message".into(),
        }
    }
}

impl NoticeLabels {
    /// `text` in these words.
    pub fn say(&self, text: &NoticeText) -> String {
        match text {
            NoticeText::Verbatim(s) => s.clone(),
            NoticeText::AppName => self.app_name.clone(),
            NoticeText::Image => self.image.clone(),
            NoticeText::Voice => self.voice.clone(),
            NoticeText::File { name } => self.file.replace("{name}", name),
            NoticeText::CallRecord => self.call.clone(),
            NoticeText::IncomingVoiceCall => self.incoming_voice_call.clone(),
            NoticeText::IncomingVideoCall => self.incoming_video_call.clone(),
            NoticeText::AssistantFailed => self.assistant_failed.clone(),
            NoticeText::Reacted { name, emoji } => self.reacted.replace("{name}", name).replace("{emoji}", emoji),
        }
    }
}

/// The words in use (app state).
#[derive(Default)]
pub struct Notices(Mutex<NoticeLabels>);

impl Notices {
    pub fn set_labels(&self, labels: NoticeLabels) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = labels;
    }

    fn labels(&self) -> NoticeLabels {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Whether the app's window has the focus (the person sees what arrives).
pub fn window_focused(app: &AppHandle) -> bool {
    app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false)
}

/// Shows `notice` (and brings the window up for a call).
pub fn show(app: &AppHandle, notice: &Notice) {
    if notice.raise_window
        && let Some(window) = app.get_webview_window("main")
    {
        let _ = window.show();
        let _ = window.unminimize();
    }
    let labels = app.state::<Notices>().labels();
    let shown = app
        .notification()
        .builder()
        .title(labels.say(&notice.title))
        .body(labels.say(&notice.body))
        .extra(NOTIFIED_CONVERSATION, notice.conversation_id)
        .show();
    if let Err(e) = shown {
        tracing::debug!(error = %e, "no notification");
    }
}

/// Clicking a notification brings the window back with its conversation
/// open.
pub fn on_notification_clicked(app: &AppHandle) -> tauri_plugin_notification::Result<()> {
    let handle = app.clone();
    app.notification().on_action(move |performed| {
        if performed.action_id() != "tap" {
            return;
        }
        let conversation = performed
            .notification()
            .and_then(|n| n.extra().get(NOTIFIED_CONVERSATION))
            .and_then(serde_json::Value::as_i64);
        crate::tray::show_main_window(&handle);
        if let Some(id) = conversation {
            let _ = handle.emit(OPEN_CONVERSATION_EVENT, id);
        }
    })
}

#[cfg(test)]
mod tests {
    use ling_client::notices::NoticeText;

    use super::NoticeLabels;

    /// Every part a notice can have is a key both of the UI's languages say,
    /// and the shell's words fill each in.
    #[test]
    fn every_notice_text_is_said_in_english_and_chinese() {
        let all = [
            NoticeText::AppName,
            NoticeText::Image,
            NoticeText::File { name: "plan.pdf".into() },
            NoticeText::CallRecord,
            NoticeText::IncomingVoiceCall,
            NoticeText::IncomingVideoCall,
            NoticeText::AssistantFailed,
            NoticeText::Reacted { name: "Bob".into(), emoji: "👍".into() },
        ];
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for language in ["en", "zh-CN"] {
            let text = std::fs::read_to_string(dir.join(format!("../ui/src/lib/i18n/{language}.ts"))).unwrap();
            for part in &all {
                let key = part.key().unwrap();
                assert!(text.contains(&format!("'{key}':")), "no '{key}' in {language}.ts");
            }
        }
        let labels = NoticeLabels { file: "[文件] {name}".into(), ..NoticeLabels::default() };
        assert_eq!(labels.say(&all[2]), "[文件] plan.pdf");
        assert_eq!(labels.say(&NoticeText::Verbatim("hi".into())), "hi");
        assert_eq!(labels.say(&NoticeText::IncomingVideoCall), "Incoming video call");
        assert_eq!(labels.say(&all[7]), "Bob reacted 👍 to your message");
    }
}
