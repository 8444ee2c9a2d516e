//! Fetching the site's own files (data sets, exercises). Paths are relative to the page and built
//! from checked names only, so that no request leaves the page's origin.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// The text of the file at `path`, relative to the page; errors say what failed, in words.
pub async fn text(path: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response = JsFuture::from(window.fetch_with_str(path)).await.map_err(|e| format!("{path}: {e:?}"))?;
    let response: web_sys::Response =
        response.dyn_into().map_err(|_| format!("{path}: the answer is not a Response"))?;
    if !response.ok() {
        return Err(format!("{path}: HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(|e| format!("{path}: {e:?}"))?)
        .await
        .map_err(|e| format!("{path}: {e:?}"))?;
    text.as_string().ok_or_else(|| format!("{path}: the body is not text"))
}
