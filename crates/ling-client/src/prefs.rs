//! This device's preferences for an account, in one place: one [`Prefs`]
//! kept in the account's cache (the `settings` table), read and written
//! whole. What earlier versions kept elsewhere (the notifications switch
//! under its own key, the call devices in `call-devices.json` beside the
//! cache) is taken over the first time.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::error::ClientResult;

/// The key the preferences are kept under.
const KEY: &str = "prefs";
/// Where earlier versions kept the notifications switch.
const OLD_NOTIFICATIONS_KEY: &str = "notifications";
/// Where earlier versions of the desktop app kept the call devices.
const OLD_DEVICES_FILE: &str = "call-devices.json";

/// The devices chosen for calls (`None`: the system's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct DeviceChoice {
    pub microphone: Option<String>,
    pub speaker: Option<String>,
    pub camera: Option<String>,
}

/// What the microphone's sound goes through in a call (and a voice note,
/// but for the echo: nothing plays then). All on by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct SoundProcessing {
    /// The far end does not hear itself come back from this speaker.
    pub echo_cancellation: bool,
    /// A fan, a keyboard, a street are turned down.
    pub noise_suppression: bool,
    /// A quiet voice is brought up.
    pub auto_gain: bool,
}

impl Default for SoundProcessing {
    fn default() -> Self {
        SoundProcessing { echo_cancellation: true, noise_suppression: true, auto_gain: true }
    }
}

impl From<SoundProcessing> for ling_call::processing::Processing {
    fn from(s: SoundProcessing) -> Self {
        ling_call::processing::Processing {
            echo_cancellation: s.echo_cancellation,
            noise_suppression: s.noise_suppression,
            auto_gain: s.auto_gain,
        }
    }
}

/// This device's preferences for the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct Prefs {
    /// New messages raise desktop notifications.
    pub notifications: bool,
    /// Enter sends a message (Shift+Enter starts a new line); otherwise
    /// Ctrl+Enter sends.
    pub enter_sends: bool,
    /// The microphone, speaker and camera for calls.
    pub devices: DeviceChoice,
    /// The emoji offered first for a reaction, most recently used first.
    pub recent_reactions: Vec<String>,
    /// Someone's reaction to one's own message raises a notification.
    pub notify_reactions: bool,
    /// Links in what one sends get a preview, fetched by this device.
    pub link_previews: bool,
    /// Echo cancellation, noise suppression and gain on the microphone.
    pub sound: SoundProcessing,
}

/// The reactions offered before any was used.
pub const QUICK_REACTIONS: [&str; 6] = ["👍", "❤️", "😂", "🎉", "😮", "😢"];

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            notifications: true,
            enter_sends: true,
            devices: DeviceChoice::default(),
            recent_reactions: QUICK_REACTIONS.map(str::to_owned).to_vec(),
            notify_reactions: false,
            link_previews: true,
            sound: SoundProcessing::default(),
        }
    }
}

/// The account's preferences from `cache`, taking over what earlier
/// versions kept elsewhere (in `account_dir`) the first time.
pub(crate) fn load(cache: &Cache, account_dir: &Path) -> ClientResult<Prefs> {
    if let Some(prefs) = cache.setting::<Prefs>(KEY)? {
        return Ok(prefs);
    }
    let old_devices = account_dir.join(OLD_DEVICES_FILE);
    let prefs = Prefs {
        notifications: cache.setting::<bool>(OLD_NOTIFICATIONS_KEY)?.unwrap_or(true),
        devices: std::fs::read(&old_devices).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default(),
        ..Prefs::default()
    };
    cache.set_setting(KEY, &prefs)?;
    let _ = std::fs::remove_file(old_devices);
    Ok(prefs)
}

/// Keeps `prefs` as the account's preferences.
pub(crate) fn store(cache: &Cache, prefs: &Prefs) -> ClientResult<()> {
    cache.set_setting(KEY, prefs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(dir: &Path) -> Cache {
        Cache::open(&dir.join("cache.db")).unwrap()
    }

    #[test]
    fn the_preferences_are_kept_whole_and_default_to_on() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path());
        assert_eq!(load(&c, dir.path()).unwrap(), Prefs::default());
        assert!(Prefs::default().notifications && Prefs::default().enter_sends && Prefs::default().link_previews);
        assert_eq!(ling_call::processing::Processing::from(Prefs::default().sound), Default::default());
        let mine = Prefs {
            notifications: false,
            enter_sends: false,
            devices: DeviceChoice { microphone: Some("alsa:hw:1".into()), speaker: None, camera: Some("0".into()) },
            recent_reactions: vec!["🚀".into(), "👍".into()],
            notify_reactions: true,
            link_previews: false,
            sound: SoundProcessing { echo_cancellation: true, noise_suppression: false, auto_gain: true },
        };
        store(&c, &mine).unwrap();
        drop(c);
        assert_eq!(load(&cache(dir.path()), dir.path()).unwrap(), mine, "after a restart");
    }

    #[test]
    fn what_earlier_versions_kept_elsewhere_is_taken_over_once() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path());
        c.set_setting(OLD_NOTIFICATIONS_KEY, &false).unwrap();
        std::fs::write(dir.path().join(OLD_DEVICES_FILE), br#"{"microphone":"mic-2","speaker":null,"camera":"1"}"#)
            .unwrap();
        let prefs = load(&c, dir.path()).unwrap();
        assert!(!prefs.notifications);
        assert_eq!(prefs.devices.microphone.as_deref(), Some("mic-2"));
        assert_eq!(prefs.devices.camera.as_deref(), Some("1"));
        assert!(prefs.enter_sends);
        assert!(!dir.path().join(OLD_DEVICES_FILE).exists(), "one place from now on");
        assert_eq!(load(&c, dir.path()).unwrap(), prefs);
    }

    #[test]
    fn a_field_added_later_takes_its_default() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path());
        c.set_setting(KEY, &serde_json::json!({ "notifications": false })).unwrap();
        let prefs = load(&c, dir.path()).unwrap();
        assert_eq!((prefs.notifications, prefs.enter_sends), (false, true));
    }
}
