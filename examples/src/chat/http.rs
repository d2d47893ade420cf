//! Plain HTTP beside the WebSocket endpoint, through hyper: the demo page
//! (Converse.js), XEP-0156 discovery, Prometheus metrics, and the local
//! copy of Converse.js when one is configured.

use std::convert::Infallible;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};

use crate::chat::hub::Hub;

/// The path of the XMPP WebSocket endpoint (RFC 7395).
pub const WEBSOCKET_PATH: &str = "/xmpp-websocket";

/// What the HTTP side serves.
#[derive(Debug, Clone)]
pub struct Site {
    /// Serve the Converse.js page at `/`.
    pub demo: bool,
    /// A local copy of the `converse.js` npm package (its `dist/`), served
    /// at `/converse/`; None: the page loads it from the public CDN.
    pub web_assets: Option<PathBuf>,
    /// Whether the WebSocket endpoint is `wss:`.
    pub secure: bool,
}

/// The Converse.js release the page loads from the CDN.
const CONVERSE_CDN: &str = "https://cdn.conversejs.org/14.0.0/dist";

/// Answers one request.
pub async fn handle(
    hub: Arc<Hub>,
    site: Arc<Site>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Ok(text(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "GET only\n".into(),
        ));
    }
    let host = request
        .headers()
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_host(h))
        .unwrap_or_else(|| hub.domain().domain())
        .to_owned();
    let scheme = if site.secure { "wss" } else { "ws" };
    let endpoint = format!("{scheme}://{host}{WEBSOCKET_PATH}");
    let path = request.uri().path();
    let response = match path {
        "/" if site.demo => text(
            StatusCode::OK,
            "text/html; charset=utf-8",
            demo_page(&endpoint, hub.domain().domain(), site.web_assets.is_some()),
        ),
        "/" => text(
            StatusCode::OK,
            "text/plain; charset=utf-8",
            format!("chatwire: XMPP over WebSocket at {endpoint}\n"),
        ),
        "/.well-known/host-meta" => text(
            StatusCode::OK,
            "application/xrd+xml",
            format!(
                "<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n  <Link rel='urn:xmpp:alt-connections:websocket' href='{endpoint}'/>\n</XRD>\n"
            ),
        ),
        "/.well-known/host-meta.json" => text(
            StatusCode::OK,
            "application/json",
            format!(
                "{{\"links\":[{{\"rel\":\"urn:xmpp:alt-connections:websocket\",\"href\":\"{endpoint}\"}}]}}\n"
            ),
        ),
        "/metrics" => text(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            hub.metrics.render(),
        ),
        _ => match (path.strip_prefix("/converse/"), &site.web_assets) {
            (Some(file), Some(dir)) => asset(dir, file).await,
            _ => text(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
        },
    };
    Ok(response)
}

/// A host name or address with an optional port, and nothing else: the
/// value is written into a script, an XML document and JSON.
fn is_host(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
}

fn text(status: StatusCode, kind: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(value) = kind.parse() {
        response.headers_mut().insert(CONTENT_TYPE, value);
    }
    if let Ok(value) = "no-store".parse() {
        response.headers_mut().insert(CACHE_CONTROL, value);
    }
    response
}

/// A file of the local Converse.js copy; nothing outside `dir`.
async fn asset(dir: &Path, file: &str) -> Response<Full<Bytes>> {
    let relative = Path::new(file);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return text(StatusCode::NOT_FOUND, "text/plain", "not found\n".into());
    }
    let kind = match relative.extension().and_then(|e| e.to_str()) {
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("wasm") => "application/wasm",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        _ => "application/octet-stream",
    };
    match tokio::fs::read(dir.join(relative)).await {
        Ok(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            if let Ok(value) = kind.parse() {
                response.headers_mut().insert(CONTENT_TYPE, value);
            }
            response
        }
        Err(_) => text(StatusCode::NOT_FOUND, "text/plain", "not found\n".into()),
    }
}

/// The demo page: Converse.js in full screen, pointed at this server.
fn demo_page(endpoint: &str, domain: &str, local_assets: bool) -> String {
    let base = if local_assets {
        "/converse"
    } else {
        CONVERSE_CDN
    };
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>chatwire demo</title>
<link rel="stylesheet" href="{base}/converse.min.css">
</head>
<body class="converse-fullscreen">
<noscript>The chat needs JavaScript.</noscript>
<!-- A module: converse.min.js uses `import.meta`. A script element with
     `src`, not an `import`: Converse finds the folder of its OMEMO wasm from
     the `src` of the script that loaded it. Module scripts run in order. -->
<script type="module" src="{base}/converse.min.js"></script>
<script type="module">
converse.initialize({{
  websocket_url: "{endpoint}",
  discover_connection_methods: false,
  view_mode: "fullscreen",
  authentication: "login",
  auto_reconnect: true,
  locked_domain: "{domain}",
  assets_path: "{base}/",
  allow_registration: false,
  show_client_info: false,
  allow_non_roster_messaging: true,
}});
</script>
</body>
</html>
"#
    )
}
