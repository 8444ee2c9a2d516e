//! `streamlab partition`, `streamlab assign` and `streamlab windows` as a user runs them: Kafka's
//! murmur2 values, binary and empty keys, each assignor, static members, previous assignments
//! with generations, Kafka Streams' windows with and without grace, and the errors for bad input.

mod common;
use common::streamlab;

use serde_json::{json, Value};
use std::path::PathBuf;

/// The command's stdout, which must succeed.
fn ok(args: &[&str]) -> String {
    let (success, out, err) = streamlab(args);
    assert!(success, "streamlab {args:?} failed: {err}");
    out
}

/// The command's stderr, which must fail without a panic.
fn fails(args: &[&str]) -> String {
    let (success, out, err) = streamlab(args);
    assert!(!success, "streamlab {args:?} succeeded: {out}");
    assert!(!err.contains("panicked"), "streamlab {args:?} panicked: {err}");
    err
}

/// `partition`'s JSON lines.
fn lines(args: &[&str]) -> Vec<Value> {
    ok(args).lines().map(|l| serde_json::from_str(l).expect("one JSON object per line")).collect()
}

fn assign(args: &[&str]) -> Value {
    let mut all = vec!["assign"];
    all.extend_from_slice(args);
    let out = ok(&all);
    assert_eq!(out.lines().count(), 1, "one line: {out}");
    serde_json::from_str(&out).expect("one JSON object")
}

/// A `--previous` file with these contents.
fn previous(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("streamlab-calculators-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn partition_matches_kafka_murmur2_for_text_keys() {
    // Kafka's UtilsTest.testMurmur2 vectors; partition = toPositive(murmur2) % 12.
    let keys = [
        ("21", -973_932_308, 0),
        ("foobar", -790_332_482, 6),
        ("a-little-bit-long-string", -985_981_536, 8),
        ("a-little-bit-longer-string", -1_486_304_829, 11),
        ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971, 5),
        ("abc", 479_470_107, 3),
    ];
    let mut args = vec!["partition", "--partitions", "12"];
    args.extend(keys.iter().map(|k| k.0));
    let out = lines(&args);
    assert_eq!(out.len(), keys.len());
    for (line, (key, murmur2, partition)) in out.iter().zip(keys) {
        assert_eq!(line, &json!({"key": key, "murmur2": murmur2, "partition": partition}));
    }
    // Input order is kept, repeats included.
    let out = lines(&["partition", "--partitions", "7", "abc", "21", "abc"]);
    let order: Vec<&str> = out.iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(order, ["abc", "21", "abc"]);
    assert_eq!(out[0]["partition"], 4);
    assert_eq!(out[1]["partition"], 3);
}

#[test]
fn partition_takes_binary_and_empty_keys_as_hex() {
    // murmur2 of the bytes, as Kafka's Utils.murmur2 computes it: not valid UTF-8, so they can
    // only be given in hex.
    let out =
        lines(&["partition", "--partitions", "12", "--key-hex", "ff00fe80", "c328", "00", "", "616263", "FF00FE80"]);
    assert_eq!(out[0], json!({"key": "ff00fe80", "murmur2": -404_874_816, "partition": 8}));
    assert_eq!(out[1], json!({"key": "c328", "murmur2": -1_070_552_300, "partition": 0}));
    assert_eq!(out[2], json!({"key": "00", "murmur2": 375_494_588, "partition": 8}));
    // The empty key (a record with a key of zero bytes, not a null key).
    assert_eq!(out[3], json!({"key": "", "murmur2": 275_646_681, "partition": 9}));
    // The same bytes as the text key "abc".
    assert_eq!(out[4], json!({"key": "616263", "murmur2": 479_470_107, "partition": 3}));
    assert_eq!(out[5]["murmur2"], out[0]["murmur2"], "hex is case-insensitive");
    // The empty text key hashes the same zero bytes.
    assert_eq!(lines(&["partition", "--partitions", "12", ""])[0]["murmur2"], 275_646_681);
}

#[test]
fn partition_text_format_is_the_table() {
    let out = ok(&["partition", "--partitions", "12", "--format", "text", "21", "abc"]);
    assert_eq!(
        out,
        "21\tmurmur2 -973932308\ttoPositive 1173551340\tpartition 0\n\
         abc\tmurmur2 479470107\ttoPositive 479470107\tpartition 3\n"
    );
    let out = ok(&["partition", "--partitions", "3", "--format", "text", "--key-hex", "ff00fe80"]);
    assert_eq!(out, "ff00fe80\tmurmur2 -404874816\ttoPositive 1742608832\tpartition 2\n");
}

