//! The assistant from the terminal: `ling-cli ask` against the server binary
//! whose assistant asks a stand-in model, printing the reply as the
//! timeline grows it, then how it ended.

use std::time::Duration;

use ling_e2e::{Cli, ServerProcess};
use ling_testing::model::{Model, Reply};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_ling_cli_asks_and_prints_the_streamed_reply() {
    let model = Model::start().await;
    let url = model.url();
    let server =
        ServerProcess::start_with_env(&[("LING_ASSISTANT_ENDPOINT", url.as_str()), ("LING_ASSISTANT_MODEL", "m")]);
    let amy = Cli::new();
    amy.ok(&["server", &server.address()]);
    amy.register("amy", "Amy");
    let pieces = ["Four", " is", " 2", " + 2", "."].iter().map(|s| s.to_string()).collect();
    model.then(Reply::Stream { chunks: pieces, gap: Duration::from_millis(100), finish: true });
    let out = tokio::task::spawn_blocking(move || amy.ok(&["ask", "What is 2 + 2?"])).await.unwrap();
    assert_eq!(out.trim_end(), "Four is 2 + 2.\n[Finished]", "{out}");
    let asked = &model.seen()[0].body["messages"];
    assert_eq!(asked.as_array().unwrap().last().unwrap()["content"], "What is 2 + 2?");
}
