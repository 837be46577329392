//! Full-text search text for SQLite FTS5 that works for Chinese.
//!
//! FTS5's `unicode61` tokenizer keeps a run of CJK characters as one token,
//! and its trigram tokenizer finds nothing shorter than three characters —
//! but most Chinese words are one or two characters (`翎`, `开会`). So before
//! indexing, each CJK run is rewritten as its unigrams and bigrams
//! (`开会了` → `开 开会 会 会了 了`), and a query's CJK runs become the
//! bigrams (or the unigram) they contain. Other text passes through to
//! `unicode61 remove_diacritics 2`, which folds case and accents.

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF     // Hiragana, Katakana
        | 0x3400..=0x4DBF   // CJK Extension A
        | 0x4E00..=0x9FFF   // CJK Unified Ideographs
        | 0xAC00..=0xD7AF   // Hangul syllables
        | 0xF900..=0xFAFF   // CJK Compatibility Ideographs
        | 0x20000..=0x2FA1F // Extensions B–F, compatibility supplement
    )
}

/// Splits `text` into runs of CJK and of everything else.
fn runs(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    for c in text.chars() {
        let cjk = is_cjk(c);
        match out.last_mut() {
            Some((kind, run)) if *kind == cjk => run.push(c),
            _ => out.push((cjk, c.to_string())),
        }
    }
    out
}

/// The text to index for `text`.
pub fn index_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for (cjk, run) in runs(text) {
        if !cjk {
            out.push_str(&run);
            out.push(' ');
            continue;
        }
        let chars: Vec<char> = run.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            out.push(*c);
            out.push(' ');
            if let Some(next) = chars.get(i + 1) {
                out.push(*c);
                out.push(*next);
                out.push(' ');
            }
        }
    }
    out
}

/// An FTS5 MATCH expression for what a person typed, or `None` if it has
/// nothing to search for. Every term must match; the last non-CJK word is a
/// prefix (search as you type). Tokens are quoted, so FTS5 syntax in the
/// query is taken literally.
pub fn match_query(query: &str) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    for word in query.split_whitespace() {
        for (cjk, run) in runs(word) {
            if cjk {
                let chars: Vec<char> = run.chars().collect();
                if chars.len() == 1 {
                    terms.push(quote(&run));
                } else {
                    terms.extend(chars.windows(2).map(|w| quote(&w.iter().collect::<String>())));
                }
            } else {
                // Split on what unicode61 treats as separators, keeping letters and digits.
                for piece in run.split(|c: char| !c.is_alphanumeric()).filter(|p| !p.is_empty()) {
                    terms.push(quote(piece));
                }
            }
        }
    }
    let last_plain = terms.iter().rposition(|t| !t.trim_matches('"').chars().any(is_cjk));
    if let Some(i) = last_plain
        && i == terms.len() - 1
    {
        terms[i].push('*');
    }
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

fn quote(token: &str) -> String {
    format!("\"{}\"", token.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_cjk_runs_are_indexed_as_unigrams_and_bigrams() {
        assert_eq!(index_text("明天开会"), "明 明天 天 天开 开 开会 会 ");
        assert_eq!(index_text("翎"), "翎 ");
        assert_eq!(index_text("Ship it 明天!"), "Ship it  明 明天 天 ! ");
    }

    #[test]
    fn test_queries_become_bigrams_unigrams_and_a_final_prefix() {
        assert_eq!(match_query("开会").unwrap(), "\"开会\"");
        assert_eq!(match_query("翎").unwrap(), "\"翎\"");
        assert_eq!(match_query("明天开会").unwrap(), "\"明天\" AND \"天开\" AND \"开会\"");
        assert_eq!(match_query("rust 开会 rel").unwrap(), "\"rust\" AND \"开会\" AND \"rel\"*");
        assert_eq!(match_query("can't").unwrap(), "\"can\" AND \"t\"*");
        assert_eq!(match_query("  \t "), None);
        assert_eq!(match_query("\"OR NEAR(").unwrap(), "\"OR\" AND \"NEAR\"*", "FTS5 syntax is literal");
    }

    #[test]
    fn test_kana_and_hangul_count_as_cjk() {
        assert!(is_cjk('の') && is_cjk('カ') && is_cjk('한') && is_cjk('翎'));
        assert!(!is_cjk('a') && !is_cjk('é') && !is_cjk('1'));
    }
}
