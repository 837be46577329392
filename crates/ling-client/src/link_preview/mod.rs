//! Link previews, made by the **sender's** client and sent with the text,
//! so that readers never fetch a link (`docs/protocol.md`, "Link
//! previews").
//!
//! Fetching what a stranger's link names is the risky part, so it is
//! fenced: only `http`/`https`, no credentials in the link, every address
//! connected to (after every redirect, at the moment of connecting) on the
//! public internet unless the person allowed its network
//! (`LING_PREVIEW_ALLOW`), at most [`PreviewLimits::max_redirects`]
//! redirects, one deadline for the page and one for its picture, at most
//! [`PreviewLimits::max_page_bytes`] of the page read (its head is what
//! counts) and [`PreviewLimits::max_image_bytes`] of the picture (a bigger
//! one is left out), HTML pages and PNG/JPEG/GIF/WebP pictures only, no
//! proxy, no cookies, and a `User-Agent` that says what asks.
//! [`page`] reads what the page says; [`guard`] decides which addresses are
//! reachable.

pub mod guard;
pub mod page;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use ipnet::IpNet;
use ling_proto::messages::{FileRef, LinkPreview, PreviewImage};
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::redirect::Policy;
use url::{Host, Url};

use crate::Client;
use crate::error::{ClientCode, ClientError, ClientResult};
use guard::{GuardedResolver, Refused, may_reach};
use page::PageMeta;

/// What a preview's requests say they are.
pub const USER_AGENT: &str = concat!("Ling/", env!("CARGO_PKG_VERSION"), " (link preview for a chat message)");

/// How far a preview may go.
#[derive(Debug, Clone)]
pub struct PreviewLimits {
    /// For the page, redirects included.
    pub deadline: Duration,
    /// For its picture.
    pub image_deadline: Duration,
    /// Redirects followed, at most.
    pub max_redirects: usize,
    /// Bytes of the page read, at most (the rest is not downloaded).
    pub max_page_bytes: usize,
    /// Bytes of a picture, at most (a bigger one is left out).
    pub max_image_bytes: usize,
    /// Networks reachable although not public (an intranet's wiki, say).
    pub allowed: Arc<[IpNet]>,
}

impl Default for PreviewLimits {
    fn default() -> Self {
        PreviewLimits {
            deadline: Duration::from_secs(5),
            image_deadline: Duration::from_secs(5),
            max_redirects: 3,
            max_page_bytes: 1024 * 1024,
            max_image_bytes: 5 * 1024 * 1024,
            allowed: Arc::new([]),
        }
    }
}

impl PreviewLimits {
    /// The defaults, with the networks `LING_PREVIEW_ALLOW` lists
    /// (comma-separated, such as `10.0.0.0/8,192.168.1.5/32`) allowed.
    pub fn from_env() -> PreviewLimits {
        let allowed = std::env::var("LING_PREVIEW_ALLOW").unwrap_or_default();
        PreviewLimits { allowed: parse_allowed(&allowed).into(), ..PreviewLimits::default() }
    }
}

/// Networks from a comma-separated list; what does not read as one is left
/// out (and logged).
fn parse_allowed(list: &str) -> Vec<IpNet> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| {
            let net = s.parse::<IpNet>().or_else(|_| s.parse::<std::net::IpAddr>().map(IpNet::from));
            net.map_err(|_| tracing::warn!(network = s, "LING_PREVIEW_ALLOW: not a network, ignored")).ok()
        })
        .collect()
}

/// A page read for a preview, and its picture when it had one within limits.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Where the page was found (after redirects).
    pub url: Url,
    /// What it says.
    pub meta: PageMeta,
    /// The picture's bytes and type.
    pub image: Option<(Vec<u8>, String)>,
}

fn link_error(code: ClientCode, message: impl Into<String>) -> ClientError {
    ClientError::Link { code, message: message.into() }
}

/// Checks a link before anything is fetched: http(s), no credentials, and
/// an address literal only where [`may_reach`] allows (names are checked as
/// they resolve).
pub fn check_link(url: &Url, allowed: &[IpNet]) -> ClientResult<()> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(link_error(ClientCode::LinkBlocked, format!("{} links are not previewed", url.scheme())));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(link_error(ClientCode::LinkBlocked, "links with a user name or password are not previewed"));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => Some(ip.into()),
        Some(Host::Ipv6(ip)) => Some(ip.into()),
        Some(Host::Domain(_)) => None,
        None => return Err(link_error(ClientCode::LinkBlocked, "the link names no host")),
    };
    match ip {
        Some(ip) if !may_reach(ip, allowed) => {
            Err(link_error(ClientCode::LinkBlocked, format!("{ip} is not on the public internet")))
        }
        _ => Ok(()),
    }
}

