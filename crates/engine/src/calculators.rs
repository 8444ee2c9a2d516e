//! The calculators behind `streamlab partition`, `streamlab assign`, `streamlab windows` and
//! the page's Tools panel: which partition a key goes to and who gets which partition, exactly
//! as Kafka's Java client computes them, and which windows a record falls in, as Kafka Streams
//! computes them. They take the user's input and return errors that name the argument, the
//! allowed form and the value given.

use crate::consumer::assignors::{self, Strategy, Subscription};
use crate::ids::{KeyId, RecordId};
use crate::producer::partitioner::{murmur2, partition_for_hash};
use crate::streams::{Aggregation, Payload, WindowedAggregator, Windows};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// A calculator's input was not valid: the message names the argument and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CalcError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, CalcError> {
    Err(CalcError(msg.into()))
}

/// Most partitions a topic may have in a calculator (Kafka has no hard limit; this bounds work).
pub const MAX_PARTITIONS: u32 = 1_000_000;

/// One key's partition: `{"key": "...", "murmur2": <signed 32-bit>, "partition": <int>}`, the key as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyPartition {
    pub key: String,
    pub murmur2: i32,
    pub partition: u32,
}

/// Decodes hex (either case, even length); the empty string is the empty key.
pub fn decode_hex(s: &str) -> Result<Vec<u8>, CalcError> {
    if !s.len().is_multiple_of(2) {
        return err(format!("key \"{s}\": hex needs an even number of digits, got {}", s.len()));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(s.get(i..i + 2).unwrap_or(""), 16)
                .map_err(|_| CalcError(format!("key \"{s}\": not hex (0-9, a-f) at character {}", i + 1)))
        })
        .collect()
}

/// The partition of each key, in input order, as `BuiltInPartitioner.partitionForKey`:
/// `toPositive(murmur2(key)) % partitions`. With `key_hex` each key is its bytes in hex.
/// Errors: `partitions` outside 1..=[`MAX_PARTITIONS`], or a key that is not hex.
pub fn partition_keys(keys: &[String], key_hex: bool, partitions: u32) -> Result<Vec<KeyPartition>, CalcError> {
    if !(1..=MAX_PARTITIONS).contains(&partitions) {
        return err(format!("--partitions: must be between 1 and {MAX_PARTITIONS}, got {partitions}"));
    }
    keys.iter()
        .map(|k| {
            let bytes = if key_hex { decode_hex(k)? } else { k.as_bytes().to_vec() };
            let h = murmur2(&bytes);
            Ok(KeyPartition { key: k.clone(), murmur2: h, partition: partition_for_hash(h, partitions) })
        })
        .collect()
}

/// A group member for [`assign`]: its member id, the topics it subscribes to (maybe none) and
/// its `group.instance.id` if static.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberSpec {
    pub id: String,
    pub topics: Vec<String>,
    pub group_instance_id: Option<String>,
}

/// `NAME:PARTITIONS`, e.g. `orders:6`.
pub fn parse_topic(s: &str) -> Result<(String, u32), CalcError> {
    let (name, n) = s
        .rsplit_once(':')
        .ok_or_else(|| CalcError(format!("--topic: expected NAME:PARTITIONS, e.g. orders:6, got \"{s}\"")))?;
    if name.is_empty() {
        return err(format!("--topic: the topic name is empty in \"{s}\""));
    }
    let n: u32 = n.parse().map_err(|_| {
        CalcError(format!("--topic {name}: partitions must be a number from 1 to {MAX_PARTITIONS}, got \"{n}\""))
    })?;
    if !(1..=MAX_PARTITIONS).contains(&n) {
        return err(format!("--topic {name}: partitions must be between 1 and {MAX_PARTITIONS}, got {n}"));
    }
    Ok((name.to_string(), n))
}

/// `ID` (subscribes to nothing) or `ID=TOPIC,TOPIC...`.
pub fn parse_member(s: &str) -> Result<MemberSpec, CalcError> {
    let (id, topics) = match s.split_once('=') {
        Some((id, t)) => (id, t.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect()),
        None => (s, vec![]),
    };
    if id.is_empty() {
        return err(format!("--member: the member id is empty in \"{s}\""));
    }
    Ok(MemberSpec { id: id.to_string(), topics, group_instance_id: None })
}

/// `MEMBER_ID=GROUP_INSTANCE_ID`.
pub fn parse_instance(s: &str) -> Result<(String, String), CalcError> {
    match s.split_once('=') {
        Some((m, i)) if !m.is_empty() && !i.is_empty() => Ok((m.to_string(), i.to_string())),
        _ => err(format!("--instance: expected MEMBER_ID=GROUP_INSTANCE_ID, got \"{s}\"")),
    }
}

