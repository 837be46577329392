//! The embedded SQLite backend.
//!
//! Why this shape (2026-11, measured on a 2-core VM):
//! - One writer thread owns the only write connection and commits in groups:
//!   it takes every job queued (up to [`MAX_BATCH`]), runs each in its own
//!   SAVEPOINT (a failing job rolls back alone) and COMMITs once.
//! - With `--durability full`, a second thread (the syncer) makes each commit
//!   durable: it fsyncs the WAL, once for every commit that queued up while
//!   the last fsync ran, and only then answers their jobs, in order. An answer
//!   therefore means "durable": an acked message survives a crash of the
//!   machine. The writer meanwhile runs the next batch, so the CPU work of one
//!   batch overlaps the fsync of the one before (the connection itself runs
//!   `synchronous = NORMAL`, which in WAL mode syncs only at checkpoints).
//!   Before, with `synchronous = FULL`, the writer waited for every fsync and
//!   sat idle ~40 % of the time under load (2026-12-01). A commit is visible
//!   to readers before its fsync: a history page may show a message whose
//!   sender's ack is still waiting for the disk (only a power loss in those
//!   milliseconds could then take it back).
//! - Readers use a small pool of read-only connections on the blocking pool;
//!   WAL lets them read while the writer writes.
//! - Checkpoints stay SQLite's automatic ones, inside the writer's commits:
//!   moving them to a background thread (PASSIVE every 250 ms) lowered
//!   ling-bench's 1:1 throughput from 17.2k to 12.3k msg/s (2026-11-23).
//!   They run every 8000 pages (32 MiB of WAL) rather than 1000: pages written
//!   again and again (conversation rows, index pages) are copied back once, and
//!   1:1 p99 at 20,000 msg/s fell from 44-59 ms to 23-38 ms (2026-11-23).
//! - Migrations are numbered files run once each in a transaction, the
//!   version kept in `PRAGMA user_version`.

mod accounts;
mod assistant;
mod contacts;
mod files;
mod groups;
mod messages;

use std::path::Path;
use std::sync::Arc;

use parking_lot::Mutex;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::{Semaphore, mpsc, oneshot};

use super::{OnCommit, StoreError, StoreResult};

/// The numbered migrations, in order. A shipped one is never edited.
const MIGRATIONS: &[(u32, &str)] = &[
    (1, include_str!("../../../migrations/001_init.sql")),
    (2, include_str!("../../../migrations/002_drop_messages_time_index.sql")),
    (3, include_str!("../../../migrations/003_messages_in_rowid_order.sql")),
    (4, include_str!("../../../migrations/004_assistant_replies.sql")),
    (5, include_str!("../../../migrations/005_relations.sql")),
    (6, include_str!("../../../migrations/006_forwarded.sql")),
    (7, include_str!("../../../migrations/007_pins.sql")),
    (8, include_str!("../../../migrations/008_mentions.sql")),
];

/// The writer checkpoints the WAL after this many pages (SQLite's default is 1000).
const WAL_CHECKPOINT_PAGES: u32 = 8000;

/// Jobs committed together at most.
const MAX_BATCH: usize = 512;
/// Commits waiting for the syncer at most; the writer waits beyond it.
const SYNC_QUEUE: usize = 64;
/// Queued write jobs at most; senders wait beyond it (backpressure).
const WRITE_QUEUE: usize = 4096;

/// What a job leaves to do once its batch's COMMIT is known.
type Reply = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// A queued write: run in the writer's transaction, or given up unrun (its
/// batch could not begin), so that every caller hears an outcome.
trait Job: Send {
    /// Runs the job; [`Ran::Spoiled`] if it failed after writing without a
    /// savepoint to undo it, so that its transaction must be rolled back.
    fn run(self: Box<Self>, conn: &Connection) -> (Reply, Ran);
    fn abandon(self: Box<Self>, e: StoreError);
}

/// What running a job left in the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ran {
    Clean,
    Spoiled,
}

/// How a job's failure is kept from its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// In a savepoint of its own: a failing job rolls back alone.
    Savepoint,
    /// No savepoint, for jobs that check everything before they write and
    /// whose writes fail only if the database does (a send): a job that
    /// fails after writing rolls back its whole batch, whose other jobs then
    /// fail too. Saves the savepoint's statements and the sub-journal copy of
    /// every page the job touches (~5 % of the writer's time on sends).
    WholeBatch,
}

struct WriteJob<T, F> {
    f: F,
    on_commit: OnCommit<T>,
    guard: Guard,
}

