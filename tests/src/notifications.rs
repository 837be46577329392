//! A stand-in for the desktop's notification daemon (GNOME Shell, KDE Plasma,
//! dunst: outside the project). It owns `org.freedesktop.Notifications` on a
//! test's private session bus, keeps what the app asks it to show, and clicks
//! a notification the way a daemon reports a person's click: the
//! `ActionInvoked` signal with the `default` action.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zbus::object_server::SignalEmitter;
use zbus::zvariant::OwnedValue;

use crate::desktop::{eventually, serve_on_bus};

const NAME: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

/// One notification the app showed.
#[derive(Debug, Clone)]
pub struct Shown {
    pub id: u32,
    pub summary: String,
    pub body: String,
    /// Pairs of action key and label; `default` is a click on the body.
    pub actions: Vec<String>,
}

struct Daemon {
    shown: Arc<Mutex<Vec<Shown>>>,
}

/// The Desktop Notifications Specification's methods and signals.
#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Daemon {
    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".into(), "actions".into()]
    }

    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        _app_name: String,
        _replaces_id: u32,
        _app_icon: String,
        summary: String,
        body: String,
        actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut shown = self.shown.lock().unwrap();
        let id = shown.len() as u32 + 1;
        shown.push(Shown { id, summary, body, actions });
        id
    }

    fn close_notification(&self, _id: u32) {}

    fn get_server_information(&self) -> (String, String, String, String) {
        ("ling-tests".into(), "ling".into(), "1".into(), "1.2".into())
    }

    #[zbus(signal)]
    async fn action_invoked(emitter: &SignalEmitter<'_>, id: u32, action_key: &str) -> zbus::Result<()>;
}

/// The notification daemon of one test's session bus, gone when dropped.
pub struct NotificationDaemon {
    connection: zbus::Connection,
    shown: Arc<Mutex<Vec<Shown>>>,
}

impl NotificationDaemon {
    /// Serves notifications on the bus at `address` (`XSession::bus`).
    pub async fn start(address: &str) -> NotificationDaemon {
        let shown = Arc::new(Mutex::new(Vec::new()));
        let connection = serve_on_bus(address, NAME, PATH, Daemon { shown: shown.clone() }).await;
        NotificationDaemon { connection, shown }
    }

    /// Everything shown so far, oldest first.
    pub fn shown(&self) -> Vec<Shown> {
        self.shown.lock().unwrap().clone()
    }

    /// Waits for a notification whose body contains `text`.
    pub async fn wait_for(&self, text: &str) -> Shown {
        eventually(&format!("a notification of {text:?}"), async || {
            let shown = self.shown();
            shown.iter().find(|n| n.body.contains(text)).cloned().ok_or_else(|| format!("shown: {shown:?}"))
        })
        .await
    }

    /// Clicks a notification (its body, the `default` action).
    pub async fn click(&self, n: &Shown) {
        assert!(n.actions.iter().any(|a| a == "default"), "the notification cannot be clicked: {n:?}");
        let iface = self.connection.object_server().interface::<_, Daemon>(PATH).await.expect("the daemon");
        Daemon::action_invoked(iface.signal_emitter(), n.id, "default").await.expect("the click is sent");
    }
}
