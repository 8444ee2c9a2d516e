//! Real data sets read from CSV (the csv and serde crates): one record per row, in file order.
//! A row that does not parse never stops a run: it becomes a dead letter with its line number
//! and the reason.

use super::KeyTable;
use crate::ids::KeyId;
use chrono::{DateTime, Datelike, NaiveDateTime};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The taxi data set's file name under `static/data/`.
pub const TAXI_CSV: &str = "nyc-yellow-taxi-2019-01-sample.csv";
/// The bids data set's file name under `static/data/`.
pub const BIDS_CSV: &str = "ebay-auction-bids.csv";

/// The largest CSV input accepted, in bytes.
pub const MAX_CSV_BYTES: usize = 64 << 20;

/// A row that could not be read: its 1-based line number in the file, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub line: u64,
    pub reason: String,
}

/// The payload columns of a table, one value per row.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    /// NYC taxi trips: `fare_amount` (USD) and trip duration (dropoff − pickup, seconds).
    Taxi { fare_amount: Vec<f64>, trip_duration_s: Vec<f64> },
    /// eBay bids: the amount (USD) and the bidder's user name.
    Bids { bid: Vec<f64>, bidder: Vec<String> },
}

/// A parsed data set: per row its key, event time (ms since the Unix epoch), size (bytes of the
/// CSV line) and line number, plus the payload columns; and the rows that did not parse.
#[derive(Debug, Clone, PartialEq)]
pub struct DataTable {
    pub keys: Vec<KeyId>,
    pub event_time_ms: Vec<u64>,
    pub size_bytes: Vec<u32>,
    pub lines: Vec<u64>,
    pub values: Values,
    pub dead_letters: Vec<DeadLetter>,
}

impl DataTable {
    /// Rows read (dead letters excluded).
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no row was read.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Reads `csv` row by row into `T` (by header name), handing each good row to `accept`, which
/// may still refuse it with a reason. Errors name the column.
fn read_rows<T: DeserializeOwned>(
    csv_text: &str,
    mut accept: impl FnMut(T, u64, u32) -> Result<(), String>,
) -> Result<Vec<DeadLetter>, String> {
    if csv_text.len() > MAX_CSV_BYTES {
        return Err(format!("must be at most {MAX_CSV_BYTES} bytes of CSV, got {} bytes", csv_text.len()));
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv_text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("cannot read the header line: {e}"))?.clone();
    let mut dead = vec![];
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(line, |p| p.line());
                let size = record.iter().map(|f| f.len() as u32 + 1).sum::<u32>();
                let outcome = record
                    .deserialize::<T>(Some(&headers))
                    .map_err(|e| describe(&e, &headers, &record))
                    .and_then(|row| accept(row, line, size));
                if let Err(reason) = outcome {
                    dead.push(DeadLetter { line, reason });
                }
            }
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line());
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("expected {expected_len} fields, found {len}")
                    }
                    _ => e.to_string(),
                };
                dead.push(DeadLetter { line, reason });
            }
        }
    }
    Ok(dead)
}

/// A serde error of one row, with the column's header name instead of its index, and the
/// value it could not read: `fare_amount: invalid float literal, got "seven"`.
fn describe(e: &csv::Error, headers: &csv::StringRecord, record: &csv::StringRecord) -> String {
    if let csv::ErrorKind::Deserialize { err, .. } = e.kind() {
        return match err.field() {
            Some(i) => format!(
                "{}: {}, got {:?}",
                headers.get(i as usize).unwrap_or("row"),
                err.kind(),
                record.get(i as usize).unwrap_or("")
            ),
            None => format!("row: {}", err.kind()),
        };
    }
    e.to_string()
}

/// `PULocationID`: the taxi key. Other columns are read but unused.
#[derive(Debug, Deserialize)]
struct TaxiRow {
    tpep_pickup_datetime: String,
    tpep_dropoff_datetime: String,
    #[serde(rename = "PULocationID")]
    pu_location_id: u32,
    fare_amount: f64,
}

