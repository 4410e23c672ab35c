//! Where the graph lives: a Neo4j URI or an embedded SQLite file.

use std::fmt;
use std::path::PathBuf;

use crate::redact;

/// A password. Its `Debug` and `Display` never show the value, so it cannot
/// leak through a log line, an error or a panic message by accident.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The only way to read the value; call it where the driver needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret::new(s))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// How the Neo4j connection is secured, from the URI scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tls {
    /// `bolt://`, `neo4j://`
    None,
    /// `+s`: verify the server certificate against the system roots.
    Verified,
    /// `+ssc`: accept a self-signed certificate.
    SelfSigned,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Neo4j {
        /// The URI as given, minus any userinfo.
        uri: String,
        /// `neo4j://` family (routing) rather than `bolt://` (direct).
        routing: bool,
        tls: Tls,
        host: String,
        /// The Bolt port (7687 when the URI names none).
        port: u16,
        database: Option<String>,
        username: String,
        password: Option<Secret>,
    },
    Sqlite {
        path: PathBuf,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "unsupported target `{0}`: use bolt://, bolt+s://, bolt+ssc://, neo4j://, neo4j+s://, neo4j+ssc:// or sqlite:PATH"
    )]
    Scheme(String),
    #[error(
        "target `{0}` carries credentials in the URI: pass the user with --username and the password with NEO4J_PASSWORD or --password-file"
    )]
    CredentialsInUri(String),
    #[error("target `{0}` has no host")]
    NoHost(String),
    #[error("target `{0}` has a port that is not a number from 1 to 65535")]
    Port(String),
}

pub const DEFAULT_TARGET: &str = "sqlite:.graphseed/graph.db";

/// Neo4j's Bolt port, when a URI names none.
pub const DEFAULT_BOLT_PORT: u16 = 7687;

impl Target {
    pub fn parse(
        uri: &str,
        database: Option<String>,
        username: Option<String>,
        password: Option<Secret>,
    ) -> Result<Self, TargetError> {
        if let Some(path) = uri.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            return Ok(Target::Sqlite {
                path: PathBuf::from(path),
            });
        }
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| TargetError::Scheme(redact::uri(uri)))?;
        let (routing, tls) = match scheme {
            "bolt" => (false, Tls::None),
            "bolt+s" => (false, Tls::Verified),
            "bolt+ssc" => (false, Tls::SelfSigned),
            "neo4j" => (true, Tls::None),
            "neo4j+s" => (true, Tls::Verified),
            "neo4j+ssc" => (true, Tls::SelfSigned),
            _ => return Err(TargetError::Scheme(redact::uri(uri))),
        };
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if authority.contains('@') {
            // Never echo the URI back: it holds the credentials.
            return Err(TargetError::CredentialsInUri(format!("{scheme}://…")));
        }
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => v6.split_once(']').unwrap_or((v6, "")),
            None => authority.split_once(':').unwrap_or((authority, "")),
        };
        let port = port.strip_prefix(':').unwrap_or(port);
        let port = if port.is_empty() {
            DEFAULT_BOLT_PORT
        } else {
            port.parse()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| TargetError::Port(redact::uri(uri)))?
        };
        let host = host.to_string();
        if host.is_empty() {
            return Err(TargetError::NoHost(redact::uri(uri)));
        }
        Ok(Target::Neo4j {
            uri: uri.to_string(),
            routing,
            tls,
            host,
            port,
            database,
            username: username.unwrap_or_else(|| "neo4j".to_string()),
            password,
        })
    }

    /// A name for messages and run records, never carrying a secret: the
    /// URI goes through the one redaction rule (a query string may hold a
    /// password even though userinfo is refused).
    pub fn describe(&self) -> String {
        match self {
            Target::Neo4j { uri, database, .. } => match database {
                Some(db) => format!("{} (database {db})", redact::uri(uri)),
                None => redact::uri(uri),
            },
            Target::Sqlite { path } => format!("sqlite:{}", path.display()),
        }
    }

    /// Plaintext Bolt to a host that is not this machine: worth a warning.
    pub fn is_plaintext_remote(&self) -> bool {
        match self {
            Target::Neo4j { tls, host, .. } => *tls == Tls::None && !is_loopback(host),
            Target::Sqlite { .. } => false,
        }
    }
}

/// Aura's hosts: `<id>.databases.neo4j.io`.
const AURA_DOMAIN: &str = ".databases.neo4j.io";

