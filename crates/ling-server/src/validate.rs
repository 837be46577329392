//! Input rules, as pure functions: each returns the cleaned value or the
//! error a client gets.

use ling_proto::ErrorCode;
use ling_proto::messages::{LinkPreview, VOICE_MAX_MS, WAVEFORM_BARS};

use crate::error::{ApiError, ApiResult};

/// Lower-cases and checks a username: 3–32 of `[a-z0-9_.-]`, starting with a letter or digit.
pub fn username(raw: &str) -> ApiResult<String> {
    let u = raw.trim().to_ascii_lowercase();
    let ok_len = (3..=32).contains(&u.len());
    let ok_chars = u.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    let ok_start = u.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric());
    if ok_len && ok_chars && ok_start {
        Ok(u)
    } else {
        Err(ApiError::new(
            ErrorCode::InvalidUsername,
            "a username is 3 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit",
        ))
    }
}

/// Checks a password's length: 8–256 characters.
pub fn password(p: &str) -> ApiResult<()> {
    let n = p.chars().count();
    if n < 8 {
        Err(ApiError::new(ErrorCode::WeakPassword, "a password needs at least 8 characters"))
    } else if n > 256 {
        Err(ApiError::new(ErrorCode::WeakPassword, "a password may have at most 256 characters"))
    } else {
        Ok(())
    }
}

pub use ling_proto::text::is_deceptive;

/// Trims and checks a one-line name (display name, group name, remark,
/// nickname, device name...): 1..=`max` characters, no control characters,
/// none of the [`is_deceptive`] ones.
pub fn name(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    let s = raw.trim();
    let n = s.chars().count();
    if n == 0 || n > max {
        return Err(ApiError::invalid(format!("{field} must be 1 to {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(ApiError::invalid(format!("{field} may not contain control characters")));
    }
    if s.chars().any(is_deceptive) {
        return Err(ApiError::invalid(format!("{field} may not contain direction overrides or invisible characters")));
    }
    Ok(s.to_owned())
}

/// Checks free text (signature, announcement, request message): at most `max`
/// characters, control characters other than newlines and tabs refused.
pub fn text(field: &str, raw: &str, max: usize) -> ApiResult<String> {
    if raw.chars().count() > max {
        return Err(ApiError::invalid(format!("{field} may have at most {max} characters")));
    }
    if raw.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r') {
        return Err(ApiError::invalid(format!("{field} may not contain control characters")));
    }
    Ok(raw.to_owned())
}

/// Checks a text message: 1..=`max` characters and not only whitespace.
pub fn message_text(raw: &str, max: u32) -> ApiResult<()> {
    if raw.trim().is_empty() {
        return Err(ApiError::new(ErrorCode::InvalidContent, "a text message may not be empty"));
    }
    if raw.chars().count() > max as usize {
        return Err(ApiError::new(ErrorCode::TextTooLong, format!("a text message may have at most {max} characters")));
    }
    Ok(())
}

/// Checks a text's link preview (not its image, which is a file): its link
/// is http(s), within the limits and in the text; its words fit their
/// limits, carry no control or [`is_deceptive`] characters, and say something.
pub fn link_preview(text: &str, preview: &LinkPreview) -> ApiResult<()> {
    let bad = |why: String| Err(ApiError::new(ErrorCode::InvalidPreview, format!("invalid link preview: {why}")));
    let url = &preview.url;
    if url.len() > LinkPreview::MAX_URL_BYTES {
        return bad(format!("the link is longer than {} bytes", LinkPreview::MAX_URL_BYTES));
    }
    let scheme_ok =
        ["http://", "https://"].iter().any(|s| url.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
    if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("the link is not an http or https address".into());
    }
    if !text.contains(url.as_str()) {
        return bad("its link is not in the text".into());
    }
    let parts = [
        ("title", &preview.title, LinkPreview::MAX_TITLE_CHARS),
        ("description", &preview.description, LinkPreview::MAX_DESCRIPTION_CHARS),
        ("site", &preview.site, LinkPreview::MAX_SITE_CHARS),
    ];
    for (name, value, max) in parts {
        if value.chars().count() > max {
            return bad(format!("its {name} is longer than {max} characters"));
        }
        if value.chars().any(|c| (c.is_control() && c != '\n') || is_deceptive(c)) {
            return bad(format!("its {name} has control or invisible characters"));
        }
    }
    if preview.title.trim().is_empty() && preview.description.trim().is_empty() && preview.image.is_none() {
        return bad("it has no title, description or image".into());
    }
    Ok(())
}

/// Checks a voice note's length (1 ms to [`VOICE_MAX_MS`]) and waveform
/// (at most [`WAVEFORM_BARS`] values).
pub fn voice(duration_ms: u64, waveform: &[u8]) -> ApiResult<()> {
    if !(1..=VOICE_MAX_MS).contains(&duration_ms) {
        let max = VOICE_MAX_MS / 1000;
        return Err(ApiError::new(ErrorCode::InvalidContent, format!("a voice note lasts 1 ms to {max} s")));
    }
    if waveform.len() > WAVEFORM_BARS {
        return Err(ApiError::new(ErrorCode::InvalidContent, format!("a waveform has at most {WAVEFORM_BARS} bars")));
    }
    Ok(())
}

/// Checks a `client_msg_id`: 1–64 of `[A-Za-z0-9_-]` (a UUID in practice).
pub fn client_msg_id(id: &str) -> ApiResult<()> {
    let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::InvalidClientMsgId, "client_msg_id must be 1 to 64 letters, digits, '-' or '_'"))
    }
}

