//! `streamlab partition` and `streamlab assign` as a user runs them: Kafka's murmur2 values,
//! binary and empty keys, each assignor, static members, previous assignments with generations,
//! and the errors for bad input.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Command;

fn streamlab(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_streamlab"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

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
