//! The Share, Embed and Export dialogs: the link that replays this run, the `<iframe>` snippet
//! that embeds chosen views of it in another page (see docs/embedding.md), and the files that
//! replay its scenario on a real Kafka cluster (`streamlab export` makes the same).

use crate::route::embed_query;
use crate::views::ViewId;
use crate::widgets::copy_dialog::{use_modal, CopyDialog};
use std::rc::Rc;
use streamlab_engine::export::ExportFile;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, HtmlInputElement, HtmlSelectElement, Url};
use yew::prelude::*;

/// The sizes the Embed dialog offers, CSS px: the smallest the embedding supports, and two
/// that fit a documentation page's column.
const SIZES: [(u32, u32); 3] = [(400, 300), (640, 420), (900, 560)];

/// The Share dialog's link.
#[derive(Properties, PartialEq)]
pub struct ShareProps {
    /// The link: the page's address with the run's state as its fragment.
    pub url: AttrValue,
    pub on_close: Callback<()>,
}

/// The share link, copied at once and shown in a field.
#[function_component(ShareDialog)]
pub fn share_dialog(props: &ShareProps) -> Html {
    html! {
        <CopyDialog title="Share this run" text={props.url.clone()} testid="share-url" copy_at_once=true on_close={props.on_close.clone()}>
            <p class="hint">{"The link holds the whole run: the stream and settings, your actions with their times, and the time it stands at. Opening it replays the run to this instant, paused, with the same trace hash. Nothing is sent anywhere: the state is in the part of the link after #."}</p>
        </CopyDialog>
    }
}

/// What the Embed dialog's snippet embeds.
#[derive(Properties, PartialEq)]
pub struct EmbedProps {
    /// The page's address without query or fragment.
    pub base: AttrValue,
    /// The views to embed, in order.
    pub views: Rc<Vec<ViewId>>,
    /// The run's share fragment.
    pub fragment: AttrValue,
    pub on_close: Callback<()>,
}

/// The `<iframe>` element embedding `views` of the run `fragment` at `size`.
pub fn snippet(base: &str, views: &[ViewId], fragment: &str, size: (u32, u32), autoplay: bool) -> String {
    // In HTML source an attribute's `&` is written `&amp;`.
    let play = if autoplay { "&amp;autoplay=1" } else { "" };
    let titles = views.iter().map(|v| v.title().to_lowercase()).collect::<Vec<_>>().join(", ");
    format!(
        "<iframe src=\"{base}{}{play}#{fragment}\" width=\"{}\" height=\"{}\" title=\"StreamLab: {titles}\" loading=\"lazy\"></iframe>",
        embed_query(views),
        size.0,
        size.1
    )
}

/// The `<iframe>` snippet, with a choice of size and of starting to play at once.
#[function_component(EmbedDialog)]
pub fn embed_dialog(props: &EmbedProps) -> Html {
    let size = use_state(|| SIZES[1]);
    let autoplay = use_state(|| false);
    let on_size = {
        let size = size.clone();
        Callback::from(move |e: Event| {
            let chosen = e.target_dyn_into::<HtmlSelectElement>().and_then(|s| s.value().parse::<usize>().ok());
            if let Some(&s) = chosen.and_then(|i| SIZES.get(i)) {
                size.set(s);
            }
        })
    };
    let on_autoplay = {
        let autoplay = autoplay.clone();
        Callback::from(move |e: Event| {
            if let Some(c) = e.target_dyn_into::<HtmlInputElement>() {
                autoplay.set(c.checked());
            }
        })
    };
    let text = snippet(&props.base, &props.views, &props.fragment, *size, *autoplay);
    html! {
        <CopyDialog title="Embed these views" {text} testid="embed-snippet" on_close={props.on_close.clone()}>
            <p class="hint">{format!(
                "Paste this into a page to show {} of this run, with Play, Step, speed and the clock. It starts where this run stands now. Any size from 400 × 300 works; see docs/embedding.md.",
                props.views.iter().map(|v| v.title().to_lowercase()).collect::<Vec<_>>().join(" and ")
            )}</p>
            <p class="dialog-options">
                <label>{"size "}
                    <select onchange={on_size} data-testid="embed-size">
                        { for SIZES.iter().enumerate().map(|(i, s)| html! {
                            <option value={i.to_string()} selected={*s == *size}>{format!("{} × {}", s.0, s.1)}</option>
                        }) }
                    </select>
                </label>
                <label><input type="checkbox" checked={*autoplay} onchange={on_autoplay} data-testid="embed-autoplay" />{" start playing when the page opens"}</label>
            </p>
        </CopyDialog>
    }
}