/// Checks an uploaded file's name: 1–255 bytes, no path separators, no
/// control characters or [`is_deceptive`] ones, not `.` or `..`.
pub fn file_name(raw: &str) -> ApiResult<String> {
    let bad = |why: &str| Err(ApiError::new(ErrorCode::InvalidFileName, format!("invalid file name: {why}")));
    let s = raw.trim();
    if s.is_empty() || s.len() > 255 {
        return bad("it must be 1 to 255 bytes");
    }
    if s.contains(['/', '\\']) {
        return bad("it may not contain '/' or '\\'");
    }
    if s == "." || s == ".." {
        return bad("it may not be '.' or '..'");
    }
    if s.chars().any(char::is_control) {
        return bad("it may not contain control characters");
    }
    if s.chars().any(is_deceptive) {
        return bad("it may not contain direction overrides or invisible characters");
    }
    Ok(s.to_owned())
}

/// Checks a phone number: up to 32 of digits, spaces, `+ - ( )`.
pub fn phone(raw: &str) -> ApiResult<String> {
    let s = raw.trim();
    let ok = !s.is_empty() && s.len() <= 32 && s.chars().all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ApiError::invalid("a phone number is up to 32 digits, spaces, '+', '-', '(' or ')'"))
    }
}

/// Checks a device name: 1–64 characters; defaults to "Unknown device".
pub fn device_name(raw: &str) -> ApiResult<String> {
    if raw.trim().is_empty() { Ok("Unknown device".into()) } else { name("device_name", raw, 64) }
}

/// Code points a reaction's emoji may have (a family or a flag of a
/// region is several); bytes likewise.
pub const MAX_EMOJI_CHARS: usize = 8;
/// See [`MAX_EMOJI_CHARS`].
pub const MAX_EMOJI_BYTES: usize = 32;

