//! The Rebalances view: each group's rebalance timeline (what triggered each rebalance, how long
//! it took, the generation it opened, the partitions revoked and moved, how long each partition
//! went unconsumed), and eager against cooperative rebalancing side by side: this run's setup,
//! seed and actions run again headless with each protocol's assignor.

use crate::app::Action;
use crate::player::{ComparedRun, Comparison, COMPARED};
use std::rc::Rc;
use streamlab_engine::timeline::Rebalance;
use streamlab_engine::Snapshot;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub snapshot: Rc<Snapshot>,
    /// The last comparison of the two protocols, if one was asked for.
    #[prop_or_default]
    pub comparison: Option<Rc<Comparison>>,
    /// Whether a comparison is under way.
    #[prop_or_default]
    pub comparing: bool,
    pub on_action: Callback<Action>,
}

/// A trigger in words, with the setting or request behind it.
pub fn trigger_text(trigger: &str) -> &'static str {
    match trigger {
        "member_joined" => "a member joined",
        "member_rejoined" => "a member rejoined",
        "member_left" => "a member left (LeaveGroup)",
        "session_timeout" => "session timeout (no heartbeat for session.timeout.ms)",
        "poll_timeout" => "poll timeout (no poll() for max.poll.interval.ms)",
        "static_member_replaced" => "a static member was replaced",
        "cooperative_rejoin" => "cooperative second round (KIP-429)",
        "partitions_added" => "partitions added to a subscribed topic",
        "topic_created" => "a subscribed topic was created",
        "topic_deleted" => "a subscribed topic was deleted",
        "pattern_matched" => "a new topic matches the subscribed pattern",
        _ => "other",
    }
}

/// Simulated ms as a reader wants them here: `850 ms`, `3.1 s`, `2 min 5 s`.
pub fn span(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=119_999 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, ms / 1000 % 60),
    }
}

/// Partition names (`topic-N`) in topic, then partition number order.
fn sorted<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<&'a String> {
    let mut v: Vec<&String> = names.into_iter().collect();
    v.sort_by_key(|n| {
        let (topic, p) = n.rsplit_once('-').unwrap_or((n.as_str(), ""));
        (topic.to_string(), p.parse::<u32>().unwrap_or(u32::MAX))
    });
    v
}

/// A point in simulated time: `t = 12.3 s`.
fn at(ms: u64) -> String {
    format!("t = {:.1} s", ms as f64 / 1000.0)
}

/// Totals over a timeline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub rebalances: usize,
    pub revoked: u32,
    pub moved: usize,
    /// Σ over rebalances and partitions of the time each went unconsumed, ms.
    pub unconsumed_ms: u64,
    /// The same without the group's first rebalance, whose gaps are the wait from time 0 for
    /// the first assignment (`group.initial.rebalance.delay.ms` and the join), the same for any
    /// protocol.
    pub unconsumed_after_first_ms: u64,
    /// The longest one partition went unconsumed, ms.
    pub longest_ms: u64,
    /// Σ of the completed rebalances' durations, ms.
    pub rebalancing_ms: u64,
}

pub fn totals(timeline: &[Rebalance]) -> Totals {
    let gaps = || timeline.iter().flat_map(|r| &r.unconsumed_ms).map(|(_, ms)| *ms);
    Totals {
        rebalances: timeline.len(),
        revoked: timeline.iter().map(|r| r.revoked).sum(),
        moved: timeline.iter().map(|r| r.moved.len()).sum(),
        unconsumed_ms: gaps().sum(),
        unconsumed_after_first_ms: timeline.iter().skip(1).flat_map(|r| &r.unconsumed_ms).map(|(_, ms)| *ms).sum(),
        longest_ms: gaps().max().unwrap_or(0),
        rebalancing_ms: timeline.iter().filter_map(|r| Some(r.completed_ms? - r.started_ms)).sum(),
    }
}