/// The lines of a file shown before "…": enough to see its shape, few enough for any file.
const PREVIEW_LINES: usize = 12;

/// What the Export dialog offers: the export's files, or why there is none.
#[derive(Properties, PartialEq)]
pub struct ExportProps {
    pub files: Rc<Result<Vec<ExportFile>, String>>,
    pub on_close: Callback<()>,
}

/// Saves `contents` as a download named `name`: a text Blob of the page's own origin behind a
/// link the page clicks, so nothing leaves the browser.
fn download(name: &str, contents: &str) -> Result<(), JsValue> {
    let options = BlobPropertyBag::new();
    options.set_type("text/plain;charset=utf-8");
    let blob = Blob::new_with_str_sequence_and_options(&js_sys::Array::of1(&contents.into()), &options)?;
    let url = Url::create_object_url_with_blob(&blob)?;
    let window = web_sys::window().ok_or("no window")?;
    let link: HtmlAnchorElement = window.document().ok_or("no document")?.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download has started from the URL by the time a timer fires; then it can go.
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000)?;
    Ok(())
}

/// The export's files, each with its first lines and a Download button, and how to run them.
#[function_component(ExportDialog)]
pub fn export_dialog(props: &ExportProps) -> Html {
    let (dialog, close, onclose) = use_modal(&props.on_close);
    let failed = use_state(|| None::<String>);
    let body = match &*props.files {
        Err(e) => html! { <p class="error" role="alert">{e}</p> },
        Ok(files) => html! {
            <ul class="export-files">
                { for files.iter().map(|f| {
                    let lines = f.contents.lines().count();
                    let preview: Vec<&str> = f.contents.lines().take(PREVIEW_LINES).collect();
                    let save = {
                        let (name, contents, failed) = (f.name.clone(), f.contents.clone(), failed.clone());
                        Callback::from(move |_| {
                            if let Err(e) = download(&name, &contents) {
                                failed.set(Some(format!("{name}: the browser refused the download ({e:?})")));
                            }
                        })
                    };
                    html! {
                        <li>
                            <details>
                                <summary><code>{&f.name}</code>{format!(" {lines} lines")}</summary>
                                <pre>{preview.join("\n")}{ if lines > PREVIEW_LINES { "\n…" } else { "" } }</pre>
                            </details>
                            <button onclick={save} data-testid={format!("export-{}", f.name)}>{"Download"}</button>
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <dialog ref={dialog} class="copy-dialog export-dialog" aria-labelledby="export-dialog-h" {onclose}>
            <h2 id="export-dialog-h">{"Export to a real Kafka cluster"}</h2>
            <p class="hint">{"The scenario of this run as files for a Kafka 4.x cluster: the topics to create, the producer's and consumer's properties with the simulated settings, and the records in send order. Download them into one folder and run "}
                <code>{"BOOTSTRAP=localhost:9092 sh replay.sh"}</code>{" (see the README). The actions you took are not part of it: on a real cluster you take them yourself."}</p>
            {body}
            if let Some(e) = &*failed {
                <p class="error" role="alert">{e}</p>
            }
            <p class="dialog-buttons"><button onclick={close} data-testid="dialog-close">{"Close"}</button></p>
        </dialog>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_names_the_views_and_keeps_the_fragment() {
        let s = snippet("https://example.org/lab/", &[ViewId::Groups, ViewId::Events], "v1.abc", (640, 420), true);
        assert_eq!(
            s,
            "<iframe src=\"https://example.org/lab/?embed=groups,events&amp;autoplay=1#v1.abc\" width=\"640\" height=\"420\" title=\"StreamLab: groups, events\" loading=\"lazy\"></iframe>"
        );
    }
}