/// `topic-partition`, split at the last `-` (topic names may contain `-`).
pub fn parse_topic_partition(s: &str) -> Result<(String, u32), CalcError> {
    s.rsplit_once('-')
        .and_then(|(t, p)| Some((t.to_string(), p.parse().ok()?)))
        .filter(|(t, _)| !t.is_empty())
        .ok_or_else(|| CalcError(format!("expected \"topic-partition\", e.g. \"orders-3\", got \"{s}\"")))
}

/// A member's previous assignment: owned partitions and the generation they were owned in
/// (`None` for `-1`, Kafka's `DEFAULT_GENERATION`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Previous {
    pub generation: Option<i32>,
    pub partitions: Vec<(String, u32)>,
}

/// The generation given to every member of the plain-list form of `--previous`.
pub const LIST_FORM_GENERATION: i32 = 1;

/// Parses `--previous`: `{"member": ["t-0", ...]}` (one generation for all, [`LIST_FORM_GENERATION`])
/// or `{"member": {"generation": G, "partitions": [...]}}` with `G = -1` for none.
pub fn parse_previous(json: &str) -> Result<BTreeMap<String, Previous>, CalcError> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| CalcError(format!("--previous: not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| CalcError("--previous: expected an object mapping member ids to partitions".into()))?;
    let list = |member: &str, v: &serde_json::Value| -> Result<Vec<(String, u32)>, CalcError> {
        v.as_array()
            .ok_or_else(|| CalcError(format!("--previous.{member}: expected a list of \"topic-partition\" strings")))?
            .iter()
            .map(|p| {
                let s = p.as_str().ok_or_else(|| {
                    CalcError(format!("--previous.{member}: expected \"topic-partition\" strings, got {p}"))
                })?;
                parse_topic_partition(s).map_err(|e| CalcError(format!("--previous.{member}: {e}")))
            })
            .collect()
    };
    let mut out = BTreeMap::new();
    for (member, v) in obj {
        let prev = match v {
            serde_json::Value::Array(_) => {
                Previous { generation: Some(LIST_FORM_GENERATION), partitions: list(member, v)? }
            }
            serde_json::Value::Object(o) => {
                let g = o.get("generation").and_then(|g| g.as_i64()).ok_or_else(|| {
                    CalcError(format!("--previous.{member}.generation: expected an integer (-1 for none)"))
                })?;
                let generation = match g {
                    -1 => None,
                    0..=0x7fff_ffff => Some(g as i32),
                    _ => return err(format!("--previous.{member}.generation: must be -1 or 0 to 2147483647, got {g}")),
                };
                let partitions =
                    list(member, o.get("partitions").unwrap_or(&serde_json::Value::Null)).map_err(|e| {
                        CalcError(
                            e.0.replace(&format!("--previous.{member}:"), &format!("--previous.{member}.partitions:")),
                        )
                    })?;
                Previous { generation, partitions }
            }
            _ => {
                return err(format!(
                    "--previous.{member}: expected a list of partitions or {{\"generation\": G, \"partitions\": [...]}}"
                ))
            }
        };
        out.insert(member.clone(), prev);
    }
    Ok(out)
}

/// Most members an [`assign`] call takes (a bound on work; real groups are far smaller).
pub const MAX_MEMBERS: usize = 1_000;

/// Most partitions, over all topics, an [`assign`] call takes: the sticky assignors' general
/// path, like Kafka's, does work in proportion to partitions times members, several times over.
pub const MAX_ASSIGN_PARTITIONS: u64 = 10_000;

/// What one call of the strategy's assignor returns: every member id mapped to its partitions as
/// `"topic-partition"` strings sorted by topic, then partition number (`[]` when it gets none).
/// For `cooperative-sticky` that excludes partitions that must first be revoked elsewhere.
/// `previous` entries of members not in `members` are ignored (those members left the group).
/// Errors: no topic or member, more than [`MAX_MEMBERS`] members or [`MAX_ASSIGN_PARTITIONS`]
/// partitions, a duplicate topic or member, a subscription or `--instance` naming an unknown
/// topic or member, two members with one `group.instance.id`, a previous partition of a topic not
/// given or beyond its partition count.
pub fn assign(
    strategy: Strategy,
    topics: &[(String, u32)],
    members: &[MemberSpec],
    previous: &BTreeMap<String, Previous>,
) -> Result<BTreeMap<String, Vec<String>>, CalcError> {
    if topics.is_empty() {
        return err("--topic: give at least one topic, NAME:PARTITIONS");
    }
    if members.is_empty() {
        return err("--member: give at least one member, ID=TOPIC,TOPIC");
    }
    if members.len() > MAX_MEMBERS {
        return err(format!("--member: at most {MAX_MEMBERS} members, got {}", members.len()));
    }
    let mut partitions = BTreeMap::new();
    for (t, n) in topics {
        if partitions.insert(t.clone(), *n).is_some() {
            return err(format!("--topic {t}: given twice"));
        }
    }
    let total: u64 = partitions.values().map(|&n| u64::from(n)).sum();
    if total > MAX_ASSIGN_PARTITIONS {
        return err(format!("--topic: at most {MAX_ASSIGN_PARTITIONS} partitions in all topics together, got {total}"));
    }
    let mut subs = BTreeMap::new();
    let mut instances = BTreeSet::new();
    for m in members {
        for t in &m.topics {
            if !partitions.contains_key(t) {
                return err(format!("--member {}: topic \"{t}\" is not given by --topic", m.id));
            }
        }
        if let Some(i) = &m.group_instance_id {
            if !instances.insert(i.clone()) {
                return err(format!("--instance {}={i}: another member has group.instance.id \"{i}\"", m.id));
            }
        }
        let prev = previous.get(&m.id).cloned().unwrap_or_default();
        for (t, p) in &prev.partitions {
            match partitions.get(t) {
                None => return err(format!("--previous.{}: {t}-{p}: topic \"{t}\" is not given by --topic", m.id)),
                Some(&n) if *p >= n => {
                    return err(format!(
                        "--previous.{}: {t}-{p}: topic \"{t}\" has {n} partitions (0 to {})",
                        m.id,
                        n - 1
                    ))
                }
                Some(_) => {}
            }
        }
        let sub = Subscription {
            topics: m.topics.clone(),
            owned_partitions: prev.partitions,
            generation_id: prev.generation,
            group_instance_id: m.group_instance_id.clone(),
        };
        if subs.insert(m.id.clone(), sub).is_some() {
            return err(format!("--member {}: given twice", m.id));
        }
    }
    let out = assignors::assign(strategy, &partitions, &subs);
    Ok(out
        .into_iter()
        .map(|(m, mut ps)| {
            ps.sort();
            (m, ps.into_iter().map(|(t, p)| format!("{t}-{p}")).collect())
        })
        .collect())
}

/// Attaches `--instance MEMBER_ID=GROUP_INSTANCE_ID` pairs to their members.
/// Errors: an instance for a member not given by `--member`.
pub fn attach_instances(members: &mut [MemberSpec], instances: &[(String, String)]) -> Result<(), CalcError> {
    for (m, i) in instances {
        match members.iter_mut().find(|x| &x.id == m) {
            Some(x) => x.group_instance_id = Some(i.clone()),
            None => return err(format!("--instance {m}={i}: no --member {m}")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_keys_and_text_keys_hash_the_same_bytes() {
        let a = partition_keys(&["abc".into()], false, 6).unwrap();
        let b = partition_keys(&["616263".into()], true, 6).unwrap();
        assert_eq!(a[0].murmur2, b[0].murmur2);
        assert_eq!(partition_keys(&["".into()], true, 3).unwrap()[0].murmur2, murmur2(&[]));
        assert!(partition_keys(&["6".into()], true, 3).unwrap_err().0.contains("even"));
        assert!(partition_keys(&["zz".into()], true, 3).unwrap_err().0.contains("not hex"));
        assert!(partition_keys(&[], false, 0).unwrap_err().0.contains("got 0"));
    }

    #[test]
    fn assign_names_the_argument_at_fault() {
        let topics = vec![("t".to_string(), 3)];
        let member = |spec: &str| parse_member(spec).unwrap();
        let none = BTreeMap::new();
        let a = assign(Strategy::Range, &topics, &[member("a=t"), member("b")], &none).unwrap();
        assert_eq!(a["a"], ["t-0", "t-1", "t-2"]);
        assert!(a["b"].is_empty());
        assert!(assign(Strategy::Range, &[], &[member("a=t")], &none).unwrap_err().0.starts_with("--topic"));
        assert!(assign(Strategy::Range, &topics, &[], &none).unwrap_err().0.starts_with("--member"));
        let e = assign(Strategy::Range, &topics, &[member("a=u")], &none).unwrap_err();
        assert_eq!(e.0, "--member a: topic \"u\" is not given by --topic");
        let many = vec![("t".to_string(), 9_000), ("u".to_string(), 2_000)];
        assert!(assign(Strategy::Range, &many, &[member("a=t")], &none).unwrap_err().0.contains("got 11000"));
        let previous = parse_previous(r#"{"a": ["t-3"]}"#).unwrap();
        let e = assign(Strategy::Sticky, &topics, &[member("a=t")], &previous).unwrap_err();
        assert_eq!(e.0, "--previous.a: t-3: topic \"t\" has 3 partitions (0 to 2)");
        let previous = parse_previous(r#"{"a": ["u-0"], "gone": ["t-0"]}"#).unwrap();
        let e = assign(Strategy::Sticky, &topics, &[member("a=t")], &previous).unwrap_err();
        assert_eq!(e.0, "--previous.a: u-0: topic \"u\" is not given by --topic");
    }

    #[test]
    fn previous_takes_both_forms() {
        let p =
            parse_previous(r#"{"a": ["my-topic-0", "t-2"], "b": {"generation": -1, "partitions": ["t-1"]}}"#).unwrap();
        assert_eq!(p["a"].partitions, vec![("my-topic".into(), 0), ("t".into(), 2)]);
        assert_eq!(p["a"].generation, Some(LIST_FORM_GENERATION));
        assert_eq!(p["b"].generation, None);
        assert!(parse_previous(r#"{"a": ["t"]}"#).unwrap_err().0.contains("--previous.a"));
        assert!(parse_previous(r#"{"a": {"partitions": []}}"#).unwrap_err().0.contains("generation"));
    }
}

/// A window in the calculator's answer: `{"start": s, "end": e}`, ms; `end` is exclusive for
/// time windows and inclusive for sliding and session windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WindowBounds {
    pub start: u64,
    pub end: u64,
}

/// The time windows one timestamp falls in: `{"timestamp": t, "windows": [{"start", "end"}, ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimestampWindows {
    pub timestamp: u64,
    pub windows: Vec<WindowBounds>,
}

/// A final sliding window or session and how many of the timestamps it holds:
/// `{"start": s, "end": e, "count": n}`, bounds inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CountedWindow {
    pub start: u64,
    pub end: u64,
    pub count: u64,
}

/// The answer of `streamlab windows`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WindowsAnswer {
    /// Tumbling and hopping: one entry per timestamp, in the order given.
    PerTimestamp(Vec<TimestampWindows>),
    /// Session windows: the final sessions, by start (`{"sessions": [...]}`).
    Sessions(Vec<CountedWindow>),
    /// Sliding windows: the final windows, by start (`{"windows": [...]}`).
    Sliding(Vec<CountedWindow>),
}

/// Most timestamps one calculation takes.
pub const MAX_TIMESTAMPS: usize = 100_000;

/// Which windows the timestamps `at` (ms, one key, in arrival order) fall in, by Kafka
/// Streams' rules ([`crate::streams`]). With `grace` given, stream time advances with the
/// timestamps, and windows (or records) Kafka Streams would drop as late are left out; without
/// it nothing is late. `windows`'s own grace is ignored. Errors name the parameter, its range
/// and the value.
pub fn windows(windows: Windows, grace_ms: Option<u64>, at: &[u64]) -> Result<WindowsAnswer, CalcError> {
    let flag = |name: &str| match name {
        "size_ms" | "advance_ms" => match windows.name() {
            "hopping" => "--hopping SIZE,ADVANCE",
            _ => "--tumbling SIZE",
        },
        "time_difference_ms" => "--sliding DIFFERENCE",
        "inactivity_gap_ms" => "--session GAP",
        _ => "--grace",
    };
    let w = windows.with_grace(grace_ms.unwrap_or(0));
    w.validate().map_err(|(name, msg)| CalcError(format!("{} ({name}): {msg}", flag(name))))?;
    if at.is_empty() || at.len() > MAX_TIMESTAMPS {
        return err(format!("--at: give 1 to {MAX_TIMESTAMPS} timestamps, got {}", at.len()));
    }
    // No grace given: a grace no stream time can pass.
    let w = if grace_ms.is_none() { w.with_grace(u64::MAX) } else { w };
    if let Windows::Time { size_ms, .. } = w {
        let mut stream_time = 0;
        let out = at
            .iter()
            .map(|&t| {
                stream_time = stream_time.max(t);
                let windows = w
                    .windows_for(t)
                    .map(|start| WindowBounds { start, end: start + size_ms })
                    .filter(|b| w.accepts(b.end, stream_time))
                    .collect();
                TimestampWindows { timestamp: t, windows }
            })
            .collect();
        return Ok(WindowsAnswer::PerTimestamp(out));
    }
    let mut app = WindowedAggregator::new(w, Aggregation::Count, 1);
    for (i, &t) in at.iter().enumerate() {
        app.process(0, RecordId(i as u64), KeyId(0), t, Payload::None, 0.0);
    }
    let found =
        app.windows_of(KeyId(0)).map(|a| CountedWindow { start: a.start_ms, end: a.end_ms, count: a.count }).collect();
    Ok(match w {
        Windows::Session { .. } => WindowsAnswer::Sessions(found),
        _ => WindowsAnswer::Sliding(found),
    })
}
