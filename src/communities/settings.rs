//! The `[communities]` table of `graphseed.toml` and the detection
//! parameters it resolves to. Every number is range-checked and never
//! clamped (as every setting in [`crate::limits`]): a silently changed
//! resolution would change every community and the `params_hash` with it.

use serde::Deserialize;

use super::hierarchy::DetectParams;
use crate::limits::{COMMUNITY_ITERATIONS, COMMUNITY_MAX_CLUSTER_SIZE, COMMUNITY_MIN_SIZE};

/// `[communities]` as written; absent keys take the engine's defaults.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunitiesConfig {
    /// Run detection after every successful `seed` that wrote. Default false.
    pub enabled: Option<bool>,
    /// Leiden's γ: higher gives more, smaller communities.
    pub resolution: Option<f64>,
    pub seed: Option<u64>,
    pub iterations: Option<u64>,
    pub max_cluster_size: Option<u64>,
    pub min_size: Option<u64>,
}

/// The least and greatest resolution accepted. Above 1000 every node of any
/// real graph ends alone; at or below 0 modularity has no meaning.
pub const RESOLUTION_MAX: f64 = 1000.0;

impl CommunitiesConfig {
    pub fn enabled(&self) -> bool {
        self.enabled.unwrap_or(false)
    }

    /// The detection parameters, or a message naming the key and its range.
    pub fn detect_params(&self) -> Result<DetectParams, String> {
        let mut p = DetectParams::default();
        if let Some(r) = self.resolution {
            // NaN fails both comparisons, so it is refused too.
            if !(r > 0.0 && r <= RESOLUTION_MAX) {
                return Err(format!(
                    "[communities] resolution = {r} is out of range: allowed above 0 up to {RESOLUTION_MAX}"
                ));
            }
            p.leiden.resolution = r;
        }
        if let Some(seed) = self.seed {
            p.leiden.seed = seed;
        }
        // The ranges fit u32/usize, so the conversions below cannot truncate.
        p.leiden.iterations = COMMUNITY_ITERATIONS.resolve(None, self.iterations)? as u32;
        p.min_community_size = COMMUNITY_MIN_SIZE.resolve(None, self.min_size)? as usize;
        p.max_cluster_size = match self.max_cluster_size {
            Some(v) => Some(COMMUNITY_MAX_CLUSTER_SIZE.resolve(None, Some(v))? as usize),
            None => None,
        };
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Result<DetectParams, String> {
        let c: CommunitiesConfig = toml::from_str(toml_text).map_err(|e| e.to_string())?;
        c.detect_params()
    }

    #[test]
    fn defaults_are_the_engines() {
        let c = CommunitiesConfig::default();
        assert!(!c.enabled());
        let p = c.detect_params().unwrap();
        assert_eq!(p, DetectParams::default());
        // The limits' defaults must not drift from the engine's.
        assert_eq!(
            COMMUNITY_ITERATIONS.default,
            u64::from(DetectParams::default().leiden.iterations)
        );
        assert_eq!(
            COMMUNITY_MIN_SIZE.default as usize,
            DetectParams::default().min_community_size
        );
    }

    #[test]
    fn every_value_is_range_checked() {
        type Row = (&'static str, Result<(), &'static str>);
        let table: &[Row] = &[
            ("resolution = 1.5", Ok(())),
            ("resolution = 1000.0", Ok(())),
            (
                "resolution = 0.0",
                Err("[communities] resolution = 0 is out of range: allowed above 0 up to 1000"),
            ),
            (
                "resolution = -1.0",
                Err("[communities] resolution = -1 is out of range: allowed above 0 up to 1000"),
            ),
            (
                "resolution = nan",
                Err("[communities] resolution = NaN is out of range: allowed above 0 up to 1000"),
            ),
            (
                "resolution = inf",
                Err("[communities] resolution = inf is out of range: allowed above 0 up to 1000"),
            ),
            ("iterations = 100", Ok(())),
            (
                "iterations = 0",
                Err("[communities] iterations = 0 is out of range: allowed 1..=100"),
            ),
            (
                "iterations = 101",
                Err("[communities] iterations = 101 is out of range: allowed 1..=100"),
            ),
            ("min_size = 1", Ok(())),
            (
                "min_size = 0",
                Err("[communities] min_size = 0 is out of range: allowed 1..=1000000"),
            ),
            ("max_cluster_size = 2", Ok(())),
            (
                "max_cluster_size = 1",
                Err("[communities] max_cluster_size = 1 is out of range: allowed 2..=100000000"),
            ),
            ("seed = 0", Ok(())),
            ("seed = 9223372036854775807", Ok(())),
        ];
        for (text, want) in table {
            let got = parse(text).map(|_| ());
            assert_eq!(
                got.as_ref().map_err(String::as_str),
                want.as_ref().map_err(|e| *e),
                "{text}"
            );
        }
    }

    #[test]
    fn values_reach_the_parameters() {
        let p = parse(
            "enabled = true\nresolution = 0.5\nseed = 7\niterations = 3\nmax_cluster_size = 50\nmin_size = 4",
        )
        .unwrap();
        assert_eq!(p.leiden.resolution, 0.5);
        assert_eq!(p.leiden.seed, 7);
        assert_eq!(p.leiden.iterations, 3);
        assert_eq!(p.max_cluster_size, Some(50));
        assert_eq!(p.min_community_size, 4);
        // A negative seed or an unknown key is refused by the parser.
        assert!(parse("seed = -1").is_err());
        assert!(
            parse("resolutoin = 1.0")
                .unwrap_err()
                .contains("unknown field")
        );
    }
}
