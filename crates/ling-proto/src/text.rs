//! Rules for text people see, shared by the server (which refuses what
//! breaks them) and clients (which clean what they make before sending).

/// Characters that make a name show as something it is not: the bidi
/// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: with
/// U+202E, `photo\u{202E}gnp.exe` shows as `photoexe.png`), the implicit
/// direction marks (U+200E, U+200F, U+061C), and invisible characters that
/// make two names look alike or hide part of one (zero-width space, word
/// joiner, invisible operators, BOM, soft hyphen, Mongolian vowel separator,
/// Hangul fillers). The zero-width (non-)joiners U+200C/U+200D stay allowed:
/// emoji sequences and Persian and Indic spelling need them.
pub fn is_deceptive(c: char) -> bool {
    matches!(c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        | '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
        | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
}
