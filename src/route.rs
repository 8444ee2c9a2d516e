//! What the page's address asks for: the playground, an embedding (`?embed=`), the course index
//! (`?course`) or an exercise (`?exercise=ID`), and how to start (`autoplay`, `speed`). The query
//! string is untrusted input: each bad field gives an error naming it, and the page goes on with
//! that field's default. It knows nothing of the simulation.

use crate::player::{Speed, SPEEDS};
use crate::views::ViewId;
use streamlab_engine::exercise::check_id;

/// The longest query string read, in bytes: far more than any link the page makes.
pub const MAX_QUERY_BYTES: usize = 2048;

/// Which page the address asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Page {
    /// The full playground.
    Playground,
    /// Only these views, with a small control bar, for an `<iframe>` in another page.
    Embed(Vec<ViewId>),
    /// The list of the course's modules and exercises.
    Course,
    /// One exercise, by id (its file is `exercises/<id>.json`).
    Exercise(String),
}

/// The page's address, read.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub page: Page,
    /// Start playing at once (`autoplay=1`).
    pub autoplay: bool,
    /// The speed to start at (`speed=10`, `speed=max`).
    pub speed: Option<Speed>,
    /// What was wrong with the address, one message per bad field, each starting with the
    /// field's name.
    pub errors: Vec<String>,
}

/// `value` shortened for an error message, so that a hostile URL cannot fill the screen.
fn quoted(value: &str) -> String {
    const MAX_CHARS: usize = 40;
    if value.chars().count() > MAX_CHARS {
        format!("\"{}…\"", value.chars().take(MAX_CHARS).collect::<String>())
    } else {
        format!("\"{value}\"")
    }
}

fn parse_views(value: &str, errors: &mut Vec<String>) -> Vec<ViewId> {
    let mut views = vec![];
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match ViewId::from_name(name) {
            // A view shown twice would only repeat itself.
            Some(v) if !views.contains(&v) => views.push(v),
            Some(_) => {}
            None => errors.push(format!(
                "embed: there is no view named {}; the views are {}",
                quoted(name),
                ViewId::all_names()
            )),
        }
    }
    if views.is_empty() && errors.is_empty() {
        errors.push(format!("embed: names no view; name one or more of {}, comma-separated", ViewId::all_names()));
    }
    views
}

fn parse_flag(field: &str, value: &str, errors: &mut Vec<String>) -> bool {
    match value {
        "" | "1" | "true" => true,
        "0" | "false" => false,
        other => {
            errors.push(format!("{field}: must be 1 or 0, got {}", quoted(other)));
            false
        }
    }
}

fn parse_speed(value: &str, errors: &mut Vec<String>) -> Option<Speed> {
    if value == "max" {
        return Some(Speed::Max);
    }
    match value.parse::<f64>() {
        Ok(s) if SPEEDS.contains(&s) => Some(Speed::Times(s)),
        _ => {
            let allowed = SPEEDS.map(|s| s.to_string()).join(", ");
            errors.push(format!("speed: must be one of {allowed} or max, got {}", quoted(value)));
            None
        }
    }
}

fn parse_exercise_id(value: &str, errors: &mut Vec<String>) -> Option<String> {
    // The id becomes a path on this site: only a plain name may, never `../` or another host.
    match check_id("exercise", value) {
        Ok(()) => Some(value.to_string()),
        Err(e) => {
            errors.push(e.to_string());
            None
        }
    }
}

/// Reads a query string (`location.search`, with or without its `?`). Fields it does not know
/// are left alone, as a page embedding it may add its own.
pub fn parse(search: &str) -> Route {
    let mut route = Route { page: Page::Playground, autoplay: false, speed: None, errors: vec![] };
    let query = search.strip_prefix('?').unwrap_or(search);
    if query.len() > MAX_QUERY_BYTES {
        route.errors.push(format!(
            "the address's query is {} bytes long, the most read is {MAX_QUERY_BYTES}; it was ignored",
            query.len()
        ));
        return route;
    }
    // As a browser's URLSearchParams reads it: `+` is a space, a malformed `%` escape stays as
    // it is, and bytes that are not UTF-8 become U+FFFD (so a bad value is named, then refused).
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        let errors = &mut route.errors;
        match key.as_ref() {
            "embed" => route.page = Page::Embed(parse_views(&value, errors)),
            "course" => route.page = Page::Course,
            "exercise" => {
                if let Some(id) = parse_exercise_id(&value, errors) {
                    route.page = Page::Exercise(id);
                }
            }
            "autoplay" => route.autoplay = parse_flag("autoplay", &value, errors),
            "speed" => route.speed = parse_speed(&value, errors),
            _ => {}
        }
    }
    route
}

