//! A modal dialog holding text to copy (a link, an `<iframe>` snippet): the text in a read-only
//! field, a Copy button using the clipboard, and Close. The field works without clipboard
//! permission: the text is selected, ready for Ctrl+C.

use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlDialogElement, HtmlTextAreaElement};
use yew::prelude::*;

/// The dialog's title, the text to copy, and what to do when it closes.
#[derive(Properties, PartialEq)]
pub struct CopyDialogProps {
    pub title: AttrValue,
    /// The text to copy.
    pub text: AttrValue,
    /// The field's test id.
    pub testid: AttrValue,
    /// Copy the text as soon as the dialog opens (the button that opened it said "copy").
    #[prop_or_default]
    pub copy_at_once: bool,
    /// Above the field: what the text is, and any choices that change it.
    #[prop_or_default]
    pub children: Html,
    pub on_close: Callback<()>,
}

/// Writes `text` to the clipboard; the promise's outcome as a message.
async fn copy(text: String) -> &'static str {
    let Some(window) = web_sys::window() else { return "" };
    match JsFuture::from(window.navigator().clipboard().write_text(&text)).await {
        Ok(_) => "Copied to the clipboard.",
        Err(_) => "The browser refused the clipboard: the text is selected, press Ctrl+C (⌘C).",
    }
}

/// A `<dialog>` shown modal as soon as it is rendered, and the handlers that tell the page it
/// closed: by a Close button (`MouseEvent`) or by Escape (the dialog's `close` event; a modal
/// dialog closes itself on Escape, and the page must hear of it).
#[hook]
pub fn use_modal(on_close: &Callback<()>) -> (NodeRef, Callback<MouseEvent>, Callback<Event>) {
    let dialog = use_node_ref();
    {
        let dialog = dialog.clone();
        use_effect_with((), move |_| {
            if let Some(d) = dialog.cast::<HtmlDialogElement>() {
                let _ = d.show_modal();
            }
        });
    }
    let (a, b) = (on_close.clone(), on_close.clone());
    (dialog, Callback::from(move |_: MouseEvent| a.emit(())), Callback::from(move |_: Event| b.emit(())))
}

/// The dialog, shown modal as soon as it is rendered; the page removes it on `on_close`.
#[function_component(CopyDialog)]
pub fn copy_dialog(props: &CopyDialogProps) -> Html {
    let (dialog, close, onclose) = use_modal(&props.on_close);
    let field = use_node_ref();
    let status = use_state(|| "");
    {
        let (field, status) = (field.clone(), status.clone());
        let (text, at_once) = (props.text.to_string(), props.copy_at_once);
        use_effect_with((), move |_| {
            if let Some(f) = field.cast::<HtmlTextAreaElement>() {
                f.select();
            }
            if at_once {
                wasm_bindgen_futures::spawn_local(async move { status.set(copy(text).await) });
            }
        });
    }
    let on_copy = {
        let (text, status, field) = (props.text.to_string(), status.clone(), field.clone());
        Callback::from(move |_| {
            if let Some(f) = field.cast::<HtmlTextAreaElement>() {
                f.select();
            }
            let (text, status) = (text.clone(), status.clone());
            wasm_bindgen_futures::spawn_local(async move { status.set(copy(text).await) });
        })
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(f) = e.target_dyn_into::<HtmlTextAreaElement>() {
            f.select();
        }
    });
    html! {
        <dialog ref={dialog} class="copy-dialog" aria-labelledby="copy-dialog-h" {onclose}>
            <h2 id="copy-dialog-h">{&props.title}</h2>
            {props.children.clone()}
            <textarea ref={field} readonly=true rows="4" data-testid={&props.testid} aria-labelledby="copy-dialog-h"
                onfocus={select_all} value={props.text.clone()} />
            <p class="dialog-buttons">
                <button class="primary" onclick={on_copy} data-testid="copy">{"Copy"}</button>
                <button onclick={close} data-testid="dialog-close">{"Close"}</button>
                <span class="status" role="status">{*status}</span>
            </p>
        </dialog>
    }
}
