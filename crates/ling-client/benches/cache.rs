//! The client cache under load: a 1,000,000-message conversation plus 1,000
//! other conversations, with text drawn from a Zipf-distributed vocabulary
//! of English and Chinese words. Prints p50/p99 of each operation, then runs
//! criterion on the same operations.
//!
//! `cargo bench -p ling-client --bench cache` (the database is built once and
//! kept under the target directory; `LING_BENCH_REBUILD=1` builds it again).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, Throughput};
use ling_client::cache::Cache;
use ling_proto::messages::{Message, MessageContent};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const BIG: i64 = 1;
const BIG_MESSAGES: i64 = 1_000_000;
const OTHERS: i64 = 1_000;
const OTHER_MESSAGES: i64 = 20;
const PAGE: u32 = 30;
/// Bump when the generated data changes.
const DATA_VERSION: u32 = 1;

/// A vocabulary of made-up English words and Chinese words of one to three
/// common characters, ranked; rank r is drawn with weight 1/r^1.07.
struct Vocabulary {
    words: Vec<String>,
    zipf: WeightedIndex<f64>,
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ren", "sta", "por", "vel", "tin", "dra", "qui", "mon", "zel", "ber", "fo", "gra", "hul", "jet",
    "nor", "pli", "rus", "sen", "tor", "ul", "vin", "wes", "yar", "zo", "an", "el", "is",
];
const HANZI: &str = "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单亚";

impl Vocabulary {
    fn new(rng: &mut StdRng, english: usize, chinese: usize) -> Vocabulary {
        let hanzi: Vec<char> = HANZI.chars().collect();
        let mut words = Vec::with_capacity(english + chinese);
        let mut seen = std::collections::HashSet::new();
        while words.len() < english + chinese {
            let word = if rng.random_bool(english as f64 / (english + chinese) as f64) {
                let n = rng.random_range(1..=4);
                (0..n).map(|_| SYLLABLES[rng.random_range(0..SYLLABLES.len())]).collect::<String>()
            } else {
                let n = rng.random_range(1..=3);
                (0..n).map(|_| hanzi[rng.random_range(0..hanzi.len())]).collect::<String>()
            };
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        let weights: Vec<f64> = (1..=words.len()).map(|r| 1.0 / (r as f64).powf(1.07)).collect();
        Vocabulary { words, zipf: WeightedIndex::new(weights).expect("weights") }
    }

    fn sentence(&self, rng: &mut StdRng) -> String {
        let n = rng.random_range(3..=18);
        let mut s = String::new();
        for i in 0..n {
            let w = &self.words[self.zipf.sample(rng)];
            let cjk = w.chars().next().is_some_and(|c| c as u32 >= 0x2E80);
            if i > 0 && !cjk {
                s.push(' ');
            }
            s.push_str(w);
        }
        s
    }
}

fn message(conversation_id: i64, seq: i64, text: String) -> Message {
    Message {
        conversation_id,
        seq,
        sender_id: 1 + seq % 2,
        client_msg_id: format!("{conversation_id}-{seq}"),
        send_time: 1_700_000_000_000 + seq * 1_000,
        content: MessageContent::text(text),
        reply_to: None,
        changes: Default::default(),
        forwarded: false,
        mentions: Default::default(),
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// Builds (once) the cache with the big conversation and the others, fully indexed.
fn dataset(vocab: &Vocabulary) -> PathBuf {
    let dir = target_dir().join("ling-bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("cache-v{DATA_VERSION}.db"));
    if path.exists() && std::env::var_os("LING_BENCH_REBUILD").is_none() {
        return path;
    }
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
    }
    eprintln!("building {} (once) ...", path.display());
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(7);
    let mut cache = Cache::open(&path).unwrap();
    cache.set_own_id(1).unwrap();
    let mut seq = 0;
    while seq < BIG_MESSAGES {
        let page: Vec<Message> = (0..1_000)
            .map(|_| {
                seq += 1;
                message(BIG, seq, vocab.sentence(&mut rng))
            })
            .collect();
        cache.upsert_messages(&page).unwrap();
    }
    for conv in 2..=OTHERS + 1 {
        let page: Vec<Message> = (1..=OTHER_MESSAGES).map(|s| message(conv, s, vocab.sentence(&mut rng))).collect();
        cache.upsert_messages(&page).unwrap();
    }
    while cache.index_pending(10_000).unwrap() > 0 {}
    eprintln!("built in {:.0} s", started.elapsed().as_secs_f64());
    path
}

fn percentiles(name: &str, runs: usize, mut op: impl FnMut(usize)) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|i| {
            let t = Instant::now();
            op(i);
            t.elapsed()
        })
        .collect();
    times.sort();
    let at = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "{name:<40} p50 {:>9.3} ms   p99 {:>9.3} ms   ({runs} runs)",
        at(0.50).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3
    );
}