#[test]
fn partition_errors_name_the_argument() {
    let err = fails(&["partition", "--partitions", "0", "a"]);
    assert!(err.contains("--partitions: must be between 1 and 1000000, got 0"), "{err}");
    let err = fails(&["partition", "--partitions", "3", "--key-hex", "abc"]);
    assert!(err.contains("key \"abc\": hex needs an even number of digits, got 3"), "{err}");
    let err = fails(&["partition", "--partitions", "3", "--key-hex", "zz"]);
    assert!(err.contains("key \"zz\": not hex"), "{err}");
    let err = fails(&["partition", "--partitions", "3", "--format", "xml", "a"]);
    assert!(err.contains("--format"), "{err}");
}

#[test]
fn assign_range_and_roundrobin_with_a_member_without_topics() {
    let args = ["--topic", "t0:3", "t1:3", "--member", "C0=t0,t1", "--member", "C1=t0,t1", "--member", "idle"];
    let range = assign(&[&["--strategy", "range"], &args[..]].concat());
    assert_eq!(range, json!({"C0": ["t0-0", "t0-1", "t1-0", "t1-1"], "C1": ["t0-2", "t1-2"], "idle": []}));
    let rr = assign(&[&["--strategy", "roundrobin"], &args[..]].concat());
    assert_eq!(rr, json!({"C0": ["t0-0", "t0-2", "t1-1"], "C1": ["t0-1", "t1-0", "t1-2"], "idle": []}));
    // The class name works as well.
    let by_class = assign(&[&["--strategy", "org.apache.kafka.clients.consumer.RangeAssignor"], &args[..]].concat());
    assert_eq!(by_class, range);
}

#[test]
fn assign_sticky_and_cooperative_sticky_from_scratch() {
    // StickyAssignor's Javadoc, example 1, plus a member subscribing to nothing.
    let topics = ["--topic", "t0:2", "t1:2", "t2:2", "t3:2"];
    let members = ["--member", "C0=t0,t1,t2,t3", "C1=t0,t1,t2,t3", "C2=t0,t1,t2,t3"];
    for strategy in ["sticky", "cooperative-sticky"] {
        let run = |idle: &str| assign(&[&["--strategy", strategy], &topics[..], &members[..], &[idle]].concat());
        assert_eq!(
            run("spare"),
            json!({"C0": ["t0-0", "t1-1", "t3-0"], "C1": ["t0-1", "t2-0", "t3-1"], "C2": ["t1-0", "t2-1"], "spare": []}),
            "{strategy}"
        );
        // Kafka's allSubscriptionsEqual compares each subscription with the first non-empty one
        // in the leader's HashMap, where "idle" comes before C0, C1 and C2 ("spare" after them):
        // so it takes the equal-subscriptions path and deals two partitions to each of the four
        // members, idle included. The port does the same.
        assert_eq!(
            run("idle"),
            json!({"C0": ["t0-0", "t2-0"], "C1": ["t0-1", "t2-1"], "C2": ["t1-0", "t3-0"], "idle": ["t1-1", "t3-1"]}),
            "{strategy}"
        );
    }
}

#[test]
fn assign_static_members_sort_by_group_instance_id() {
    let args = ["--topic", "t:3", "--member", "consumer-a=t", "--member", "consumer-b=t"];
    let dynamic = assign(&[&["--strategy", "range"], &args[..]].concat());
    assert_eq!(dynamic, json!({"consumer-a": ["t-0", "t-1"], "consumer-b": ["t-2"]}));
    // A static member comes before a dynamic one whatever the member ids.
    let one = assign(&[&["--strategy", "range", "--instance", "consumer-b=i1"], &args[..]].concat());
    assert_eq!(one, json!({"consumer-a": ["t-2"], "consumer-b": ["t-0", "t-1"]}));
    // Static members sort by instance id.
    let both = assign(
        &[&["--strategy", "roundrobin", "--instance", "consumer-a=i2", "--instance", "consumer-b=i1"], &args[..]]
            .concat(),
    );
    assert_eq!(both, json!({"consumer-a": ["t-1"], "consumer-b": ["t-0", "t-2"]}));
}

