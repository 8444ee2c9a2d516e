//! The learner's progress through the course, kept in the browser's localStorage under
//! `streamlab.progress` as `{"<exercise id>": "tried" | "solved"}`. What is stored there is
//! untrusted (another page version, a hand edit): entries that do not read are ignored.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The localStorage key.
pub const STORAGE_KEY: &str = "streamlab.progress";

/// Where a learner stands with one exercise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    NotStarted,
    /// Opened and worked on (a setting changed, an action taken, or a Check that failed).
    Tried,
    /// The goal was met at least once.
    Solved,
}

impl State {
    /// The word the course index shows, and the stored value (`not started` is never stored).
    pub fn name(self) -> &'static str {
        match self {
            State::NotStarted => "not started",
            State::Tried => "tried",
            State::Solved => "solved",
        }
    }
}

/// Every exercise's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress(BTreeMap<String, State>);

impl Progress {
    /// Reads the stored JSON; anything unreadable counts as not started.
    pub fn parse(json: &str) -> Progress {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) else { return Progress::default() };
        Progress(
            map.into_iter()
                .filter_map(|(id, v)| match v.as_str() {
                    Some("tried") => Some((id, State::Tried)),
                    Some("solved") => Some((id, State::Solved)),
                    _ => None,
                })
                .collect(),
        )
    }

    /// The JSON to store.
    pub fn to_json(&self) -> String {
        let map: Map<String, Value> = self.0.iter().map(|(id, s)| (id.clone(), s.name().into())).collect();
        Value::Object(map).to_string()
    }

    /// The state of exercise `id`.
    pub fn get(&self, id: &str) -> State {
        self.0.get(id).copied().unwrap_or(State::NotStarted)
    }

    /// Raises exercise `id` to `state`; a solved exercise stays solved. Returns whether it changed.
    pub fn raise(&mut self, id: &str, state: State) -> bool {
        if state > self.get(id) {
            self.0.insert(id.to_string(), state);
            true
        } else {
            false
        }
    }

    /// The stored progress (empty where localStorage is unavailable).
    pub fn load() -> Progress {
        storage()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .map_or_else(Progress::default, |j| Progress::parse(&j))
    }

    /// Raises exercise `id` to `state` in storage, re-reading it first so that another tab's
    /// progress is kept.
    pub fn record(id: &str, state: State) -> Progress {
        let mut p = Progress::load();
        if p.raise(id, state) {
            if let Some(s) = storage() {
                // A full or refused storage loses the progress, not the exercise.
                let _ = s.set_item(STORAGE_KEY, &p.to_json());
            }
        }
        p
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_never_goes_back() {
        let mut p = Progress::default();
        assert_eq!(p.get("keys-1"), State::NotStarted);
        assert!(p.raise("keys-1", State::Tried));
        assert!(p.raise("keys-1", State::Solved));
        assert!(!p.raise("keys-1", State::Tried));
        assert!(p.raise("scale-1", State::Tried));
        assert_eq!(p.to_json(), r#"{"keys-1":"solved","scale-1":"tried"}"#);
        assert_eq!(Progress::parse(&p.to_json()), p);
    }

    #[test]
    fn unreadable_storage_counts_as_not_started() {
        for bad in ["", "[]", "{", "null", "\"solved\"", r#"{"a": 1, "b": "done", "c": null}"#] {
            assert_eq!(Progress::parse(bad), Progress::default(), "{bad}");
        }
        assert_eq!(Progress::parse(r#"{"a": "solved", "b": 7}"#).get("a"), State::Solved);
    }
}