impl<T, F> Job for WriteJob<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> StoreResult<T> + Send,
{
    fn run(self: Box<Self>, conn: &Connection) -> (Reply, Ran) {
        let WriteJob { f, on_commit, guard } = *self;
        let (result, ran) = match guard {
            Guard::Savepoint => (run_in_savepoint(conn, f), Ran::Clean),
            Guard::WholeBatch => {
                // A failed statement undoes itself and counts no change.
                let before = conn.total_changes();
                let result = f(conn);
                let spoiled = result.is_err() && conn.total_changes() != before;
                (result, if spoiled { Ran::Spoiled } else { Ran::Clean })
            }
        };
        (Box::new(move |committed: StoreResult<()>| on_commit(committed.and(result))), ran)
    }

    fn abandon(self: Box<Self>, e: StoreError) {
        (self.on_commit)(Err(e))
    }
}

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    writer: mpsc::Sender<Box<dyn Job>>,
    readers: Mutex<Vec<Connection>>,
    reader_permits: Semaphore,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and migrates it,
    /// syncing every commit to disk.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with(path, true)
    }

    /// Like [`SqliteStore::open`]; with `sync_every_commit` false, commits are
    /// synced at checkpoints only (WAL `synchronous = NORMAL`: a crash of the
    /// process loses nothing, a power loss may lose the last commits).
    pub fn open_with(path: &Path, sync_every_commit: bool) -> StoreResult<Self> {
        let mut conn = open_connection(path, false)?;
        conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES)?;
        migrate(&mut conn)?;
        // From here on the syncer, not the commit, makes commits durable.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let readers = (0..4).map(|_| open_connection(path, true)).collect::<StoreResult<Vec<_>>>()?;
        let (tx, rx) = mpsc::channel(WRITE_QUEUE);
        let syncer = if sync_every_commit {
            // The WAL exists once the connection is in WAL mode (migrations wrote to it).
            // Write access for Windows' FlushFileBuffers; nothing is written through it.
            let wal = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(wal_path(path))
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
            let (to_syncer, from_writer) = std::sync::mpsc::sync_channel(SYNC_QUEUE);
            std::thread::Builder::new()
                .name("ling-sqlite-syncer".into())
                .spawn(move || syncer_loop(move || wal.sync_data(), from_writer))
                .map_err(|e| StoreError::Backend(Box::new(e)))?;
            Some(to_syncer)
        } else {
            None
        };
        std::thread::Builder::new()
            .name("ling-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, syncer))
            .map_err(|e| StoreError::Backend(Box::new(e)))?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                writer: tx,
                reader_permits: Semaphore::new(readers.len()),
                readers: Mutex::new(readers),
            }),
        })
    }

    /// Runs `f` in the writer's current transaction; answers after it commits.
    pub(crate) async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        self.queue_write(
            f,
            Box::new(move |outcome| {
                let _ = tx.send(outcome);
            }),
        )
        .await?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// Queues `f` for the writer and returns once it is queued: jobs run in
    /// the order they were queued, and `on_commit` is called with the outcome
    /// after the COMMIT, on the writer thread, in that same order (see
    /// [`OnCommit`]). If the writer has stopped, `Closed` is returned and
    /// `on_commit` is dropped uncalled.
    pub(crate) async fn queue_write<T, F>(&self, f: F, on_commit: OnCommit<T>) -> StoreResult<()>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        self.queue_write_guarded(f, on_commit, Guard::Savepoint).await
    }

    /// [`SqliteStore::queue_write`] with a choice of [`Guard`].
    pub(crate) async fn queue_write_guarded<T, F>(&self, f: F, on_commit: OnCommit<T>, guard: Guard) -> StoreResult<()>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let job: Box<dyn Job> = Box::new(WriteJob { f, on_commit, guard });
        self.inner.writer.send(job).await.map_err(|_| StoreError::Closed)
    }

    /// Runs `f` on a read connection.
    pub(crate) async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let permit = self.inner.reader_permits.acquire().await.map_err(|_| StoreError::Closed)?;
        let conn = self.inner.readers.lock().pop().ok_or(StoreError::Closed)?;
        permit.forget();
        // The lease gives the connection (and its permit) back when the read
        // ends, even if the caller stopped waiting (a request cancelled
        // mid-read) or `f` panicked.
        let lease = ReadLease { inner: self.inner.clone(), conn: Some(conn) };
        tokio::task::spawn_blocking(move || f(lease.conn.as_ref().expect("leased")))
            .await
            .map_err(|e| StoreError::Backend(Box::new(e)))?
    }

    /// Waits until every write queued before this call is committed (on
    /// shutdown, after the last request). The writer thread itself ends when
    /// the last clone of the store is dropped.
    pub async fn close(&self) {
        let _ = self.write(|_| Ok(())).await;
    }
}