/// Parses the NYC TLC yellow-taxi CSV: key = `PULocationID`, event time =
/// `tpep_pickup_datetime` read as a naive local timestamp and converted to ms since the Unix
/// epoch *as if it were UTC* (the file has no zone; New York local time is kept as wall-clock
/// time, so window boundaries fall on New York's quarter hours). Timestamps may be `M/D/YYYY H:MM`
/// (this copy) or `YYYY-MM-DD HH:MM:SS` (the TLC original). Errors: the whole input is refused only
/// if it is over [`MAX_CSV_BYTES`] or has no header line.
pub fn parse_taxi(csv_text: &str, keys: &mut KeyTable) -> Result<DataTable, String> {
    let mut t = Builder::default();
    let (mut fares, mut durations) = (vec![], vec![]);
    let dead = read_rows::<TaxiRow>(csv_text, |row, line, size| {
        let pickup = parse_naive_ms(&row.tpep_pickup_datetime).map_err(|e| format!("tpep_pickup_datetime: {e}"))?;
        let dropoff = parse_naive_ms(&row.tpep_dropoff_datetime).map_err(|e| format!("tpep_dropoff_datetime: {e}"))?;
        if !row.fare_amount.is_finite() {
            return Err(format!("fare_amount: must be a finite number, got {}", row.fare_amount));
        }
        t.push(keys.intern(&row.pu_location_id.to_string()), pickup, size, line);
        fares.push(row.fare_amount);
        durations.push((dropoff as f64 - pickup as f64) / 1000.0);
        Ok(())
    })?;
    Ok(t.finish(Values::Taxi { fare_amount: fares, trip_duration_s: durations }, dead))
}

/// The bids stream's time origin: 2001-01-04T00:00:00Z, when every auction is taken to open. It
/// is a multiple of 7 days after the Unix epoch, so epoch-aligned 1-, 3-, 5- and 7-day windows all
/// start there.
pub const BIDS_EPOCH_MS: u64 = 978_566_400_000;

#[derive(Debug, Deserialize)]
struct BidRow {
    auctionid: String,
    bid: f64,
    bidtime: f64,
    bidder: String,
}

/// Parses the eBay auction bids CSV: key = `auctionid`, event time = [`BIDS_EPOCH_MS`] +
/// `bidtime` days (fractional days since the auction opened), in ms, rounded to the nearest ms.
/// `NA` bidders are kept as the text `NA`, as the file writes them.
pub fn parse_bids(csv_text: &str, keys: &mut KeyTable) -> Result<DataTable, String> {
    let mut t = Builder::default();
    let (mut bids, mut bidders) = (vec![], vec![]);
    let dead = read_rows::<BidRow>(csv_text, |row, line, size| {
        if row.auctionid.is_empty() || row.auctionid.len() > 64 {
            return Err(format!("auctionid: must be 1 to 64 characters, got {}", row.auctionid.len()));
        }
        if !(row.bidtime.is_finite() && (0.0..=3650.0).contains(&row.bidtime)) {
            return Err(format!("bidtime: must be between 0 and 3650 days, got {}", row.bidtime));
        }
        if !row.bid.is_finite() {
            return Err(format!("bid: must be a finite number, got {}", row.bid));
        }
        let event_ms = BIDS_EPOCH_MS + (row.bidtime * 86_400_000.0).round() as u64;
        t.push(keys.intern(&row.auctionid), event_ms, size, line);
        bids.push(row.bid);
        bidders.push(row.bidder);
        Ok(())
    })?;
    Ok(t.finish(Values::Bids { bid: bids, bidder: bidders }, dead))
}

#[derive(Default)]
struct Builder {
    keys: Vec<KeyId>,
    event_time_ms: Vec<u64>,
    size_bytes: Vec<u32>,
    lines: Vec<u64>,
}

impl Builder {
    fn push(&mut self, key: KeyId, event_ms: u64, size: u32, line: u64) {
        self.keys.push(key);
        self.event_time_ms.push(event_ms);
        self.size_bytes.push(size);
        self.lines.push(line);
    }

