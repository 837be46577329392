//! What a person types as a server address, made into the URLs to try.
//!
//! `chat.example.com`, `chat.example.com:8443`, `https://chat.example.com/ling`,
//! `192.168.1.5:7878`, `[::1]:7878`, `localhost:7878` are all accepted. Without
//! a scheme the address means https; a loopback or LAN address without a scheme
//! is also tried over plain http (home and office servers often have no
//! certificate). Plain http to anything else needs the person's confirmation.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::{ClientError, ClientResult};

/// The URLs to try for `input`, best first. `allow_insecure` is the person's
/// confirmation that plain http to a non-local host is what they want.
pub fn candidates(input: &str, allow_insecure: bool) -> ClientResult<Vec<Url>> {
    let typed = input.trim();
    let invalid = |reason: &str| ClientError::InvalidAddress { input: typed.to_owned(), reason: reason.to_owned() };
    if typed.is_empty() {
        return Err(invalid("it is empty"));
    }
    if typed.chars().any(char::is_whitespace) {
        return Err(invalid("it contains spaces"));
    }
    let (explicit, text) = match typed.split_once("://") {
        Some((scheme, _)) => match scheme.to_ascii_lowercase().as_str() {
            "https" | "http" => (Some(scheme.to_ascii_lowercase()), typed.to_owned()),
            _ => return Err(invalid("only https:// and http:// addresses are servers")),
        },
        None => (None, format!("https://{typed}")),
    };
    let mut url = Url::parse(&text).map_err(|e| invalid(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it may not contain a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it may not contain '?' or '#'"));
    }
    let host = url.host().ok_or_else(|| invalid("it has no host name"))?.to_owned();
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(if path.is_empty() { "/" } else { &path });
    let local = is_local(&host);
    let with_scheme = |scheme: &str| -> ClientResult<Url> {
        let mut u = url.clone();
        u.set_scheme(scheme).map_err(|()| invalid("unusable scheme"))?;
        Ok(u)
    };
    match explicit.as_deref() {
        Some("https") => Ok(vec![url]),
        Some(_) if local || allow_insecure => Ok(vec![with_scheme("http")?]),
        Some(_) => Err(ClientError::InsecureAddress { host: host.to_string() }),
        None if local || allow_insecure => Ok(vec![url.clone(), with_scheme("http")?]),
        None => Ok(vec![url]),
    }
}

/// The URL of an API path under a server's base URL.
pub fn endpoint(base: &Url, path: &str) -> String {
    format!("{}{}", base.as_str().trim_end_matches('/'), path)
}

/// Loopback, private-network and link-local addresses, and names that only
/// make sense on a LAN (`localhost`, single labels, `.local`, `.lan`, `.home.arpa`).
pub fn is_local(host: &Host<String>) -> bool {
    match host {
        Host::Ipv4(ip) => is_local_ip(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => is_local_ip(IpAddr::V6(*ip)),
        Host::Domain(name) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost"
                || !name.contains('.')
                || [".localhost", ".local", ".lan", ".home.arpa", ".internal"].iter().any(|s| name.ends_with(s))
        }
    }
}

fn is_local_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local() || v4 == Ipv4Addr::UNSPECIFIED,
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || v6 == Ipv6Addr::UNSPECIFIED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(input: &str, allow: bool) -> Vec<String> {
        candidates(input, allow).unwrap().iter().map(|u| u.to_string()).collect()
    }

    fn code(input: &str, allow: bool) -> &'static str {
        candidates(input, allow).unwrap_err().code().as_str()
    }

    #[test]
    fn test_a_bare_domain_means_https() {
        assert_eq!(urls("chat.example.com", false), ["https://chat.example.com/"]);
        assert_eq!(urls("  Chat.Example.com:8443/ ", false), ["https://chat.example.com:8443/"]);
        assert_eq!(urls("https://chat.example.com/ling/", false), ["https://chat.example.com/ling"]);
        assert_eq!(urls("HTTPS://chat.example.com", false), ["https://chat.example.com/"]);
    }

    #[test]
    fn test_local_addresses_without_a_scheme_also_try_plain_http() {
        assert_eq!(urls("localhost:7878", false), ["https://localhost:7878/", "http://localhost:7878/"]);
        assert_eq!(urls("192.168.1.5", false), ["https://192.168.1.5/", "http://192.168.1.5/"]);
        assert_eq!(urls("[::1]:7878", false), ["https://[::1]:7878/", "http://[::1]:7878/"]);
        assert_eq!(urls("10.0.0.2:80", false).len(), 2);
        assert_eq!(urls("chatbox", false).len(), 2, "a single-label name is a LAN name");
        assert_eq!(urls("nas.local:7878", false).len(), 2);
        assert_eq!(urls("8.8.8.8", false), ["https://8.8.8.8/"]);
    }

    #[test]
    fn test_plain_http_to_the_internet_needs_confirmation() {
        assert_eq!(code("http://chat.example.com", false), "insecure_address");
        assert_eq!(urls("http://chat.example.com", true), ["http://chat.example.com/"]);
        assert_eq!(urls("http://127.0.0.1:7878", false), ["http://127.0.0.1:7878/"]);
        assert_eq!(urls("chat.example.com", true), ["https://chat.example.com/", "http://chat.example.com/"]);
    }

    #[test]
    fn test_things_that_are_not_server_addresses() {
        for bad in [
            "",
            "   ",
            "ftp://files.example.com",
            "chat example.com",
            "https://u:p@chat.example.com",
            "chat.example.com/?x=1",
            "https://",
            "chat.example.com#top",
        ] {
            assert_eq!(code(bad, false), "invalid_address", "{bad:?}");
        }
    }

    #[test]
    fn test_endpoints_join_under_a_path_prefix() {
        let base = candidates("https://chat.example.com/ling", false).unwrap().remove(0);
        assert_eq!(endpoint(&base, "/v1/info"), "https://chat.example.com/ling/v1/info");
        let root = candidates("chat.example.com", false).unwrap().remove(0);
        assert_eq!(endpoint(&root, "/v1/info"), "https://chat.example.com/v1/info");
    }
}