fn main() {
    let mut rng = StdRng::seed_from_u64(1);
    let vocab = Vocabulary::new(&mut rng, 3_000, 3_000);
    let path = dataset(&vocab);
    let cache = Cache::open(&path).unwrap();
    let rare = vocab.words[4_000].clone();
    let common = vocab.words[0].clone();
    let rare_hits = cache.search(&rare, None, 1_000_000).unwrap().len();
    let common_hits = cache.search(&common, None, 1_000_000).unwrap().len();
    println!("rare term {rare:?}: {rare_hits} hits; common term {common:?}: {common_hits} hits");
    let deep_time = 1_700_000_000_000 + (BIG_MESSAGES / 10) * 1_000;

    println!("\n-- percentiles --");
    percentiles("newest 30 of the 1M conversation", 2_000, |_| {
        black_box(cache.get_message_list(BIG, PAGE, i64::MAX, false).unwrap());
    });
    percentiles("30 deep in history (at 10%)", 2_000, |i| {
        black_box(cache.get_message_list(BIG, PAGE, deep_time - i as i64 * 7_000, false).unwrap());
    });
    percentiles("30 by seq deep in history", 2_000, |i| {
        black_box(
            cache.get_messages_by_seq(BIG, PAGE, ling_client::cache::SeqBound::Before(100_000 - i as i64)).unwrap(),
        );
    });
    percentiles("search rare term (newest 30)", 300, |_| {
        black_box(cache.search(&rare, None, PAGE).unwrap());
    });
    percentiles("search common term (newest 30)", 100, |_| {
        black_box(cache.search(&common, None, PAGE).unwrap());
    });
    drop(cache);

    // Synced pages written to a fresh cache, as catch-up writes them.
    let insert_dir = tempfile::tempdir().unwrap();
    let mut fresh = Cache::open(&insert_dir.path().join("insert.db")).unwrap();
    let mut next = 0i64;
    let mut page = |n: i64| -> Vec<Message> {
        (0..n)
            .map(|_| {
                next += 1;
                message(9_000_000, next, vocab.sentence(&mut rng))
            })
            .collect()
    };
    let pages: Vec<Vec<Message>> = (0..250).map(|_| page(200)).collect();
    let started = Instant::now();
    for p in &pages {
        fresh.upsert_messages(p).unwrap();
    }
    let rate = 50_000.0 / started.elapsed().as_secs_f64();
    println!("{:<40} {rate:>9.0} messages/s (250 pages of 200)", "synced pages written");

    println!("\n-- criterion --");
    let cache = Cache::open(&path).unwrap();
    let mut c = Criterion::default().configure_from_args().sample_size(30).measurement_time(Duration::from_secs(3));
    c.bench_function("newest 30", |b| b.iter(|| cache.get_message_list(BIG, PAGE, i64::MAX, false).unwrap()));
    c.bench_function("30 deep in history", |b| b.iter(|| cache.get_message_list(BIG, PAGE, deep_time, false).unwrap()));
    c.bench_function("search rare", |b| b.iter(|| cache.search(&rare, None, PAGE).unwrap()));
    c.bench_function("search common", |b| b.iter(|| cache.search(&common, None, PAGE).unwrap()));
    let mut group = c.benchmark_group("sync");
    group.throughput(Throughput::Elements(200));
    group.bench_function("write a synced page of 200", |b| {
        b.iter_batched(|| page(200), |p| fresh.upsert_messages(&p).unwrap(), BatchSize::SmallInput)
    });
    group.finish();
    c.final_summary();
}
