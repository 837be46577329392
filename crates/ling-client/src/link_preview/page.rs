//! What a page says about itself: its Open Graph and Twitter card tags, its
//! `<title>` and description, read from HTML as fetched (pure).

use dom_query::Document;
use ling_proto::messages::LinkPreview;
use ling_proto::text::is_deceptive;
use url::Url;

/// A page's words for a preview, and where its picture is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageMeta {
    /// Title, clipped to the protocol's limit.
    pub title: String,
    /// Description, clipped.
    pub description: String,
    /// The site's name, clipped.
    pub site: String,
    /// The picture's address (http or https), resolved against the page.
    pub image: Option<Url>,
}

impl PageMeta {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.title.is_empty() && self.description.is_empty() && self.image.is_none()
    }
}

/// Reads `html`, fetched from `base` (after redirects), for a preview.
pub fn read(html: &str, base: &Url) -> PageMeta {
    let doc = Document::from(html);
    let meta = |keys: &[&str]| -> String {
        for key in keys {
            for attr in ["property", "name"] {
                let found = doc.select(&format!("meta[{attr}=\"{key}\" i]")).attr("content");
                if let Some(value) = found.map(|v| tidy(&v)).filter(|v| !v.is_empty()) {
                    return value;
                }
            }
        }
        String::new()
    };
    let mut title = meta(&["og:title", "twitter:title"]);
    if title.is_empty() {
        title = tidy(&doc.select("head title").text());
    }
    if title.is_empty() {
        title = tidy(&doc.select("title").text());
    }
    let description = meta(&["og:description", "twitter:description", "description"]);
    let site = meta(&["og:site_name", "application-name"]);
    let image = ["og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"]
        .iter()
        .map(|key| meta(&[key]))
        .filter(|v| !v.is_empty())
        .find_map(|v| base.join(&v).ok().filter(|u| matches!(u.scheme(), "http" | "https")));
    PageMeta {
        title: clip(&title, LinkPreview::MAX_TITLE_CHARS),
        description: clip(&description, LinkPreview::MAX_DESCRIPTION_CHARS),
        site: clip(&site, LinkPreview::MAX_SITE_CHARS),
        image,
    }
}

/// The charset a page declares in its first bytes (`<meta charset>` or
/// `http-equiv`), as the HTML standard's prescan looks for it (simplified).
pub fn declared_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    charset_in(&String::from_utf8_lossy(&head[..head.len().min(1024)]))
}

/// The encoding named after the first `charset=` in `text` (a
/// `Content-Type`, or the start of a page), quoted or not.
fn charset_in(text: &str) -> Option<&'static encoding_rs::Encoding> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let rest = lower[at..].trim_start_matches(['"', '\'', ' ']);
    let label: String =
        rest.chars().take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.')).collect();
    encoding_rs::Encoding::for_label(label.as_bytes())
}

/// Decodes a page: the charset of its `Content-Type`, else the one it
/// declares, else UTF-8 (a byte-order mark wins over both).
pub fn decode(bytes: &[u8], content_type: Option<&str>) -> String {
    let from_header = content_type.and_then(charset_in);
    let encoding = from_header.or_else(|| declared_charset(bytes)).unwrap_or(encoding_rs::UTF_8);
    encoding.decode(bytes).0.into_owned()
}

/// Whitespace runs made one space; control characters and those the
/// server refuses ([`is_deceptive`]) dropped; trimmed.
fn tidy(s: &str) -> String {
    let kept: String =
        s.chars().filter(|&c| !c.is_control() || c.is_whitespace()).filter(|&c| !is_deceptive(c)).collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters, the last an ellipsis when cut.
fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example/a/b.html").unwrap()
    }

    #[test]
    fn test_open_graph_wins_and_the_image_is_resolved_against_the_page() {
        let html = r#"<!doctype html><html><head>
            <title>Plain title</title>
            <meta name="description" content="plain description">
            <meta property="og:title" content="  The   &amp; Title
              ">
            <meta property="OG:DESCRIPTION" content="What it&#39;s about">
            <meta property="og:site_name" content="News">
            <meta property="og:image" content="/img/cover.png?x=1">
        </head><body><h1>hi</h1></body></html>"#;
        let meta = read(html, &base());
        assert_eq!(meta.title, "The & Title", "entities decoded, whitespace folded");
        assert_eq!(meta.description, "What it's about", "property names match in any case");
        assert_eq!(meta.site, "News");
        assert_eq!(meta.image.unwrap().as_str(), "https://news.example/img/cover.png?x=1");
    }

    #[test]
    fn test_the_title_tag_and_description_stand_in_and_odd_images_are_left_out() {
        let html = "<html><head><title>\n 标题 \u{202E}reversed</title>\
            <meta name=\"twitter:description\" content=\"card\">\
            <meta property=\"og:image\" content=\"javascript:alert(1)\">\
            <meta name=\"description\" content=\"plain\"></head></html>";
        let meta = read(html, &base());
        assert_eq!(meta.title, "标题 reversed", "invisible direction marks dropped");
        assert_eq!(meta.description, "card");
        assert_eq!(meta.site, "");
        assert_eq!(meta.image, None, "only http(s) pictures");
        assert!(read("<p>nothing here</p>", &base()).is_empty());
    }

    #[test]
    fn test_long_words_are_clipped_with_an_ellipsis() {
        let html =
            format!("<title>{}</title><meta name=description content=\"{}\">", "长".repeat(300), "d ".repeat(400));
        let meta = read(&html, &base());
        assert_eq!(meta.title.chars().count(), LinkPreview::MAX_TITLE_CHARS);
        assert!(meta.title.ends_with('…'));
        assert!(meta.description.chars().count() <= LinkPreview::MAX_DESCRIPTION_CHARS);
        assert!(meta.description.ends_with("d…"), "no space before the ellipsis: {:?}", meta.description);
    }

    #[test]
    fn test_pages_are_decoded_by_their_declared_charset() {
        let (gbk, _, _) = encoding_rs::GBK.encode("<meta charset=\"gbk\"><title>中文标题</title>");
        assert_eq!(read(&decode(&gbk, Some("text/html")), &base()).title, "中文标题", "from the meta tag");
        let (gbk, _, _) = encoding_rs::GBK.encode("<title>中文标题</title>");
        assert_eq!(
            read(&decode(&gbk, Some("text/html; charset=GB2312")), &base()).title,
            "中文标题",
            "from the header"
        );
        let html = "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"><title>naïve</title>";
        assert_eq!(read(&decode(html.as_bytes(), None), &base()).title, "naïve");
        assert_eq!(decode(b"\xff\xfe<\0t\0", None).len(), 2, "a byte-order mark wins");
    }
}
