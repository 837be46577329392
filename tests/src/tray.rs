//! A stand-in for the desktop's tray (a panel that shows StatusNotifier
//! items: KDE Plasma, GNOME with AppIndicator support, waybar: outside the
//! project). It is the `org.kde.StatusNotifierWatcher` of a test's private
//! session bus, which the app's tray icon (libayatana-appindicator) registers
//! with, and it reads the icon the way a panel does: its label and its menu
//! (`com.canonical.dbusmenu`), and clicks the menu's items.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zbus::message::Header;
use zbus::names::InterfaceName;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Structure, Value};

use crate::desktop::{eventually, serve_on_bus};

const WATCHER: &str = "org.kde.StatusNotifierWatcher";
const ITEM: &str = "org.kde.StatusNotifierItem";
const MENU: &str = "com.canonical.dbusmenu";

/// A registered item: its bus name and object path.
type Item = (String, String);
/// A dbusmenu layout: `(ia{sv}av)`, an item's id, properties and children.
type Layout = (i32, HashMap<String, OwnedValue>, Vec<OwnedValue>);

struct Watcher {
    items: Arc<Mutex<Vec<Item>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: String,
        #[zbus(header)] header: Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        // An item names its object path (on the caller's connection), or
        // its bus name (at the default path).
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let item =
            if service.starts_with('/') { (sender, service) } else { (service, "/StatusNotifierItem".to_owned()) };
        let name = format!("{}{}", item.0, item.1);
        self.items.lock().unwrap().push(item);
        let _ = Self::status_notifier_item_registered(&emitter, &name).await;
    }

    fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items.lock().unwrap().iter().map(|(name, path)| format!("{name}{path}")).collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(emitter: &SignalEmitter<'_>, service: &str) -> zbus::Result<()>;
}

/// One menu item as a panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuItem {
    pub id: i32,
    pub label: String,
}

/// The tray of one test's session bus, gone when dropped.
pub struct TrayHost {
    connection: zbus::Connection,
    items: Arc<Mutex<Vec<Item>>>,
}

impl TrayHost {
    /// Serves the tray on the bus at `address` (`XSession::bus`); start it
    /// before the app, as a desktop's panel is there before its apps.
    pub async fn start(address: &str) -> TrayHost {
        let items = Arc::new(Mutex::new(Vec::new()));
        let connection =
            serve_on_bus(address, WATCHER, "/StatusNotifierWatcher", Watcher { items: items.clone() }).await;
        TrayHost { connection, items }
    }

    /// The app's icon, once it registered.
    async fn item(&self) -> Item {
        eventually("the tray icon", async || {
            self.items.lock().unwrap().last().cloned().ok_or_else(|| "none registered".to_owned())
        })
        .await
    }

    async fn property(&self, name: &str) -> OwnedValue {
        let (bus, path) = self.item().await;
        let props = zbus::fdo::PropertiesProxy::builder(&self.connection)
            .destination(bus)
            .and_then(|b| b.path(path))
            .expect("the item's address")
            .build()
            .await
            .expect("the item's properties");
        props.get(InterfaceName::from_static_str_unchecked(ITEM), name).await.expect("the item's property")
    }

    /// The text beside the icon (libayatana-appindicator's label).
    pub async fn label(&self) -> String {
        String::try_from(self.property("XAyatanaLabel").await).unwrap_or_default()
    }

    /// Waits until the label is `want`.
    pub async fn wait_label(&self, want: &str) {
        eventually(&format!("the tray label {want:?}"), async || {
            let label = self.label().await;
            if label == want { Ok(()) } else { Err(format!("the label is {label:?}")) }
        })
        .await
    }

    async fn menu_proxy(&self) -> zbus::Proxy<'static> {
        let (bus, _) = self.item().await;
        let path = OwnedObjectPath::try_from(self.property("Menu").await).expect("the item's menu path");
        zbus::Proxy::new(&self.connection, bus, path, MENU).await.expect("the item's menu")
    }

    /// The menu's items, top level, in order.
    pub async fn menu(&self) -> Vec<MenuItem> {
        let menu = self.menu_proxy().await;
        let (_revision, (_id, _props, children)): (u32, Layout) =
            menu.call("GetLayout", &(0i32, 1i32, vec!["label"])).await.expect("the menu's layout");
        children
            .into_iter()
            .filter_map(|child| {
                let Value::Structure(s) = Value::from(child) else { return None };
                menu_item(s)
            })
            .filter(|item| !item.label.is_empty())
            .collect()
    }

    /// Waits until the menu's labels are `want`.
    pub async fn wait_menu(&self, want: &[&str]) -> Vec<MenuItem> {
        eventually(&format!("the tray menu {want:?}"), async || {
            let menu = self.menu().await;
            let same = menu.iter().map(|i| i.label.as_str()).eq(want.iter().copied());
            if same { Ok(menu) } else { Err(format!("the menu is {menu:?}")) }
        })
        .await
    }

    /// Clicks a menu item, as a person does in the panel.
    pub async fn click(&self, item: &MenuItem) {
        let menu = self.menu_proxy().await;
        let () = menu
            .call("Event", &(item.id, "clicked", Value::from(0i32), 0u32))
            .await
            .expect("the click reaches the menu");
    }
}

/// `(ia{sv}av)`: an item's id and properties (its children are not read).
fn menu_item(s: Structure<'_>) -> Option<MenuItem> {
    let mut fields = s.into_fields().into_iter();
    let id = i32::try_from(fields.next()?).ok()?;
    let props = HashMap::<String, OwnedValue>::try_from(fields.next()?).ok()?;
    let label = props.get("label").and_then(|v| String::try_from(v.clone()).ok()).unwrap_or_default();
    // GTK marks the mnemonic with '_'.
    Some(MenuItem { id, label: label.replace('_', "") })
}