/// The query string of an embedding of `views` (`?embed=groups,events`).
pub fn embed_query(views: &[ViewId]) -> String {
    format!("?embed={}", views.iter().map(|v| v.name()).collect::<Vec<_>>().join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_playground() {
        for q in ["", "?", "?utm_source=docs", "?&&"] {
            assert_eq!(parse(q), Route { page: Page::Playground, autoplay: false, speed: None, errors: vec![] }, "{q}");
        }
    }

    #[test]
    fn embed_lists_views_in_order_once_each() {
        let r = parse("?embed=groups,%20events,groups&autoplay=1&speed=10");
        assert_eq!(r.page, Page::Embed(vec![ViewId::Groups, ViewId::Events]));
        assert!(r.autoplay);
        assert_eq!(r.speed, Some(Speed::Times(10.0)));
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(embed_query(&[ViewId::Groups, ViewId::Events]), "?embed=groups,events");
        assert_eq!(parse(&embed_query(&ViewId::ALL)).page, Page::Embed(ViewId::ALL.to_vec()));
    }

    #[test]
    fn an_unknown_view_is_named_with_the_allowed_ones() {
        let r = parse("?embed=groups,lagg");
        assert_eq!(r.page, Page::Embed(vec![ViewId::Groups]));
        assert_eq!(
            r.errors,
            vec!["embed: there is no view named \"lagg\"; the views are partitions, cluster, groups, windows, outcomes, producer, lag, events, rebalances, tools, guarantees, store, pipeline"]
        );
        let r = parse("?embed=");
        assert_eq!(r.page, Page::Embed(vec![]));
        assert!(r.errors[0].starts_with("embed: names no view"), "{:?}", r.errors);
        let r = parse("?embed=%3Cscript%3Ealert(1)%3C/script%3E");
        assert!(r.errors[0].contains("\"<script>alert(1)</script>\""), "{:?}", r.errors);
    }

    #[test]
    fn exercise_ids_cannot_leave_the_exercises_folder() {
        assert_eq!(parse("?exercise=keys-1").page, Page::Exercise("keys-1".into()));
        for bad in ["../index", "%2F%2Fevil.example%2Fx", "a.json", "Keys", "a_b", "", &"x".repeat(65)] {
            let r = parse(&format!("?exercise={bad}"));
            assert_eq!(r.page, Page::Playground, "{bad}");
            assert!(r.errors[0].starts_with("exercise: "), "{:?}", r.errors);
        }
    }

    #[test]
    fn bad_fields_are_named_and_fall_back() {
        let r = parse("?speed=3&autoplay=yes&course");
        assert_eq!((r.page, r.autoplay, r.speed), (Page::Course, false, None));
        assert_eq!(r.errors.len(), 2);
        assert!(r.errors[0].starts_with("speed: must be one of 0.25, 0.5, 1, 2, 5, 10, 50 or max"), "{:?}", r.errors);
        assert!(r.errors[1].starts_with("autoplay: "), "{:?}", r.errors);
        assert!(parse("?embed=%FF").errors[0].starts_with("embed: there is no view named \"\u{FFFD}\""));
        assert!(parse("?embed=%4").errors[0].starts_with("embed: there is no view named \"%4\""));
        let long = parse(&format!("?embed={}", "x".repeat(5000)));
        assert_eq!(long.page, Page::Playground);
        assert!(long.errors[0].contains("the most read is 2048"), "{:?}", long.errors);
        let r = parse(&format!("?embed={}", "y".repeat(500)));
        assert!(r.errors[0].len() < 240, "{:?}", r.errors);
    }

    #[test]
    fn the_embed_example_page_asks_for_valid_embeddings() {
        let page = include_str!("../static/embed-example.html");
        let srcs: Vec<&str> =
            page.split("<iframe").skip(1).filter_map(|f| f.split("src=\"").nth(1)?.split('"').next()).collect();
        assert_eq!(srcs.len(), 3);
        for src in srcs {
            let src = src.replace("&amp;", "&");
            let (query, fragment) = src.trim_start_matches("./").split_once('#').expect("a share fragment");
            let route = parse(query);
            assert!(matches!(route.page, Page::Embed(_)) && route.errors.is_empty(), "{src}: {:?}", route.errors);
            let state = streamlab_engine::share::decode(fragment).unwrap_or_else(|e| panic!("{src}: {e}"));
            state.setup.validate().unwrap();
        }
    }
}
