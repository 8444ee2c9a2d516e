//! The course index (`?course`): the modules of `exercises/course.json` in order, each exercise
//! with its title and the learner's state (not started, tried, solved). Titles are plain text;
//! an exercise file that does not load or check shows its error in its place.

use crate::fetch;
use crate::progress::{Progress, State};
use std::collections::BTreeMap;
use streamlab_engine::exercise::{Course, Exercise};
use yew::prelude::*;

/// An exercise of the index: its title, or why it could not be read.
type Entry = Result<String, String>;

#[derive(Debug, Clone, PartialEq)]
enum Loaded {
    Loading,
    Failed(String),
    Ready(Course, BTreeMap<String, Entry>),
}

async fn load() -> Loaded {
    let course = match fetch::text("exercises/course.json").await {
        Ok(text) => match Course::from_json(text.as_bytes()) {
            Ok(c) => c,
            Err(e) => return Loaded::Failed(format!("exercises/course.json: {e}")),
        },
        Err(e) => return Loaded::Failed(format!("Could not load {e}")),
    };
    let mut entries = BTreeMap::new();
    for id in course.modules.iter().flat_map(|m| &m.exercises) {
        // Ids were checked by Course::from_json: plain names, so the path stays in exercises/.
        let entry = match fetch::text(&format!("exercises/{id}.json")).await {
            Ok(text) => Exercise::from_json(text.as_bytes()).map(|e| e.title).map_err(|e| e.to_string()),
            Err(e) => Err(format!("could not load {e}")),
        };
        entries.insert(id.clone(), entry);
    }
    Loaded::Ready(course, entries)
}

/// What the course index shows besides the course.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// What was wrong with the page's address, one message per field.
    pub notices: Vec<String>,
}

/// The course index page: it fetches the course and every exercise's title when it opens.
#[function_component(CourseIndex)]
pub fn course_index(props: &Props) -> Html {
    let loaded = use_state(|| Loaded::Loading);
    let progress = use_memo((), |_| Progress::load());
    {
        let loaded = loaded.clone();
        use_effect_with((), move |_| wasm_bindgen_futures::spawn_local(async move { loaded.set(load().await) }));
    }
    let body = match &*loaded {
        Loaded::Loading => html! { <p role="status">{"Loading the course …"}</p> },
        Loaded::Failed(e) => html! { <p class="error" role="alert" data-testid="course-error">{e}</p> },
        Loaded::Ready(course, entries) => {
            let total = entries.len();
            let solved = entries.keys().filter(|id| progress.get(id) == State::Solved).count();
            html! { <>
                <h1>{&course.title}</h1>
                <p class="tagline">{format!("{solved} of {total} exercises solved. Progress is kept in this browser only.")}</p>
                <ol class="modules">
                    { for course.modules.iter().map(|m| html! {
                        <li class="module">
                            <h2>{&m.title}</h2>
                            <ol class="exercises">
                                { for m.exercises.iter().map(|id| {
                                    let state = progress.get(id);
                                    let entry = entries.get(id).cloned().unwrap_or_else(|| Err("not loaded".into()));
                                    html! {
                                        <li class={classes!("exercise-entry", state.name().replace(' ', "-"))} data-testid={format!("course-{id}")}>
                                            <span class="state" data-testid={format!("state-{id}")}>{state.name()}</span>
                                            { match entry {
                                                Ok(title) => html! { <a href={format!("?exercise={id}")}>{title}</a> },
                                                Err(e) => html! { <span class="error">{format!("{id}: {e}")}</span> },
                                            } }
                                        </li>
                                    }
                                }) }
                            </ol>
                        </li>
                    }) }
                </ol>
            </> }
        }
    };
    html! {
        <div class="app course">
            <nav class="crumbs"><a href="./">{"← Playground"}</a></nav>
            { for props.notices.iter().map(|n| html! { <p class="error notice" role="alert" data-testid="notice">{n}</p> }) }
            {body}
        </div>
    }
}