#[test]
fn assign_with_a_previous_assignment() {
    let args = ["--topic", "t:3", "--member", "c1=t", "--member", "c2=t"];
    // c1 owned everything in generation 1; c2 is new.
    let prev = previous("all-to-c1.json", r#"{"c1": {"generation": 1, "partitions": ["t-0", "t-1", "t-2"]}}"#);
    let prev = prev.to_str().unwrap();
    let sticky = assign(&[&["--strategy", "sticky", "--previous", prev], &args[..]].concat());
    assert_eq!(sticky, json!({"c1": ["t-0", "t-1"], "c2": ["t-2"]}));
    // Cooperative: t-2 is left out until c1 has revoked it (the next rebalance gives it to c2).
    let cooperative = assign(&[&["--strategy", "cooperative-sticky", "--previous", prev], &args[..]].concat());
    assert_eq!(cooperative, json!({"c1": ["t-0", "t-1"], "c2": []}));
    let next = previous(
        "next.json",
        r#"{"c1": {"generation": 2, "partitions": ["t-0", "t-1"]}, "c2": {"generation": 2, "partitions": []}}"#,
    );
    let next =
        assign(&[&["--strategy", "cooperative-sticky", "--previous", next.to_str().unwrap()], &args[..]].concat());
    assert_eq!(next, sticky);
    // Range ignores the previous assignment.
    let range = assign(&[&["--strategy", "range", "--previous", prev], &args[..]].concat());
    assert_eq!(range, json!({"c1": ["t-0", "t-1"], "c2": ["t-2"]}));

    // Two claims on t-0: the higher generation keeps it. The plain list form is generation 1.
    let claims =
        previous("claims.json", r#"{"c1": ["t-0"], "c2": {"generation": 5, "partitions": ["t-0"]}, "gone": ["t-1"]}"#);
    let claims = claims.to_str().unwrap();
    let sticky = assign(&[&["--strategy", "sticky", "--previous", claims], &args[..]].concat());
    assert_eq!(sticky["c2"][0], "t-0", "{sticky}");
    // The same claims without a generation (-1): the one in generation 1 wins.
    let stale = previous("stale.json", r#"{"c1": ["t-0"], "c2": {"generation": -1, "partitions": ["t-0"]}}"#);
    let stale = assign(&[&["--strategy", "sticky", "--previous", stale.to_str().unwrap()], &args[..]].concat());
    assert!(stale["c1"].as_array().unwrap().contains(&json!("t-0")), "{stale}");
}

#[test]
fn assign_errors_name_the_argument_and_value() {
    let base = ["assign", "--strategy", "range"];
    let run = |extra: &[&str]| fails(&[&base[..], extra].concat());
    let err = run(&["--topic", "orders", "--member", "a=orders"]);
    assert!(err.contains("--topic: expected NAME:PARTITIONS, e.g. orders:6, got \"orders\""), "{err}");
    let err = run(&["--topic", "orders:six", "--member", "a=orders"]);
    assert!(err.contains("--topic orders: partitions must be a number from 1 to 1000000, got \"six\""), "{err}");
    let err = run(&["--topic", "orders:0", "--member", "a=orders"]);
    assert!(err.contains("--topic orders: partitions must be between 1 and 1000000, got 0"), "{err}");
    let err = run(&["--topic", "orders:6", "--member", "a=payments"]);
    assert!(err.contains("--member a: topic \"payments\" is not given by --topic"), "{err}");
    let err = run(&["--topic", "orders:6", "--topic", "orders:3", "--member", "a=orders"]);
    assert!(err.contains("--topic orders: given twice"), "{err}");
    let err = run(&["--topic", "orders:6", "--member", "a=orders", "--member", "a"]);
    assert!(err.contains("--member a: given twice"), "{err}");
    let err = run(&["--topic", "orders:6", "--member", "a=orders", "--instance", "b=i1"]);
    assert!(err.contains("--instance b=i1: no --member b"), "{err}");
    let err = run(&["--topic", "orders:6", "--member", "a=orders", "b", "--instance", "a=i", "--instance", "b=i"]);
    assert!(err.contains("--instance b=i: another member has group.instance.id \"i\""), "{err}");
    let err = run(&["--topic", "orders:9000", "payments:2000", "--member", "a=orders"]);
    assert!(err.contains("--topic: at most 10000 partitions in all topics together, got 11000"), "{err}");
    let err = fails(&["assign", "--strategy", "fastest", "--topic", "orders:6", "--member", "a"]);
    assert!(err.contains("'fastest' for '--strategy <STRATEGY>'"), "{err}");
    assert!(err.contains("expected range, roundrobin, sticky or cooperative-sticky"), "{err}");

    // --previous: a missing file, not JSON, the wrong shape, a bad partition.
    let err = run(&["--topic", "orders:6", "--member", "a=orders", "--previous", "/nonexistent/previous.json"]);
    assert!(err.contains("--previous /nonexistent/previous.json: cannot read the file"), "{err}");
    let bad = [
        ("not-json.json", "{\"a\": [", "--previous: not JSON"),
        ("array.json", "[\"orders-0\"]", "--previous: expected an object mapping member ids to partitions"),
        ("number.json", "{\"a\": [3]}", "--previous.a: expected \"topic-partition\" strings, got 3"),
        (
            "no-dash.json",
            "{\"a\": [\"orders\"]}",
            "--previous.a: expected \"topic-partition\", e.g. \"orders-3\", got \"orders\"",
        ),
        (
            "no-generation.json",
            "{\"a\": {\"partitions\": []}}",
            "--previous.a.generation: expected an integer (-1 for none)",
        ),
        (
            "beyond.json",
            "{\"a\": [\"orders-6\"]}",
            "--previous.a: orders-6: topic \"orders\" has 6 partitions (0 to 5)",
        ),
        (
            "unknown.json",
            "{\"a\": [\"payments-0\"]}",
            "--previous.a: payments-0: topic \"payments\" is not given by --topic",
        ),
    ];
    for (name, contents, message) in bad {
        let path = previous(name, contents);
        let path = path.to_str().unwrap();
        let err = run(&["--topic", "orders:6", "--member", "a=orders", "--previous", path]);
        assert!(err.contains(message), "{name}: {err}");
    }
}

/// `streamlab windows ARGS`: its JSON lines.
fn windows(args: &[&str]) -> Vec<Value> {
    lines(&[&["windows"], args].concat())
}

/// `streamlab windows ARGS` for sessions or sliding windows: its one JSON object.
fn windows_one(args: &[&str]) -> Value {
    let out = windows(args);
    assert_eq!(out.len(), 1, "one line: {out:?}");
    out.into_iter().next().unwrap()
}

/// The expected line for a time-window timestamp: `{"timestamp": t, "windows": [...]}`.
fn at(t: u64, windows: &[(u64, u64)]) -> Value {
    json!({"timestamp": t, "windows": windows.iter().map(|&(s, e)| json!({"start": s, "end": e})).collect::<Vec<_>>()})
}

/// `[{"start", "end", "count"}, ...]`.
fn counted(windows: &[(u64, u64, u64)]) -> Value {
    windows.iter().map(|&(s, e, c)| json!({"start": s, "end": e, "count": c})).collect()
}

#[test]
fn windows_tumbling_one_line_per_timestamp_in_order() {
    // Epoch-aligned 15-minute windows; the end is exclusive. The lines keep the order given.
    let out = windows(&["--tumbling", "15m", "--at", "1h", "0", "899999", "900000"]);
    assert_eq!(
        out,
        [
            at(3_600_000, &[(3_600_000, 4_500_000)]),
            at(0, &[(0, 900_000)]),
            at(899_999, &[(0, 900_000)]),
            at(900_000, &[(900_000, 1_800_000)]),
        ]
    );
    // The DSL guide: [0;5000),[5000;10000),... and not [1452;6452),...
    let out = windows(&["--tumbling", "5000", "--at", "1452", "6452"]);
    assert_eq!(out, [at(1452, &[(0, 5000)]), at(6452, &[(5000, 10000)])]);
    // TimeWindowsTest: size 12, t = 21 → [12,24).
    assert_eq!(windows(&["--tumbling", "12", "--at", "21"]), [at(21, &[(12, 24)])]);
}

#[test]
fn windows_hopping_one_line_per_timestamp() {
    // TimeWindowsTest: size 12, advance 5 → [10,22), [15,27), [20,32) for t = 21.
    let out = windows(&["--hopping", "12,5", "--at", "21", "7"]);
    assert_eq!(out, [at(21, &[(10, 22), (15, 27), (20, 32)]), at(7, &[(0, 12), (5, 17)])]);
    // The DSL guide: size 5000, advance 3000 → [0;5000),[3000;8000),...
    let out = windows(&["--hopping", "5s,3s", "--at", "1452", "6452", "3000"]);
    assert_eq!(
        out,
        [at(1452, &[(0, 5000)]), at(6452, &[(3000, 8000), (6000, 11000)]), at(3000, &[(0, 5000), (3000, 8000)])]
    );
    // Units: 5 minutes advancing by 1 minute; 7 min is in five windows.
    let m = 60_000;
    let out = windows(&["--hopping", "5m,1m", "--at", "7m"]);
    assert_eq!(out, [at(7 * m, &[(3 * m, 8 * m), (4 * m, 9 * m), (5 * m, 10 * m), (6 * m, 11 * m), (7 * m, 12 * m)])]);
    // ADVANCE = SIZE is tumbling.
    assert_eq!(windows(&["--hopping", "10,10", "--at", "15"]), [at(15, &[(10, 20)])]);
}

#[test]
fn windows_sliding_prints_the_final_windows() {
    // The SlidingWindows javadoc: difference 5000, records at 8000, 9200, 12400.
    let javadoc = json!({"windows": counted(&[
        (3000, 8000, 1), (4200, 9200, 2), (7400, 12400, 3), (8001, 13001, 2), (9201, 14201, 1),
    ])});
    assert_eq!(windows_one(&["--sliding", "5000", "--at", "8000", "9200", "12400"]), javadoc);
    assert_eq!(windows_one(&["--sliding", "5s", "--at", "8s", "9200", "12400ms"]), javadoc);
    // KStreamSlidingWindowAggregateTest.testAggregateSmallInput: difference 10.
    let out = windows_one(&["--sliding", "10", "--at", "10", "15", "20", "22", "30"]);
    let expected = counted(&[
        (0, 10, 1),
        (5, 15, 2),
        (10, 20, 3),
        (11, 21, 2),
        (12, 22, 3),
        (16, 26, 2),
        (20, 30, 3),
        (21, 31, 2),
        (23, 33, 1),
    ]);
    assert_eq!(out, json!({"windows": expected}));
}

#[test]
fn windows_session_prints_the_merged_sessions() {
    // The SessionWindows javadoc: gap 5; 10, 12, 20 are two sessions, 16 merges them.
    let out = windows_one(&["--session", "5", "--at", "10", "12", "20"]);
    assert_eq!(out, json!({"sessions": counted(&[(10, 12, 2), (20, 20, 1)])}));
    let out = windows_one(&["--session", "5", "--at", "10", "12", "20", "16"]);
    assert_eq!(out, json!({"sessions": counted(&[(10, 20, 4)])}));
    // The DSL guide's blue key, gap 5 minutes: 2 and 5 min are one session, 11 min another.
    let out = windows_one(&["--session", "5m", "--at", "2m", "5m", "11m"]);
    assert_eq!(out, json!({"sessions": counted(&[(120_000, 300_000, 2), (660_000, 660_000, 1)])}));
    // The gap is inclusive: GAP_MS merges, GAP_MS + 1 does not.
    let out = windows_one(&["--session", "5m", "--at", "0", "300000", "600001"]);
    assert_eq!(out, json!({"sessions": counted(&[(0, 300_000, 2), (600_001, 600_001, 1)])}));
}

#[test]
fn windows_tumbling_grace_leaves_out_late_records() {
    // Size 10, grace 5: when 2 comes, stream time is 15 and [0,10) has closed.
    let args = ["--tumbling", "10", "--at", "3", "14", "9", "15", "2"];
    let no_grace = windows(&args);
    assert_eq!(no_grace[4], at(2, &[(0, 10)]), "without --grace nothing is late");
    let out = windows(&[&args[..], &["--grace", "5"]].concat());
    assert_eq!(out, [at(3, &[(0, 10)]), at(14, &[(10, 20)]), at(9, &[(0, 10)]), at(15, &[(10, 20)]), at(2, &[])]);
    // With grace 6 it is still open.
    let out = windows(&[&args[..], &["--grace", "6"]].concat());
    assert_eq!(out[4], at(2, &[(0, 10)]));
}

#[test]
fn windows_hopping_grace_leaves_out_closed_windows() {
    // KStreamWindowAggregateTest: size 10, advance 5, grace 90; after 100 the close time is 10,
    // so [0,10) is closed: 0 is dropped, 5 and 6 are kept in [5,15) only.
    let out = windows(&["--hopping", "10,5", "--grace", "90", "--at", "100", "0", "5", "6", "105"]);
    assert_eq!(
        out,
        [
            at(100, &[(95, 105), (100, 110)]),
            at(0, &[]),
            at(5, &[(5, 15)]),
            at(6, &[(5, 15)]),
            at(105, &[(100, 110), (105, 115)]),
        ]
    );
    let out = windows(&["--hopping", "10,5", "--at", "100", "0", "5", "6", "105"]);
    assert_eq!(out[1], at(0, &[(0, 10)]));
    assert_eq!(out[2], at(5, &[(0, 10), (5, 15)]));
}

#[test]
fn windows_sliding_grace_leaves_out_late_records() {
    // Difference 10, grace 5: after 100 the close time is 95; 95 is kept (ends are inclusive),
    // 84 (84 + 10 < 95) is dropped whole.
    let out = windows_one(&["--sliding", "10", "--grace", "5", "--at", "100", "95", "84"]);
    assert_eq!(out, json!({"windows": counted(&[(85, 95, 1), (90, 100, 2), (96, 106, 1)])}));
    let out = windows_one(&["--sliding", "10", "--at", "100", "95", "84"]);
    assert_eq!(out, json!({"windows": counted(&[(74, 84, 1), (85, 95, 1), (90, 100, 2), (96, 106, 1)])}));
}

#[test]
fn windows_session_grace_leaves_out_late_records() {
    // KStreamSessionWindowAggregateProcessorTest: gap 10. Grace 0: at stream time 11 the close
    // time is 1 and a record at 0 is dropped. Grace 1: accepted at 11, dropped at 12.
    let out = windows_one(&["--session", "10", "--grace", "0", "--at", "0", "11", "0"]);
    assert_eq!(out, json!({"sessions": counted(&[(0, 0, 1), (11, 11, 1)])}));
    let out = windows_one(&["--session", "10", "--grace", "1", "--at", "0", "11", "0"]);
    assert_eq!(out, json!({"sessions": counted(&[(0, 0, 2), (11, 11, 1)])}));
    let out = windows_one(&["--session", "10", "--grace", "1", "--at", "0", "12", "0"]);
    assert_eq!(out, json!({"sessions": counted(&[(0, 0, 1), (12, 12, 1)])}));
    let out = windows_one(&["--session", "10", "--at", "0", "12", "0"]);
    assert_eq!(out, json!({"sessions": counted(&[(0, 0, 2), (12, 12, 1)])}));
    // A late record that merges into an open session is kept: 1 bridges [0,0] and [11,11].
    let out = windows_one(&["--session", "10", "--grace", "0", "--at", "0", "11", "1"]);
    assert_eq!(out, json!({"sessions": counted(&[(0, 11, 3)])}));
}

#[test]
fn windows_errors_name_the_flag() {
    let run = |args: &[&str]| fails(&[&["windows"], args].concat());
    let err = run(&["--hopping", "10,0", "--at", "1"]);
    assert!(err.contains("--hopping SIZE,ADVANCE (advance_ms): must be 1 to 10, got 0"), "{err}");
    let err = run(&["--hopping", "10,11", "--at", "1"]);
    assert!(err.contains("--hopping SIZE,ADVANCE (advance_ms): must be 1 to 10, got 11"), "{err}");
    let err = run(&["--hopping", "10", "--at", "1"]);
    assert!(err.contains("--hopping") && err.contains("expected SIZE,ADVANCE (e.g. 15m,5m), got \"10\""), "{err}");
    let err = run(&["--tumbling", "10"]);
    assert!(err.contains("--at"), "{err}");
    let err = run(&["--tumbling", "10", "--at"]);
    assert!(err.contains("--at"), "{err}");
    let err = run(&["--tumbling", "0", "--at", "1"]);
    assert!(err.contains("--tumbling SIZE (size_ms): must be 1 to 31536000000, got 0"), "{err}");
    let err = run(&["--sliding", "5x", "--at", "1"]);
    assert!(err.contains("--sliding") && err.contains("unknown unit \"x\""), "{err}");
    let err = run(&["--tumbling", "10", "--at", "1", "1y"]);
    assert!(err.contains("--at") && err.contains("unknown unit \"y\""), "{err}");
    let err = run(&["--session", "5", "--grace", "400d", "--at", "1"]);
    assert!(err.contains("--grace (grace_ms): must be 0 to 31536000000, got 34560000000"), "{err}");
    // No window type, or two.
    let err = run(&["--at", "1"]);
    assert!(err.contains("--tumbling") && err.contains("--session"), "{err}");
    let err = run(&["--tumbling", "10", "--session", "5", "--at", "1"]);
    assert!(err.contains("--tumbling") && err.contains("--session"), "{err}");
}
