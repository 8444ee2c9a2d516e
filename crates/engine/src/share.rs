//! Share links: the whole state of a playground run (its setup, the user's commands with their
//! times, and the time it stands at) as a short URL-fragment-safe string, and back. Opening a
//! link replays the run to the same time, which gives the same trace hash.
//!
//! The string is `v1.` then the state's JSON, deflated (miniz_oxide) and base64url-encoded
//! without padding. A link is untrusted input: [`decode`] caps its size, packed and unpacked,
//! and checks every field, naming it in its error.

use crate::scenario::ScenarioError;
use crate::session::{check_commands, Setup, TimedCommand};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// The longest encoded state [`decode`] reads, in bytes (characters).
pub const MAX_ENCODED_BYTES: usize = 64 * 1024;
/// The largest state JSON [`decode`] unpacks, in bytes.
pub const MAX_JSON_BYTES: usize = 1 << 20;
const PREFIX: &str = "v1.";

/// A run's state: the setup it started from (with an exercise's scripted commands in
/// `setup.commands`), the commands the user applied (with their times, in order), and the
/// simulated time it stands at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedState {
    /// The exercise the run belongs to, if any (its id in `static/exercises/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exercise: Option<String>,
    pub setup: Setup,
    #[serde(default)]
    pub commands: Vec<TimedCommand>,
    /// Simulated time to replay to, ms (at most the scenario's `run_ms`).
    pub at_ms: u64,
}

/// Why a link could not be read. Nothing was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("share link: {0}")]
pub struct ShareError(pub String);

impl From<ScenarioError> for ShareError {
    fn from(e: ScenarioError) -> Self {
        ShareError(e.to_string())
    }
}

/// The state as a URL-fragment-safe string (`v1.` + base64url of the deflated JSON).
pub fn encode(state: &SharedState) -> String {
    let json = serde_json::to_vec(state).expect("a shared state always serializes");
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("{PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(packed))
}

/// Reads a string [`encode`] made, checking it whole: at most [`MAX_ENCODED_BYTES`] long and
/// [`MAX_JSON_BYTES`] unpacked, valid JSON of a [`SharedState`] (errors name the field path:
/// `share link: setup.settings.partitions: ...`), a valid setup, commands in time order, and
/// `at_ms` within the run.
pub fn decode(s: &str) -> Result<SharedState, ShareError> {
    let fail = |m: String| Err(ShareError(m));
    if s.len() > MAX_ENCODED_BYTES {
        return fail(format!("must be at most {MAX_ENCODED_BYTES} characters, got {}", s.len()));
    }
    let Some(body) = s.strip_prefix(PREFIX) else {
        return fail(format!("must start with \"{PREFIX}\" (the link format's version)"));
    };
    let packed = match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(body) {
        Ok(p) => p,
        Err(e) => return fail(format!("is not base64url: {e}")),
    };
    let json = match miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON_BYTES) {
        Ok(j) => j,
        Err(e) if e.status == miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
            return fail(format!("unpacks to more than {MAX_JSON_BYTES} bytes"))
        }
        Err(e) => return fail(format!("is not deflate data ({})", e.status as i32)),
    };
    let Ok(json) = std::str::from_utf8(&json) else { return fail("is not UTF-8 text once unpacked".into()) };
    let de = &mut serde_json::Deserializer::from_str(json);
    let state: SharedState = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        ShareError(format!("{path}: {}", e.into_inner()))
    })?;
    let scenario = state.setup.validate().map_err(|e| ShareError(format!("setup.{e}")))?;
    check_commands(&state.commands, "commands", scenario.run_ms)?;
    if state.at_ms > scenario.run_ms {
        return fail(format!("at_ms: must be between 0 and run_ms ({}), got {}", scenario.run_ms, state.at_ms));
    }
    if let Some(last) = state.commands.last().filter(|c| c.at_ms > state.at_ms) {
        return fail(format!("commands: the last is at {} ms, after at_ms ({})", last.at_ms, state.at_ms));
    }
    if let Some(id) = &state.exercise {
        crate::exercise::check_id("exercise", id).map_err(|e| ShareError(e.to_string()))?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Script;
    use crate::{Command, Datasets, Preset, SimTime};

    fn state() -> SharedState {
        let mut setup = Setup::preset(Preset::Iot);
        setup.settings.insert("partitions".into(), 4.into());
        SharedState {
            exercise: None,
            setup,
            commands: vec![TimedCommand {
                at_ms: 12_000,
                command: Command::CrashConsumer { client_id: "consumer-g1-1".into() },
            }],
            at_ms: 20_000,
        }
    }

    #[test]
    fn round_trips_and_replays_to_the_same_hash() {
        let s = state();
        let link = encode(&s);
        assert!(link.len() < 200, "{}", link.len());
        assert!(link.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)), "{link}");
        let back = decode(&link).unwrap();
        assert_eq!(back, s);
        let replay = |s: &SharedState| {
            let mut sim = s.setup.build(&Datasets::default()).unwrap();
            Script::new(s.setup.commands.iter().chain(&s.commands).cloned())
                .run_until(&mut sim, SimTime(s.at_ms))
                .unwrap();
            sim.trace_hash()
        };
        assert_eq!(replay(&back), replay(&s));
    }

    #[test]
    fn bad_links_are_refused_with_the_reason() {
        let e = |s: &str| decode(s).unwrap_err().to_string();
        assert_eq!(e("x"), "share link: must start with \"v1.\" (the link format's version)");
        assert!(e("v1.***").starts_with("share link: is not base64url"));
        assert!(e("v1.AAAA").starts_with("share link: is not deflate data"));
        assert!(e(&"v1.A".repeat(40_000)).starts_with("share link: must be at most 65536 characters"));
        let bomb = miniz_oxide::deflate::compress_to_vec(&vec![b' '; MAX_JSON_BYTES + 1], 9);
        let bomb = format!("v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bomb));
        assert_eq!(e(&bomb), format!("share link: unpacks to more than {MAX_JSON_BYTES} bytes"));
        let pack = |json: &str| {
            let p = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
            format!("v1.{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(p))
        };
        assert!(e(&pack(r#"{"setup":{"start":{"preset":"iot"},"settings":{"partitions":0}},"at_ms":0}"#))
            .starts_with("share link: setup.settings.partitions: topics[0].partitions: must be between 1 and 1024"));
        assert!(e(&pack(r#"{"setup":{"start":{"preset":"lava"}},"at_ms":0}"#))
            .starts_with("share link: setup.start.preset: unknown variant"));
        assert_eq!(
            e(&pack(r#"{"setup":{"start":{"preset":"iot"}},"at_ms":70000}"#)),
            "share link: at_ms: must be between 0 and run_ms (60000), got 70000"
        );
        let mut late = state();
        late.at_ms = 5_000;
        assert_eq!(e(&encode(&late)), "share link: commands: the last is at 12000 ms, after at_ms (5000)");
    }
}