/// A read connection taken from the pool; dropping it puts it back.
struct ReadLease {
    inner: Arc<Inner>,
    conn: Option<Connection>,
}

impl Drop for ReadLease {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.inner.readers.lock().push(conn);
            self.inner.reader_permits.add_permits(1);
        }
    }
}

fn run_in_savepoint<T>(conn: &Connection, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    conn.prepare_cached("SAVEPOINT job")?.execute([])?;
    match f(conn) {
        Ok(v) => {
            conn.prepare_cached("RELEASE job")?.execute([])?;
            Ok(v)
        }
        Err(e) => {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")?;
            Err(e)
        }
    }
}

/// A batch's answers, with what is known of its commit.
struct Committed {
    replies: Vec<Reply>,
    outcome: StoreResult<()>,
}

impl Committed {
    fn answer(self) {
        let Committed { replies, outcome } = self;
        match outcome {
            Ok(()) => replies.into_iter().for_each(|reply| reply(Ok(()))),
            Err(e) => {
                let msg = e.to_string();
                for reply in replies {
                    reply(Err(StoreError::Backend(msg.clone().into())));
                }
            }
        }
    }
}

fn writer_loop(
    conn: Connection,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
    syncer: Option<std::sync::mpsc::SyncSender<Committed>>,
) {
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        for committed in commit_batch(&conn, &mut batch) {
            // Every batch goes through the syncer, failed ones too, so that
            // answers keep the order the jobs ran in.
            match &syncer {
                Some(syncer) => {
                    if let Err(unsent) = syncer.send(committed) {
                        tracing::error!("the sqlite syncer stopped");
                        let Committed { replies, .. } = unsent.0;
                        Committed { replies, outcome: Err(StoreError::Closed) }.answer();
                    }
                }
                None => committed.answer(),
            }
        }
    }
    tracing::debug!("sqlite writer stopped");
}

/// Runs `batch` in one transaction; what to answer once its commit is
/// durable. Usually one commit; more if a job spoiled the transaction (see
/// [`Guard::WholeBatch`]): what ran until then is rolled back and fails, and
/// the rest runs in a new one.
fn commit_batch(conn: &Connection, batch: &mut Vec<Box<dyn Job>>) -> Vec<Committed> {
    let mut done = Vec::with_capacity(1);
    let mut jobs = batch.drain(..);
    while jobs.len() > 0 {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "sqlite batch could not begin");
            let msg = e.to_string();
            let replies = jobs
                .by_ref()
                .map(|job| -> Reply {
                    let msg = msg.clone();
                    Box::new(move |_| job.abandon(StoreError::Backend(msg.into())))
                })
                .collect();
            done.push(Committed { replies, outcome: Ok(()) });
            break;
        }
        // Replies run in the order the jobs ran, after the COMMIT.
        let mut replies: Vec<Reply> = Vec::with_capacity(jobs.len());
        let mut spoiled = false;
        for job in jobs.by_ref() {
            let (reply, ran) = job.run(conn);
            replies.push(reply);
            if ran == Ran::Spoiled {
                spoiled = true;
                break;
            }
        }
        let outcome = if spoiled {
            tracing::error!(jobs = replies.len(), "a write failed midway; its batch is rolled back");
            let _ = conn.execute_batch("ROLLBACK");
            Err(StoreError::Backend("a write failed midway and its batch was rolled back; try again".into()))
        } else {
            conn.execute_batch("COMMIT").map_err(|e| {
                tracing::error!(error = %e, "sqlite batch failed to commit");
                let _ = conn.execute_batch("ROLLBACK");
                StoreError::from(e)
            })
        };
        done.push(Committed { replies, outcome });
    }
    done
}

/// Makes commits durable, then answers them: one fsync of the WAL for every
/// commit that arrived while the previous one ran. If an fsync fails, what
/// it covered is answered as failed, and so is everything after it (after a
/// failed fsync the kernel may have dropped the pages; nothing written since
/// can be trusted to reach the disk).
fn syncer_loop(mut sync: impl FnMut() -> std::io::Result<()>, rx: std::sync::mpsc::Receiver<Committed>) {
    let mut failed: Option<String> = None;
    let mut pending = Vec::new();
    while let Ok(first) = rx.recv() {
        pending.push(first);
        pending.extend(rx.try_iter());
        if failed.is_none()
            && pending.iter().any(|c| c.outcome.is_ok())
            && let Err(e) = sync()
        {
            tracing::error!(error = %e, "fsync of the sqlite WAL failed; no write is acknowledged from now on");
            failed = Some(format!("the database could not be synced to disk: {e}"));
        }
        for mut committed in pending.drain(..) {
            if let (Some(msg), Ok(())) = (&failed, &committed.outcome) {
                committed.outcome = Err(StoreError::Backend(msg.clone().into()));
            }
            committed.answer();
        }
    }
    tracing::debug!("sqlite syncer stopped");
}