#[function_component(RebalancePanel)]
pub fn rebalance_panel(props: &Props) -> Html {
    let now_ms = props.snapshot.now_ms;
    html! {
        <>
        { for props.snapshot.groups.iter().map(|g| {
            let t = totals(&g.timeline);
            let gid = &g.group_id;
            html! {
                <section class="panel rebalances" aria-labelledby={format!("rebalances-{gid}")} data-testid={format!("rebalances-{gid}")}>
                    <h2 id={format!("rebalances-{gid}")}>{format!("Rebalances of group {gid}")}
                        <span class="sub">
                            {format!(" assignors {} · protocol ", g.assignors.join(", "))}<output>{g.rebalance_protocol}</output>
                            {" · "}<output data-testid="rebalance-count">{t.rebalances}</output>{" rebalances · "}
                            <output data-testid="revoked-total">{t.revoked}</output>{" partitions revoked · unconsumed after the first assignment Σ "}
                            <output data-testid="unconsumed-total">{span(t.unconsumed_after_first_ms)}</output>
                        </span>
                    </h2>
                    <p class="hint">{"Newest first. A rebalance runs from the coordinator's PreparingRebalance to the members' new assignment. Revoked: partitions members gave up (eager: all of them; cooperative: only those that move). Unconsumed: per partition assigned, how long nobody had consumed it, from when its owner stopped (revoked, crashed, left, or its last poll()) to its new assignment; the first rebalance's is the wait from t = 0."}</p>
                    <TimeStrip timeline={g.timeline.clone()} {now_ms} />
                    <RebalanceList timeline={g.timeline.clone()} testid={format!("timeline-{gid}")} />
                </section>
            }
        }) }
        <CompareSection comparison={props.comparison.clone()} comparing={props.comparing} {now_ms} on_action={props.on_action.clone()} />
        </>
    }
}

#[derive(Properties, PartialEq)]
struct StripProps {
    timeline: Vec<Rebalance>,
    now_ms: u64,
}

