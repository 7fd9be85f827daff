//! Memory sizes and CPU amounts: Flink's notation to bytes, bytes to Flink and Kubernetes
//! notation (no IO).
//!
//! A size is read as Flink reads it first (`1024m`, `2g`, `512 mb`: binary units, whole
//! numbers), then as a Kubernetes quantity (`2Gi`, `1.5G`, `500M`), the order the Apache operator
//! uses. So `2g` and `2G` mean 2 GiB (Flink), while `1.5G` (not a Flink size) is 1.5·10⁹ bytes.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

const KI: u128 = 1 << 10;
const MI: u128 = 1 << 20;
const GI: u128 = 1 << 30;
const TI: u128 = 1 << 40;
const PI: u128 = 1 << 50;
const EI: u128 = 1 << 60;

/// Parses a memory size in Flink or Kubernetes notation into bytes.
///
/// Errors carry a short reason; callers add the field name.
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("empty".into());
    }
    if let Some(bytes) = parse_flink(trimmed)? {
        return Ok(bytes);
    }
    parse_kubernetes(trimmed)
}

/// Flink's `MemorySize` syntax: digits, optional whitespace, optional binary unit.
/// `Ok(None)` means "not Flink syntax, try Kubernetes".
fn parse_flink(text: &str) -> Result<Option<u64>, String> {
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits_end == 0 {
        return Ok(None);
    }
    let unit = text[digits_end..].trim_start().to_ascii_lowercase();
    let factor: u128 = match unit.as_str() {
        "" | "b" | "bytes" => 1,
        "k" | "kb" | "kibibytes" => KI,
        "m" | "mb" | "mebibytes" => MI,
        "g" | "gb" | "gibibytes" => GI,
        "t" | "tb" | "tebibytes" => TI,
        _ => return Ok(None),
    };
    let number: u128 = text[..digits_end]
        .parse()
        .map_err(|_| "number too large".to_string())?;
    let bytes = number
        .checked_mul(factor)
        .ok_or_else(|| "number too large".to_string())?;
    checked_bytes(bytes).map(Some)
}

/// Kubernetes quantity syntax: a decimal number and a binary (`Ki`..`Ei`) or decimal
/// (`k`, `M`, `G`, `T`, `P`, `E`) suffix, with Flink-style `B`/`iB` endings tolerated.
fn parse_kubernetes(text: &str) -> Result<u64, String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let number_end = compact
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(compact.len());
    let (number, suffix) = compact.split_at(number_end);
    if number.is_empty() || number.matches('.').count() > 1 {
        return Err("expected a number first".into());
    }
    let suffix = suffix.strip_suffix(['B', 'b']).unwrap_or(suffix);
    let factor: u128 = match suffix {
        "" => 1,
        "Ki" | "KI" | "ki" => KI,
        "Mi" | "MI" | "mi" => MI,
        "Gi" | "GI" | "gi" => GI,
        "Ti" | "TI" | "ti" => TI,
        "Pi" | "PI" | "pi" => PI,
        "Ei" | "EI" | "ei" => EI,
        "k" | "K" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "P" => 1_000_000_000_000_000,
        "E" => 1_000_000_000_000_000_000,
        other => return Err(format!("unknown unit {other:?}")),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| "number too large".to_string())?
    };
    let mut bytes = whole
        .checked_mul(factor)
        .ok_or_else(|| "number too large".to_string())?;
    if !fraction.is_empty() {
        let digits = u32::try_from(fraction.len()).map_err(|_| "too many digits".to_string())?;
        if digits > 18 {
            return Err("too many decimal digits".into());
        }
        let scale = 10u128.pow(digits);
        let numerator: u128 = fraction.parse().map_err(|_| "bad fraction".to_string())?;
        let scaled = numerator
            .checked_mul(factor)
            .ok_or_else(|| "number too large".to_string())?;
        // A fraction of a byte rounds up, as Kubernetes does.
        bytes += scaled.div_ceil(scale);
    }
    checked_bytes(bytes)
}

fn checked_bytes(bytes: u128) -> Result<u64, String> {
    if bytes == 0 {
        return Err("must be greater than 0".into());
    }
    u64::try_from(bytes).map_err(|_| "number too large".to_string())
}

/// The size in Flink notation: whole mebibytes (`1024m`) when exact, else kibibytes or bytes,
/// like the distribution's own `1600m`.
pub fn flink_size(bytes: u64) -> String {
    let b = u128::from(bytes);
    if b.is_multiple_of(MI) {
        format!("{}m", b / MI)
    } else if b.is_multiple_of(KI) {
        format!("{}k", b / KI)
    } else {
        format!("{b}b")
    }
}

