//! The Share and Embed dialogs: the link that replays this run, and the `<iframe>` snippet that
//! embeds chosen views of it in another page (see docs/embedding.md).

use crate::route::embed_query;
use crate::views::ViewId;
use crate::widgets::copy_dialog::CopyDialog;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
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