/// The run from 0 to now as a strip, each rebalance a band from its start to its end.
#[function_component(TimeStrip)]
fn time_strip(props: &StripProps) -> Html {
    let end = props.now_ms.max(1) as f64;
    let pct = |ms: u64| (ms as f64 * 100.0 / end).clamp(0.0, 100.0);
    html! {
        <div class="time-strip" role="img"
            aria-label={format!("{} rebalances between t = 0 and {}", props.timeline.len(), at(props.now_ms))}>
            { for props.timeline.iter().enumerate().map(|(i, r)| {
                let stop = r.completed_ms.unwrap_or(props.now_ms);
                let style = format!("left: {:.2}%; width: max(3px, {:.2}%)", pct(r.started_ms), pct(stop) - pct(r.started_ms));
                html! {
                    <span class={classes!("band", r.trigger, r.completed_ms.is_none().then_some("open"))} {style}
                        title={format!("#{} {}: {} → {}", i + 1, trigger_text(r.trigger), at(r.started_ms), r.completed_ms.map_or("now".into(), at))}></span>
                }
            }) }
            <span class="axis-start">{"0 s"}</span><span class="axis-end">{at(props.now_ms)}</span>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ListProps {
    timeline: Vec<Rebalance>,
    testid: String,
    /// Fewer words, for the comparison's narrow columns.
    #[prop_or_default]
    compact: bool,
}

/// The rebalances, newest first.
#[function_component(RebalanceList)]
fn rebalance_list(props: &ListProps) -> Html {
    if props.timeline.is_empty() {
        return html! { <p class="empty" data-testid={props.testid.clone()}>{"No rebalance yet."}</p> };
    }
    let longest = props.timeline.iter().flat_map(|r| &r.unconsumed_ms).map(|(_, ms)| *ms).max().unwrap_or(0).max(1);
    html! {
        <ol class={classes!("timeline", props.compact.then_some("compact"))} data-testid={props.testid.clone()}>
            { for props.timeline.iter().enumerate().rev().map(|(i, r)| {
                let took = match r.completed_ms {
                    Some(c) => format!("{} → {} ({})", at(r.started_ms), at(c), span(c - r.started_ms)),
                    None => format!("{} → in progress", at(r.started_ms)),
                };
                let moved = sorted(&r.moved).into_iter().map(String::as_str).collect::<Vec<_>>().join(", ");
                let mut gaps: Vec<&(String, u64)> = r.unconsumed_ms.iter().collect();
                let order = sorted(r.unconsumed_ms.iter().map(|(p, _)| p));
                gaps.sort_by_key(|(p, _)| order.iter().position(|o| *o == p));
                let generation = match r.generation {
                    Some(g) => format!("generation {} → {g}", r.from_generation),
                    None => format!("generation {} → …", r.from_generation),
                };
                html! {
                    <li class="rebalance" data-trigger={r.trigger} data-testid="rebalance">
                        <div class="rb-head">
                            <span class="rb-n">{format!("#{}", i + 1)}</span>
                            <strong class="rb-trigger" title={r.trigger}>{trigger_text(r.trigger)}</strong>
                        </div>
                        <div class="rb-facts">
                            <span>{took}</span>{" · "}<span>{generation}</span>{" · "}
                            <span>{"revoked "}<output class="rb-revoked">{r.revoked}</output></span>{" · "}
                            <span title={moved.clone()}>{format!("moved {}", r.moved.len())}
                                if !props.compact && !r.moved.is_empty() { {format!(" ({moved})")} }
                            </span>
                        </div>
                        if !r.unconsumed_ms.is_empty() && !props.compact {
                            <ul class="unconsumed" aria-label="how long each partition went unconsumed">
                                { for gaps.iter().enumerate().map(|(k, (p, ms))| html! {
                                    <li>
                                        // A partition listed twice went unconsumed again after this
                                        // rebalance and got an owner back without a new one: a
                                        // static member that came back within its session.
                                        <span class="p">{p}
                                            if gaps[..k].iter().any(|(q, _)| q == p) {
                                                <span class="later" title="unconsumed again after this rebalance, until its owner was back without a new rebalance (a static member's restart, KIP-345)">{" later"}</span>
                                            }
                                        </span>
                                        <span class="bar-track"><span class="bar" style={format!("width: {:.1}%", *ms as f64 * 100.0 / longest as f64)}></span></span>
                                        <span class="ms">{span(*ms)}</span>
                                    </li>
                                }) }
                            </ul>
                        } else if !r.unconsumed_ms.is_empty() {
                            <div class="rb-facts">{format!("unconsumed Σ {} over {} partitions",
                                span(r.unconsumed_ms.iter().map(|(_, ms)| ms).sum()), r.unconsumed_ms.len())}</div>
                        }
                    </li>
                }
            }) }
        </ol>
    }
}

#[derive(Properties, PartialEq)]
struct CompareProps {
    comparison: Option<Rc<Comparison>>,
    comparing: bool,
    now_ms: u64,
    on_action: Callback<Action>,
}

/// Eager against cooperative: the buttons that run the comparison, its totals and its two
/// timelines side by side.
#[function_component(CompareSection)]
fn compare_section(props: &CompareProps) -> Html {
    let run = |to_end: bool| {
        let cb = props.on_action.clone();
        Callback::from(move |_| cb.emit(Action::CompareProtocols { to_end }))
    };
    let body = props.comparison.as_ref().map(|c| {
        let where_to = match c.until_ms {
            Some(t) if t == props.now_ms => format!("Both ran to {}, where this run stands", at(t)),
            Some(t) => format!("Both ran to {}; this run has moved on to {}: compare again to catch up", at(t), at(props.now_ms)),
            None => "Both ran to the end of the input (or of the scenario)".to_string(),
        };
        let where_to = if c.took_ms > 0.0 { format!("{where_to}, in {}.", span(c.took_ms.round() as u64)) } else { format!("{where_to}.") };
        let ok: Vec<Option<&ComparedRun>> = c.runs.iter().map(|r| r.as_ref().ok()).collect();
        let cell = |f: &dyn Fn(&ComparedRun) -> String, side: usize, testid: &str| match ok.get(side).copied().flatten() {
            Some(r) => html! { <td class="num" data-testid={format!("{testid}-{}", r.protocol)}>{f(r)}</td> },
            None => html! { <td>{"–"}</td> },
        };
        let all = |r: &ComparedRun| totals(&r.groups.iter().flat_map(|(_, t)| t.iter().cloned()).collect::<Vec<_>>());
        // Each group's first rebalance is the wait for the first assignment, the same both ways.
        let later =
            |r: &ComparedRun| totals(&r.groups.iter().flat_map(|(_, t)| t.iter().skip(1).cloned()).collect::<Vec<_>>());
        let row = |label: &str, f: &dyn Fn(&ComparedRun) -> String, testid: &str| html! {
            <tr><th scope="row">{label}</th>{cell(f, 0, testid)}{cell(f, 1, testid)}</tr>
        };
        html! {
            <>
            <p class="hint" data-testid="compare-where">{where_to}</p>
            <table class="compare-totals">
                <thead><tr><th></th>
                    { for COMPARED.iter().map(|(protocol, class)| html! {
                        <th scope="col" class="num" title={*class}>{format!("{protocol} ({})", class.rsplit('.').next().unwrap_or(class))}</th>
                    }) }
                </tr></thead>
                <tbody>
                    {row("rebalances", &|r| all(r).rebalances.to_string(), "compare-rebalances")}
                    {row("partitions revoked", &|r| r.revoked().to_string(), "compare-revoked")}
                    {row("partitions moved", &|r| all(r).moved.to_string(), "compare-moved")}
                    {row("time in rebalances, Σ", &|r| span(all(r).rebalancing_ms), "compare-rebalancing")}
                    {row("unconsumed after the first assignment, Σ over partitions", &|r| span(later(r).unconsumed_ms), "compare-unconsumed")}
                    {row("longest one partition went unconsumed, after the first assignment", &|r| span(later(r).longest_ms), "compare-longest")}
                    {row("trace hash", &|r| format!("{:016x}", r.trace_hash), "compare-hash")}
                </tbody>
            </table>
            <div class="compare-columns">
                { for c.runs.iter().zip(COMPARED.iter()).map(|(r, (protocol, class))| html! {
                    <div class="compare-column" data-testid={format!("compare-{protocol}")}>
                        <h3>{format!("{protocol}: ")}<code>{class.rsplit('.').next().unwrap_or(class)}</code></h3>
                        { match r {
                            Ok(r) => html! { <>
                                { for r.refused.iter().map(|e| html! { <p class="error">{format!("skipped: {e}")}</p> }) }
                                { for r.groups.iter().map(|(g, t)| html! { <>
                                    if r.groups.len() > 1 { <h4>{format!("group {g}")}</h4> }
                                    <RebalanceList timeline={t.clone()} testid={format!("compare-timeline-{protocol}")} compact=true />
                                </> }) }
                            </> },
                            Err(e) => html! { <p class="error" role="alert">{e}</p> },
                        } }
                    </div>
                }) }
            </div>
            </>
        }
    });
    html! {
        <section class="panel compare" aria-labelledby="compare-h">
            <h2 id="compare-h">{"Eager vs cooperative, side by side"}</h2>
            <p class="hint">{"Runs this run again twice, without drawing it: the same stream, settings, seed and your actions at their times, once with RangeAssignor (eager: every member revokes all its partitions at each rebalance) and once with CooperativeStickyAssignor (cooperative, KIP-429: only the partitions that move are revoked, and assigned in a second round). Compare what each revokes and how long the partitions that move wait. Your run is left as it is."}</p>
            <p class="compare-buttons">
                <button onclick={run(false)} disabled={props.comparing} data-testid="compare-now">{format!("Compare to now ({})", at(props.now_ms))}</button>
                <button onclick={run(true)} disabled={props.comparing} data-testid="compare-end">{"Compare to the end"}</button>
                if props.comparing {
                    <span role="status" class="comparing" data-testid="comparing">{"Running both …"}</span>
                }
            </p>
            {body.unwrap_or_default()}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebalance(started_ms: u64, completed_ms: Option<u64>, revoked: u32, gaps: &[u64]) -> Rebalance {
        Rebalance {
            trigger: "member_joined",
            from_generation: 0,
            generation: completed_ms.map(|_| 1),
            started_ms,
            completed_ms,
            revoked,
            moved: vec!["t-0".into()],
            unconsumed_ms: gaps.iter().enumerate().map(|(i, ms)| (format!("t-{i}"), *ms)).collect(),
        }
    }

    #[test]
    fn totals_add_up_the_timeline() {
        let t = totals(&[rebalance(0, Some(3_000), 0, &[3_000, 3_000]), rebalance(10_000, None, 2, &[500])]);
        assert_eq!(
            t,
            Totals {
                rebalances: 2,
                revoked: 2,
                moved: 2,
                unconsumed_ms: 6_500,
                unconsumed_after_first_ms: 500,
                longest_ms: 3_000,
                rebalancing_ms: 3_000
            }
        );
        assert_eq!(totals(&[]), Totals::default());
    }

    #[test]
    fn partitions_sort_by_number() {
        let names: Vec<String> = ["t-10", "t-2", "a-b-1", "t-0"].map(String::from).to_vec();
        assert_eq!(sorted(&names), ["a-b-1", "t-0", "t-2", "t-10"]);
    }

    #[test]
    fn spans_read_well() {
        assert_eq!(span(850), "850 ms");
        assert_eq!(span(3_140), "3.1 s");
        assert_eq!(span(125_000), "2 min 5 s");
        assert_eq!(trigger_text("poll_timeout"), "poll timeout (no poll() for max.poll.interval.ms)");
    }
}
