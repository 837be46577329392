//! The assistant in a real window: found in the contacts with its AI mark,
//! asked a question, its reply streaming in as Markdown (a list, a
//! highlighted code block with a copy button) and ending finished; a second
//! reply stopped midway, then asked again. The model is a stand-in
//! OpenAI-compatible server in this process (real HTTP, server-sent events).

use std::time::Duration;

use ling_e2e::desktop::{Desktop, ENTER};
use ling_e2e::{Cli, ServerProcess};
use ling_testing::model::{Model, Reply};

/// A reply in Markdown, in pieces as a model streams it.
const STORY: &[&str] = &[
    "Here is ",
    "what to do:\n\n",
    "- install **Ling**\n",
    "- run `make run`\n\n",
    "```rust\n",
    "fn main() {\n",
    "    println!(\"你好\");\n",
    "}\n",
    "```\n",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_the_assistant_streams_markdown_and_can_be_stopped() {
    let model = Model::start().await;
    let url = model.url();
    let server = ServerProcess::start_with_env(&[
        ("LING_ASSISTANT_ENDPOINT", url.as_str()),
        ("LING_ASSISTANT_MODEL", "standin"),
    ]);
    let amy = Cli::new();
    amy.ok(&["server", &server.address()]);
    amy.register("amy", "Amy");
    let desktop = Desktop::start();
    let app = desktop.launch().await;
    app.log_in(&server.address(), "amy", &amy.password).await;

    // Contacts: the assistant, with its mark; it opens a chat.
    app.click("[data-testid=nav-contacts]").await;
    app.click("[data-testid=contacts-assistant]").await;
    app.until_true(
        "the assistant's chat",
        "document.querySelector('[data-testid=chat-title]')?.textContent.trim() === 'Assistant'",
    )
    .await;
    app.wait("header [data-testid=assistant-avatar]").await;

    // Asked, its reply grows piece by piece, then stands finished as Markdown.
    let pieces: Vec<String> = STORY.iter().map(|s| s.to_string()).collect();
    model.then(Reply::Stream { chunks: pieces, gap: Duration::from_millis(250), finish: true });
    app.type_into("[data-testid=composer-input]", &format!("How do I start?{ENTER}")).await;
    app.until_true(
        "the reply streaming",
        "[...document.querySelectorAll('[data-testid=assistant-reply][data-end=streaming]')]
            .some(e => e.textContent.includes('what to do'))",
    )
    .await;
    app.wait("[data-testid=assistant-stop]").await;
    app.until_true(
        "the reply finished",
        "!!document.querySelector('[data-testid=assistant-reply][data-end=finished]')",
    )
    .await;
    let items = app.texts("[data-testid=assistant-reply] li").await;
    assert_eq!(items, ["install Ling", "run make run"]);
    let bold = app.texts("[data-testid=assistant-reply] li strong").await;
    assert_eq!(bold, ["Ling"], "Markdown, not asterisks");
    let keywords = app.texts("[data-testid=assistant-reply] pre code .hljs-keyword").await;
    assert!(keywords.contains(&"fn".to_owned()), "highlighted: {keywords:?}");
    app.wait("[data-testid=assistant-reply] .code [data-copy]").await;
    app.wait("[data-testid=assistant-regenerate]").await;
    // In the list: the chat with its AI mark. Read as it came: no "new" marker.
    app.wait("[data-testid=conversation] [data-testid=ai-mark]").await;
    assert!(app.texts(".unread-marker").await.is_empty(), "read live, nothing marked new");
    app.screenshot("assistant").await;

    // A long reply, stopped: what was written stays, marked stopped.
    let long: Vec<String> = (1..=200).map(|i| format!("n{i} ")).collect();
    model.then(Reply::Stream { chunks: long, gap: Duration::from_millis(100), finish: true });
    app.type_into("[data-testid=composer-input]", &format!("Count to 200{ENTER}")).await;
    app.until_true(
        "counting",
        "[...document.querySelectorAll('[data-testid=assistant-reply][data-end=streaming]')]
            .some(e => e.textContent.includes('n3 '))",
    )
    .await;
    app.click("[data-testid=assistant-stop]").await;
    app.until_true("stopped", "!!document.querySelector('[data-testid=assistant-reply][data-end=stopped]')").await;
    let ends = app.texts("[data-testid=reply-end]").await;
    assert_eq!(ends, ["Stopped"]);

    // Asked again: a new reply to the same question.
    model.then(Reply::text(&["Fine: ", "1, 2, 3."]));
    let regenerate = "[...document.querySelectorAll('[data-testid=assistant-regenerate]')].pop().click(); return true";
    app.js(regenerate, vec![]).await;
    app.until_true(
        "the second answer",
        "[...document.querySelectorAll('[data-testid=assistant-reply][data-end=finished]')]
            .some(e => e.textContent.includes('1, 2, 3.'))",
    )
    .await;
    app.quit().await;
}