/// Checks that a reaction is one Unicode emoji (with or without its
/// presentation selector, in any skin tone), as the `emojis` crate's table
/// of the Unicode emoji list knows them.
pub fn emoji(raw: &str) -> ApiResult<()> {
    let short = raw.chars().count() <= MAX_EMOJI_CHARS && raw.len() <= MAX_EMOJI_BYTES;
    let known = || emojis::get(raw).or_else(|| emojis::get(&format!("{raw}\u{FE0F}"))).is_some();
    if short && known() { Ok(()) } else { Err(ApiError::new(ErrorCode::InvalidReaction, "a reaction is one emoji")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_usernames() {
        assert_eq!(username(" Alice_01 ").unwrap(), "alice_01");
        for bad in ["ab", "_alice", "al ice", "ålice", "a/b", &"x".repeat(33)] {
            assert_eq!(username(bad).unwrap_err().code, ErrorCode::InvalidUsername, "{bad}");
        }
    }

    #[test]
    fn test_link_previews() {
        let text = "see https://example.com/a?b=1 (新)";
        let good = LinkPreview {
            url: "https://example.com/a?b=1".into(),
            title: "例子 Example".into(),
            description: "two\nlines".into(),
            site: String::new(),
            image: None,
        };
        assert!(link_preview(text, &good).is_ok());
        let with = |f: &dyn Fn(&mut LinkPreview)| {
            let mut p = good.clone();
            f(&mut p);
            link_preview(text, &p).unwrap_err().code
        };
        assert_eq!(with(&|p| p.url = "https://example.org/".into()), ErrorCode::InvalidPreview, "not in the text");
        assert_eq!(with(&|p| p.url = "see".into()), ErrorCode::InvalidPreview, "not a link");
        assert_eq!(with(&|p| p.title = "x".repeat(201)), ErrorCode::InvalidPreview);
        assert_eq!(with(&|p| p.description = "y".repeat(501)), ErrorCode::InvalidPreview);
        assert_eq!(with(&|p| p.site = "evil\u{202E}gpj".into()), ErrorCode::InvalidPreview);
        assert_eq!(with(&|p| p.title = "bell\u{7}".into()), ErrorCode::InvalidPreview);
        assert_eq!(
            with(&|p| {
                p.title = " ".into();
                p.description.clear();
            }),
            ErrorCode::InvalidPreview,
            "says nothing"
        );
        let long = format!("https://example.com/{}", "a".repeat(2100));
        let p = LinkPreview { url: long.clone(), ..good.clone() };
        assert_eq!(link_preview(&long, &p).unwrap_err().code, ErrorCode::InvalidPreview);
        let p = LinkPreview { url: "HTTP://EXAMPLE.COM".into(), ..good.clone() };
        assert!(link_preview("HTTP://EXAMPLE.COM", &p).is_ok());
    }

    #[test]
    fn test_passwords_count_characters_not_bytes() {
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
        assert!(password("密码密码密码密码").is_ok());
        assert!(password(&"x".repeat(257)).is_err());
    }

    #[test]
    fn test_names_are_trimmed_and_bounded() {
        assert_eq!(name("name", "  翎  ", 64).unwrap(), "翎");
        assert!(name("name", "   ", 64).is_err());
        assert!(name("name", "a\u{7}b", 64).is_err());
        assert!(name("name", &"é".repeat(65), 64).is_err());
    }

    #[test]
    fn test_message_text() {
        assert!(message_text("👋", 10).is_ok());
        assert_eq!(message_text(" \n ", 10).unwrap_err().code, ErrorCode::InvalidContent);
        assert_eq!(message_text(&"字".repeat(11), 10).unwrap_err().code, ErrorCode::TextTooLong);
    }

    #[test]
    fn test_path_like_file_names_are_refused() {
        for bad in ["../etc/passwd", "a/b", "a\\b", "..", ".", "", "a\u{0}b", &"x".repeat(256)] {
            assert_eq!(file_name(bad).unwrap_err().code, ErrorCode::InvalidFileName, "{bad:?}");
        }
        assert_eq!(file_name("报告 v2.pdf").unwrap(), "报告 v2.pdf");
        assert_eq!(file_name("..hidden").unwrap(), "..hidden");
    }

    #[test]
    fn test_names_that_show_as_something_else_are_refused_everywhere() {
        for bad in ["invoice\u{202E}fdp.exe", "a\u{2067}b", "a\u{200F}b", "ad\u{200B}min", "\u{FEFF}x", "x\u{2060}y"] {
            assert_eq!(file_name(bad).unwrap_err().code, ErrorCode::InvalidFileName, "{bad:?}");
            assert_eq!(name("name", bad, 64).unwrap_err().code, ErrorCode::InvalidRequest, "{bad:?}");
            assert!(device_name(bad).is_err(), "{bad:?}");
        }
        // Joiners that real names and emoji need stay.
        assert!(name("name", "👩\u{200D}💻 Ana", 64).is_ok());
        assert!(name("name", "می\u{200C}خواهم", 64).is_ok());
        assert!(file_name("عربي.pdf").is_ok(), "right-to-left letters themselves are fine");
    }

    #[test]
    fn test_client_msg_ids() {
        assert!(client_msg_id("0190a5f4-1c2d-7000-8000-000000000000").is_ok());
        assert!(client_msg_id("").is_err());
        assert!(client_msg_id("a b").is_err());
    }

    #[test]
    fn test_phone() {
        assert!(phone("+86 (10) 1234-5678").is_ok());
        assert!(phone("call me").is_err());
    }

    #[test]
    fn test_a_reaction_is_one_emoji() {
        for ok in ["👍", "❤️", "❤", "👍🏽", "👨‍👩‍👧", "🇨🇳", "🎉", "1️⃣"] {
            assert!(emoji(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "👍👍", "ok", "👍 ", "<b>", "\u{202E}👍"] {
            assert_eq!(emoji(bad).unwrap_err().code, ErrorCode::InvalidReaction, "{bad:?}");
        }
    }
}