/// The `neo4j+s://` form of a `bolt://` or `bolt+s://` URI whose host is an
/// Aura instance, or `None`. A direct connection to Aura lands on one member
/// of its cluster, which refuses writes (NotALeader) unless it is the leader;
/// `neo4j+s://` asks the server to route them. Aura always speaks TLS, so the
/// suggestion verifies its certificate.
pub fn aura_routing_advice(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    if !matches!(scheme, "bolt" | "bolt+s") {
        return None;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    let label = host.strip_suffix(AURA_DOMAIN)?;
    if label.is_empty() {
        return None;
    }
    Some(format!("neo4j+s://{rest}"))
}

/// This machine by name or address. An address must parse as one: a name
/// like `127.example.com` is somebody else's machine.
fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host);
    host == "localhost"
        || host.ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme() {
        for (uri, routing, tls) in [
            ("bolt://localhost:7687", false, Tls::None),
            ("bolt+s://db.example.com", false, Tls::Verified),
            ("bolt+ssc://10.0.0.1:7687", false, Tls::SelfSigned),
            ("neo4j://h", true, Tls::None),
            ("neo4j+s://h", true, Tls::Verified),
            ("neo4j+ssc://h", true, Tls::SelfSigned),
        ] {
            match Target::parse(uri, None, None, None).unwrap() {
                Target::Neo4j {
                    routing: r, tls: t, ..
                } => assert_eq!((r, t), (routing, tls), "{uri}"),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            Target::parse("sqlite:.graphseed/graph.db", None, None, None).unwrap(),
            Target::Sqlite {
                path: ".graphseed/graph.db".into()
            }
        );
    }

    #[test]
    fn reads_the_bolt_port() {
        for (uri, port) in [
            ("bolt://localhost:7688", Some(7688)),
            ("neo4j+s://db.example.com", Some(DEFAULT_BOLT_PORT)),
            ("bolt://[::1]:17687/neo4j", Some(17687)),
            ("bolt://[::1]", Some(DEFAULT_BOLT_PORT)),
            ("bolt://h:0", None),
            ("bolt://h:port", None),
            ("bolt://h:70000", None),
        ] {
            let got = match Target::parse(uri, None, None, None) {
                Ok(Target::Neo4j { port, .. }) => Some(port),
                Ok(other) => panic!("{other:?}"),
                Err(e) => {
                    assert!(matches!(e, TargetError::Port(_)), "{uri}: {e}");
                    None
                }
            };
            assert_eq!(got, port, "{uri}");
        }
    }

    #[test]
    fn refuses_credentials_in_uri_without_echoing_them() {
        let err = Target::parse("bolt://neo4j:hunter2@host", None, None, None).unwrap_err();
        assert!(!err.to_string().contains("hunter2"));
    }

    #[test]
    fn warns_only_for_plaintext_remote() {
        let t = |u| {
            Target::parse(u, None, None, None)
                .unwrap()
                .is_plaintext_remote()
        };
        assert!(t("bolt://db.example.com"));
        assert!(t("bolt://127.example.com:7687"), "a name, not an address");
        assert!(t("neo4j://10.0.0.5"));
        assert!(!t("bolt://127.0.0.1:7687"));
        assert!(!t("bolt://127.1.2.3:7687"));
        assert!(!t("bolt://localhost"));
        assert!(!t("bolt://LOCALHOST:7687"));
        assert!(!t("bolt://[::1]:7687"));
        assert!(!t("bolt+s://db.example.com"));
    }

    #[test]
    fn aura_over_bolt_is_told_to_use_neo4j_s() {
        for (uri, advice) in [
            (
                "bolt+s://abcd1234.databases.neo4j.io",
                Some("neo4j+s://abcd1234.databases.neo4j.io"),
            ),
            (
                "bolt://abcd1234.databases.neo4j.io:7687",
                Some("neo4j+s://abcd1234.databases.neo4j.io:7687"),
            ),
            (
                "bolt+s://ABCD1234.Databases.Neo4j.IO.",
                Some("neo4j+s://ABCD1234.Databases.Neo4j.IO."),
            ),
            // Already routing, or not Aura, or not an Aura instance's host.
            ("neo4j+s://abcd1234.databases.neo4j.io", None),
            ("neo4j://abcd1234.databases.neo4j.io", None),
            ("bolt+ssc://abcd1234.databases.neo4j.io", None),
            ("bolt+s://databases.neo4j.io", None),
            ("bolt+s://abcd1234.databases.neo4j.io.example.com", None),
            ("bolt+s://notdatabases.neo4j.io", None),
            ("bolt://localhost:7687", None),
            ("sqlite:graph.db", None),
        ] {
            assert_eq!(aura_routing_advice(uri).as_deref(), advice, "{uri}");
        }
    }

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2");
        assert!(!format!("{s:?} {s}").contains("hunter2"));
    }
}