/// What a failed request means for a preview.
fn request_error(e: reqwest::Error) -> ClientError {
    let mut source: Option<&dyn std::error::Error> = Some(&e);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<Refused>() {
            return link_error(ClientCode::LinkBlocked, refused.to_string());
        }
        source = err.source();
    }
    if e.is_timeout() {
        return link_error(ClientCode::LinkTimeout, "the page did not answer in time");
    }
    link_error(ClientCode::LinkFailed, format!("the page could not be fetched: {e}"))
}

fn http_client(limits: &PreviewLimits) -> ClientResult<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { allowed: limits.allowed.clone() }))
        .user_agent(USER_AGENT)
        .connect_timeout(limits.deadline)
        .build()
        .map_err(|e| link_error(ClientCode::LinkFailed, e.to_string()))
}

/// GETs `url` (checked first), following at most `max_redirects`
/// redirects, each checked;
/// the response of the last, with where it came from.
async fn get(
    http: &reqwest::Client,
    mut url: Url,
    accept: &str,
    limits: &PreviewLimits,
) -> ClientResult<(Url, reqwest::Response)> {
    for _ in 0..=limits.max_redirects {
        check_link(&url, &limits.allowed)?;
        let response = http.get(url.clone()).header(ACCEPT, accept).send().await.map_err(request_error)?;
        if !response.status().is_redirection() {
            if !response.status().is_success() {
                return Err(link_error(ClientCode::LinkFailed, format!("the page answered {}", response.status())));
            }
            return Ok((url, response));
        }
        let location = response.headers().get(LOCATION).and_then(|l| l.to_str().ok());
        let next = location.and_then(|l| url.join(l).ok());
        url = next.ok_or_else(|| link_error(ClientCode::LinkFailed, "a redirect without a usable Location"))?;
    }
    Err(link_error(ClientCode::LinkFailed, format!("more than {} redirects", limits.max_redirects)))
}