/// The WAL file next to the database (SQLite's naming).
fn wal_path(db: &Path) -> std::path::PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

fn open_connection(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16000;",
    )?;
    if !read_only {
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Backend(format!("could not enable WAL (got {mode})").into()));
        }
    }
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> StoreResult<()> {
    migrate_with(conn, MIGRATIONS)
}

fn migrate_with(conn: &mut Connection, migrations: &[(u32, &str)]) -> StoreResult<()> {
    let current: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let newest = migrations.last().map(|m| m.0).unwrap_or(0);
    if current > newest {
        return Err(StoreError::Backend(
            format!("database is at schema version {current}, newer than this server knows ({newest})").into(),
        ));
    }
    for (version, sql) in migrations.iter().filter(|(v, _)| *v > current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "applied database migration");
    }
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, ref msg) = e
            && f.code == rusqlite::ErrorCode::ConstraintViolation
            && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
        {
            return StoreError::Conflict(msg.clone().unwrap_or_default());
        }
        StoreError::Backend(Box::new(e))
    }
}

/// Reads a JSON column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Writes a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// `?,?,?` for `n` parameters.
pub(crate) fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 2);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push('?');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three commits and a failed one through the syncer, whose second fsync
    /// fails: answers come in order, and none after the failure is an ack.
    #[test]
    fn test_syncer_answers_in_order_and_nothing_after_a_failed_fsync() {
        let answers = Arc::new(Mutex::new(Vec::new()));
        let commit = |name: &'static str, outcome: StoreResult<()>| {
            let answers = answers.clone();
            let reply: Reply = Box::new(move |r: StoreResult<()>| answers.lock().push((name, r.is_ok())));
            Committed { replies: vec![reply], outcome }
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(8);
        let syncs = Arc::new(Mutex::new(0));
        let counted = syncs.clone();
        let sync = move || {
            *counted.lock() += 1;
            if *counted.lock() == 2 { Err(std::io::Error::other("disk gone")) } else { Ok(()) }
        };
        let syncer = std::thread::spawn(move || syncer_loop(sync, rx));
        tx.send(commit("first", Ok(()))).unwrap();
        while answers.lock().is_empty() {
            std::thread::yield_now();
        }
        tx.send(commit("failed", Err(StoreError::Closed))).unwrap();
        tx.send(commit("second", Ok(()))).unwrap();
        tx.send(commit("third", Ok(()))).unwrap();
        drop(tx);
        syncer.join().unwrap();
        let answers = answers.lock().clone();
        assert_eq!(answers[0], ("first", true));
        assert_eq!(answers[1..].iter().map(|a| a.0).collect::<Vec<_>>(), ["failed", "second", "third"]);
        assert!(answers[1..].iter().all(|a| !a.1), "{answers:?}");
        // One fsync per group of commits; a group of failed commits alone needs none.
        assert!(*syncs.lock() <= 3, "{} fsyncs", syncs.lock());
    }

    #[tokio::test]
    async fn test_migrations_run_once_and_reopen_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ling.db");
        {
            let store = SqliteStore::open(&path).unwrap();
            store
                .write(|c| {
                    c.execute("INSERT INTO users (username, display_name, password_hash, recovery_hash, created_at) VALUES ('a','a','x','y',1)", [])?;
                    Ok(())
                })
                .await
                .unwrap();
            store.close().await;
        }
        let store = SqliteStore::open(&path).unwrap();
        let n: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(n, 1);
        let v: u32 = store.read(|c| Ok(c.query_row("PRAGMA user_version", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(v, MIGRATIONS.last().unwrap().0);
    }

    /// A database written before messages were stored in rowid order (3)
    /// keeps every message, its order and its dedupe key through the move.
    #[tokio::test]
    async fn test_messages_survive_their_move_to_rowid_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ling.db");
        {
            let mut conn = open_connection(&path, false).unwrap();
            migrate_with(&mut conn, &MIGRATIONS[..2]).unwrap();
            conn.execute_batch(
                "INSERT INTO users (id, username, display_name, password_hash, recovery_hash, created_at)
                     VALUES (1,'a','a','x','y',1), (2,'b','b','x','y',1);
                 INSERT INTO conversations (id, kind, last_seq, last_time, created_at)
                     VALUES (10,'direct',2,20,1), (11,'direct',1,15,1);
                 INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, send_time, kind, content, reply_to)
                     VALUES (10,2,2,'m2',20,'text','{\"kind\":\"text\",\"text\":\"two\"}',1),
                            (11,1,1,'n1',15,'text','{\"kind\":\"text\",\"text\":\"other\"}',NULL),
                            (10,1,1,'m1',10,'text','{\"kind\":\"text\",\"text\":\"one\"}',NULL);",
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        /// conversation, seq, sender, client id, time, content, reply_to
        type Row = (i64, i64, i64, String, i64, String, Option<i64>);
        let rows: Vec<Row> = store
            .read(|c| {
                let mut stmt = c.prepare(
                    "SELECT conversation_id, seq, sender_id, client_msg_id, send_time, content, reply_to
                     FROM messages ORDER BY id",
                )?;
                let rows = stmt.query_map([], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
                })?;
                Ok(rows.collect::<Result<_, _>>()?)
            })
            .await
            .unwrap();
        // Every message, in the order they were sent.
        let keys: Vec<_> = rows.iter().map(|r| (r.0, r.1, r.3.as_str(), r.4)).collect();
        assert_eq!(keys, [(10, 1, "m1", 10), (11, 1, "n1", 15), (10, 2, "m2", 20)]);
        assert_eq!(rows[2].6, Some(1));
        assert!(rows[2].5.contains("two"));
        // Both keys are still unique.
        let again = |sql: &'static str| store.write(move |c| Ok(c.execute(sql, [])?));
        let same_seq = again(
            "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, send_time, kind, content)
             VALUES (10,2,1,'fresh',30,'text','{}')",
        );
        assert!(matches!(same_seq.await, Err(StoreError::Conflict(_))));
        let same_id = again(
            "INSERT INTO messages (conversation_id, seq, sender_id, client_msg_id, send_time, kind, content)
             VALUES (10,3,2,'m2',30,'text','{}')",
        );
        assert!(matches!(same_id.await, Err(StoreError::Conflict(_))));
    }

    #[tokio::test]
    async fn test_a_failing_job_rolls_back_alone_within_a_batch() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("ling.db")).unwrap();
        let insert = |name: &'static str| {
            let store = store.clone();
            async move {
                store
                    .write(move |c| {
                        c.execute("INSERT INTO users (username, display_name, password_hash, recovery_hash, created_at) VALUES (?1,'n','x','y',1)", [name])?;
                        Ok(())
                    })
                    .await
            }
        };
        let (a, b, c) = tokio::join!(insert("a"), insert("a"), insert("c"));
        let conflicts = [&a, &b].iter().filter(|r| matches!(r, Err(StoreError::Conflict(_)))).count();
        assert_eq!(conflicts, 1, "exactly one duplicate insert fails: {a:?} {b:?}");
        assert!(c.is_ok());
        let n: i64 = store.read(|c| Ok(c.query_row("SELECT count(*) FROM users", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(n, 2);
    }

    #[tokio::test]
    async fn test_reads_abandoned_by_their_callers_return_their_connection_to_the_pool() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("ling.db")).unwrap();
        // More abandoned reads than the pool has connections (a client that
        // goes away mid-request drops the handler's future).
        for _ in 0..12 {
            let slow = store.read(|_| {
                std::thread::sleep(std::time::Duration::from_millis(30));
                Ok(())
            });
            assert!(tokio::time::timeout(std::time::Duration::from_millis(1), slow).await.is_err());
        }
        // A read that panics gives its connection back too.
        let panicked = store.read::<(), _>(|_| panic!("a bug in a query")).await;
        assert!(matches!(panicked, Err(StoreError::Backend(_))));
        // All four connections serve again, at once (a lost one would fail
        // these with `Closed`, or keep them waiting for a permit).
        let all = (0..4).map(|_| store.read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?)));
        let all = tokio::time::timeout(std::time::Duration::from_secs(10), futures_util::future::join_all(all));
        for r in all.await.expect("no read waits for a lost connection") {
            assert_eq!(r.unwrap(), 1);
        }
    }

    #[test]
    fn test_placeholders() {
        assert_eq!(placeholders(0), "");
        assert_eq!(placeholders(3), "?,?,?");
    }
}