    fn finish(self, values: Values, dead_letters: Vec<DeadLetter>) -> DataTable {
        DataTable {
            keys: self.keys,
            event_time_ms: self.event_time_ms,
            size_bytes: self.size_bytes,
            lines: self.lines,
            values,
            dead_letters,
        }
    }
}

/// The formats the taxi file's timestamps come in: this copy's `M/D/YYYY H:MM` and the TLC
/// original's `YYYY-MM-DD HH:MM:SS` (chrono's numeric fields also take unpadded digits).
const NAIVE_FORMATS: [&str; 4] = ["%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"];

/// A naive timestamp, `M/D/YYYY H:MM[:SS]` or `YYYY-MM-DD HH:MM[:SS]`, as ms since the Unix
/// epoch read as UTC. Years 1970 to 9999. Errors quote the text (at most 40 characters).
pub fn parse_naive_ms(s: &str) -> Result<u64, String> {
    let s = s.trim();
    NAIVE_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .filter(|t| (1970..=9999).contains(&t.year()))
        .map(|t| t.and_utc().timestamp_millis() as u64)
        .ok_or_else(|| {
            format!("expected M/D/YYYY H:MM or YYYY-MM-DD HH:MM:SS, got \"{}\"", s.chars().take(40).collect::<String>())
        })
}

/// ms since the Unix epoch as `YYYY-MM-DD HH:MM:SS` (UTC; for taxi times, New York wall-clock
/// time, as they were read).
pub fn format_naive_ms(ms: u64) -> String {
    match i64::try_from(ms).ok().and_then(DateTime::from_timestamp_millis) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        None => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_what_it_parses() {
        for s in ["2019-01-01 00:46:40", "2018-11-28 15:52:00", "2020-02-29 23:59:59", "2001-01-04 00:00:00"] {
            assert_eq!(format_naive_ms(parse_naive_ms(s).unwrap()), s);
        }
    }

    #[test]
    fn naive_timestamps() {
        assert_eq!(parse_naive_ms("1/1/2019 0:46"), Ok(1_546_303_560_000));
        assert_eq!(parse_naive_ms("2019-01-01 00:46:40"), Ok(1_546_303_600_000));
        assert_eq!(parse_naive_ms("12/31/2018 23:53"), Ok(1_546_300_380_000));
        assert_eq!(parse_naive_ms("2/29/2020 1:00"), Ok(1_582_938_000_000));
        assert!(parse_naive_ms("2/29/2019 1:00").is_err());
        assert!(parse_naive_ms("13/1/2019 0:00").is_err());
        assert!(parse_naive_ms("1/1/2019").is_err());
        assert!(parse_naive_ms("yesterday 5:00").is_err());
    }

    #[test]
    fn bids_epoch_is_a_whole_number_of_weeks() {
        assert_eq!(parse_naive_ms("2001-01-04 00:00:00"), Ok(BIDS_EPOCH_MS));
        assert_eq!(BIDS_EPOCH_MS % (7 * 86_400_000), 0);
    }

    #[test]
    fn bad_rows_become_dead_letters_with_line_and_reason() {
        let csv = "VendorID,tpep_pickup_datetime,tpep_dropoff_datetime,PULocationID,fare_amount\n\
                   1,1/1/2019 0:46,1/1/2019 0:53,151,7\n\
                   1,1/1/2019 0:46\n\
                   1,soon,1/1/2019 0:53,151,7\n\
                   1,1/1/2019 0:46,1/1/2019 0:53,151,seven\n\
                   2,1/1/2019 1:00,1/1/2019 1:10,4,12.5\n";
        let mut keys = KeyTable::default();
        let t = parse_taxi(csv, &mut keys).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.lines, [2, 6]);
        assert_eq!(
            t.dead_letters,
            vec![
                DeadLetter { line: 3, reason: "expected 5 fields, found 2".into() },
                DeadLetter {
                    line: 4,
                    reason: "tpep_pickup_datetime: expected M/D/YYYY H:MM or YYYY-MM-DD HH:MM:SS, got \"soon\"".into()
                },
                DeadLetter { line: 5, reason: "fare_amount: invalid float literal, got \"seven\"".into() },
            ]
        );
    }
}