/// The response's media type, lower-cased, without parameters.
fn media_type(response: &reqwest::Response) -> String {
    let ct = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Reads at most `max` bytes of the body; whether it had more.
async fn read_body(response: reqwest::Response, max: usize) -> ClientResult<(Vec<u8>, bool)> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(request_error)?;
        let room = max - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// Fetches the page `link` names and, when it has one, its picture, within
/// `limits`. Nothing is uploaded or sent.
pub async fn fetch(link: &str, limits: &PreviewLimits) -> ClientResult<Fetched> {
    let url = Url::parse(link.trim()).map_err(|e| link_error(ClientCode::LinkBlocked, format!("not a link: {e}")))?;
    let http = http_client(limits)?;
    let timed_out = || link_error(ClientCode::LinkTimeout, "the page did not arrive in time");
    let page = async {
        let (url, response) = get(&http, url, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1", limits).await?;
        let media = media_type(&response);
        if !matches!(media.as_str(), "text/html" | "application/xhtml+xml") {
            return Err(link_error(ClientCode::LinkUnsupported, format!("the link leads to {media}, not a web page")));
        }
        let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let (body, cut) = read_body(response, limits.max_page_bytes).await?;
        if cut {
            tracing::debug!(%url, "link preview: read the first {} bytes of a longer page", body.len());
        }
        Ok::<_, ClientError>((url, page::decode(&body, content_type.as_deref())))
    };
    let (url, html) = tokio::time::timeout(limits.deadline, page).await.map_err(|_| timed_out())??;
    let meta = page::read(&html, &url);
    if meta.is_empty() {
        return Err(link_error(ClientCode::LinkUnsupported, "the page says nothing to preview"));
    }
    let image = match &meta.image {
        Some(src) => match tokio::time::timeout(limits.image_deadline, fetch_image(&http, src.clone(), limits)).await {
            Ok(Ok(image)) => image,
            Ok(Err(e)) => {
                tracing::debug!(%src, error = %e, "link preview: picture left out");
                None
            }
            Err(_) => {
                tracing::debug!(%src, "link preview: picture too slow, left out");
                None
            }
        },
        None => None,
    };
    Ok(Fetched { url, meta, image })
}

/// A page's picture, when it is one of the kinds shown and small enough.
async fn fetch_image(
    http: &reqwest::Client,
    src: Url,
    limits: &PreviewLimits,
) -> ClientResult<Option<(Vec<u8>, String)>> {
    let (_, response) = get(http, src, "image/png,image/jpeg,image/gif,image/webp", limits).await?;
    let media = media_type(&response);
    if !matches!(media.as_str(), "image/png" | "image/jpeg" | "image/gif" | "image/webp") {
        return Ok(None);
    }
    if response.content_length().is_some_and(|n| n > limits.max_image_bytes as u64) {
        return Ok(None);
    }
    let (bytes, cut) = read_body(response, limits.max_image_bytes).await?;
    Ok((!cut && !bytes.is_empty()).then_some((bytes, media)))
}

/// The file name an uploaded preview picture gets.
fn image_name(media: &str) -> String {
    let ext = match media {
        "image/jpeg" => "jpg",
        "image/gif" => "gif",
        "image/webp" => "webp",
        _ => "png",
    };
    format!("preview.{ext}")
}

impl Client {
    /// A preview of `link` (as the text has it) to send with a text: the
    /// page fetched within [`PreviewLimits::from_env`], its picture uploaded
    /// as a file. Refused with `previews_off` when the person switched
    /// previews off.
    pub async fn link_preview(&self, link: &str) -> ClientResult<LinkPreview> {
        self.link_preview_with(link, &PreviewLimits::from_env()).await
    }

    /// [`Client::link_preview`] within `limits`.
    pub async fn link_preview_with(&self, link: &str, limits: &PreviewLimits) -> ClientResult<LinkPreview> {
        if !self.prefs().await?.link_previews {
            return Err(link_error(ClientCode::PreviewsOff, "link previews are switched off"));
        }
        if link.len() > LinkPreview::MAX_URL_BYTES {
            return Err(link_error(ClientCode::LinkUnsupported, "the link is too long to preview"));
        }
        let fetched = fetch(link, limits).await?;
        let image = match fetched.image {
            Some((bytes, media)) => {
                let info = crate::files::upload_bytes(self.api(), &image_name(&media), bytes).await?;
                // What the server could not read as an image is left out.
                match (info.width, info.height) {
                    (Some(width), Some(height)) => Some(PreviewImage {
                        file: FileRef { id: info.id, name: info.name, size: info.size, mime: info.mime },
                        width,
                        height,
                    }),
                    _ => None,
                }
            }
            None => None,
        };
        let PageMeta { title, description, site, .. } = fetched.meta;
        Ok(LinkPreview { url: link.to_owned(), title, description, site, image })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_links_are_checked_before_anything_is_fetched() {
        let code = |link: &str| check_link(&Url::parse(link).unwrap(), &[]).err().map(|e| e.code().as_str());
        assert_eq!(code("https://example.com/a"), None);
        assert_eq!(code("http://example.com:8080/"), None);
        assert_eq!(code("ftp://example.com/"), Some("link_blocked"));
        assert_eq!(code("file:///etc/passwd"), Some("link_blocked"));
        assert_eq!(code("http://user:pw@example.com/"), Some("link_blocked"));
        assert_eq!(code("http://127.0.0.1:22/"), Some("link_blocked"));
        assert_eq!(code("http://[::1]/"), Some("link_blocked"));
        assert_eq!(code("http://169.254.169.254/latest/meta-data/"), Some("link_blocked"));
        assert_eq!(code("http://0x7f.1/"), Some("link_blocked"), "an odd spelling of 127.0.0.1");
        let allowed: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        assert!(check_link(&Url::parse("http://127.0.0.1:9/").unwrap(), &allowed).is_ok());
    }

    #[test]
    fn test_allowed_networks_are_read_from_a_list() {
        let nets = parse_allowed(" 10.0.0.0/8, 192.168.1.5 ,nonsense,,::1 ");
        let shown: Vec<String> = nets.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.168.1.5/32", "::1/128"]);
    }

    #[test]
    fn test_the_user_agent_says_what_asks() {
        assert!(USER_AGENT.starts_with("Ling/") && USER_AGENT.contains("link preview"));
    }
}
