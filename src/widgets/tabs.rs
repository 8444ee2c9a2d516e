//! A tab strip over one panel (WAI-ARIA tabs: arrow keys, Home and End move between tabs, and
//! only the chosen tab is in the Tab order). It knows nothing of what the tabs show.

use yew::prelude::*;

/// One tab: its name (in ids and test ids) and its label.
pub type Tab = (&'static str, &'static str);

/// A tab strip's tabs, which is chosen, and the chosen one's panel.
#[derive(Properties, PartialEq)]
pub struct TabsProps {
    /// Unique on the page: ids and test ids derive from it (`tab-left-groups`).
    pub id: &'static str,
    /// What the tab list is, for screen readers ("left pane").
    pub label: &'static str,
    pub tabs: Vec<Tab>,
    /// The chosen tab's name.
    pub selected: &'static str,
    /// Called with a tab's name when the user picks it.
    pub on_select: Callback<&'static str>,
    /// The chosen tab's panel.
    pub children: Html,
}

fn tab_id(pane: &str, name: &str) -> String {
    format!("tab-{pane}-{name}")
}

/// The tab strip and the chosen tab's panel.
#[function_component(Tabs)]
pub fn tabs(props: &TabsProps) -> Html {
    let onkeydown = {
        let (tabs, selected, on_select, pane) = (props.tabs.clone(), props.selected, props.on_select.clone(), props.id);
        Callback::from(move |e: KeyboardEvent| {
            let at = tabs.iter().position(|(n, _)| *n == selected).unwrap_or(0);
            let to = match e.key().as_str() {
                "ArrowRight" => (at + 1) % tabs.len(),
                "ArrowLeft" => (at + tabs.len() - 1) % tabs.len(),
                "Home" => 0,
                "End" => tabs.len() - 1,
                _ => return,
            };
            e.prevent_default();
            let name = tabs[to].0;
            on_select.emit(name);
            // The tab already exists: it only changes state, so it can take the focus now.
            let tab =
                web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&tab_id(pane, name)));
            if let Some(el) = tab.and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(t).ok()) {
                let _ = el.focus();
            }
        })
    };
    let panel_id = format!("panel-{}", props.id);
    html! {
        <div class="tabs">
            <div class="tab-strip" role="tablist" aria-label={props.label} {onkeydown}>
                { for props.tabs.iter().map(|&(name, label)| {
                    let chosen = name == props.selected;
                    let onclick = {
                        let cb = props.on_select.clone();
                        Callback::from(move |_| cb.emit(name))
                    };
                    html! {
                        <button role="tab" id={tab_id(props.id, name)} data-testid={tab_id(props.id, name)}
                            aria-selected={chosen.to_string()} aria-controls={panel_id.clone()}
                            tabindex={if chosen { "0" } else { "-1" }} {onclick}>{label}</button>
                    }
                }) }
            </div>
            <div class="tab-panel" role="tabpanel" id={panel_id.clone()}
                aria-labelledby={tab_id(props.id, props.selected)}>
                {props.children.clone()}
            </div>
        </div>
    }
}
