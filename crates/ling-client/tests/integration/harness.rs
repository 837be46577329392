//! The harness: a real server on 127.0.0.1 (restartable on the same port,
//! over the same data directory) and real clients, each with its own profile
//! directory.

use std::net::SocketAddr;
use std::time::Duration;

use eyeball_im::VectorSubscriberBatchedStream;
use futures_util::StreamExt;
use ling_client::account::{self, LoginOptions};
use ling_client::profile::Profile;
use ling_client::tokens::TokenStorePolicy;
use ling_client::{Client, ConnectionState, Event};
use ling_server::Config;
use ling_testing::eventually;
use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;
use url::Url;

/// A running server.
pub struct TestServer {
    pub addr: SocketAddr,
    pub config: Config,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::for_data_dir(dir.path().join("data"));
        config.name = "Team 翎".into();
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (stop, task) = spawn(listener, config.clone());
        TestServer { addr: task.0, config, stop: Some(stop), task: Some(task.1), _dir: dir }
    }

    /// Shuts down gracefully and waits until it has stopped.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(20), task).await.expect("server stops in time").unwrap().unwrap();
        }
    }

    /// Starts again on the same port and data directory.
    pub async fn start_again(&mut self) {
        assert!(self.task.is_none(), "stop first");
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        let (stop, task) = spawn(listener, self.config.clone());
        self.stop = Some(stop);
        self.task = Some(task.1);
    }

    pub fn url(&self) -> Url {
        format!("http://{}/", self.addr).parse().unwrap()
    }
}

type Spawned = (oneshot::Sender<()>, (SocketAddr, JoinHandle<anyhow::Result<()>>));

fn spawn(listener: tokio::net::TcpListener, config: Config) -> Spawned {
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(ling_server::run(listener, config, async move {
        let _ = rx.await;
    }));
    (tx, (addr, task))
}

/// One person: a profile directory and, once logged in, a client.
pub struct Person {
    pub profile: Profile,
    pub client: Client,
    pub events: broadcast::Receiver<Event>,
    _dir: tempfile::TempDir,
}

pub fn options(remember: bool) -> LoginOptions {
    LoginOptions { device_name: "test".into(), remember, token_policy: TokenStorePolicy::FileOnly }
}

impl Person {
    /// Registers `name` (password "password1") and starts a client, connected.
    pub async fn register(server: &TestServer, name: &str) -> Person {
        let dir = tempfile::tempdir().unwrap();
        let profile = Profile::open(dir.path().join("profile")).unwrap();
        let reg = account::register(&profile, &server.url(), name, "password1", None, &options(true)).await.unwrap();
        let client = Client::start(reg.session).await.unwrap();
        let events = client.events();
        let mut p = Person { profile, client, events, _dir: dir };
        p.connected().await;
        p
    }

    /// Stops the client and starts it again from the profile (auto-login),
    /// as after an app restart; `connect` waits for the catch-up.
    pub async fn restarted(self) -> Person {
        self.restarted_after(async {}).await
    }

    /// [`Person::restarted`], with `meanwhile` done while the client is stopped.
    pub async fn restarted_after(self, meanwhile: impl std::future::Future<Output = ()>) -> Person {
        let Person { profile, client, _dir, .. } = self;
        client.stop().await;
        meanwhile.await;
        let session = account::auto_login(&profile, TokenStorePolicy::FileOnly).await.unwrap().expect("remembered");
        let client = Client::start(session).await.unwrap();
        let events = client.events();
        Person { profile, client, events, _dir }
    }

    /// Waits until the session is connected and caught up.
    pub async fn connected(&mut self) {
        self.wait_for(|e| matches!(e, Event::Synced)).await;
        assert_eq!(self.client.state(), ConnectionState::Connected);
    }

    /// Waits (up to 20 s) for an event `pick` accepts, and returns it.
    pub async fn wait_for(&mut self, mut pick: impl FnMut(&Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let got = tokio::time::timeout_at(deadline, self.events.recv()).await;
            match got {
                Ok(Ok(e)) if pick(&e) => return e,
                Ok(Ok(_)) => {}
                Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(e)) => panic!("events closed: {e}"),
                Err(_) => panic!("timed out waiting for an event"),
            }
        }
    }

    pub fn id(&self) -> i64 {
        self.client.me().id
    }
}

/// Makes `a` and `b` friends; returns their conversation id.
pub async fn befriend(a: &mut Person, b: &mut Person) -> i64 {
    a.client.contacts().send_friend_request(b.id(), "hi").await.unwrap();
    let a_id = a.id();
    let request = match b.wait_for(|e| matches!(e, Event::FriendRequest { request } if request.from.id == a_id)).await {
        Event::FriendRequest { request } => request,
        _ => unreachable!(),
    };
    b.client.contacts().accept_friend_request(request.id).await.unwrap();
    let conv = b.client.conversation_with(a.id()).await.unwrap().expect("a conversation");
    a.wait_for(|e| matches!(e, Event::ContactsChanged)).await;
    let (a, b_id) = (&*a, b.id());
    eventually("the conversation is in both caches", async || {
        a.client.conversation_with(b_id).await.unwrap().is_some()
    })
    .await;
    conv
}

/// Amy and Bob, registered and friends; their conversation's id.
pub async fn amy_and_bob(server: &TestServer) -> (Person, Person, i64) {
    let mut amy = Person::register(server, "amy").await;
    let mut bob = Person::register(server, "bob").await;
    let conv = befriend(&mut amy, &mut bob).await;
    (amy, bob, conv)
}

/// A copy of a view's rows (a timeline's, the conversation list's) kept by
/// its diffs alone, as a UI keeps one.
pub struct Rows<T: Clone> {
    pub rows: Vec<T>,
    diffs: VectorSubscriberBatchedStream<T>,
}

impl<T: Clone + std::fmt::Debug + Send + Sync + 'static> Rows<T> {
    /// From a view's `subscribe()`.
    pub fn new((rows, diffs): (Vec<T>, VectorSubscriberBatchedStream<T>)) -> Rows<T> {
        Rows { rows, diffs }
    }

    /// Applies diffs until `done` holds of the rows (up to 20 s).
    pub async fn until(&mut self, what: &str, done: impl Fn(&[T]) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !done(&self.rows) {
            let batch = tokio::time::timeout_at(deadline, self.diffs.next())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}; rows: {:?}", self.rows))
                .expect("the view lives");
            for diff in batch {
                ling_client::rows::apply_diff(&mut self.rows, diff);
            }
        }
    }
}