/// The size as a Kubernetes quantity in the apiserver's canonical form, so a re-read object
/// compares equal: the largest binary suffix that keeps it whole (`1Gi`, `1536Mi`), else the
/// largest decimal one (`1500M`).
pub fn quantity(bytes: u64) -> Quantity {
    let b = u128::from(bytes);
    for (factor, suffix) in [
        (EI, "Ei"),
        (PI, "Pi"),
        (TI, "Ti"),
        (GI, "Gi"),
        (MI, "Mi"),
        (KI, "Ki"),
    ] {
        if b.is_multiple_of(factor) {
            return Quantity(format!("{}{suffix}", b / factor));
        }
    }
    for (exp, suffix) in [
        (18, "E"),
        (15, "P"),
        (12, "T"),
        (9, "G"),
        (6, "M"),
        (3, "k"),
    ] {
        let factor = 10u128.pow(exp);
        if b.is_multiple_of(factor) {
            return Quantity(format!("{}{suffix}", b / factor));
        }
    }
    Quantity(b.to_string())
}

/// A CPU amount as a canonical Kubernetes quantity: whole cores (`1`) or millicores (`500m`),
/// rounded up to a whole millicore. `None` for a non-positive or non-finite amount.
pub fn cpu_quantity(cores: f64) -> Option<Quantity> {
    if !cores.is_finite() || cores <= 0.0 {
        return None;
    }
    // Round away float noise (0.1 * 3) before rounding up to a millicore.
    let millis = ((cores * 1000.0 * 1e6).round() / 1e6).ceil();
    if millis > 1e15 {
        return None;
    }
    // The guard above keeps the value far inside u64.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let millis = millis as u64;
    Some(if millis.is_multiple_of(1000) {
        Quantity((millis / 1000).to_string())
    } else {
        Quantity(format!("{millis}m"))
    })
}

/// Reads a Kubernetes memory quantity (from `resources`) back into bytes.
pub fn quantity_bytes(q: &Quantity) -> Result<u64, String> {
    parse_kubernetes(q.0.trim())
}

/// Reads a Kubernetes CPU quantity (`500m`, `1`, `0.5`) into cores.
pub fn quantity_cores(q: &Quantity) -> Option<f64> {
    let text = q.0.trim();
    if let Some(millis) = text.strip_suffix('m') {
        return millis.parse::<f64>().ok().map(|m| m / 1000.0);
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(s: &str) -> u64 {
        parse_bytes(s).expect("a valid size")
    }

    #[test]
    fn flink_units_are_binary_and_case_insensitive() {
        assert_eq!(bytes("1024m"), 1024 * 1024 * 1024);
        assert_eq!(bytes("2g"), 2 << 30);
        assert_eq!(
            bytes("2G"),
            2 << 30,
            "Flink reads G as GiB, as the Apache operator does"
        );
        assert_eq!(bytes("2gb"), 2 << 30);
        assert_eq!(bytes("512 mb"), 512 << 20);
        assert_eq!(bytes("64k"), 64 << 10);
        assert_eq!(bytes("100"), 100);
        assert_eq!(bytes("100 bytes"), 100);
    }

    #[test]
    fn kubernetes_quantities_are_read_when_flink_cannot() {
        assert_eq!(bytes("2Gi"), 2 << 30);
        assert_eq!(bytes("1536Mi"), 1536 << 20);
        assert_eq!(bytes("1.5Gi"), 3 << 29);
        assert_eq!(
            bytes("1.5G"),
            1_500_000_000,
            "decimal G for a decimal number"
        );
        assert_eq!(bytes("500M"), 500 << 20, "M alone is Flink's mebibyte");
        assert_eq!(bytes("2GiB"), 2 << 30);
    }

    #[test]
    fn bad_sizes_say_why() {
        for bad in [
            "",
            "abc",
            "12x",
            "0m",
            "1.2.3G",
            "-1g",
            "99999999999999999999t",
        ] {
            assert!(parse_bytes(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn flink_and_kubernetes_notation() {
        assert_eq!(flink_size(bytes("1024m")), "1024m");
        assert_eq!(quantity(bytes("1024m")).0, "1Gi");
        assert_eq!(flink_size(bytes("2g")), "2048m");
        assert_eq!(quantity(bytes("2g")).0, "2Gi");
        assert_eq!(quantity(bytes("1536m")).0, "1536Mi");
        assert_eq!(flink_size(bytes("1.5G")), "1500000000b");
        assert_eq!(quantity(bytes("1.5G")).0, "1500M");
        assert_eq!(quantity(1001).0, "1001");
        assert_eq!(flink_size(bytes("100k")), "100k");
        assert_eq!(quantity(bytes("100k")).0, "100Ki");
    }

    #[test]
    fn cpu_quantities_are_canonical() {
        let q = |c: f64| cpu_quantity(c).map(|q| q.0);
        assert_eq!(q(0.5).as_deref(), Some("500m"));
        assert_eq!(q(1.0).as_deref(), Some("1"));
        assert_eq!(q(2.0).as_deref(), Some("2"));
        assert_eq!(q(0.1 * 3.0).as_deref(), Some("300m"));
        assert_eq!(q(0.0005).as_deref(), Some("1m"));
        assert_eq!(q(0.0), None);
        assert_eq!(q(-1.0), None);
        assert_eq!(quantity_cores(&Quantity("250m".into())), Some(0.25));
        assert_eq!(quantity_cores(&Quantity("2".into())), Some(2.0));
    }
}
