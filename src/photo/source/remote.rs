//! Photos on HTTP(S). Every address we connect to passes the tenant's `AddressPolicy`: the client
//! resolves names through `GuardedResolver`, which drops refused addresses from the answer it
//! hands to the connector (so a second, different DNS answer cannot slip in between check and
//! connect), and IP literals, which never reach a resolver, are checked here. Redirects are
//! followed by hand, at most `MAX_REDIRECTS`, each hop checked again. Proxies from the environment
//! are ignored: through a proxy we could not see the address the request goes to.
//!
//! A fetch sends the validators of the last copy it saw (`If-None-Match`, `If-Modified-Since`):
//! OSS and CDN URLs answer 304 when nothing changed, and the photo's cached upload is reused
//! without downloading it again.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION};
use reqwest::{StatusCode, Url};

use super::address::AddressPolicy;
use super::{SourceError, MAX_SOURCE_BYTES};

/// Hops after the first request; more is a loop or a trick.
pub(super) const MAX_REDIRECTS: usize = 3;

/// What identifies one version of a remote photo to its server.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// One remote fetch: the bytes with their validators, or "unchanged since the validators given".
#[derive(Debug)]
pub enum Fetched {
    Body {
        bytes: Vec<u8>,
        validators: Validators,
    },
    NotModified,
}

/// A DNS error that says which address was refused and why; found again in reqwest's error chain.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {ip}, a {rule}")]
pub struct AddressRefused {
    host: String,
    ip: IpAddr,
    rule: &'static str,
}

/// Resolves with the system resolver and keeps only the addresses the policy allows.
struct GuardedResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut refused = None;
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| match policy.check(a.ip()) {
                    Ok(()) => true,
                    Err(rule) => {
                        refused.get_or_insert((a.ip(), rule));
                        false
                    }
                })
                .collect();
            if allowed.is_empty() {
                if let Some((ip, rule)) = refused {
                    return Err(Box::new(AddressRefused { host, ip, rule }) as _);
                }
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The tenant's HTTP client for photos: guarded resolver, no proxy, no automatic redirects.
pub fn client(policy: Arc<AddressPolicy>, connect: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver { policy }))
        .user_agent(concat!("rentsync/", env!("CARGO_PKG_VERSION")))
        .build()
        // Only a broken TLS backend fails here; without a client no photo could be fetched.
        .unwrap_or_default()
}

/// GETs `url`, following at most `MAX_REDIRECTS` checked redirects. The caller bounds the time.
pub async fn get(
    http: &reqwest::Client,
    policy: &AddressPolicy,
    url: &str,
    prior: Option<&Validators>,
) -> Result<Fetched, SourceError> {
    let mut url = parse(url)?;
    for hop in 0..=MAX_REDIRECTS {
        check_literal(policy, &url)?;
        let mut req = http.get(url.clone());
        if let Some(v) = prior {
            if let Some(etag) = &v.etag {
                req = req.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let resp = req.send().await.map_err(failed)?;
        let status = resp.status();
        if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
            let Some(next) = resp.headers().get(LOCATION) else {
                return Err(SourceError::unreadable(format!(
                    "fetch answered HTTP {status} without a Location"
                )));
            };
            let next = next
                .to_str()
                .ok()
                .and_then(|l| url.join(l).ok())
                .ok_or_else(|| SourceError::unreadable("redirect to an unreadable Location"))?;
            if hop == MAX_REDIRECTS {
                return Err(SourceError::refused(
                    "redirects",
                    format!("more than {MAX_REDIRECTS} redirects"),
                ));
            }
            url = scheme_checked(next)?;
            continue;
        }
        if status == StatusCode::NOT_MODIFIED && prior.is_some() {
            return Ok(Fetched::NotModified);
        }
        if !status.is_success() {
            let detail = format!("fetch answered HTTP {status}");
            // The host is busy or down: the photo is there, later.
            let busy = status.is_server_error()
                || status == StatusCode::REQUEST_TIMEOUT
                || status == StatusCode::TOO_MANY_REQUESTS;
            return Err(if busy {
                SourceError::transient(detail)
            } else {
                SourceError::unreadable(detail)
            });
        }
        let header = |name| {
            resp.headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_string)
        };
        let validators = Validators {
            etag: header(ETAG),
            last_modified: header(LAST_MODIFIED),
        };
        let bytes = body(resp).await?;
        return Ok(Fetched::Body { bytes, validators });
    }
    // The loop returns on its last hop.
    Err(SourceError::refused(
        "redirects",
        format!("more than {MAX_REDIRECTS} redirects"),
    ))
}

fn parse(url: &str) -> Result<Url, SourceError> {
    let url = Url::parse(url).map_err(|e| SourceError::unreadable(format!("bad URL: {e}")))?;
    scheme_checked(url)
}

fn scheme_checked(url: Url) -> Result<Url, SourceError> {
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(SourceError::refused(
            "scheme",
            format!("redirect to a {other}: URL"),
        )),
    }
}

/// Hosts written as addresses never reach the resolver: check them here.
fn check_literal(policy: &AddressPolicy, url: &Url) -> Result<(), SourceError> {
    let Some(host) = url.host_str() else {
        return Err(SourceError::unreadable("URL without a host"));
    };
    let Ok(ip) = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    else {
        return Ok(());
    };
    policy.check(ip).map_err(|rule| {
        SourceError::refused(
            "photo_hosts_allow",
            format!("{ip} is a {rule} (allow it with photo_hosts_allow)"),
        )
    })
}

/// Streams the body, counting what arrives against the cap (the declared length may lie).
async fn body(mut resp: reqwest::Response) -> Result<Vec<u8>, SourceError> {
    let too_large = || {
        SourceError::refused(
            "size_cap",
            format!("larger than the {MAX_SOURCE_BYTES}-byte cap"),
        )
    };
    if resp.content_length().is_some_and(|n| n > MAX_SOURCE_BYTES) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(failed)? {
        if (body.len() + chunk.len()) as u64 > MAX_SOURCE_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// reqwest's error, without the URL (it may carry a signed OSS query), and with the address rule
/// when the resolver refused.
fn failed(e: reqwest::Error) -> SourceError {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<AddressRefused>() {
            return SourceError::refused(
                "photo_hosts_allow",
                format!("{r} (allow it with photo_hosts_allow)"),
            );
        }
        cur = err.source();
    }
    let why = if e.is_timeout() {
        "timed out"
    } else {
        "failed"
    };
    // A timeout or a connection that failed says nothing about the photo: try again later.
    SourceError::transient(format!("fetch {why}: {}", e.without_url()))
}
